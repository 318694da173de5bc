//! Guest checks of the parameters the module computes beyond the syscall arguments: ptrace's
//! dynamic addr/data, exec `flags` (writable, memfd), `pidns_init_start_ts`, procexit's
//! `reaper_tid`, accept queue figures, socket and creat flags.
//!
//! Each action returns what it did (pids, fds, expected values); its checks then find the
//! decoded events and compare every parameter with what the action knows to be true.

use std::time::Duration;

use ringbuf_abi::ids::*;

use crate::{cstr, drain, errno, open_rings, Checks, Ev};

/// A word the ptrace test peeks in its tracee (a fork: same address, same value).
static PEEK_WORD: u64 = 0x0123_4567_89ab_cdef;

/// `PT_DYN` encodings of ptrace's addr/data: index 0 `PPM_PTRACE_IDX_UINT64`, 1 `..._SIGTYPE`.
fn dyn_u64(v: u64) -> Vec<u8> {
    [&[0u8][..], &v.to_le_bytes()].concat()
}

fn dyn_sig(s: u8) -> Vec<u8> {
    vec![1, s]
}

impl Ev {
    /// Index of parameter `name` in this event's schema.
    pub(crate) fn at(&self, name: &str) -> Option<usize> {
        ringbuf_abi::event_info(self.ty)?
            .params
            .iter()
            .position(|p| p.name == name)
    }
    /// Raw bytes of parameter `name` (empty when absent).
    pub(crate) fn raw(&self, name: &str) -> &[u8] {
        self.at(name)
            .and_then(|i| self.params.get(i))
            .map_or(&[][..], |p| p.as_slice())
    }
    /// Parameter `name` as an unsigned integer (little-endian, any width).
    pub(crate) fn n(&self, name: &str) -> u64 {
        let p = self.raw(name);
        let mut b = [0u8; 8];
        let k = p.len().min(8);
        b[..k].copy_from_slice(&p[..k]);
        u64::from_le_bytes(b)
    }
    /// Parameter `name` as text (up to its NUL; empty when absent).
    pub(crate) fn text(&self, name: &str) -> String {
        let p = self.raw(name);
        let end = p.iter().position(|c| *c == 0).unwrap_or(p.len());
        String::from_utf8_lossy(&p[..end]).into_owned()
    }
    /// Parameter `name` as a signed 64-bit integer.
    pub(crate) fn i(&self, name: &str) -> i64 {
        self.n(name) as i64
    }
}

/// What the ptrace actions did.
pub(crate) struct PtraceRun {
    tracee: i64,
    traceme_child: i64,
    attach_rc: i64,
    peek_rc: i64,
    peeked: u64,
}

impl PtraceRun {
    /// Threads whose events the checks need.
    pub(crate) fn tids(&self) -> [u64; 2] {
        [self.tracee as u64, self.traceme_child as u64]
    }
}

/// Attaches to a child, peeks a word, detaches; a failing peek at a missing pid; a child that
/// asks to be traced.
pub(crate) fn ptrace_actions() -> PtraceRun {
    // SAFETY (test program): fork/ptrace/waitpid/kill on our own children.
    unsafe {
        let tracee = libc::fork();
        if tracee == 0 {
            loop {
                libc::pause();
            }
        }
        let attach_rc = libc::ptrace(libc::PTRACE_ATTACH, tracee, 0usize, 0usize) as i64;
        let mut st = 0;
        libc::waitpid(tracee, &mut st, 0);
        let addr = std::hint::black_box(&PEEK_WORD) as *const u64 as usize;
        // glibc passes a pointer to its result as `data`; the raw call returns 0.
        *libc::__errno_location() = 0;
        let peeked = libc::ptrace(libc::PTRACE_PEEKDATA, tracee, addr, 0usize) as u64;
        let peek_rc = if errno() == 0 { 0 } else { -1 };
        libc::ptrace(libc::PTRACE_DETACH, tracee, 0usize, 0usize);
        libc::ptrace(libc::PTRACE_PEEKDATA, 999_999, 0usize, 0usize);
        libc::kill(tracee, libc::SIGKILL);
        libc::waitpid(tracee, &mut st, 0);
        let traceme_child = libc::fork();
        if traceme_child == 0 {
            libc::ptrace(libc::PTRACE_TRACEME, 0, 0usize, 0usize);
            libc::_exit(0);
        }
        libc::waitpid(traceme_child, &mut st, 0);
        PtraceRun {
            tracee: tracee as i64,
            traceme_child: traceme_child as i64,
            attach_rc,
            peek_rc,
            peeked,
        }
    }
}

/// The ptrace exit events the actions produced, parameter by parameter.
pub(crate) fn check_ptrace(c: &mut Checks, evs: &[&Ev], me: u64, run: &PtraceRun) {
    c.check(
        "ptrace actions",
        run.attach_rc == 0 && run.peek_rc == 0 && run.peeked == PEEK_WORD,
        format!(
            "attach={} peek={} word={:#x}",
            run.attach_rc, run.peek_rc, run.peeked
        ),
    );
    let find = |tid: u64, req: u64, pid: i64| {
        evs.iter()
            .find(|e| {
                e.ty == PPME_SYSCALL_PTRACE_X
                    && e.tid == tid
                    && e.n("request") == req
                    && e.i("pid") == pid
            })
            .copied()
    };
    let show = |e: Option<&Ev>| {
        format!(
            "{:?}",
            e.map(|e| (
                e.i("res"),
                e.raw("addr"),
                e.raw("data"),
                e.n("request"),
                e.i("pid")
            ))
        )
    };
    let addr = std::hint::black_box(&PEEK_WORD) as *const u64 as u64;
    // (what, tid, PPM_PTRACE_* request, pid, res, addr, data)
    type Case = (&'static str, u64, u64, i64, i64, Vec<u8>, Vec<u8>);
    let cases: [Case; 5] = [
        (
            "ptrace ATTACH",
            me,
            11,
            run.tracee,
            0,
            dyn_u64(0),
            dyn_u64(0),
        ),
        (
            "ptrace PEEKDATA (data = the peeked word)",
            me,
            3,
            run.tracee,
            0,
            dyn_u64(addr),
            dyn_u64(PEEK_WORD),
        ),
        (
            "ptrace DETACH (data = signal 0)",
            me,
            12,
            run.tracee,
            0,
            dyn_u64(0),
            dyn_sig(0),
        ),
        (
            "ptrace PEEKDATA failing (ESRCH)",
            me,
            3,
            999_999,
            -3,
            dyn_u64(0),
            dyn_u64(0),
        ),
        (
            "ptrace TRACEME",
            run.traceme_child as u64,
            1,
            0,
            0,
            dyn_u64(0),
            dyn_u64(0),
        ),
    ];
    for (what, tid, req, pid, res, want_addr, want_data) in cases {
        let e = find(tid, req, pid);
        c.check(
            what,
            e.is_some_and(|e| {
                e.i("res") == res && e.raw("addr") == want_addr && e.raw("data") == want_data
            }),
            show(e),
        );
    }
}

/// What the process actions did.
struct ProcRun {
    /// Exec'd as uid 1000: not writable, not a memfd.
    plain: u64,
    /// Exec'd as root from a root-owned copy: writable.
    writable: u64,
    /// Exec'd from a memfd.
    memfd: u64,
    /// A child that exits while its own child lives on (reparented to us, the subreaper).
    orphaner: u64,
    orphan: u64,
}

fn wait(pid: i32) -> i32 {
    let mut st = 0;
    // SAFETY (test program): waits for our own child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    st
}

/// Forks a child that runs `f` and exits 127 if it returns; returns its pid after it exited.
fn in_child(f: impl FnOnce()) -> u64 {
    // SAFETY (test program): fork; the child only runs `f` then exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        f();
        unsafe { libc::_exit(127) };
    }
    wait(pid);
    pid as u64
}

/// execve `path` with argv `[argv0]`.
fn exec(path: &str, argv0: &str) {
    let (p, a) = (cstr(path), cstr(argv0));
    let argv = [a.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    // SAFETY (test program): valid NUL-terminated strings and NULL-terminated arrays.
    unsafe { libc::execve(p.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
}

/// Runs busybox's `true` from a memfd (execveat with AT_EMPTY_PATH); returns only on failure.
pub(crate) fn exec_from_memfd(image: &[u8]) {
    // SAFETY (test program): memfd_create/write/execveat on our own buffers.
    unsafe {
        let fd = libc::memfd_create(cstr("falco-memfd").as_ptr(), 0);
        if fd < 0 || libc::write(fd, image.as_ptr().cast(), image.len()) != image.len() as isize {
            return;
        }
        let (empty, a) = (cstr(""), cstr("true"));
        let argv = [a.as_ptr(), std::ptr::null()];
        let envp: [*const libc::c_char; 1] = [std::ptr::null()];
        libc::syscall(
            libc::SYS_execveat,
            fd,
            empty.as_ptr(),
            argv.as_ptr(),
            envp.as_ptr(),
            libc::AT_EMPTY_PATH,
        );
    }
}

fn proc_actions() -> ProcRun {
    let busybox = std::fs::read("/bin/busybox").unwrap_or_default();
    let _ = std::fs::write("/tmp/falco-exe", &busybox);
    // SAFETY (test program): chmod a file we own.
    unsafe { libc::chmod(cstr("/tmp/falco-exe").as_ptr(), 0o755) };
    let plain = in_child(|| {
        // SAFETY (test program): drop to uid 1000 (and with it every capability).
        unsafe { libc::setuid(1000) };
        exec("/bin/true", "true");
    });
    let writable = in_child(|| exec("/tmp/falco-exe", "true"));
    let memfd = in_child(|| exec_from_memfd(&busybox));
    // The orphaner forks the orphan and exits: the orphan goes to us (a child subreaper).
    let mut pipe = [0i32; 2];
    // SAFETY (test program): prctl/pipe/fork/read on our own fds.
    let (orphaner, orphan) = unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        libc::pipe(pipe.as_mut_ptr());
        let orphaner = in_child(|| {
            let orphan = libc::fork();
            if orphan == 0 {
                libc::usleep(200_000);
                libc::_exit(0);
            }
            libc::write(pipe[1], (&orphan as *const i32).cast(), 4);
            libc::_exit(0);
        });
        let mut orphan = 0i32;
        libc::read(pipe[0], (&mut orphan as *mut i32).cast(), 4);
        wait(orphan);
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        libc::close(pipe[0]);
        libc::close(pipe[1]);
        (orphaner, orphan as u64)
    };
    ProcRun {
        plain,
        writable,
        memfd,
        orphaner,
        orphan,
    }
}

/// `start_time` of pid 1 from /proc/1/stat, in ns (clock ticks of 10 ms).
fn init_start_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/1/stat").unwrap_or_default();
    // Fields after the `(comm)`: state is field 3, starttime field 22.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .nth(19)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    ticks * 10_000_000
}

/// The `params` subcommand: exec flags, pidns start, reaper, accept queue, socket and creat.
pub(crate) fn params() -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    let _ = drain(&mut rs, Duration::from_millis(0));
    rs.enable().expect("enable");
    let me = std::process::id() as u64;
    let run = proc_actions();
    let net = net_actions();
    let (evs, bad) = drain(&mut rs, Duration::from_millis(300));
    rs.disable().ok();
    c.check(
        "all records decode",
        bad == 0,
        format!("{} events", evs.len()),
    );
    let mine: Vec<&Ev> = evs.iter().collect();
    let exec_of = |tid: u64| {
        mine.iter()
            .find(|e| {
                matches!(e.ty, PPME_SYSCALL_EXECVE_19_X | PPME_SYSCALL_EXECVEAT_X)
                    && e.tid == tid
                    && e.i("res") == 0
            })
            .copied()
    };
    let show = |e: Option<&Ev>| {
        format!(
            "{:?}",
            e.map(|e| (
                e.name(),
                e.n("flags"),
                e.str(e.at("trusted_exepath").unwrap_or(0))
            ))
        )
    };
    // PPM_EXE_WRITABLE = 1, PPM_EXE_FROM_MEMFD = 4.
    let e = exec_of(run.plain);
    c.check(
        "exec flags: uid 1000, root's file: none",
        e.is_some_and(|e| e.n("flags") == 0),
        show(e),
    );
    let e = exec_of(run.writable);
    c.check(
        "exec flags: root, root's file: EXE_WRITABLE",
        e.is_some_and(|e| e.n("flags") == 1),
        show(e),
    );
    let e = exec_of(run.memfd);
    c.check(
        "exec flags: memfd: EXE_FROM_MEMFD|EXE_WRITABLE, exepath /memfd:falco-memfd",
        // Reported as execve like every successful exec: sched_process_exec runs after
        // the ELF loader set orig_ax to __NR_execve (set_personality_64bit).
        e.is_some_and(|e| {
            e.n("flags") == 5 && e.str(e.at("trusted_exepath").unwrap_or(0)) == "/memfd:falco-memfd"
        }),
        show(e),
    );
    // pidns_init_start_ts: the child's half carries the start of its namespace's init.
    let init_ns = init_start_ns();
    let clone_of = |tid: u64, res_zero: bool| {
        mine.iter()
            .find(|e| {
                matches!(
                    e.ty,
                    PPME_SYSCALL_CLONE_20_X | PPME_SYSCALL_CLONE3_X | PPME_SYSCALL_FORK_20_X
                ) && ((res_zero && e.tid == tid && e.i("res") == 0)
                    || (!res_zero && e.tid == me && e.n("res") == tid))
            })
            .copied()
    };
    let cc = clone_of(run.writable, true);
    c.check(
        "clone (child): pidns_init_start_ts = init's start (/proc/1/stat, 10 ms ticks)",
        cc.is_some_and(|e| {
            e.n("pidns_init_start_ts").abs_diff(init_ns) < 20_000_000
                && e.n("pidns_init_start_ts") > 0
        }),
        format!(
            "{:?} init {init_ns}",
            cc.map(|e| e.n("pidns_init_start_ts"))
        ),
    );
    let cp = clone_of(run.writable, false);
    c.check(
        "clone (parent): pidns_init_start_ts 0",
        cp.is_some_and(|e| e.n("pidns_init_start_ts") == 0),
        format!("{:?}", cp.map(|e| e.n("pidns_init_start_ts"))),
    );
    // procexit reaper_tid.
    let exit_of = |tid: u64| {
        mine.iter()
            .find(|e| e.ty == PPME_PROCEXIT_1_E && e.tid == tid)
            .copied()
    };
    let e = exit_of(run.orphaner);
    c.check(
        "procexit: reaper_tid = the child subreaper",
        e.is_some_and(|e| e.n("reaper_tid") == me),
        format!("{:?} want {me}", e.map(|e| e.i("reaper_tid"))),
    );
    let e = exit_of(run.orphan);
    c.check(
        "procexit without children: reaper_tid 0",
        e.is_some_and(|e| e.i("reaper_tid") == 0),
        format!("{:?}", e.map(|e| e.i("reaper_tid"))),
    );
    check_net(&mut c, &mine, me, &net);
    c.finish("params")
}

/// What the socket actions did.
struct NetRun {
    /// A unix datagram socket created with SOCK_NONBLOCK|SOCK_CLOEXEC.
    flagged: i64,
    /// One created with no flag.
    plain: i64,
    /// The accepted fd, while one more connection waited in the queue.
    accepted: i64,
    /// creat()'s fd.
    created: i64,
}

const QUEUE_PORT: u16 = 47012;

fn net_actions() -> NetRun {
    // SAFETY (test program): sockets, loopback connects and creat on our own fds.
    unsafe {
        let flagged = libc::socket(
            libc::AF_UNIX,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        let plain = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
        let lfd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let one: libc::c_int = 1;
        libc::setsockopt(
            lfd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const i32).cast(),
            4,
        );
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_port = QUEUE_PORT.to_be();
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let sl = std::mem::size_of::<libc::sockaddr_in>() as u32;
        libc::bind(lfd, (&sa as *const libc::sockaddr_in).cast(), sl);
        libc::listen(lfd, 8);
        let c1 = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let c2 = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        libc::connect(c1, (&sa as *const libc::sockaddr_in).cast(), sl);
        libc::connect(c2, (&sa as *const libc::sockaddr_in).cast(), sl);
        libc::usleep(50_000); // both handshakes complete: two connections queued
        let accepted = libc::accept(lfd, std::ptr::null_mut(), std::ptr::null_mut());
        let created = libc::creat(cstr("/tmp/falco-creat").as_ptr(), 0o600);
        for fd in [flagged, plain, lfd, c1, c2, accepted, created] {
            libc::close(fd);
        }
        NetRun {
            flagged: flagged as i64,
            plain: plain as i64,
            accepted: accepted as i64,
            created: created as i64,
        }
    }
}

fn check_net(c: &mut Checks, evs: &[&Ev], me: u64, net: &NetRun) {
    let find = |ty: u16, fd: i64| {
        evs.iter()
            .find(|e| e.ty == ty && e.tid == me && e.i("fd") == fd)
            .copied()
    };
    // PPM_O_NONBLOCK = 1 << 6, PPM_O_CLOEXEC = 1 << 12.
    let e = find(PPME_SOCKET_SOCKET_X, net.flagged);
    c.check(
        "socket flags: SOCK_NONBLOCK|SOCK_CLOEXEC -> O_NONBLOCK|O_CLOEXEC",
        e.is_some_and(|e| e.n("flags") == (1 << 6 | 1 << 12) && e.n("domain") == 1),
        format!(
            "{:?}",
            e.map(|e| (e.n("domain"), e.n("type"), e.n("flags")))
        ),
    );
    let e = find(PPME_SOCKET_SOCKET_X, net.plain);
    c.check(
        "socket flags: none",
        e.is_some_and(|e| e.n("flags") == 0),
        format!("{:?}", e.map(|e| e.n("flags"))),
    );
    let e = find(PPME_SOCKET_ACCEPT_5_X, net.accepted)
        .or_else(|| find(PPME_SOCKET_ACCEPT4_6_X, net.accepted));
    c.check(
        "accept queue: 1 of 8 waiting after the accept (12%)",
        e.is_some_and(|e| e.n("queuelen") == 1 && e.n("queuemax") == 8 && e.n("queuepct") == 12),
        format!(
            "{:?}",
            e.map(|e| (e.name(), e.n("queuepct"), e.n("queuelen"), e.n("queuemax")))
        ),
    );
    let e = find(PPME_SYSCALL_CREAT_X, net.created);
    c.check(
        "creat: dev/ino set, creat_flags 0 (tmpfs is not overlayfs)",
        e.is_some_and(|e| {
            e.n("creat_flags") == 0 && e.n("ino") != 0 && e.str(1) == "/tmp/falco-creat"
        }),
        format!(
            "{:?}",
            e.map(|e| (e.n("dev"), e.n("ino"), e.n("creat_flags")))
        ),
    );
}
