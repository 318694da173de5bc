//! The file-syscall programs, live on this kernel: the test thread makes each file syscall
//! (a success and at least one failure), a forked child does the mount, umount2 and overlayfs
//! creat cases in a private mount namespace, and every record of those threads whose type is
//! one of these events must be exactly the expected one, every parameter compared (fds, paths,
//! converted flags, modes, dev/ino against fstat, read/write data cut to the snaplen).
//!
//! Needs root (BPF): run as root, as CI does. Capture is restricted to this process's tree.

mod common;

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use std::time::Duration;

use falco_ringreader::RingSet;
use ringbuf_abi::ids::*;

// libs' PPM_O_* (open flags).
const PPM_O_RDONLY: u32 = 1 << 0;
const PPM_O_WRONLY: u32 = 1 << 1;
const PPM_O_RDWR: u32 = PPM_O_RDONLY | PPM_O_WRONLY;
const PPM_O_CREAT: u32 = 1 << 2;
const PPM_O_APPEND: u32 = 1 << 3;
const PPM_O_EXCL: u32 = 1 << 5;
const PPM_O_NONBLOCK: u32 = 1 << 6;
const PPM_O_TRUNC: u32 = 1 << 8;
const PPM_O_DIRECTORY: u32 = 1 << 10;
const PPM_O_CLOEXEC: u32 = 1 << 12;
// libs' PPM_RESOLVE_*.
const PPM_RESOLVE_BENEATH: u32 = 1 << 0;
const PPM_RESOLVE_NO_SYMLINKS: u32 = 1 << 3;
// libs' PPM_FCNTL_*.
const PPM_FCNTL_UNKNOWN: u8 = 0;
const PPM_FCNTL_F_GETFD: u8 = 2;
const PPM_FCNTL_F_GETFL: u8 = 4;
const PPM_FCNTL_F_SETFL: u8 = 5;
const PPM_FCNTL_F_DUPFD_CLOEXEC: u8 = 26;
// creat's creat_flags.
const PPM_FD_UPPER_LAYER_CREAT: u16 = 1 << 0;
const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c7630;
/// The first snaplen set, below the default, and the second, above the large write.
const SNAPLEN_SMALL: u32 = 64;
const SNAPLEN_LARGE: u32 = 4096;

/// One expected record: its event type and every parameter's bytes.
#[derive(Clone, PartialEq, Eq)]
struct Ev {
    ty: u16,
    params: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Ev {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let info = ringbuf_abi::event_info(self.ty);
        write!(f, "{}(", info.map_or("?", |i| i.name))?;
        for (i, p) in self.params.iter().enumerate() {
            let pi = info.and_then(|inf| inf.params.get(i));
            let name = pi.map_or("?", |p| p.name);
            let sep = if i > 0 { ", " } else { "" };
            write!(f, "{sep}{name}={}", show(p, pi.map(|p| p.ptype)))?;
        }
        write!(f, ")")
    }
}

/// A parameter's value for a failure message: integers of fixed-width types decoded, text
/// when printable, else hex.
fn show(p: &[u8], ty: Option<ringbuf_abi::ParamType>) -> String {
    if let Some(n) = ty.and_then(|t| t.fixed_size()).filter(|n| *n == p.len()) {
        let mut w = [0u8; 8];
        w[..n].copy_from_slice(p);
        let v = u64::from_le_bytes(w);
        return match n {
            8 => format!("{}", v as i64),
            _ => format!("{v:#o}/{v:#x}"),
        };
    }
    let body = p.strip_suffix(&[0]).unwrap_or(p);
    if body.len() > 64 {
        return format!("<{} bytes: {:02x?}...>", p.len(), &p[..16]);
    }
    if !body.is_empty() && body.iter().all(|c| (0x20..0x7f).contains(c)) {
        let nul = if body.len() < p.len() { "\\0" } else { "" };
        format!("{:?}{nul}", String::from_utf8_lossy(body))
    } else {
        format!("{p:02x?}")
    }
}

fn i64p(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn u64p(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn u32p(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn u16p(v: u16) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn u8p(v: u8) -> Vec<u8> {
    vec![v]
}
/// A string parameter as the module writes it: the bytes and a NUL, empty for "".
fn s(c: &CStr) -> Vec<u8> {
    if c.to_bytes().is_empty() {
        Vec::new()
    } else {
        c.to_bytes_with_nul().to_vec()
    }
}
fn empty() -> Vec<u8> {
    Vec::new()
}

fn cs(p: impl AsRef<[u8]>) -> CString {
    CString::new(p.as_ref()).expect("no NUL in a test path")
}
fn pathc(p: &Path) -> CString {
    cs(p.as_os_str().as_bytes())
}
fn ptr(c: &CStr) -> u64 {
    c.as_ptr() as u64
}
/// An fd argument as the register holds it.
fn fda(fd: i64) -> u64 {
    fd as u64
}

/// A raw syscall: its result, or -errno. Nothing here allocates, so the forked child may use
/// it too.
fn sys(nr: libc::c_long, a: &[u64]) -> i64 {
    let mut v = [0u64; 6];
    v[..a.len()].copy_from_slice(a);
    // SAFETY: every pointer argument the tests pass points to live memory of this process
    // (or is deliberately invalid to provoke EFAULT, which the kernel checks).
    let r = unsafe { libc::syscall(nr, v[0], v[1], v[2], v[3], v[4], v[5]) };
    if r == -1 {
        -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        r
    }
}

fn ok(r: i64, what: &str) -> i64 {
    assert!(r >= 0, "{what} failed: errno {}", -r);
    r
}
fn fails(r: i64, errno: i32, what: &str) -> i64 {
    assert_eq!(r, -i64::from(errno), "{what}: expected -{errno}");
    r
}

/// Device (as the kernel encodes it for userspace) and inode of an fd.
fn fstat_dev_ino(fd: i64) -> (u32, u64) {
    // SAFETY: all-zero bytes are a valid `struct stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out pointer.
    let r = unsafe { libc::fstat(fd as i32, &mut st) };
    assert_eq!(r, 0, "fstat({fd})");
    (
        u32::try_from(st.st_dev).expect("st_dev fits new_encode_dev's u32"),
        st.st_ino,
    )
}

/// Appends an expected record: `ev!(expect, TYPE => param, param, ...)`.
macro_rules! ev {
    ($e:expr, $ty:expr => $($p:expr),* $(,)?) => {
        $e.ev($ty, vec![$($p),*])
    };
}

/// The expected records of one thread, in order.
struct Expect {
    evs: Vec<Ev>,
}

impl Expect {
    fn ev(&mut self, ty: u16, params: Vec<Vec<u8>>) {
        self.evs.push(Ev { ty, params });
    }
}

/// Everything read from the rings.
struct Got {
    tid: u64,
    ev: Ev,
}

/// A fresh, empty directory for this run, removed when the test ends (passed or failed).
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> ScratchDir {
        let d = std::env::temp_dir().join(format!("falco-ebpf-file-events-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir(&d).expect("create the test directory");
        ScratchDir(d)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn file_events() {
    let mut rs = common::open(&common::own_tree());
    let dir = ScratchDir::new();
    rs.set_snaplen(SNAPLEN_SMALL).expect("set snaplen");

    let mut me = Expect { evs: Vec::new() };
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() } as u64;
    let prep = Prepared::new(&dir.0);

    rs.enable().expect("enable capture");
    let (child_pid, child_ev) = parent_syscalls(&prep, &mut me, &rs);
    rs.disable().expect("disable capture");

    let (evs, bad) = common::drain(&mut rs, Duration::from_millis(300));
    assert!(bad.is_empty(), "records that did not parse: {bad:?}");
    common::assert_no_drops(&rs);
    let got: Vec<Got> = evs
        .into_iter()
        .map(|e| Got {
            tid: e.tid,
            ev: Ev {
                ty: e.ty,
                params: e.params,
            },
        })
        .collect();
    check_thread("test thread", tid, &got, &me.evs);
    check_thread("mount child", child_pid, &got, &child_ev.evs);
}

/// Every path and buffer the syscalls use, made before capture starts so that nothing but the
/// syscalls under test runs while it is on.
struct Prepared {
    f_open: CString,
    missing: CString,
    missing_in_missing: CString,
    f_openat: CString,
    f_openat2: CString,
    escape: CString,
    f_creat: CString,
    rel_missing: CString,
    long_path: CString,
    empty: CString,
    d1: CString,
    d3: CString,
    f_renamed: CString,
    f_renamed2: CString,
    f_r3: CString,
    l1: CString,
    l2: CString,
    l3: CString,
    target_x: CString,
    target_y: CString,
    s1: CString,
    s2: CString,
    memfd_name: CString,
    memfd_long: CString,
    sub: CString,
    data200: Vec<u8>,
    data10: Vec<u8>,
    data3000: Vec<u8>,
    dirfd: i64,
    cwd_fd: i64,
    creat_layer: u16,
    child: ChildPaths,
}

impl Prepared {
    fn new(d: &Path) -> Prepared {
        let at = |n: &str| pathc(&d.join(n));
        std::fs::create_dir(d.join("sub")).expect("mkdir sub");
        std::fs::create_dir(d.join("ovl")).expect("mkdir ovl");
        let open_dir = |p: &Path| {
            let c = pathc(p);
            ok(
                sys(
                    libc::SYS_open,
                    &[ptr(&c), (libc::O_RDONLY | libc::O_DIRECTORY) as u64],
                ),
                "open dir",
            )
        };
        let dirfd = open_dir(d);
        let cwd_fd = open_dir(&std::env::current_dir().expect("cwd"));
        // SAFETY: all-zero bytes are a valid `struct statfs`.
        let mut sfs: libc::statfs = unsafe { std::mem::zeroed() };
        let dc = pathc(d);
        // SAFETY: valid path and out pointer.
        assert_eq!(unsafe { libc::statfs(dc.as_ptr(), &mut sfs) }, 0, "statfs");
        // A file creat makes on an overlayfs is always in the upper layer (created or copied up).
        let creat_layer = if sfs.f_type == OVERLAYFS_SUPER_MAGIC {
            PPM_FD_UPPER_LAYER_CREAT
        } else {
            0
        };
        let base = d.join("ovl");
        Prepared {
            f_open: at("f_open"),
            missing: at("missing"),
            missing_in_missing: at("nodir/x"),
            f_openat: cs("f_openat"),
            f_openat2: cs("f_openat2"),
            escape: cs("../escape"),
            f_creat: at("f_creat"),
            rel_missing: cs("missing"),
            long_path: cs(vec![b'p'; 5000]),
            empty: cs(""),
            d1: at("d1"),
            d3: cs("d3"),
            f_renamed: at("f_renamed"),
            f_renamed2: cs("f_renamed2"),
            f_r3: at("f_r3"),
            l1: at("l1"),
            l2: cs("l2"),
            l3: cs("l3"),
            target_x: cs("target-x"),
            target_y: cs("target-y"),
            s1: at("s1"),
            s2: cs("s2"),
            memfd_name: cs("falco-memfd"),
            memfd_long: cs(vec![b'm'; 300]),
            sub: at("sub"),
            data200: (0..200u32).map(|i| (i * 7 + 1) as u8).collect(),
            data10: b"0123456789".to_vec(),
            data3000: (0..3000u32).map(|i| (i % 251) as u8).collect(),
            dirfd,
            cwd_fd,
            creat_layer,
            child: ChildPaths::new(&base),
        }
    }
}

/// The syscalls of the test thread, each followed by its expected records. Returns the mount
/// child's pid and expected records.
fn parent_syscalls(p: &Prepared, e: &mut Expect, rs: &RingSet) -> (u64, Expect) {
    use libc::*;
    let dirfd = p.dirfd;

    // open: success with O_CREAT (mode kept), failure without (mode recorded as 0).
    let fl = (O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC) as u64;
    let fd_open = ok(sys(SYS_open, &[ptr(&p.f_open), fl, 0o640]), "open");
    let (dev, ino) = fstat_dev_ino(fd_open);
    let ppm = PPM_O_RDWR | PPM_O_CREAT | PPM_O_EXCL | PPM_O_CLOEXEC;
    ev!(e, PPME_SYSCALL_OPEN_E => s(&p.f_open), u32p(ppm), u32p(0o640));
    ev!(e, PPME_SYSCALL_OPEN_X => i64p(fd_open), s(&p.f_open), u32p(ppm), u32p(0o640), u32p(dev), u64p(ino));
    let r = fails(
        sys(SYS_open, &[ptr(&p.missing), O_RDONLY as u64, 0o777]),
        ENOENT,
        "open missing",
    );
    ev!(e, PPME_SYSCALL_OPEN_E => s(&p.missing), u32p(PPM_O_RDONLY), u32p(0));
    ev!(e, PPME_SYSCALL_OPEN_X => i64p(r), s(&p.missing), u32p(PPM_O_RDONLY), u32p(0), u32p(0), u64p(0));

    // openat: relative to a directory fd, and AT_FDCWD (a negative fd) failing.
    let fl = (O_WRONLY | O_CREAT | O_TRUNC | O_APPEND) as u64;
    let fd_openat = ok(
        sys(SYS_openat, &[fda(dirfd), ptr(&p.f_openat), fl, 0o600]),
        "openat",
    );
    let (dev, ino) = fstat_dev_ino(fd_openat);
    let ppm = PPM_O_WRONLY | PPM_O_CREAT | PPM_O_TRUNC | PPM_O_APPEND;
    ev!(e, PPME_SYSCALL_OPENAT_2_E => i64p(dirfd), s(&p.f_openat), u32p(ppm), u32p(0o600));
    ev!(e, PPME_SYSCALL_OPENAT_2_X => i64p(fd_openat), i64p(dirfd), s(&p.f_openat), u32p(ppm), u32p(0o600), u32p(dev), u64p(ino));
    let fl = (O_RDONLY | O_DIRECTORY) as u64;
    let r = fails(
        sys(
            SYS_openat,
            &[fda(AT_FDCWD as i64), ptr(&p.rel_missing), fl, 0],
        ),
        ENOENT,
        "openat missing",
    );
    let ppm = PPM_O_RDONLY | PPM_O_DIRECTORY;
    ev!(e, PPME_SYSCALL_OPENAT_2_E => i64p(AT_FDCWD as i64), s(&p.rel_missing), u32p(ppm), u32p(0));
    ev!(e, PPME_SYSCALL_OPENAT_2_X => i64p(r), i64p(AT_FDCWD as i64), s(&p.rel_missing), u32p(ppm), u32p(0), u32p(0), u64p(0));

    // openat2: open_how read from user memory at enter and at exit; resolve flags converted.
    let how: [u64; 3] = [
        (O_RDWR | O_CREAT | O_NONBLOCK) as u64,
        0o604,
        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
    ];
    let how_ptr = how.as_ptr() as u64;
    let fd_openat2 = ok(
        sys(SYS_openat2, &[fda(dirfd), ptr(&p.f_openat2), how_ptr, 24]),
        "openat2",
    );
    let (dev, ino) = fstat_dev_ino(fd_openat2);
    let ppm = PPM_O_RDWR | PPM_O_CREAT | PPM_O_NONBLOCK;
    let res = PPM_RESOLVE_BENEATH | PPM_RESOLVE_NO_SYMLINKS;
    ev!(e, PPME_SYSCALL_OPENAT2_E => i64p(dirfd), s(&p.f_openat2), u32p(ppm), u32p(0o604), u32p(res));
    ev!(e, PPME_SYSCALL_OPENAT2_X => i64p(fd_openat2), i64p(dirfd), s(&p.f_openat2), u32p(ppm), u32p(0o604), u32p(res), u32p(dev), u64p(ino));
    let how2: [u64; 3] = [O_RDONLY as u64, 0, RESOLVE_BENEATH];
    let r = fails(
        sys(
            SYS_openat2,
            &[fda(dirfd), ptr(&p.escape), how2.as_ptr() as u64, 24],
        ),
        EXDEV,
        "openat2 escaping",
    );
    ev!(e, PPME_SYSCALL_OPENAT2_E => i64p(dirfd), s(&p.escape), u32p(PPM_O_RDONLY), u32p(0), u32p(PPM_RESOLVE_BENEATH));
    ev!(e, PPME_SYSCALL_OPENAT2_X => i64p(r), i64p(dirfd), s(&p.escape), u32p(PPM_O_RDONLY), u32p(0), u32p(PPM_RESOLVE_BENEATH), u32p(0), u64p(0));
    // An unreadable open_how reads as zeros: O_RDONLY, no mode, no resolve flags.
    let r = fails(
        sys(SYS_openat2, &[fda(dirfd), ptr(&p.f_openat2), 8, 24]),
        EFAULT,
        "openat2 bad how",
    );
    ev!(e, PPME_SYSCALL_OPENAT2_E => i64p(dirfd), s(&p.f_openat2), u32p(PPM_O_RDONLY), u32p(0), u32p(0));
    ev!(e, PPME_SYSCALL_OPENAT2_X => i64p(r), i64p(dirfd), s(&p.f_openat2), u32p(PPM_O_RDONLY), u32p(0), u32p(0), u32p(0), u64p(0));

    // creat: mode masked to the permission bits, creat_flags from the file's overlayfs layer.
    let fd_creat = ok(sys(SYS_creat, &[ptr(&p.f_creat), 0o100644]), "creat");
    let (dev, ino) = fstat_dev_ino(fd_creat);
    ev!(e, PPME_SYSCALL_CREAT_E => s(&p.f_creat), u32p(0o644));
    ev!(e, PPME_SYSCALL_CREAT_X => i64p(fd_creat), s(&p.f_creat), u32p(0o644), u32p(dev), u64p(ino), u16p(p.creat_layer));
    let r = fails(
        sys(SYS_creat, &[ptr(&p.missing_in_missing), 0o600]),
        ENOENT,
        "creat in a missing dir",
    );
    ev!(e, PPME_SYSCALL_CREAT_E => s(&p.missing_in_missing), u32p(0o600));
    ev!(e, PPME_SYSCALL_CREAT_X => i64p(r), s(&p.missing_in_missing), u32p(0o600), u32p(0), u64p(0), u16p(0));

    // write/read: data cut to the snaplen; failures and end of file carry no data.
    let n = ok(
        sys(
            SYS_write,
            &[fda(fd_openat2), p.data200.as_ptr() as u64, 200],
        ),
        "write 200",
    );
    assert_eq!(n, 200);
    ev!(e, PPME_SYSCALL_WRITE_X => i64p(n), p.data200[..SNAPLEN_SMALL as usize].to_vec(), i64p(fd_openat2), u32p(200));
    let n = ok(
        sys(SYS_write, &[fda(fd_openat2), p.data10.as_ptr() as u64, 10]),
        "write 10",
    );
    ev!(e, PPME_SYSCALL_WRITE_X => i64p(n), p.data10.clone(), i64p(fd_openat2), u32p(10));
    let r = fails(
        sys(SYS_write, &[fda(fd_openat2), 8, 10]),
        EFAULT,
        "write from a bad buffer",
    );
    ev!(e, PPME_SYSCALL_WRITE_X => i64p(r), empty(), i64p(fd_openat2), u32p(10));
    ok(
        sys(SYS_lseek, &[fda(fd_openat2), 0, SEEK_SET as u64]),
        "lseek",
    );
    let mut rbuf = vec![0u8; 4096];
    let n = ok(
        sys(SYS_read, &[fda(fd_openat2), rbuf.as_mut_ptr() as u64, 300]),
        "read",
    );
    assert_eq!(n, 210);
    let mut file = p.data200.clone();
    file.extend_from_slice(&p.data10);
    assert_eq!(&rbuf[..210], &file[..], "read back what was written");
    ev!(e, PPME_SYSCALL_READ_X => i64p(n), file[..SNAPLEN_SMALL as usize].to_vec(), i64p(fd_openat2), u32p(300));
    let n = ok(
        sys(SYS_read, &[fda(fd_openat2), rbuf.as_mut_ptr() as u64, 300]),
        "read at EOF",
    );
    assert_eq!(n, 0);
    ev!(e, PPME_SYSCALL_READ_X => i64p(0), empty(), i64p(fd_openat2), u32p(300));
    let r = fails(
        sys(SYS_read, &[fda(-1), rbuf.as_mut_ptr() as u64, 10]),
        EBADF,
        "read on a bad fd",
    );
    ev!(e, PPME_SYSCALL_READ_X => i64p(r), empty(), i64p(-1), u32p(10));
    // A larger snaplen takes effect at once: a 3000-byte write is recorded whole.
    rs.set_snaplen(SNAPLEN_LARGE)
        .expect("set the larger snaplen");
    let n = ok(
        sys(
            SYS_write,
            &[fda(fd_openat2), p.data3000.as_ptr() as u64, 3000],
        ),
        "write 3000",
    );
    ev!(e, PPME_SYSCALL_WRITE_X => i64p(n), p.data3000.clone(), i64p(fd_openat2), u32p(3000));
    ok(
        sys(SYS_lseek, &[fda(fd_openat2), 0, SEEK_SET as u64]),
        "lseek",
    );
    let n = ok(
        sys(SYS_read, &[fda(fd_openat2), rbuf.as_mut_ptr() as u64, 4096]),
        "read all",
    );
    assert_eq!(n, 3210);
    file.extend_from_slice(&p.data3000);
    ev!(e, PPME_SYSCALL_READ_X => i64p(n), file.clone(), i64p(fd_openat2), u32p(4096));

    // unlink: success, missing, an empty path (an empty parameter, as in the module), a path
    // longer than PATH_MAX (cut to 4095 bytes and a NUL), an unreadable path.
    let r = ok(sys(SYS_unlink, &[ptr(&p.f_creat)]), "unlink");
    ev!(e, PPME_SYSCALL_UNLINK_2_X => i64p(r), s(&p.f_creat));
    let r = fails(
        sys(SYS_unlink, &[ptr(&p.missing)]),
        ENOENT,
        "unlink missing",
    );
    ev!(e, PPME_SYSCALL_UNLINK_2_X => i64p(r), s(&p.missing));
    let r = fails(sys(SYS_unlink, &[ptr(&p.empty)]), ENOENT, "unlink empty");
    ev!(e, PPME_SYSCALL_UNLINK_2_X => i64p(r), empty());
    let r = fails(
        sys(SYS_unlink, &[ptr(&p.long_path)]),
        ENAMETOOLONG,
        "unlink long",
    );
    let mut cut = p.long_path.to_bytes()[..4095].to_vec();
    cut.push(0);
    ev!(e, PPME_SYSCALL_UNLINK_2_X => i64p(r), cut);
    let r = fails(sys(SYS_unlink, &[8]), EFAULT, "unlink unreadable");
    ev!(e, PPME_SYSCALL_UNLINK_2_X => i64p(r), empty());

    // mkdir, mkdirat, rmdir, unlinkat (AT_REMOVEDIR converted).
    let r = ok(sys(SYS_mkdir, &[ptr(&p.d1), 0o40755]), "mkdir");
    ev!(e, PPME_SYSCALL_MKDIR_2_X => i64p(r), s(&p.d1), u32p(0o755));
    let r = fails(
        sys(SYS_mkdir, &[ptr(&p.d1), 0o1700]),
        EEXIST,
        "mkdir existing",
    );
    ev!(e, PPME_SYSCALL_MKDIR_2_X => i64p(r), s(&p.d1), u32p(0o1700));
    let r = ok(
        sys(SYS_mkdirat, &[fda(dirfd), ptr(&p.d3), 0o750]),
        "mkdirat",
    );
    ev!(e, PPME_SYSCALL_MKDIRAT_X => i64p(r), i64p(dirfd), s(&p.d3), u32p(0o750));
    let r = fails(
        sys(
            SYS_mkdirat,
            &[fda(dirfd), ptr(&p.missing_in_missing), 0o750],
        ),
        ENOENT,
        "mkdirat missing",
    );
    ev!(e, PPME_SYSCALL_MKDIRAT_X => i64p(r), i64p(dirfd), s(&p.missing_in_missing), u32p(0o750));
    let r = ok(sys(SYS_rmdir, &[ptr(&p.d1)]), "rmdir");
    ev!(e, PPME_SYSCALL_RMDIR_2_X => i64p(r), s(&p.d1));
    let r = fails(sys(SYS_rmdir, &[ptr(&p.missing)]), ENOENT, "rmdir missing");
    ev!(e, PPME_SYSCALL_RMDIR_2_X => i64p(r), s(&p.missing));
    let r = ok(
        sys(SYS_unlinkat, &[fda(dirfd), ptr(&p.d3), AT_REMOVEDIR as u64]),
        "unlinkat dir",
    );
    ev!(e, PPME_SYSCALL_UNLINKAT_2_X => i64p(r), i64p(dirfd), s(&p.d3), u32p(0x200));
    let r = ok(
        sys(SYS_unlinkat, &[fda(dirfd), ptr(&p.f_openat), 0]),
        "unlinkat file",
    );
    ev!(e, PPME_SYSCALL_UNLINKAT_2_X => i64p(r), i64p(dirfd), s(&p.f_openat), u32p(0));
    let r = fails(
        sys(SYS_unlinkat, &[fda(dirfd), ptr(&p.rel_missing), 0]),
        ENOENT,
        "unlinkat missing",
    );
    ev!(e, PPME_SYSCALL_UNLINKAT_2_X => i64p(r), i64p(dirfd), s(&p.rel_missing), u32p(0));

    // chmod, fchmod, fchmodat.
    let r = ok(sys(SYS_chmod, &[ptr(&p.f_open), 0o600]), "chmod");
    ev!(e, PPME_SYSCALL_CHMOD_X => i64p(r), s(&p.f_open), u32p(0o600));
    let r = fails(
        sys(SYS_chmod, &[ptr(&p.missing), 0o600]),
        ENOENT,
        "chmod missing",
    );
    ev!(e, PPME_SYSCALL_CHMOD_X => i64p(r), s(&p.missing), u32p(0o600));
    let r = ok(sys(SYS_fchmod, &[fda(fd_open), 0o104755]), "fchmod");
    ev!(e, PPME_SYSCALL_FCHMOD_X => i64p(r), i64p(fd_open), u32p(0o4755));
    let r = fails(sys(SYS_fchmod, &[fda(-1), 0o644]), EBADF, "fchmod bad fd");
    ev!(e, PPME_SYSCALL_FCHMOD_X => i64p(r), i64p(-1), u32p(0o644));
    let f_open_rel = cs("f_open");
    let r = ok(
        sys(SYS_fchmodat, &[fda(dirfd), ptr(&f_open_rel), 0o640]),
        "fchmodat",
    );
    ev!(e, PPME_SYSCALL_FCHMODAT_X => i64p(r), i64p(dirfd), s(&f_open_rel), u32p(0o640));
    let r = fails(
        sys(SYS_fchmodat, &[fda(dirfd), ptr(&p.rel_missing), 0o640]),
        ENOENT,
        "fchmodat missing",
    );
    ev!(e, PPME_SYSCALL_FCHMODAT_X => i64p(r), i64p(dirfd), s(&p.rel_missing), u32p(0o640));

    // rename, renameat, renameat2 (flags as given).
    let r = ok(
        sys(SYS_rename, &[ptr(&p.f_open), ptr(&p.f_renamed)]),
        "rename",
    );
    ev!(e, PPME_SYSCALL_RENAME_X => i64p(r), s(&p.f_open), s(&p.f_renamed));
    let r = fails(
        sys(SYS_rename, &[ptr(&p.missing), ptr(&p.f_renamed)]),
        ENOENT,
        "rename missing",
    );
    ev!(e, PPME_SYSCALL_RENAME_X => i64p(r), s(&p.missing), s(&p.f_renamed));
    let renamed_rel = cs("f_renamed");
    let r = ok(
        sys(
            SYS_renameat,
            &[
                fda(dirfd),
                ptr(&renamed_rel),
                fda(dirfd),
                ptr(&p.f_renamed2),
            ],
        ),
        "renameat",
    );
    ev!(e, PPME_SYSCALL_RENAMEAT_X => i64p(r), i64p(dirfd), s(&renamed_rel), i64p(dirfd), s(&p.f_renamed2));
    let r = fails(
        sys(
            SYS_renameat,
            &[fda(dirfd), ptr(&p.rel_missing), fda(dirfd), ptr(&p.l3)],
        ),
        ENOENT,
        "renameat missing",
    );
    ev!(e, PPME_SYSCALL_RENAMEAT_X => i64p(r), i64p(dirfd), s(&p.rel_missing), i64p(dirfd), s(&p.l3));
    let r = fails(
        sys(
            SYS_renameat2,
            &[
                fda(dirfd),
                ptr(&p.f_renamed2),
                fda(dirfd),
                ptr(&p.f_openat2),
                RENAME_NOREPLACE as u64,
            ],
        ),
        EEXIST,
        "renameat2 noreplace",
    );
    ev!(e, PPME_SYSCALL_RENAMEAT2_X => i64p(r), i64p(dirfd), s(&p.f_renamed2), i64p(dirfd), s(&p.f_openat2), u32p(RENAME_NOREPLACE));
    let r = ok(
        sys(
            SYS_renameat2,
            &[
                fda(dirfd),
                ptr(&p.f_renamed2),
                fda(AT_FDCWD as i64),
                ptr(&p.f_r3),
                0,
            ],
        ),
        "renameat2",
    );
    ev!(e, PPME_SYSCALL_RENAMEAT2_X => i64p(r), i64p(dirfd), s(&p.f_renamed2), i64p(AT_FDCWD as i64), s(&p.f_r3), u32p(0));

    // link, linkat (AT_SYMLINK_FOLLOW kept, other bits dropped).
    let r = ok(sys(SYS_link, &[ptr(&p.f_r3), ptr(&p.l1)]), "link");
    ev!(e, PPME_SYSCALL_LINK_2_X => i64p(r), s(&p.f_r3), s(&p.l1));
    let r = fails(
        sys(SYS_link, &[ptr(&p.missing), ptr(&p.l1)]),
        ENOENT,
        "link missing",
    );
    ev!(e, PPME_SYSCALL_LINK_2_X => i64p(r), s(&p.missing), s(&p.l1));
    let r3_rel = cs("f_r3");
    let r = ok(
        sys(
            SYS_linkat,
            &[
                fda(dirfd),
                ptr(&r3_rel),
                fda(dirfd),
                ptr(&p.l2),
                AT_SYMLINK_FOLLOW as u64,
            ],
        ),
        "linkat",
    );
    ev!(e, PPME_SYSCALL_LINKAT_2_X => i64p(r), i64p(dirfd), s(&r3_rel), i64p(dirfd), s(&p.l2), u32p(0x400));
    let r = fails(
        sys(
            SYS_linkat,
            &[fda(dirfd), ptr(&p.rel_missing), fda(dirfd), ptr(&p.l3), 0],
        ),
        ENOENT,
        "linkat missing",
    );
    ev!(e, PPME_SYSCALL_LINKAT_2_X => i64p(r), i64p(dirfd), s(&p.rel_missing), i64p(dirfd), s(&p.l3), u32p(0));
    let fl = (AT_SYMLINK_FOLLOW | AT_SYMLINK_NOFOLLOW) as u64;
    let r = fails(
        sys(
            SYS_linkat,
            &[fda(dirfd), ptr(&r3_rel), fda(dirfd), ptr(&p.l3), fl],
        ),
        EINVAL,
        "linkat bad flags",
    );
    ev!(e, PPME_SYSCALL_LINKAT_2_X => i64p(r), i64p(dirfd), s(&r3_rel), i64p(dirfd), s(&p.l3), u32p(0x400));

    // symlink, symlinkat.
    let r = ok(sys(SYS_symlink, &[ptr(&p.target_x), ptr(&p.s1)]), "symlink");
    ev!(e, PPME_SYSCALL_SYMLINK_X => i64p(r), s(&p.target_x), s(&p.s1));
    let r = fails(
        sys(SYS_symlink, &[ptr(&p.target_x), ptr(&p.missing_in_missing)]),
        ENOENT,
        "symlink missing dir",
    );
    ev!(e, PPME_SYSCALL_SYMLINK_X => i64p(r), s(&p.target_x), s(&p.missing_in_missing));
    let r = ok(
        sys(SYS_symlinkat, &[ptr(&p.target_y), fda(dirfd), ptr(&p.s2)]),
        "symlinkat",
    );
    ev!(e, PPME_SYSCALL_SYMLINKAT_X => i64p(r), s(&p.target_y), i64p(dirfd), s(&p.s2));
    let r = fails(
        sys(SYS_symlinkat, &[ptr(&p.target_y), fda(dirfd), ptr(&p.s2)]),
        EEXIST,
        "symlinkat existing",
    );
    ev!(e, PPME_SYSCALL_SYMLINKAT_X => i64p(r), s(&p.target_y), i64p(dirfd), s(&p.s2));

    // chown, lchown, fchown, fchownat (uid -1 is recorded as 0xffffffff).
    let r = ok(sys(SYS_chown, &[ptr(&p.f_r3), 1234, 5678]), "chown");
    ev!(e, PPME_SYSCALL_CHOWN_X => i64p(r), s(&p.f_r3), u32p(1234), u32p(5678));
    let r = ok(
        sys(SYS_chown, &[ptr(&p.f_r3), u32::MAX as u64, 42]),
        "chown keeping the uid",
    );
    ev!(e, PPME_SYSCALL_CHOWN_X => i64p(r), s(&p.f_r3), u32p(u32::MAX), u32p(42));
    let r = fails(
        sys(SYS_chown, &[ptr(&p.missing), 1, 1]),
        ENOENT,
        "chown missing",
    );
    ev!(e, PPME_SYSCALL_CHOWN_X => i64p(r), s(&p.missing), u32p(1), u32p(1));
    let r = ok(sys(SYS_lchown, &[ptr(&p.s1), 1000, 1001]), "lchown");
    ev!(e, PPME_SYSCALL_LCHOWN_X => i64p(r), s(&p.s1), u32p(1000), u32p(1001));
    let r = fails(
        sys(SYS_lchown, &[ptr(&p.missing), 1000, 1001]),
        ENOENT,
        "lchown missing",
    );
    ev!(e, PPME_SYSCALL_LCHOWN_X => i64p(r), s(&p.missing), u32p(1000), u32p(1001));
    let r = ok(sys(SYS_fchown, &[fda(fd_open), 4321, 8765]), "fchown");
    ev!(e, PPME_SYSCALL_FCHOWN_X => i64p(r), i64p(fd_open), u32p(4321), u32p(8765));
    let r = fails(sys(SYS_fchown, &[fda(-1), 1, 2]), EBADF, "fchown bad fd");
    ev!(e, PPME_SYSCALL_FCHOWN_X => i64p(r), i64p(-1), u32p(1), u32p(2));
    let r = ok(
        sys(
            SYS_fchownat,
            &[fda(dirfd), ptr(&p.s2), 11, 22, AT_SYMLINK_NOFOLLOW as u64],
        ),
        "fchownat nofollow",
    );
    ev!(e, PPME_SYSCALL_FCHOWNAT_X => i64p(r), i64p(dirfd), s(&p.s2), u32p(11), u32p(22), u32p(0x100));
    let fl = (AT_EMPTY_PATH | AT_REMOVEDIR) as u64;
    let r = fails(
        sys(SYS_fchownat, &[fda(fd_open), ptr(&p.empty), 33, 44, fl]),
        EINVAL,
        "fchownat bad flags",
    );
    ev!(e, PPME_SYSCALL_FCHOWNAT_X => i64p(r), i64p(fd_open), empty(), u32p(33), u32p(44), u32p(0x1000));
    let r = ok(
        sys(
            SYS_fchownat,
            &[fda(fd_open), ptr(&p.empty), 33, 44, AT_EMPTY_PATH as u64],
        ),
        "fchownat empty path",
    );
    ev!(e, PPME_SYSCALL_FCHOWNAT_X => i64p(r), i64p(fd_open), empty(), u32p(33), u32p(44), u32p(0x1000));
    let r = fails(
        sys(SYS_fchownat, &[fda(dirfd), ptr(&p.rel_missing), 1, 2, 0]),
        ENOENT,
        "fchownat missing",
    );
    ev!(e, PPME_SYSCALL_FCHOWNAT_X => i64p(r), i64p(dirfd), s(&p.rel_missing), u32p(1), u32p(2), u32p(0));

    // memfd_create: the name is cut to 255 bytes and a NUL.
    let fl = (MFD_CLOEXEC | MFD_ALLOW_SEALING) as u64;
    let fd_memfd = ok(
        sys(SYS_memfd_create, &[ptr(&p.memfd_name), fl]),
        "memfd_create",
    );
    ev!(e, PPME_SYSCALL_MEMFD_CREATE_X => i64p(fd_memfd), s(&p.memfd_name), u32p(3));
    let r = fails(
        sys(SYS_memfd_create, &[ptr(&p.memfd_long), 0]),
        EINVAL,
        "memfd_create long name",
    );
    let mut cut = p.memfd_long.to_bytes()[..255].to_vec();
    cut.push(0);
    ev!(e, PPME_SYSCALL_MEMFD_CREATE_X => i64p(r), cut, u32p(0));

    // fcntl: commands converted, arg as given.
    let fd_dupfd = ok(
        sys(SYS_fcntl, &[fda(fd_open), F_DUPFD_CLOEXEC as u64, 100]),
        "fcntl dupfd",
    );
    assert!(fd_dupfd >= 100);
    ev!(e, PPME_SYSCALL_FCNTL_X => i64p(fd_dupfd), i64p(fd_open), u8p(PPM_FCNTL_F_DUPFD_CLOEXEC), u64p(100));
    let r = ok(
        sys(SYS_fcntl, &[fda(fd_open), F_GETFL as u64, 0]),
        "fcntl getfl",
    );
    ev!(e, PPME_SYSCALL_FCNTL_X => i64p(r), i64p(fd_open), u8p(PPM_FCNTL_F_GETFL), u64p(0));
    let r = ok(
        sys(
            SYS_fcntl,
            &[fda(fd_open), F_SETFL as u64, O_NONBLOCK as u64],
        ),
        "fcntl setfl",
    );
    ev!(e, PPME_SYSCALL_FCNTL_X => i64p(r), i64p(fd_open), u8p(PPM_FCNTL_F_SETFL), u64p(O_NONBLOCK as u64));
    let r = fails(
        sys(SYS_fcntl, &[fda(-1), F_GETFD as u64, 0]),
        EBADF,
        "fcntl bad fd",
    );
    ev!(e, PPME_SYSCALL_FCNTL_X => i64p(r), i64p(-1), u8p(PPM_FCNTL_F_GETFD), u64p(0));
    let r = fails(
        sys(SYS_fcntl, &[fda(fd_open), 9999, 7]),
        EINVAL,
        "fcntl unknown command",
    );
    ev!(e, PPME_SYSCALL_FCNTL_X => i64p(r), i64p(fd_open), u8p(PPM_FCNTL_UNKNOWN), u64p(7));

    // dup, dup2, dup3 (O_CLOEXEC recorded as PPM_O_CLOEXEC, as libs' dup3_flags_to_scap).
    let fd_dup = ok(sys(SYS_dup, &[fda(fd_open)]), "dup");
    ev!(e, PPME_SYSCALL_DUP_1_X => i64p(fd_dup), i64p(fd_open));
    let r = fails(sys(SYS_dup, &[fda(-1)]), EBADF, "dup bad fd");
    ev!(e, PPME_SYSCALL_DUP_1_X => i64p(r), i64p(-1));
    let fd_dup2 = ok(sys(SYS_dup2, &[fda(fd_open), 200]), "dup2");
    assert_eq!(fd_dup2, 200);
    ev!(e, PPME_SYSCALL_DUP2_X => i64p(200), i64p(fd_open), i64p(200));
    let r = fails(sys(SYS_dup2, &[fda(-1), 201]), EBADF, "dup2 bad fd");
    ev!(e, PPME_SYSCALL_DUP2_X => i64p(r), i64p(-1), i64p(201));
    let fd_dup3 = ok(
        sys(SYS_dup3, &[fda(fd_open), 202, O_CLOEXEC as u64]),
        "dup3",
    );
    ev!(e, PPME_SYSCALL_DUP3_X => i64p(fd_dup3), i64p(fd_open), i64p(202), u32p(1 << 12));
    let r = fails(
        sys(SYS_dup3, &[fda(fd_open), fda(fd_open), 0]),
        EINVAL,
        "dup3 same fd",
    );
    ev!(e, PPME_SYSCALL_DUP3_X => i64p(r), i64p(fd_open), i64p(fd_open), u32p(0));

    // pipe, pipe2: the descriptors read back from user memory and the pipe's inode.
    let mut fds = [0i32; 2];
    let r = ok(sys(SYS_pipe, &[fds.as_mut_ptr() as u64]), "pipe");
    let (_, ino) = fstat_dev_ino(i64::from(fds[0]));
    assert_eq!(
        ino,
        fstat_dev_ino(i64::from(fds[1])).1,
        "both ends share the pipe inode"
    );
    ev!(e, PPME_SYSCALL_PIPE_X => i64p(r), i64p(fds[0].into()), i64p(fds[1].into()), u64p(ino));
    let pipe_fds = fds;
    let r = fails(sys(SYS_pipe, &[8]), EFAULT, "pipe bad pointer");
    ev!(e, PPME_SYSCALL_PIPE_X => i64p(r), i64p(-1), i64p(-1), u64p(0));
    let mut fds2 = [0i32; 2];
    let r = ok(
        sys(
            SYS_pipe2,
            &[fds2.as_mut_ptr() as u64, (O_CLOEXEC | O_NONBLOCK) as u64],
        ),
        "pipe2",
    );
    let (_, ino) = fstat_dev_ino(i64::from(fds2[0]));
    ev!(e, PPME_SYSCALL_PIPE2_X => i64p(r), i64p(fds2[0].into()), i64p(fds2[1].into()), u64p(ino), u32p(PPM_O_CLOEXEC | PPM_O_NONBLOCK));
    let mut fds3 = [0i32; 2];
    let r = fails(
        sys(
            SYS_pipe2,
            &[fds3.as_mut_ptr() as u64, (O_RDWR | O_TRUNC) as u64],
        ),
        EINVAL,
        "pipe2 bad flags",
    );
    ev!(e, PPME_SYSCALL_PIPE2_X => i64p(r), i64p(-1), i64p(-1), u64p(0), u32p(PPM_O_TRUNC));

    // chdir, fchdir (back to where the test started).
    let r = ok(sys(SYS_chdir, &[ptr(&p.sub)]), "chdir");
    ev!(e, PPME_SYSCALL_CHDIR_X => i64p(r), s(&p.sub));
    let r = fails(sys(SYS_chdir, &[ptr(&p.missing)]), ENOENT, "chdir missing");
    ev!(e, PPME_SYSCALL_CHDIR_X => i64p(r), s(&p.missing));
    let r = fails(sys(SYS_chdir, &[8]), EFAULT, "chdir unreadable");
    ev!(e, PPME_SYSCALL_CHDIR_X => i64p(r), empty());
    let r = fails(sys(SYS_fchdir, &[fda(-1)]), EBADF, "fchdir bad fd");
    ev!(e, PPME_SYSCALL_FCHDIR_X => i64p(r), i64p(-1));
    let r = ok(sys(SYS_fchdir, &[fda(p.cwd_fd)]), "fchdir");
    ev!(e, PPME_SYSCALL_FCHDIR_X => i64p(r), i64p(p.cwd_fd));

    // close every descriptor the test opened, and one it did not.
    for fd in [
        fd_open, fd_openat, fd_openat2, fd_creat, fd_memfd, fd_dupfd, fd_dup, fd_dup2, fd_dup3,
    ]
    .into_iter()
    .chain(pipe_fds.iter().chain(fds2.iter()).map(|f| i64::from(*f)))
    {
        let r = ok(sys(SYS_close, &[fda(fd)]), "close");
        ev!(e, PPME_SYSCALL_CLOSE_X => i64p(r), i64p(fd));
    }
    let r = fails(sys(SYS_close, &[fda(-1)]), EBADF, "close bad fd");
    ev!(e, PPME_SYSCALL_CLOSE_X => i64p(r), i64p(-1));

    mount_child(&p.child)
}

/// Paths of the mount child, under the test directory's `ovl`.
struct ChildPaths {
    root: CString,
    base: CString,
    base_missing: CString,
    lower: CString,
    upper: CString,
    work: CString,
    merged: CString,
    merged_new: CString,
    plain: CString,
    src: CString,
    tmpfs: CString,
    overlay: CString,
    none: CString,
    tmpfs_opts: CString,
    ovl_opts: CString,
}

impl ChildPaths {
    fn new(base: &Path) -> ChildPaths {
        let at = |n: &str| pathc(&base.join(n));
        let opts = format!(
            "lowerdir={},upperdir={},workdir={}",
            base.join("lower").display(),
            base.join("upper").display(),
            base.join("work").display()
        );
        ChildPaths {
            root: cs("/"),
            base: pathc(base),
            base_missing: at("missing"),
            lower: at("lower"),
            upper: at("upper"),
            work: at("work"),
            merged: at("merged"),
            merged_new: at("merged/new"),
            plain: at("plain"),
            src: cs("falco-test"),
            tmpfs: cs("tmpfs"),
            overlay: cs("overlay"),
            none: cs("none"),
            tmpfs_opts: cs("size=4m"),
            ovl_opts: cs(opts),
        }
    }
}

/// Slots of the child's results in the shared page.
mod slot {
    pub const UNSHARE: usize = 0;
    pub const MOUNT_PRIVATE: usize = 1;
    pub const MOUNT_TMPFS: usize = 2;
    pub const MOUNT_MISSING: usize = 3;
    pub const MKDIRS: usize = 4; // 4..8
    pub const MOUNT_OVL: usize = 8;
    pub const CREAT_OVL: usize = 9; // fd, dev, ino
    pub const CREAT_PLAIN: usize = 12; // fd, dev, ino
    pub const UMOUNT_OVL: usize = 15;
    pub const UMOUNT_MISSING: usize = 16;
    pub const UMOUNT_TMPFS: usize = 17;
    pub const COUNT: usize = 18;
}

/// The child's work: only raw syscalls (it is forked from a multithreaded process), results
/// stored in `out`.
///
/// # Safety
/// `out` must point to `slot::COUNT` writable i64s.
unsafe fn child_main(c: &ChildPaths, out: *mut i64) {
    use libc::*;
    // SAFETY: caller guarantees `out` has COUNT slots; every index below is < COUNT.
    let put = |i: usize, v: i64| unsafe { out.add(i).write_volatile(v) };
    let fstat_into = |fd: i64, i: usize| {
        // SAFETY: all-zero bytes are a valid `struct stat`.
        let mut st: stat = unsafe { std::mem::zeroed() };
        if sys(SYS_fstat, &[fda(fd), &mut st as *mut stat as u64]) == 0 {
            put(i, st.st_dev as i64);
            put(i + 1, st.st_ino as i64);
        }
    };
    let r = sys(SYS_unshare, &[CLONE_NEWNS as u64]);
    put(slot::UNSHARE, r);
    if r != 0 {
        return;
    }
    put(
        slot::MOUNT_PRIVATE,
        sys(SYS_mount, &[0, ptr(&c.root), 0, MS_REC | MS_PRIVATE, 0]),
    );
    let fl = 0xC0ED_0000 | MS_NOSUID | MS_NODEV;
    put(
        slot::MOUNT_TMPFS,
        sys(
            SYS_mount,
            &[
                ptr(&c.src),
                ptr(&c.base),
                ptr(&c.tmpfs),
                fl,
                ptr(&c.tmpfs_opts),
            ],
        ),
    );
    put(
        slot::MOUNT_MISSING,
        sys(
            SYS_mount,
            &[ptr(&c.none), ptr(&c.base_missing), ptr(&c.tmpfs), 0, 0],
        ),
    );
    for (i, d) in [&c.lower, &c.upper, &c.work, &c.merged]
        .into_iter()
        .enumerate()
    {
        put(slot::MKDIRS + i, sys(SYS_mkdir, &[ptr(d), 0o755]));
    }
    put(
        slot::MOUNT_OVL,
        sys(
            SYS_mount,
            &[
                ptr(&c.overlay),
                ptr(&c.merged),
                ptr(&c.overlay),
                0,
                ptr(&c.ovl_opts),
            ],
        ),
    );
    let fd = sys(SYS_creat, &[ptr(&c.merged_new), 0o600]);
    put(slot::CREAT_OVL, fd);
    fstat_into(fd, slot::CREAT_OVL + 1);
    sys(SYS_close, &[fda(fd)]);
    let fd = sys(SYS_creat, &[ptr(&c.plain), 0o640]);
    put(slot::CREAT_PLAIN, fd);
    fstat_into(fd, slot::CREAT_PLAIN + 1);
    sys(SYS_close, &[fda(fd)]);
    put(
        slot::UMOUNT_OVL,
        sys(
            SYS_umount2,
            &[ptr(&c.merged), (MNT_DETACH | UMOUNT_NOFOLLOW) as u64],
        ),
    );
    put(
        slot::UMOUNT_MISSING,
        sys(SYS_umount2, &[ptr(&c.base_missing), 0]),
    );
    put(
        slot::UMOUNT_TMPFS,
        sys(SYS_umount2, &[ptr(&c.base), MNT_DETACH as u64]),
    );
}

/// Forks the child that mounts in its own mount namespace (the host's mounts are never
/// touched) and returns its pid and expected records.
fn mount_child(c: &ChildPaths) -> (u64, Expect) {
    use libc::*;
    let len = slot::COUNT * 8;
    // SAFETY: an anonymous shared mapping, unmapped below.
    let page = unsafe {
        mmap(
            std::ptr::null_mut(),
            len,
            PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(page, MAP_FAILED, "mmap the result page");
    let out = page as *mut i64;
    for i in 0..slot::COUNT {
        // SAFETY: `i < COUNT`, inside the mapping.
        unsafe { out.add(i).write_volatile(i64::MIN) };
    }
    // SAFETY: the child runs only raw syscalls (no allocation, no locks) and then _exit.
    let pid = unsafe { fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        // SAFETY: `out` has COUNT slots; _exit never returns.
        unsafe {
            child_main(c, out);
            _exit(0);
        }
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    let w = unsafe { waitpid(pid, &mut status, 0) };
    assert_eq!(w, pid, "waitpid");
    assert!(
        WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "mount child status {status:#x}"
    );
    // SAFETY: `i < COUNT`, inside the mapping; the child has exited.
    let res: Vec<i64> = (0..slot::COUNT)
        .map(|i| unsafe { out.add(i).read_volatile() })
        .collect();
    // SAFETY: the mapping made above, no longer used.
    unsafe { munmap(page, len) };

    assert_eq!(res[slot::UNSHARE], 0, "unshare(CLONE_NEWNS) in the child");
    ok(res[slot::MOUNT_PRIVATE], "mount / private");
    ok(res[slot::MOUNT_TMPFS], "mount tmpfs");
    fails(res[slot::MOUNT_MISSING], ENOENT, "mount on a missing dir");
    for i in 0..4 {
        ok(res[slot::MKDIRS + i], "mkdir in the tmpfs");
    }
    ok(
        res[slot::MOUNT_OVL],
        "mount overlay (overlayfs is needed for the creat_flags case)",
    );
    ok(res[slot::CREAT_OVL], "creat on the overlay");
    ok(res[slot::CREAT_PLAIN], "creat on the tmpfs");
    ok(res[slot::UMOUNT_OVL], "umount2 overlay");
    fails(res[slot::UMOUNT_MISSING], ENOENT, "umount2 missing");
    ok(res[slot::UMOUNT_TMPFS], "umount2 tmpfs");

    let dev = |i: usize| u32::try_from(res[i]).expect("st_dev fits u32");
    let mut e = Expect { evs: Vec::new() };
    // A NULL source or type is an empty parameter; the mount flags lose the historic magic.
    ev!(e, PPME_SYSCALL_MOUNT_X => i64p(0), empty(), s(&c.root), empty(), u32p((MS_REC | MS_PRIVATE) as u32));
    ev!(e, PPME_SYSCALL_MOUNT_X => i64p(0), s(&c.src), s(&c.base), s(&c.tmpfs), u32p((MS_NOSUID | MS_NODEV) as u32));
    ev!(e, PPME_SYSCALL_MOUNT_X => i64p(res[slot::MOUNT_MISSING]), s(&c.none), s(&c.base_missing), s(&c.tmpfs), u32p(0));
    ev!(e, PPME_SYSCALL_MOUNT_X => i64p(0), s(&c.overlay), s(&c.merged), s(&c.overlay), u32p(0));
    let o = slot::CREAT_OVL;
    ev!(e, PPME_SYSCALL_CREAT_E => s(&c.merged_new), u32p(0o600));
    ev!(e, PPME_SYSCALL_CREAT_X => i64p(res[o]), s(&c.merged_new), u32p(0o600), u32p(dev(o + 1)), u64p(res[o + 2] as u64), u16p(PPM_FD_UPPER_LAYER_CREAT));
    let o = slot::CREAT_PLAIN;
    ev!(e, PPME_SYSCALL_CREAT_E => s(&c.plain), u32p(0o640));
    ev!(e, PPME_SYSCALL_CREAT_X => i64p(res[o]), s(&c.plain), u32p(0o640), u32p(dev(o + 1)), u64p(res[o + 2] as u64), u16p(0));
    ev!(e, PPME_SYSCALL_UMOUNT2_X => i64p(0), s(&c.merged), u32p((MNT_DETACH | UMOUNT_NOFOLLOW) as u32));
    ev!(e, PPME_SYSCALL_UMOUNT2_X => i64p(res[slot::UMOUNT_MISSING]), s(&c.base_missing), u32p(0));
    ev!(e, PPME_SYSCALL_UMOUNT2_X => i64p(0), s(&c.base), u32p(MNT_DETACH as u32));
    (pid as u64, e)
}

/// The records of thread `tid` whose types the expectations use must be exactly `want`.
fn check_thread(who: &str, tid: u64, got: &[Got], want: &[Ev]) {
    // The expectations agree with the schema: parameter count and fixed widths.
    for w in want {
        let info = ringbuf_abi::event_info(w.ty).expect("known event");
        assert_eq!(
            info.params.len(),
            w.params.len(),
            "test expectation {w:?} has the wrong parameter count"
        );
        for (p, v) in info.params.iter().zip(&w.params) {
            if let Some(n) = p.ptype.fixed_size() {
                assert_eq!(
                    v.len(),
                    n,
                    "test expectation {w:?}: {} is {n} bytes",
                    p.name
                );
            }
        }
    }
    let types: HashSet<u16> = want.iter().map(|w| w.ty).collect();
    let mine: Vec<&Ev> = got
        .iter()
        .filter(|g| g.tid == tid && types.contains(&g.ev.ty))
        .map(|g| &g.ev)
        .collect();
    for (i, w) in want.iter().enumerate() {
        let Some(g) = mine.get(i) else {
            panic!(
                "{who}: record {i} missing, expected {w:?}; got only {} records: {mine:#?}",
                mine.len()
            );
        };
        if *g != w {
            let info = ringbuf_abi::event_info(w.ty).expect("known event");
            let diff: Vec<String> = if g.ty == w.ty {
                info.params
                    .iter()
                    .zip(g.params.iter().zip(&w.params))
                    .filter(|(_, (a, b))| a != b)
                    .map(|(p, (a, b))| {
                        format!(
                            "{}: got {} expected {}",
                            p.name,
                            show(a, Some(p.ptype)),
                            show(b, Some(p.ptype))
                        )
                    })
                    .collect()
            } else {
                vec!["event type differs".into()]
            };
            panic!(
                "{who}: record {i} differs ({})\n  got      {g:?}\n  expected {w:?}\n  previous {:?}",
                diff.join("; "),
                i.checked_sub(1).and_then(|j| want.get(j))
            );
        }
    }
    assert_eq!(
        mine.len(),
        want.len(),
        "{who}: unexpected extra records: {:#?}",
        &mine[want.len().min(mine.len())..]
    );
}
