//! Name tables used to print arguments the way libsinsp does: flag sets, errno names,
//! signal names.

/// One flag set or enum, by the libs `info` name of the parameter.
pub fn flag_table(info: &str) -> Option<&'static [(&'static str, u32)]> {
    super::flag_tables::table(info)
}

/// Writes the names of the flags set in `val`, `|`-separated, as libsinsp does: table
/// order, each matched entry's bits removed before the next. Returns false when none matched.
pub fn write_flags(out: &mut Vec<u8>, table: &[(&str, u32)], val: u32) -> bool {
    let mut rest = val;
    let mut any = false;
    for &(name, bits) in table {
        let hit = if bits == 0 {
            val == 0
        } else {
            rest & bits == bits
        };
        if hit {
            if any {
                out.push(b'|');
            }
            out.extend_from_slice(name.as_bytes());
            any = true;
            rest &= !bits;
        }
    }
    any
}

/// Writes the names libsinsp 0.25 prints for a flag or enum parameter (`get_param_as_str`,
/// `PT_FLAGS*`/`PT_ENUMFLAGS*`), `|`-separated, walking the table in order. An enum
/// (`exact`) names every entry equal to the value (`AF_LOCAL|AF_UNIX`). A flag set names
/// each entry whose bits are all still set, removing them, and stops at the entry equal to
/// the whole value; a zero entry names only a zero value.
pub fn write_flag_names(out: &mut Vec<u8>, table: &[(&str, u32)], val: u32, exact: bool) {
    let mut rest = val;
    let mut sep = false;
    for &(name, bits) in table {
        let hit = if exact {
            bits == val
        } else if bits == 0 {
            val == 0
        } else {
            rest & bits == bits && rest != 0
        };
        if !hit {
            continue;
        }
        if sep {
            out.push(b'|');
        }
        out.extend_from_slice(name.as_bytes());
        sep = true;
        if !exact {
            rest &= !bits;
            if bits == val {
                break;
            }
        }
    }
}

/// The errno name of a positive errno value (Linux numbering).
pub fn errno_name(e: i64) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "",
        "EPERM",
        "ENOENT",
        "ESRCH",
        "EINTR",
        "EIO",
        "ENXIO",
        "E2BIG",
        "ENOEXEC",
        "EBADF",
        "ECHILD",
        "EAGAIN",
        "ENOMEM",
        "EACCES",
        "EFAULT",
        "ENOTBLK",
        "EBUSY",
        "EEXIST",
        "EXDEV",
        "ENODEV",
        "ENOTDIR",
        "EISDIR",
        "EINVAL",
        "ENFILE",
        "EMFILE",
        "ENOTTY",
        "ETXTBSY",
        "EFBIG",
        "ENOSPC",
        "ESPIPE",
        "EROFS",
        "EMLINK",
        "EPIPE",
        "EDOM",
        "ERANGE",
        "EDEADLK",
        "ENAMETOOLONG",
        "ENOLCK",
        "ENOSYS",
        "ENOTEMPTY",
        "ELOOP",
        "",
        "ENOMSG",
        "EIDRM",
        "ECHRNG",
        "EL2NSYNC",
        "EL3HLT",
        "EL3RST",
        "ELNRNG",
        "EUNATCH",
        "ENOCSI",
        "EL2HLT",
        "EBADE",
        "EBADR",
        "EXFULL",
        "ENOANO",
        "EBADRQC",
        "EBADSLT",
        "",
        "EBFONT",
        "ENOSTR",
        "ENODATA",
        "ETIME",
        "ENOSR",
        "ENONET",
        "ENOPKG",
        "EREMOTE",
        "ENOLINK",
        "EADV",
        "ESRMNT",
        "ECOMM",
        "EPROTO",
        "EMULTIHOP",
        "EDOTDOT",
        "EBADMSG",
        "EOVERFLOW",
        "ENOTUNIQ",
        "EBADFD",
        "EREMCHG",
        "ELIBACC",
        "ELIBBAD",
        "ELIBSCN",
        "ELIBMAX",
        "ELIBEXEC",
        "EILSEQ",
        "ERESTART",
        "ESTRPIPE",
        "EUSERS",
        "ENOTSOCK",
        "EDESTADDRREQ",
        "EMSGSIZE",
        "EPROTOTYPE",
        "ENOPROTOOPT",
        "EPROTONOSUPPORT",
        "ESOCKTNOSUPPORT",
        "EOPNOTSUPP",
        "EPFNOSUPPORT",
        "EAFNOSUPPORT",
        "EADDRINUSE",
        "EADDRNOTAVAIL",
        "ENETDOWN",
        "ENETUNREACH",
        "ENETRESET",
        "ECONNABORTED",
        "ECONNRESET",
        "ENOBUFS",
        "EISCONN",
        "ENOTCONN",
        "ESHUTDOWN",
        "ETOOMANYREFS",
        "ETIMEDOUT",
        "ECONNREFUSED",
        "EHOSTDOWN",
        "EHOSTUNREACH",
        "EALREADY",
        "EINPROGRESS",
        "ESTALE",
    ];
    match e {
        512 => Some("ERESTARTSYS"),
        513 => Some("ERESTARTNOINTR"),
        514 => Some("ERESTARTNOHAND"),
        515 => Some("ENOIOCTLCMD"),
        516 => Some("ERESTART_RESTARTBLOCK"),
        _ => NAMES
            .get(usize::try_from(e).ok()?)
            .copied()
            .filter(|n| !n.is_empty()),
    }
}

/// Signal names by number (Linux x86-64).
pub fn signal_name(s: u64) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    NAMES
        .get(usize::try_from(s).ok()?)
        .copied()
        .filter(|n| !n.is_empty())
}
