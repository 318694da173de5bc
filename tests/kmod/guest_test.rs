//! In-guest test program for the falco kernel module (run by scripts/vm-test inside qemu).
//!
//! Built static from the engine's ring reader (`falco-ringreader`), so what it checks is what the
//! engine will read. Subcommands (each prints `CHECK ok|FAIL ...` lines and exits non-zero on
//! any failure):
//!
//! * `events`   — performs openat("/etc/shadow"), fork+execve, a loopback connect/accept, chmod,
//!   unlink, setuid, unshare and ptrace, then decodes exactly those events and their params.
//! * `overflow` — stalls the reader under load: drops must be counted, every record must decode.
//! * `cycle`    — open, mmap, capture a syscall-heavy burst, read, close (for insmod/rmmod loops).
//! * `hold N`   — keeps the devices open and mapped for N seconds.
//! * `poll`     — a sleeping reader is woken by poll() when events arrive.
//! * `mask`     — the syscall mask, event mask, drop-failed and stats ioctls.
//! * `hotplug`  — cpu1 offline and online during capture; both rings keep capturing.
//! * `bench`    — ns per getpid and per open/close, and events/s one CPU produces while read.
//! * `stamp`, `latency`, `load` — the live engine's timing tools, see `alert_timing.rs`.
//! * `params`   — exec flags, pidns_init_start_ts, reaper_tid, accept queue, socket/creat flags
//!   (`guest_params.rs`); `events` also runs its ptrace checks and real execveat calls
//!   (`guest_exec.rs`).
//! * `overlay`  — exec layer flags and creat_flags on an overlayfs (`guest_exec.rs`);
//!   `overlay-actions` runs the same execs without reading the rings.
//! * `memfd-exec` — replaces itself by busybox `true` run from a memfd (the engine's alert test).
//! * `preemption [CALLS [exact]]` — threads sharing CPU 0 make CALLS getppid each: every call
//!   arrives once or is counted as dropped (`exact`: every call arrives) though probes are
//!   preempted (`guest_preempt.rs`).
//!
//! `--ebpf` before the subcommand reads the modern eBPF driver (`falco_ebpf::open`, capturing only
//! this process's tree) instead of `/dev/falcoN`: the same actions and assertions run live on a
//! host whose kernel allows BPF (`ebpf/tests/guest_checks.rs` runs `events` and `params` so).
//! Paths that differ between the guest and a host (busybox is the guest's only binary) are read
//! from the file system: [`true_exe`], [`busybox_exe`].

mod guest_exec;
mod guest_params;
mod guest_preempt;

use std::ffi::CString;
use std::path::Path;
use std::process::exit;
use std::time::{Duration, Instant};

#[path = "alert_timing.rs"]
mod alert_timing;

use falco_ringreader::RingSet;
use ringbuf_abi::ids::*;
use ringbuf_abi::Record;

struct Checks {
    failed: u32,
    passed: u32,
}

impl Checks {
    fn new() -> Checks {
        Checks {
            failed: 0,
            passed: 0,
        }
    }
    fn check(&mut self, what: &str, ok: bool, detail: impl std::fmt::Display) {
        if ok {
            self.passed += 1;
            println!("CHECK ok   {what}: {detail}");
        } else {
            self.failed += 1;
            println!("CHECK FAIL {what}: {detail}");
        }
    }
    fn finish(self, name: &str) -> ! {
        println!("{name}: {} passed, {} failed", self.passed, self.failed);
        exit(if self.failed == 0 { 0 } else { 1 })
    }
}

/// One decoded event, owned.
#[derive(Clone, Debug)]
struct Ev {
    ts: u64,
    tid: u64,
    ty: u16,
    params: Vec<Vec<u8>>,
    raw: Vec<u8>,
}

impl Ev {
    fn from(r: &Record<'_>) -> Ev {
        Ev {
            ts: r.ts(),
            tid: r.tid(),
            ty: r.evtype(),
            params: r.params().iter().map(|p| p.to_vec()).collect(),
            raw: r.as_bytes().to_vec(),
        }
    }
    fn u64(&self, i: usize) -> u64 {
        let p = &self.params[i];
        let mut b = [0u8; 8];
        b[..p.len().min(8)].copy_from_slice(&p[..p.len().min(8)]);
        u64::from_le_bytes(b)
    }
    fn i64(&self, i: usize) -> i64 {
        self.u64(i) as i64
    }
    fn u32(&self, i: usize) -> u32 {
        self.u64(i) as u32
    }
    fn str(&self, i: usize) -> String {
        let p = &self.params[i];
        let end = p.iter().position(|c| *c == 0).unwrap_or(p.len());
        String::from_utf8_lossy(&p[..end]).into_owned()
    }
    fn strs(&self, i: usize) -> Vec<String> {
        self.params[i]
            .split(|c| *c == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }
    fn name(&self) -> &'static str {
        ringbuf_abi::event_info(self.ty)
            .map(|e| e.name)
            .unwrap_or("?")
    }
}

/// Set by `--ebpf`: the rings are the eBPF driver's, not the module's devices.
static EBPF: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn ebpf() -> bool {
    EBPF.load(std::sync::atomic::Ordering::Relaxed)
}

fn open_rings() -> RingSet {
    let opened = if ebpf() {
        // Only this process and its descendants: the host is shared.
        // FALCO_EBPF_ATTACH (btf|classic) picks how the syscall programs attach.
        let opts = falco_ebpf::Options {
            only_tree_of: Some(std::process::id()),
            ..Default::default()
        }
        .with_env();
        falco_ebpf::open(&opts)
    } else {
        RingSet::open(Path::new("/dev")).map_err(|e| e.to_string())
    };
    match opened {
        Ok(r) => r,
        Err(e) => {
            println!("CHECK FAIL open rings: {e}");
            exit(1)
        }
    }
}

/// The file `/bin/true` resolves to: `/bin/busybox` in the guest (a symlink), coreutils' own
/// binary on a Debian host; the kernel reports this path as the exec's `trusted_exepath`.
fn true_exe() -> String {
    resolved("/bin/true")
}

/// The file `/bin/busybox` resolves to (`/usr/bin/busybox` where /bin links to usr/bin).
fn busybox_exe() -> String {
    resolved("/bin/busybox")
}

fn resolved(path: &str) -> String {
    std::fs::canonicalize(path)
        .map_or_else(|_| path.to_string(), |p| p.to_string_lossy().into_owned())
}

/// Reads the rings for `settle` (our own reading makes events too, so this stops on time, not
/// on an empty ring), then once more; records come in timestamp order.
fn drain(rs: &mut RingSet, settle: Duration) -> (Vec<Ev>, u64) {
    let mut out = Vec::new();
    let mut bad = 0;
    let deadline = Instant::now() + settle;
    loop {
        let last = Instant::now() >= deadline;
        let mut n = 0;
        while let Some(r) = rs.next_record() {
            n += 1;
            match r {
                Ok(rec) => out.push(Ev::from(&rec)),
                Err(e) => {
                    println!("decode error: {e}");
                    bad += 1;
                }
            }
            if n > 5_000_000 {
                break;
            }
        }
        if last {
            break;
        }
        let _ = rs.wait(20);
    }
    (out, bad)
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--ebpf") {
        EBPF.store(true, std::sync::atomic::Ordering::Relaxed);
        args.remove(1);
    }
    match args.get(1).map(String::as_str) {
        Some("events") => events(),
        Some("overflow") => overflow(),
        Some("cycle") => cycle(),
        Some("hold") => hold(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5)),
        Some("poll") => poll_test(),
        Some("mask") => mask_test(),
        Some("hotplug") => hotplug(),
        Some("params") => guest_params::params(),
        Some("overlay") => guest_exec::overlay(),
        Some("overlay-actions") => {
            // The overlay execs alone, for a capture another reader (falco-inspect) records.
            guest_exec::overlay_actions();
            guest_exec::overlay_cleanup();
            exit(0)
        }
        Some("memfd-exec") => {
            guest_params::exec_from_memfd(&std::fs::read("/bin/busybox").unwrap_or_default());
            exit(1)
        }
        Some("preemption") => {
            let calls = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000);
            guest_preempt::preemption(calls, args.get(3).map(String::as_str) == Some("exact"))
        }
        Some("bench") => bench(args.get(2).map(String::as_str).unwrap_or("baseline")),
        Some("stamp") => alert_timing::stamp(),
        Some("latency") => alert_timing::latency(&args[2..]),
        Some("load") => alert_timing::load(&args[2..]),
        _ => {
            eprintln!(
                "usage: kmod-guest-test [--ebpf] events|params|overlay|overlay-actions|memfd-exec|preemption [CALLS [exact]]|overflow|cycle|hold N|poll|hotplug|bench [capture]|stamp|latency|load"
            );
            exit(2)
        }
    }
}

const PORT: u16 = 47011;

fn events() -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    c.check(
        "abi version",
        rs.abi_version().ok() == Some(ringbuf_abi::ring::ABI_VERSION),
        format!("{:?}", rs.abi_version()),
    );
    c.check(
        "rings",
        !rs.rings().is_empty(),
        format!("{} rings", rs.rings().len()),
    );
    let _ = drain(&mut rs, Duration::from_millis(0));
    rs.enable().expect("enable");
    let me = std::process::id() as u64;

    // SAFETY (test program): plain libc calls on valid, NUL-terminated buffers.
    let shadow_fd =
        unsafe { libc::openat(libc::AT_FDCWD, cstr("/etc/shadow").as_ptr(), libc::O_RDONLY) };
    unsafe { libc::close(shadow_fd) };

    // loopback listener + connect + accept
    let (lfd, cfd, afd);
    unsafe {
        lfd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let one: libc::c_int = 1;
        libc::setsockopt(
            lfd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &one as *const _ as *const _,
            4,
        );
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_port = PORT.to_be();
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let sl = std::mem::size_of::<libc::sockaddr_in>() as u32;
        libc::bind(lfd, &sa as *const _ as *const _, sl);
        libc::listen(lfd, 8);
        cfd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let rc = libc::connect(cfd, &sa as *const _ as *const _, sl);
        c.check(
            "connect syscall",
            rc == 0,
            format!("rc={rc} errno={}", errno()),
        );
        afd = libc::accept4(
            lfd,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        );
    }
    let mut client_port = 0u16;
    unsafe {
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        let mut l = std::mem::size_of::<libc::sockaddr_in>() as u32;
        libc::getsockname(cfd, &mut sa as *mut _ as *mut _, &mut l);
        client_port = u16::from_be(sa.sin_port).max(client_port);
        libc::close(afd);
        libc::close(cfd);
        libc::close(lfd);
    }

    // pipe2 + write + read (snaplen-bounded payloads)
    let mut pfd = [0i32; 2];
    unsafe {
        libc::pipe2(pfd.as_mut_ptr(), libc::O_CLOEXEC);
        libc::write(pfd[1], b"hello falco".as_ptr().cast(), 11);
        let mut buf = [0u8; 32];
        libc::read(pfd[0], buf.as_mut_ptr().cast(), 32);
        libc::close(pfd[0]);
        libc::close(pfd[1]);
    }

    // chmod + unlink
    std::fs::write("/tmp/falco-kmod-test", b"x").unwrap();
    unsafe {
        libc::chmod(cstr("/tmp/falco-kmod-test").as_ptr(), 0o640);
        libc::unlink(cstr("/tmp/falco-kmod-test").as_ptr());
    }

    // child: setuid(1000), unshare(CLONE_NEWUTS), execve("/bin/true", ["/bin/true", "falco-test-arg"])
    let child = unsafe { libc::fork() };
    if child == 0 {
        unsafe {
            libc::unshare(libc::CLONE_NEWUTS);
            libc::setuid(1000);
            let path = cstr("/bin/true");
            let a1 = cstr("falco-test-arg");
            let argv = [path.as_ptr(), a1.as_ptr(), std::ptr::null()];
            let e1 = cstr("FALCO_TEST=1");
            let envp = [e1.as_ptr(), std::ptr::null()];
            libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
    }
    let mut status = 0;
    unsafe { libc::waitpid(child, &mut status, 0) };
    let child = child as u64;
    c.check(
        "child exit",
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        format!("status={status:#x}"),
    );

    let ptrace = guest_params::ptrace_actions();
    let execat = guest_exec::execveat_actions();

    let (evs, bad) = drain(&mut rs, Duration::from_millis(300));
    rs.disable().ok();
    c.check(
        "all records decode",
        bad == 0,
        format!("{} events, {bad} undecodable", evs.len()),
    );
    let mine: Vec<&Ev> = evs
        .iter()
        .filter(|e| {
            e.tid == me
                || e.tid == child
                || ptrace.tids().contains(&e.tid)
                || execat.tids().contains(&e.tid)
        })
        .collect();
    println!(
        "{} events from the test's threads (pid {me}, child {child})",
        mine.len()
    );
    let ts_sorted = evs.windows(2).all(|w| w[0].ts <= w[1].ts);
    c.check("timestamp order", ts_sorted, "records returned in ts order");
    for e in &mine {
        if e.ty != PPME_GENERIC_X {
            println!(
                "  ev tid={} {} ({}) nparams={}",
                e.tid,
                e.name(),
                e.ty,
                e.params.len()
            );
        }
    }
    let find = |ty: u16, tid: u64, f: &dyn Fn(&Ev) -> bool| {
        mine.iter()
            .find(|e| e.ty == ty && e.tid == tid && f(e))
            .copied()
    };

    // openat
    let oe = find(PPME_SYSCALL_OPENAT_2_E, me, &|e| e.str(1) == "/etc/shadow");
    c.check(
        "openat enter /etc/shadow",
        oe.is_some_and(|e| e.i64(0) == -100 && e.u32(2) == 1),
        format!("{:?}", oe.map(|e| (e.i64(0), e.str(1), e.u32(2)))),
    );
    let ox = find(PPME_SYSCALL_OPENAT_2_X, me, &|e| e.str(2) == "/etc/shadow");
    c.check(
        "openat exit /etc/shadow",
        ox.is_some_and(|e| {
            e.i64(0) == shadow_fd as i64 && e.i64(1) == -100 && e.u32(3) == 1 && e.u64(6) != 0
        }),
        format!(
            "{:?}",
            ox.map(|e| (
                e.i64(0),
                e.i64(1),
                e.str(2),
                e.u32(3),
                e.u32(4),
                e.u32(5),
                e.u64(6)
            ))
        ),
    );
    // socket/bind/listen/connect/accept
    let so = find(PPME_SOCKET_SOCKET_X, me, &|e| e.i64(0) == lfd as i64);
    c.check(
        "socket exit",
        so.is_some_and(|e| e.u32(1) == 2 && e.u32(2) == 1),
        format!("{:?}", so.map(|e| (e.i64(0), e.u32(1), e.u32(2)))),
    );
    let want_addr = {
        let mut v = vec![2u8, 127, 0, 0, 1];
        v.extend_from_slice(&PORT.to_le_bytes());
        v
    };
    let bi = find(PPME_SOCKET_BIND_X, me, &|e| e.i64(2) == lfd as i64);
    c.check(
        "bind exit",
        bi.is_some_and(|e| e.i64(0) == 0 && e.params[1] == want_addr),
        format!("{:?}", bi.map(|e| (e.i64(0), &e.params[1]))),
    );
    let li = find(PPME_SOCKET_LISTEN_X, me, &|e| e.i64(1) == lfd as i64);
    c.check(
        "listen exit",
        li.is_some_and(|e| e.i64(0) == 0 && e.u32(2) == 8),
        format!("{:?}", li.map(|e| (e.i64(0), e.u32(2)))),
    );
    let ce = find(PPME_SOCKET_CONNECT_E, me, &|e| e.i64(0) == cfd as i64);
    c.check(
        "connect enter",
        ce.is_some_and(|e| e.params[1] == want_addr),
        format!("{:?}", ce.map(|e| &e.params[1])),
    );
    let want_tuple = {
        let mut v = vec![2u8, 127, 0, 0, 1];
        v.extend_from_slice(&client_port.to_le_bytes());
        v.extend_from_slice(&[127, 0, 0, 1]);
        v.extend_from_slice(&PORT.to_le_bytes());
        v
    };
    let cx = find(PPME_SOCKET_CONNECT_X, me, &|e| e.i64(2) == cfd as i64);
    c.check(
        "connect exit tuple",
        cx.is_some_and(|e| e.i64(0) == 0 && e.params[1] == want_tuple && e.params[3] == want_addr),
        format!(
            "{:?} want {:?}",
            cx.map(|e| (e.i64(0), &e.params[1], &e.params[3])),
            want_tuple
        ),
    );
    let ax = find(PPME_SOCKET_ACCEPT4_6_X, me, &|e| e.i64(0) == afd as i64);
    let want_in = {
        let mut v = vec![2u8, 127, 0, 0, 1];
        v.extend_from_slice(&client_port.to_le_bytes());
        v.extend_from_slice(&[127, 0, 0, 1]);
        v.extend_from_slice(&PORT.to_le_bytes());
        v
    };
    c.check(
        "accept4 exit tuple",
        ax.is_some_and(|e| e.params[1] == want_in),
        format!("{:?}", ax.map(|e| (e.i64(0), &e.params[1]))),
    );
    let p2 = find(PPME_SYSCALL_PIPE2_X, me, &|_| true);
    c.check(
        "pipe2 exit",
        p2.is_some_and(|e| {
            e.i64(0) == 0
                && e.i64(1) == pfd[0] as i64
                && e.i64(2) == pfd[1] as i64
                && e.u64(3) != 0
                && e.u32(4) == 1 << 12
        }),
        format!(
            "{:?}",
            p2.map(|e| (e.i64(0), e.i64(1), e.i64(2), e.u64(3), e.u32(4)))
        ),
    );
    let wr = find(PPME_SYSCALL_WRITE_X, me, &|e| e.i64(2) == pfd[1] as i64);
    c.check(
        "write exit data",
        wr.is_some_and(|e| e.i64(0) == 11 && e.params[1] == b"hello falco" && e.u32(3) == 11),
        format!(
            "{:?}",
            wr.map(|e| (
                e.i64(0),
                String::from_utf8_lossy(&e.params[1]).into_owned(),
                e.u32(3)
            ))
        ),
    );
    let rd = find(PPME_SYSCALL_READ_X, me, &|e| e.i64(2) == pfd[0] as i64);
    c.check(
        "read exit data",
        rd.is_some_and(|e| e.i64(0) == 11 && e.params[1] == b"hello falco" && e.u32(3) == 32),
        format!(
            "{:?}",
            rd.map(|e| (
                e.i64(0),
                String::from_utf8_lossy(&e.params[1]).into_owned(),
                e.u32(3)
            ))
        ),
    );
    // chmod, unlink, close
    let ch = find(PPME_SYSCALL_CHMOD_X, me, &|e| {
        e.str(1) == "/tmp/falco-kmod-test"
    });
    c.check(
        "chmod exit",
        ch.is_some_and(|e| e.i64(0) == 0 && e.u32(2) == 0o640),
        format!("{:?}", ch.map(|e| (e.i64(0), e.str(1), e.u32(2)))),
    );
    let ul = find(PPME_SYSCALL_UNLINK_2_X, me, &|e| {
        e.str(1) == "/tmp/falco-kmod-test"
    });
    c.check(
        "unlink exit",
        ul.is_some_and(|e| e.i64(0) == 0),
        format!("{:?}", ul.map(|e| (e.i64(0), e.str(1)))),
    );
    let cl = find(PPME_SYSCALL_CLOSE_X, me, &|e| e.i64(1) == shadow_fd as i64);
    c.check(
        "close exit",
        cl.is_some_and(|e| e.i64(0) == 0),
        format!("{:?}", cl.map(|e| e.i64(0))),
    );
    // fork: parent and child clone events
    let cp = mine.iter().find(|e| {
        matches!(
            e.ty,
            PPME_SYSCALL_CLONE_20_X | PPME_SYSCALL_CLONE3_X | PPME_SYSCALL_FORK_20_X
        ) && e.tid == me
            && e.u64(0) == child
    });
    c.check(
        "clone exit (parent)",
        cp.is_some_and(|e| e.u64(4) == me && !e.str(13).is_empty()),
        format!(
            "{:?}",
            cp.map(|e| (e.name(), e.u64(0), e.u64(3), e.u64(4), e.str(6), e.str(13)))
        ),
    );
    let cc = mine.iter().find(|e| {
        matches!(
            e.ty,
            PPME_SYSCALL_CLONE_20_X | PPME_SYSCALL_CLONE3_X | PPME_SYSCALL_FORK_20_X
        ) && e.tid == child
    });
    c.check(
        "clone exit (child, sched_process_fork)",
        cc.is_some_and(|e| {
            e.u64(0) == 0 && e.u64(3) == child && e.u64(4) == child && e.u64(5) == me
        }),
        format!(
            "{:?}",
            cc.map(|e| (e.name(), e.u64(0), e.u64(3), e.u64(4), e.u64(5), e.strs(2)))
        ),
    );
    // child: unshare, setuid, execve, procexit
    let un = find(PPME_SYSCALL_UNSHARE_X, child, &|_| true);
    c.check(
        "unshare exit",
        un.is_some_and(|e| e.i64(0) == 0 && e.u32(1) == 1 << 7),
        format!("{:?}", un.map(|e| (e.i64(0), e.u32(1)))),
    );
    let su = find(PPME_SYSCALL_SETUID_X, child, &|_| true);
    c.check(
        "setuid exit",
        su.is_some_and(|e| e.i64(0) == 0 && e.u32(1) == 1000),
        format!("{:?}", su.map(|e| (e.i64(0), e.u32(1)))),
    );
    let ex = find(PPME_SYSCALL_EXECVE_19_X, child, &|_| true);
    c.check(
        "execve exit",
        ex.is_some_and(|e| {
            e.i64(0) == 0
                && e.str(1) == "/bin/true"
                && e.strs(2) == ["falco-test-arg"]
                && e.u64(3) == child
                && e.u64(5) == me
                && e.str(6) == "/"
                && e.str(13) == "true"
                && e.strs(15) == ["FALCO_TEST=1"]
                && e.u32(26) == 1000
                && e.str(27) == true_exe()
                && e.str(30) == "/bin/true"
                && e.strs(14).iter().any(|c| c == "cpu=/")
        }),
        format!(
            "{:?}",
            ex.map(|e| (
                e.i64(0),
                e.str(1),
                e.strs(2),
                e.u64(3),
                e.u64(5),
                e.str(6),
                e.str(13),
                e.strs(15),
                e.u32(26),
                e.str(27),
                e.str(30)
            ))
        ),
    );
    let pe = find(PPME_PROCEXIT_1_E, child, &|_| true);
    c.check(
        "procexit",
        pe.is_some_and(|e| e.i64(1) == 0 && e.u32(2) == 0),
        format!(
            "{:?}",
            pe.map(|e| (e.i64(0), e.i64(1), e.params[2].clone()))
        ),
    );
    let generic = mine.iter().filter(|e| e.ty == PPME_GENERIC_X).count();
    c.check(
        "generic events",
        generic > 0,
        format!("{generic} generic exit events"),
    );
    guest_params::check_ptrace(&mut c, &mine, me, &ptrace);
    guest_exec::check_execveat(&mut c, &mine, me, &execat);
    dump_scap(&mut c, &mine);
    let st = rs.stats();
    c.check(
        "no drops",
        st.drops.iter().sum::<u64>() == 0,
        format!("{:?}", st),
    );
    c.finish("events")
}

/// A syscall-heavy burst: getppid, and open/close of a missing file.
fn burst(n: u32) {
    for _ in 0..n {
        unsafe {
            libc::getppid();
            let fd = libc::open(cstr("/nonexistent-falco").as_ptr(), libc::O_RDONLY);
            if fd >= 0 {
                libc::close(fd);
            }
        }
    }
}

fn overflow() -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    let _ = drain(&mut rs, Duration::from_millis(0));
    rs.enable().expect("enable");
    let size: u64 = rs.rings().iter().map(|r| r.size()).sum();
    // Stalled reader: produce several times the ring size without reading.
    burst(60_000);
    let st = rs.stats();
    let drops: u64 = st.drops.iter().sum();
    c.check(
        "drops counted",
        drops > 0,
        format!(
            "events={} drops={:?} (total ring bytes {size})",
            st.events, st.drops
        ),
    );
    c.check(
        "ring bytes pending <= ring size",
        st.pending <= size,
        format!("pending={}", st.pending),
    );
    rs.disable().ok();
    let (evs, bad) = drain(&mut rs, Duration::from_millis(100));
    c.check(
        "every record decodes",
        bad == 0 && !evs.is_empty(),
        format!("{} records, {bad} undecodable", evs.len()),
    );
    // Capture resumes once the reader catches up.
    rs.enable().expect("enable");
    burst(100);
    let (evs2, bad2) = drain(&mut rs, Duration::from_millis(100));
    c.check(
        "capture resumes after drain",
        bad2 == 0 && evs2.len() >= 200,
        format!("{} records", evs2.len()),
    );
    c.finish("overflow")
}

fn cycle() -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    rs.enable().expect("enable");
    burst(500);
    let (evs, bad) = drain(&mut rs, Duration::from_millis(10));
    c.check(
        "cycle capture",
        bad == 0 && evs.len() >= 1000,
        format!("{} records, {bad} bad", evs.len()),
    );
    drop(rs);
    if c.failed > 0 {
        c.finish("cycle")
    }
    exit(0)
}

fn hold(secs: u64) -> ! {
    let rs = open_rings();
    rs.enable().ok();
    println!("holding {} rings for {secs}s", rs.rings().len());
    std::thread::sleep(Duration::from_secs(secs));
    exit(0)
}

fn poll_test() -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    // Only getppid (the bursts' syscall): the reader's own syscalls must not feed the rings.
    let mut m = ringbuf_abi::ioctl::SyscallMask::default();
    m.set(libc::SYS_getppid as u32);
    rs.set_syscall_mask(&m).expect("syscall mask");
    rs.enable().expect("enable");
    // A writer thread bursts `n` getppid calls 300 ms after it starts; its own creation is a
    // process event, drained before the reader goes to sleep.
    // The writer thread is created and the rings drained before the clock starts (thread creation
    // is a process event, and draining may take longer than the writer's delay under TCG).
    let mut wait_for_burst = |n: u32, name: &str, max: Duration| {
        let (go, start) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let _ = start.recv();
            std::thread::sleep(Duration::from_millis(300));
            burst(n);
        });
        let _ = drain(&mut rs, Duration::from_millis(100));
        let t0 = Instant::now();
        let _ = go.send(());
        let mut woke = false;
        while t0.elapsed() < Duration::from_secs(5) {
            if rs.wait(4000).unwrap_or(false) {
                woke = true;
                break;
            }
        }
        let waited = t0.elapsed();
        t.join().ok();
        let _ = drain(&mut rs, Duration::from_millis(50));
        c.check(
            name,
            woke && waited >= Duration::from_millis(290) && waited < max,
            format!("woke={woke} {waited:?} after the writer started (burst at 300 ms)"),
        );
    };
    // Enough data to cross the watermark: woken by the producer.
    wait_for_burst(
        20_000,
        "poll wakes on data (watermark)",
        Duration::from_millis(3000),
    );
    // A few events, then silence: woken by the flush timer, soon after.
    wait_for_burst(
        5,
        "poll wakes for a few events (flush timer)",
        Duration::from_millis(1500),
    );
    // Idle ring: poll must sleep until its timeout.
    let _ = drain(&mut rs, Duration::from_millis(50));
    rs.disable().ok();
    let _ = drain(&mut rs, Duration::from_millis(50));
    let s2 = Instant::now();
    let r = rs.wait(300).unwrap_or(true);
    rs.set_syscall_mask(&ringbuf_abi::ioctl::SyscallMask::all())
        .ok();
    c.check(
        "poll sleeps when idle",
        !r && s2.elapsed() >= Duration::from_millis(250),
        format!("ready={r} after {:?}", s2.elapsed()),
    );
    c.finish("poll")
}

fn set_cpu_online(cpu: u32, on: bool) -> bool {
    std::fs::write(
        format!("/sys/devices/system/cpu/cpu{cpu}/online"),
        if on { "1" } else { "0" },
    )
    .is_ok()
}

fn pin_to(cpu: usize) -> bool {
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

fn hotplug() -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    c.check(
        "2+ rings",
        rs.rings().len() >= 2,
        format!("{} rings", rs.rings().len()),
    );
    rs.enable().expect("enable");
    let per_cpu = |rs: &RingSet| {
        rs.rings()
            .iter()
            .map(|r| r.stats().events)
            .collect::<Vec<_>>()
    };
    c.check(
        "cpu1 offline",
        set_cpu_online(1, false),
        "echo 0 > cpu1/online",
    );
    pin_to(0);
    burst(2000);
    let _ = drain(&mut rs, Duration::from_millis(20));
    let before = per_cpu(&rs);
    c.check(
        "cpu1 online",
        set_cpu_online(1, true),
        "echo 1 > cpu1/online",
    );
    std::thread::sleep(Duration::from_millis(100));
    let ok1 = pin_to(1);
    burst(2000);
    pin_to(0);
    burst(2000);
    let (evs, bad) = drain(&mut rs, Duration::from_millis(100));
    let after = per_cpu(&rs);
    c.check("pinned to cpu1 after online", ok1, "sched_setaffinity");
    c.check(
        "cpu1 ring captures after online",
        after[1] > before[1] + 2000,
        format!("cpu1 events {} -> {}", before[1], after[1]),
    );
    c.check(
        "cpu0 ring captures",
        after[0] > before[0] + 2000,
        format!("cpu0 events {} -> {}", before[0], after[0]),
    );
    c.check("records decode", bad == 0, format!("{} records", evs.len()));
    c.finish("hotplug")
}

fn ns_per(n: u32, f: impl Fn()) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

/// `mode`: "baseline" (module not loaded), "idle" (loaded, probes attached, capture disabled),
/// "capture" (capture enabled, a reader on the other CPU).
fn bench(mode: &str) -> ! {
    let capture = mode == "capture";
    pin_to(0);
    let mut rs = if capture { Some(open_rings()) } else { None };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let counted = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut reader = None;
    if let Some(r) = rs.take() {
        r.enable().expect("enable");
        let (stop, counted) = (stop.clone(), counted.clone());
        reader = Some(std::thread::spawn(move || {
            let mut r = r;
            pin_to(1);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut n = 0;
                while let Some(Ok(_)) = r.next_record() {
                    n += 1;
                }
                counted.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                if n == 0 {
                    let _ = r.wait(10);
                }
            }
            r
        }));
    }
    let path = cstr("/etc/passwd");
    let n = 200_000;
    let getpid = ns_per(n, || unsafe {
        libc::syscall(libc::SYS_getpid);
    });
    let openclose = ns_per(n / 4, || unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_RDONLY);
        libc::close(fd);
    });
    // Events/s one CPU produces while the reader keeps up.
    let t = Instant::now();
    let c0 = counted.load(std::sync::atomic::Ordering::Relaxed);
    let mut calls = 0u64;
    while t.elapsed() < Duration::from_secs(2) {
        for _ in 0..1000 {
            unsafe { libc::syscall(libc::SYS_getpid) };
        }
        calls += 1000;
    }
    let secs = t.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    println!("BENCH {mode} getpid_ns={getpid:.1} openclose_ns={openclose:.1}");
    if let Some(h) = reader {
        let r = h.join().expect("reader");
        let st = r.stats();
        let read = counted.load(std::sync::atomic::Ordering::Relaxed) - c0;
        println!(
            "BENCH {mode} events_per_s={:.0} calls_per_s={:.0} read={} drops={}",
            read as f64 / secs,
            calls as f64 / secs,
            read,
            st.drops.iter().sum::<u64>()
        );
    }
    exit(0)
}

/// Writes `evs` as a .scap capture and prints it base64-encoded between markers, for the host
/// to decode and read with sysdig.
fn dump_scap(c: &mut Checks, evs: &[&Ev]) {
    let meta = falco_scap::CaptureMetadata::default();
    let mut w = match falco_scap::CaptureWriter::new(Vec::new(), &meta) {
        Ok(w) => w,
        Err(e) => return c.check("scap writer", false, e),
    };
    for e in evs {
        if let Ok(r) = Record::parse(&e.raw) {
            if let Err(err) = w.write_event(0, 0, &r) {
                return c.check("scap write", false, err);
            }
        }
    }
    let bytes = match w.finish() {
        Ok(b) => b,
        Err(e) => return c.check("scap finish", false, e),
    };
    c.check(
        "scap capture written",
        true,
        format!("{} events, {} bytes", evs.len(), bytes.len()),
    );
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    println!("=== SCAP-BEGIN");
    for line in out.as_bytes().chunks(76) {
        println!("{}", std::str::from_utf8(line).unwrap_or(""));
    }
    println!("=== SCAP-END");
}

fn mask_test() -> ! {
    let mut c = Checks::new();
    let mut rs = open_rings();
    rs.enable().expect("enable");
    let me = std::process::id() as u64;
    // Only getppid (110): the failed opens of the burst must not appear.
    let mut m = ringbuf_abi::ioctl::SyscallMask::default();
    m.set(libc::SYS_getppid as u32);
    rs.set_syscall_mask(&m).expect("syscall mask");
    let _ = drain(&mut rs, Duration::from_millis(0));
    burst(100);
    rs.disable().ok();
    let (evs, _) = drain(&mut rs, Duration::from_millis(30));
    let mine: Vec<&Ev> = evs.iter().filter(|e| e.tid == me).collect();
    let opens = mine
        .iter()
        .filter(|e| e.ty == PPME_SYSCALL_OPEN_X || e.ty == PPME_SYSCALL_OPENAT_2_X)
        .count();
    let generic = mine
        .iter()
        .filter(|e| {
            e.ty == PPME_GENERIC_X && e.params[1] == (libc::SYS_getppid as u16).to_le_bytes()
        })
        .count();
    c.check(
        "syscall mask keeps getppid only",
        opens == 0 && generic >= 100,
        format!("opens={opens} getppid={generic}"),
    );
    // All syscalls, but failed ones dropped: the failed opens disappear, getppid stays.
    rs.set_syscall_mask(&ringbuf_abi::ioctl::SyscallMask::all())
        .expect("syscall mask");
    rs.set_drop_failed(true).expect("drop failed");
    rs.enable().expect("enable");
    burst(100);
    rs.disable().ok();
    let (evs, _) = drain(&mut rs, Duration::from_millis(30));
    let failed_opens = evs
        .iter()
        .filter(|e| {
            e.tid == me
                && (e.ty == PPME_SYSCALL_OPEN_X || e.ty == PPME_SYSCALL_OPENAT_2_X)
                && e.i64(0) < 0
        })
        .count();
    c.check(
        "drop-failed hides failed opens",
        failed_opens == 0,
        format!("failed opens={failed_opens}"),
    );
    rs.set_drop_failed(false).expect("drop failed");
    // Event mask without the open exit event.
    let mut em = ringbuf_abi::ioctl::EventMask::all();
    em.words[(PPME_SYSCALL_OPENAT_2_X / 64) as usize] &= !(1u64 << (PPME_SYSCALL_OPENAT_2_X % 64));
    em.words[(PPME_SYSCALL_OPEN_X / 64) as usize] &= !(1u64 << (PPME_SYSCALL_OPEN_X % 64));
    rs.set_event_mask(&em).expect("event mask");
    rs.enable().expect("enable");
    burst(100);
    rs.disable().ok();
    let (evs, _) = drain(&mut rs, Duration::from_millis(30));
    let opens = evs
        .iter()
        .filter(|e| e.tid == me && (e.ty == PPME_SYSCALL_OPEN_X || e.ty == PPME_SYSCALL_OPENAT_2_X))
        .count();
    let enters = evs
        .iter()
        .filter(|e| e.tid == me && e.ty == PPME_SYSCALL_OPENAT_2_E)
        .count();
    c.check(
        "event mask drops open exits only",
        opens == 0 && enters >= 100,
        format!("exits={opens} enters={enters}"),
    );
    rs.set_event_mask(&ringbuf_abi::ioctl::EventMask::all())
        .ok();
    let snap_bad = rs.set_snaplen(1 << 30).is_err();
    c.check(
        "snaplen bound",
        snap_bad && rs.set_snaplen(256).is_ok(),
        "1 GiB refused, 256 accepted",
    );
    match rs.module_stats() {
        Ok(s) => {
            let rings = rs.stats();
            c.check(
                "GET_STATS matches control pages",
                s.events == rings.events && s.drops == rings.drops,
                format!("{s:?}"),
            );
        }
        Err(e) => c.check("GET_STATS", false, e),
    }
    c.finish("mask")
}
