// SPDX-License-Identifier: GPL-2.0
//! x86_64 syscall numbers we decode and the conversions of Linux flag words to libs' `PPM_*`
//! encodings (the values the event schema's flag tables name).

/// x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl).
#[allow(missing_docs)]
pub(crate) mod nr {
    pub(crate) const READ: i64 = 0;
    pub(crate) const WRITE: i64 = 1;
    pub(crate) const OPEN: i64 = 2;
    pub(crate) const CLOSE: i64 = 3;
    pub(crate) const PIPE: i64 = 22;
    pub(crate) const DUP: i64 = 32;
    pub(crate) const DUP2: i64 = 33;
    pub(crate) const SOCKET: i64 = 41;
    pub(crate) const CONNECT: i64 = 42;
    pub(crate) const ACCEPT: i64 = 43;
    pub(crate) const SENDTO: i64 = 44;
    pub(crate) const RECVFROM: i64 = 45;
    pub(crate) const BIND: i64 = 49;
    pub(crate) const LISTEN: i64 = 50;
    pub(crate) const CLONE: i64 = 56;
    pub(crate) const FORK: i64 = 57;
    pub(crate) const VFORK: i64 = 58;
    pub(crate) const EXECVE: i64 = 59;
    pub(crate) const KILL: i64 = 62;
    pub(crate) const FCNTL: i64 = 72;
    pub(crate) const PTRACE: i64 = 101;
    pub(crate) const CHDIR: i64 = 80;
    pub(crate) const FCHDIR: i64 = 81;
    pub(crate) const RENAME: i64 = 82;
    pub(crate) const MKDIR: i64 = 83;
    pub(crate) const RMDIR: i64 = 84;
    pub(crate) const CREAT: i64 = 85;
    pub(crate) const LINK: i64 = 86;
    pub(crate) const UNLINK: i64 = 87;
    pub(crate) const SYMLINK: i64 = 88;
    pub(crate) const CHMOD: i64 = 90;
    pub(crate) const FCHMOD: i64 = 91;
    pub(crate) const CHOWN: i64 = 92;
    pub(crate) const FCHOWN: i64 = 93;
    pub(crate) const LCHOWN: i64 = 94;
    pub(crate) const SETUID: i64 = 105;
    pub(crate) const SETGID: i64 = 106;
    pub(crate) const SETREUID: i64 = 113;
    pub(crate) const SETREGID: i64 = 114;
    pub(crate) const SETRESUID: i64 = 117;
    pub(crate) const SETRESGID: i64 = 119;
    pub(crate) const PRCTL: i64 = 157;
    pub(crate) const MOUNT: i64 = 165;
    pub(crate) const UMOUNT2: i64 = 166;
    pub(crate) const INIT_MODULE: i64 = 175;
    pub(crate) const TKILL: i64 = 200;
    pub(crate) const TGKILL: i64 = 234;
    pub(crate) const OPENAT: i64 = 257;
    pub(crate) const MKDIRAT: i64 = 258;
    pub(crate) const FCHOWNAT: i64 = 260;
    pub(crate) const UNLINKAT: i64 = 263;
    pub(crate) const RENAMEAT: i64 = 264;
    pub(crate) const LINKAT: i64 = 265;
    pub(crate) const SYMLINKAT: i64 = 266;
    pub(crate) const FCHMODAT: i64 = 268;
    pub(crate) const UNSHARE: i64 = 272;
    pub(crate) const ACCEPT4: i64 = 288;
    pub(crate) const DUP3: i64 = 292;
    pub(crate) const PIPE2: i64 = 293;
    pub(crate) const SETNS: i64 = 308;
    pub(crate) const FINIT_MODULE: i64 = 313;
    pub(crate) const RENAMEAT2: i64 = 316;
    pub(crate) const MEMFD_CREATE: i64 = 319;
    pub(crate) const BPF: i64 = 321;
    pub(crate) const EXECVEAT: i64 = 322;
    pub(crate) const CLONE3: i64 = 435;
    pub(crate) const OPENAT2: i64 = 437;
}

/// `O_*` (x86_64) to `PPM_O_*`.
pub(crate) fn open_flags(f: u64) -> u32 {
    const MAP: &[(u64, u32)] = &[
        (0o100, 1 << 2),         // O_CREAT
        (0o2000, 1 << 3),        // O_APPEND
        (0o10000, 1 << 4),       // O_DSYNC
        (0o200, 1 << 5),         // O_EXCL
        (0o4000, 1 << 6),        // O_NONBLOCK
        (0o4000000, 1 << 7),     // __O_SYNC
        (0o1000, 1 << 8),        // O_TRUNC
        (0o40000, 1 << 9),       // O_DIRECT
        (0o200000, 1 << 10),     // O_DIRECTORY
        (0o100000, 1 << 11),     // O_LARGEFILE
        (0o2000000, 1 << 12),    // O_CLOEXEC
        (0o20000000, 1 << 13),   // __O_TMPFILE
    ];
    let mut r = match f & 3 {
        0 => 1,     // O_RDONLY -> PPM_O_RDONLY
        1 => 2,     // O_WRONLY
        _ => 3,     // O_RDWR
    };
    for (linux, ppm) in MAP {
        if f & linux != 0 {
            r |= ppm;
        }
    }
    r
}

/// The mode recorded for an open: meaningful only with O_CREAT or O_TMPFILE (`PPM_S_*` bits
/// equal the Linux permission bits).
pub(crate) fn open_mode(flags: u64, mode: u64) -> u32 {
    if flags & (0o100 | 0o20000000) != 0 {
        (mode & 0o7777) as u32
    } else {
        0
    }
}

/// `RESOLVE_*` to `PPM_RESOLVE_*`.
pub(crate) fn resolve_flags(f: u64) -> u32 {
    let mut r = 0;
    for (linux, ppm) in [(0x08u64, 1u32 << 0), (0x10, 1 << 1), (0x02, 1 << 2), (0x04, 1 << 3), (0x01, 1 << 4), (0x20, 1 << 5)] {
        if f & linux != 0 {
            r |= ppm;
        }
    }
    r
}

/// `CLONE_*` to `PPM_CL_*`.
pub(crate) fn clone_flags(f: u64) -> u32 {
    const MAP: &[(u64, u32)] = &[
        (0x400, 1 << 0),          // CLONE_FILES
        (0x200, 1 << 1),          // CLONE_FS
        (0x8000_0000, 1 << 2),    // CLONE_IO
        (0x0800_0000, 1 << 3),    // CLONE_NEWIPC
        (0x4000_0000, 1 << 4),    // CLONE_NEWNET
        (0x0002_0000, 1 << 5),    // CLONE_NEWNS
        (0x2000_0000, 1 << 6),    // CLONE_NEWPID
        (0x0400_0000, 1 << 7),    // CLONE_NEWUTS
        (0x8000, 1 << 8),         // CLONE_PARENT
        (0x0010_0000, 1 << 9),    // CLONE_PARENT_SETTID
        (0x2000, 1 << 10),        // CLONE_PTRACE
        (0x800, 1 << 11),         // CLONE_SIGHAND
        (0x0004_0000, 1 << 12),   // CLONE_SYSVSEM
        (0x0001_0000, 1 << 13),   // CLONE_THREAD
        (0x0080_0000, 1 << 14),   // CLONE_UNTRACED
        (0x100, 1 << 15),         // CLONE_VM
        (0x1000_0000, 1 << 20),   // CLONE_NEWUSER
        (0x0020_0000, 1 << 23),   // CLONE_CHILD_CLEARTID
        (0x0100_0000, 1 << 24),   // CLONE_CHILD_SETTID
        (0x0008_0000, 1 << 25),   // CLONE_SETTLS
        (0x4000, 1 << 27),        // CLONE_VFORK
        (0x0200_0000, 1 << 28),   // CLONE_NEWCGROUP
    ];
    let mut r = 0;
    for (linux, ppm) in MAP {
        if f & linux != 0 {
            r |= ppm;
        }
    }
    r
}

/// `PPM_CL_CHILD_IN_PIDNS`: the child lives in a pid namespace other than the initial one.
pub(crate) const CL_CHILD_IN_PIDNS: u32 = 1 << 29;

/// `AT_REMOVEDIR` to `PPM_AT_REMOVEDIR` (both 0x200).
pub(crate) fn unlinkat_flags(f: u64) -> u32 {
    (f & 0x200) as u32
}

/// fcntl `F_*` command to `PPM_FCNTL_*` (the two the engine's state parser acts on are named
/// in `ringbuf-abi`'s `ppm::fcntl`, shared with it).
pub(crate) fn fcntl_cmd(cmd: u64) -> u8 {
    use crate::ppm::fcntl::{F_DUPFD, F_DUPFD_CLOEXEC};
    match cmd {
        0 => F_DUPFD as u8,
        1 => 2,     // F_GETFD
        2 => 3,     // F_SETFD
        3 => 4,     // F_GETFL
        4 => 5,     // F_SETFL
        5 => 6,     // F_GETLK
        6 => 8,     // F_SETLK
        7 => 9,     // F_SETLKW
        8 => 10,    // F_SETOWN
        9 => 12,    // F_GETOWN
        10 => 13,   // F_SETSIG
        11 => 15,   // F_GETSIG
        15 => 21,   // F_SETOWN_EX
        16 => 22,   // F_GETOWN_EX
        1024 => 23, // F_SETLEASE
        1025 => 24, // F_GETLEASE
        1029 => 25, // F_CANCELLK
        1030 => F_DUPFD_CLOEXEC as u8,
        1026 => 27, // F_NOTIFY
        1031 => 28, // F_SETPIPE_SZ
        1032 => 29, // F_GETPIPE_SZ
        36 => 30,   // F_OFD_GETLK
        37 => 31,   // F_OFD_SETLK
        38 => 32,   // F_OFD_SETLKW
        _ => 0,
    }
}

/// mount flags: `PPM_MS_*` are the `MS_*` bits, without the historic magic in the top half.
pub(crate) fn mount_flags(f: u64) -> u32 {
    if f & 0xffff_0000 == 0xc0ed_0000 { (f & 0xffff) as u32 } else { f as u32 }
}

/// `SOCK_NONBLOCK`/`SOCK_CLOEXEC` of socket()'s `type` as `PPM_O_*` file flags (x86_64: they
/// equal `O_NONBLOCK`/`O_CLOEXEC`); the access-mode bits are not set.
pub(crate) fn socket_flags(ty: u64) -> u32 {
    open_flags(ty & (0o4000 | 0o2000000)) & !3
}

/// `PPM_FD_UPPER_LAYER_CREAT` / `PPM_FD_LOWER_LAYER_CREAT` (creat's `creat_flags`).
pub(crate) const FD_UPPER_LAYER_CREAT: u16 = 1 << 0;
/// See [`FD_UPPER_LAYER_CREAT`].
pub(crate) const FD_LOWER_LAYER_CREAT: u16 = 1 << 1;

/// ptrace request numbers as libs names them (`PPM_PTRACE_*`, ppm_events_public.h).
#[allow(missing_docs)]
pub(crate) mod ptrace {
    pub(crate) const UNKNOWN: u16 = 0;
    pub(crate) const PEEKTEXT: u16 = 2;
    pub(crate) const PEEKDATA: u16 = 3;
    pub(crate) const PEEKUSR: u16 = 4;
    pub(crate) const CONT: u16 = 8;
    pub(crate) const SINGLESTEP: u16 = 10;
    pub(crate) const DETACH: u16 = 12;
    pub(crate) const SYSCALL: u16 = 13;
}

/// x86_64 `PTRACE_*` request to `PPM_PTRACE_*` (libs' ptrace_requests_to_scap).
pub(crate) fn ptrace_request(req: u64) -> u16 {
    match req {
        0 => 1,         // PTRACE_TRACEME
        1 => 2,         // PTRACE_PEEKTEXT
        2 => 3,         // PTRACE_PEEKDATA
        3 => 4,         // PTRACE_PEEKUSR
        4 => 5,         // PTRACE_POKETEXT
        5 => 6,         // PTRACE_POKEDATA
        6 => 7,         // PTRACE_POKEUSR
        7 => 8,         // PTRACE_CONT
        8 => 9,         // PTRACE_KILL
        9 => 10,        // PTRACE_SINGLESTEP
        12 => 26,       // PTRACE_GETREGS
        13 => 27,       // PTRACE_SETREGS
        14 => 28,       // PTRACE_GETFPREGS
        15 => 29,       // PTRACE_SETFPREGS
        16 => 11,       // PTRACE_ATTACH
        17 => 12,       // PTRACE_DETACH
        18 => 30,       // PTRACE_GETFPXREGS
        19 => 31,       // PTRACE_SETFPXREGS
        21 => 32,       // PTRACE_OLDSETOPTIONS
        24 => 13,       // PTRACE_SYSCALL
        25 => 33,       // PTRACE_GET_THREAD_AREA
        26 => 34,       // PTRACE_SET_THREAD_AREA
        30 => 35,       // PTRACE_ARCH_PRCTL
        31 => 36,       // PTRACE_SYSEMU
        32 => 37,       // PTRACE_SYSEMU_SINGLESTEP
        33 => 38,       // PTRACE_SINGLEBLOCK
        0x4200 => 14,   // PTRACE_SETOPTIONS
        0x4201 => 15,   // PTRACE_GETEVENTMSG
        0x4202 => 16,   // PTRACE_GETSIGINFO
        0x4203 => 17,   // PTRACE_SETSIGINFO
        0x4204 => 18,   // PTRACE_GETREGSET
        0x4205 => 19,   // PTRACE_SETREGSET
        0x4206 => 20,   // PTRACE_SEIZE
        0x4207 => 21,   // PTRACE_INTERRUPT
        0x4208 => 22,   // PTRACE_LISTEN
        0x4209 => 23,   // PTRACE_PEEKSIGINFO
        0x420a => 24,   // PTRACE_GETSIGMASK
        0x420b => 25,   // PTRACE_SETSIGMASK
        _ => ptrace::UNKNOWN,
    }
}

/// A `PT_DYN` value of ptrace's `addr`/`data`: the index into libs' `ptrace_dynamic_param`
/// table, then the value in that entry's type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PtraceDyn {
    /// `PPM_PTRACE_IDX_UINT64` (0): a 64-bit value.
    U64(u64),
    /// `PPM_PTRACE_IDX_SIGTYPE` (1): a signal number (one byte).
    Sig(u8),
}

impl PtraceDyn {
    /// The encoded parameter: index byte then value; returns the bytes used of `out`.
    pub(crate) fn encode(self, out: &mut [u8; 9]) -> usize {
        match self {
            PtraceDyn::U64(v) => {
                out[0] = 0;
                out[1..9].copy_from_slice(&v.to_le_bytes());
                9
            }
            PtraceDyn::Sig(s) => {
                out[0] = 1;
                out[1] = s;
                2
            }
        }
    }
}

/// ptrace's `data` as libs records it for request `req` (a `PPM_PTRACE_*`): the signal for
/// the resuming requests, the peeked word (read from `*data` by `peek`) for PEEK*, else the
/// raw argument.
pub(crate) fn ptrace_data(req: u16, data: u64, peek: impl FnOnce(u64) -> u64) -> PtraceDyn {
    match req {
        ptrace::PEEKTEXT | ptrace::PEEKDATA | ptrace::PEEKUSR => PtraceDyn::U64(peek(data)),
        ptrace::CONT | ptrace::SINGLESTEP | ptrace::DETACH | ptrace::SYSCALL => PtraceDyn::Sig(data as u8),
        _ => PtraceDyn::U64(data),
    }
}
