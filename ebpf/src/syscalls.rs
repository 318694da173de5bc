//! The programs' names and the syscalls they handle: `x_<name>` is the exit program of
//! syscall `<name>`, `e_<name>` its enter program (x86_64 numbers). The loader puts each in the
//! tail-call table of its tracepoint at that number; a test checks that every program of the
//! object is named here.

/// Syscall name to x86_64 number, for every syscall that has a program.
pub const SYSCALLS: &[(&str, i64)] = &[
    ("read", libc::SYS_read),
    ("write", libc::SYS_write),
    ("open", libc::SYS_open),
    ("close", libc::SYS_close),
    ("pipe", libc::SYS_pipe),
    ("dup", libc::SYS_dup),
    ("dup2", libc::SYS_dup2),
    ("socket", libc::SYS_socket),
    ("connect", libc::SYS_connect),
    ("accept", libc::SYS_accept),
    ("sendto", libc::SYS_sendto),
    ("recvfrom", libc::SYS_recvfrom),
    ("bind", libc::SYS_bind),
    ("listen", libc::SYS_listen),
    ("clone", libc::SYS_clone),
    ("fork", libc::SYS_fork),
    ("vfork", libc::SYS_vfork),
    ("execve", libc::SYS_execve),
    ("kill", libc::SYS_kill),
    ("fcntl", libc::SYS_fcntl),
    ("chdir", libc::SYS_chdir),
    ("fchdir", libc::SYS_fchdir),
    ("rename", libc::SYS_rename),
    ("mkdir", libc::SYS_mkdir),
    ("rmdir", libc::SYS_rmdir),
    ("creat", libc::SYS_creat),
    ("link", libc::SYS_link),
    ("unlink", libc::SYS_unlink),
    ("symlink", libc::SYS_symlink),
    ("chmod", libc::SYS_chmod),
    ("fchmod", libc::SYS_fchmod),
    ("chown", libc::SYS_chown),
    ("fchown", libc::SYS_fchown),
    ("lchown", libc::SYS_lchown),
    ("ptrace", libc::SYS_ptrace),
    ("setuid", libc::SYS_setuid),
    ("setgid", libc::SYS_setgid),
    ("setreuid", libc::SYS_setreuid),
    ("setregid", libc::SYS_setregid),
    ("setresuid", libc::SYS_setresuid),
    ("setresgid", libc::SYS_setresgid),
    ("prctl", libc::SYS_prctl),
    ("mount", libc::SYS_mount),
    ("umount2", libc::SYS_umount2),
    ("init_module", libc::SYS_init_module),
    ("tkill", libc::SYS_tkill),
    ("tgkill", libc::SYS_tgkill),
    ("openat", libc::SYS_openat),
    ("mkdirat", libc::SYS_mkdirat),
    ("fchownat", libc::SYS_fchownat),
    ("unlinkat", libc::SYS_unlinkat),
    ("renameat", libc::SYS_renameat),
    ("linkat", libc::SYS_linkat),
    ("symlinkat", libc::SYS_symlinkat),
    ("fchmodat", libc::SYS_fchmodat),
    ("unshare", libc::SYS_unshare),
    ("accept4", libc::SYS_accept4),
    ("dup3", libc::SYS_dup3),
    ("pipe2", libc::SYS_pipe2),
    ("setns", libc::SYS_setns),
    ("finit_module", libc::SYS_finit_module),
    ("renameat2", libc::SYS_renameat2),
    ("memfd_create", libc::SYS_memfd_create),
    ("bpf", libc::SYS_bpf),
    ("execveat", libc::SYS_execveat),
    ("clone3", libc::SYS_clone3),
    ("openat2", libc::SYS_openat2),
];

/// The syscall number of a program name (`x_openat`, `e_connect`), with whether it is an
/// enter program; `None` for a name that is not a per-syscall program.
pub fn program_syscall(name: &str) -> Option<(i64, bool)> {
    let (enter, sys) = if let Some(s) = name.strip_prefix("x_") {
        (false, s)
    } else {
        (true, name.strip_prefix("e_")?)
    };
    SYSCALLS
        .iter()
        .find(|(n, _)| *n == sys)
        .map(|&(_, nr)| (nr, enter))
}
