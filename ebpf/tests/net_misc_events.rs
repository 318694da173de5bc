//! The socket and misc programs of the eBPF driver, live on this machine's kernel: the test
//! makes known syscalls (loopback TCP over IPv4 and IPv6, a unix socket with a path, UDP,
//! credentials and namespaces in forked children, signals, prctl, ptrace, module loads that
//! fail) and asserts each event's type and every parameter, byte for byte as the kernel
//! module (kmod/events.rs) encodes them. Needs root (it loads eBPF programs).

mod common;

use std::collections::HashMap;
use std::ffi::CString;
use std::time::Duration;

use ringbuf_abi::ids::*;

/// The capture's snaplen: payloads longer than this are cut.
const SNAPLEN: u32 = 128;

use common::{gettid, Ev};

/// The records of the run and, per thread, where the next expected event is looked for, so
/// that one thread's events are matched in the order it made its syscalls.
struct Events {
    all: Vec<Ev>,
    cursor: HashMap<u64, usize>,
}

impl Events {
    /// The first record of `ty` from `tid` after that thread's last match whose parameters
    /// satisfy `pred`; fails listing the candidates otherwise.
    fn find(&mut self, what: &str, ty: u16, tid: u64, pred: impl Fn(&[Vec<u8>]) -> bool) -> &Ev {
        let from = self.cursor.get(&tid).copied().unwrap_or(0);
        let hit = (from..self.all.len())
            .find(|&i| self.all[i].ty == ty && self.all[i].tid == tid && pred(&self.all[i].params));
        match hit {
            Some(i) => {
                self.cursor.insert(tid, i + 1);
                &self.all[i]
            }
            None => {
                let cands: Vec<String> = self.all[from..]
                    .iter()
                    .filter(|e| e.ty == ty && e.tid == tid)
                    .map(|e| format!("{:02x?}", e.params))
                    .collect();
                panic!(
                    "{what}: no event {} of tid {tid} matches; candidates after the previous \
                     match:\n  {}",
                    name(ty),
                    cands.join("\n  ")
                );
            }
        }
    }

    /// Asserts the next event `ty` of `tid` whose parameters are exactly `want`.
    fn expect(&mut self, what: &str, ty: u16, tid: u64, want: &[Vec<u8>]) {
        let ev = self.find(what, ty, tid, |p| p == want);
        assert_eq!(ev.params.len(), want.len(), "{what}: parameter count");
    }
}

fn name(ty: u16) -> &'static str {
    ringbuf_abi::event_info(ty).map_or("?", |i| i.name)
}

// Parameter encodings (little-endian values, as the module writes them).
fn s64(v: i64) -> Vec<u8> {
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
fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}
/// PT_SOCKADDR of an IPv4 address.
fn sa4(ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut v = vec![2];
    v.extend(ip);
    v.extend(port.to_le_bytes());
    v
}
/// PT_SOCKADDR of an IPv6 address.
fn sa6(ip: [u8; 16], port: u16) -> Vec<u8> {
    let mut v = vec![10];
    v.extend(ip);
    v.extend(port.to_le_bytes());
    v
}
/// PT_SOCKADDR of a unix path.
fn sun(path: &str) -> Vec<u8> {
    let mut v = vec![1];
    v.extend(cstr(path));
    v
}
/// PT_SOCKTUPLE of an IPv4 pair, source first.
fn tup4(sip: [u8; 4], sp: u16, dip: [u8; 4], dp: u16) -> Vec<u8> {
    let mut v = sa4(sip, sp);
    v.extend(dip);
    v.extend(dp.to_le_bytes());
    v
}
/// PT_SOCKTUPLE of an IPv6 pair, source first.
fn tup6(sip: [u8; 16], sp: u16, dip: [u8; 16], dp: u16) -> Vec<u8> {
    let mut v = sa6(sip, sp);
    v.extend(dip);
    v.extend(dp.to_le_bytes());
    v
}
/// PT_SOCKTUPLE of a unix socket: its address, its peer's, an empty path.
fn tupu(sk: u64, peer: u64) -> Vec<u8> {
    let mut v = vec![1];
    v.extend(sk.to_le_bytes());
    v.extend(peer.to_le_bytes());
    v.push(0);
    v
}
/// The (sk, peer) of a unix tuple, after checking its shape.
fn unix_tuple(what: &str, t: &[u8]) -> (u64, u64) {
    assert_eq!(t.len(), 18, "{what}: unix tuple length: {t:02x?}");
    assert_eq!(
        (t[0], t[17]),
        (1, 0),
        "{what}: unix tuple family/path: {t:02x?}"
    );
    let w = |i: usize| u64::from_le_bytes(t[i..i + 8].try_into().expect("8 bytes"));
    let (sk, peer) = (w(1), w(9));
    assert!(
        sk != 0 && peer != 0,
        "{what}: unix tuple pointers are set: {t:02x?}"
    );
    (sk, peer)
}
/// PT_DYN of ptrace: a u64 value.
fn dyn_u64(v: u64) -> Vec<u8> {
    let mut b = vec![0];
    b.extend(v.to_le_bytes());
    b
}
/// PT_DYN of ptrace: a signal.
fn dyn_sig(s: u8) -> Vec<u8> {
    vec![1, s]
}

/// A raw syscall: its return value, or minus the errno.
fn sc(nr: i64, a: [u64; 6]) -> i64 {
    // SAFETY: every call site passes arguments valid for that syscall (pointers to live
    // buffers of the lengths given, or null where the syscall allows it).
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r == -1 {
        -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        r
    }
}

fn getpid() -> i64 {
    i64::from(std::process::id())
}

fn sockaddr_in(ip: [u8; 4], port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip),
        },
        sin_zero: [0; 8],
    }
}

fn sockaddr_in6(ip: [u8; 16], port: u16) -> libc::sockaddr_in6 {
    libc::sockaddr_in6 {
        sin6_family: libc::AF_INET6 as u16,
        sin6_port: port.to_be(),
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr { s6_addr: ip },
        sin6_scope_id: 0,
    }
}

fn ptr<T>(v: &T) -> u64 {
    v as *const T as u64
}

/// The address of a buffer the kernel writes.
fn mptr<T>(v: &mut T) -> u64 {
    v as *mut T as u64
}

/// The local port of socket `fd` (IPv4 or IPv6: both keep the port at bytes 2..4).
fn local_port(fd: i64) -> u16 {
    let mut ss = [0u8; 128];
    let mut len: libc::socklen_t = 128;
    let r = sc(
        libc::SYS_getsockname,
        [fd as u64, mptr(&mut ss), mptr(&mut len), 0, 0, 0],
    );
    assert_eq!(r, 0, "getsockname({fd})");
    u16::from_be_bytes([ss[2], ss[3]])
}

/// An empty unix address.
fn sockaddr_un() -> libc::sockaddr_un {
    // SAFETY: sockaddr_un is a plain C struct of integers, valid all-zero.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as u16;
    a
}

/// Forks a child that runs `f` (raw syscalls only: the test process has other threads) and
/// exits with its status; returns the child's pid.
fn fork_child(f: impl FnOnce() -> i32) -> i64 {
    // SAFETY: the child only makes raw syscalls and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = f();
        // SAFETY: _exit ends the child without running the parent's atexit handlers.
        unsafe { libc::_exit(code) };
    }
    i64::from(pid)
}

/// Waits for a child forked by [`fork_child`] and returns its exit code: the step that went
/// wrong, or 0.
fn exit_code(pid: i64) -> i32 {
    let st = wait(pid);
    assert!(
        libc::WIFEXITED(st),
        "child {pid} did not exit: status {st:#x}"
    );
    libc::WEXITSTATUS(st)
}

/// Waits for `pid` and returns its raw wait status.
fn wait(pid: i64) -> i32 {
    let mut status = 0i32;
    // SAFETY: `status` is a valid out pointer.
    let r = unsafe { libc::waitpid(pid as i32, &mut status, libc::__WALL) };
    assert_eq!(r as i64, pid, "waitpid({pid})");
    status
}

/// The child's checks: the step number of the first syscall that returned something else
/// than expected, or 0.
fn steps(list: &[(i64, i64)]) -> i32 {
    for (i, (got, want)) in list.iter().enumerate() {
        if got != want {
            return i as i32 + 1;
        }
    }
    0
}

const LO4: [u8; 4] = [127, 0, 0, 1];
const ANY4: [u8; 4] = [0, 0, 0, 0];
const LO6: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

#[test]
fn net_misc_events() {
    let mut rs = common::open(&common::own_tree());
    rs.set_snaplen(SNAPLEN).expect("set_snaplen");
    let me = gettid();
    let pid = getpid();
    rs.enable().expect("enable");

    // ---- TCP over IPv4: two clients queued before the first accept. ----
    let stream_cloexec = (libc::SOCK_STREAM | libc::SOCK_CLOEXEC) as u64;
    let ls = sc(libc::SYS_socket, [2, stream_cloexec, 0, 0, 0, 0]);
    assert!(ls >= 0, "socket: {ls}");
    let any_port = sockaddr_in(LO4, 0);
    let sin_len = std::mem::size_of::<libc::sockaddr_in>() as u64;
    assert_eq!(
        sc(
            libc::SYS_bind,
            [ls as u64, ptr(&any_port), sin_len, 0, 0, 0]
        ),
        0
    );
    assert_eq!(sc(libc::SYS_listen, [ls as u64, 5, 0, 0, 0, 0]), 0);
    let port = local_port(ls);
    let srv = sockaddr_in(LO4, port);
    let c1 = sc(libc::SYS_socket, [2, libc::SOCK_STREAM as u64, 0, 0, 0, 0]);
    assert_eq!(
        sc(libc::SYS_connect, [c1 as u64, ptr(&srv), sin_len, 0, 0, 0]),
        0
    );
    let c2 = sc(libc::SYS_socket, [2, libc::SOCK_STREAM as u64, 0, 0, 0, 0]);
    assert_eq!(
        sc(libc::SYS_connect, [c2 as u64, ptr(&srv), sin_len, 0, 0, 0]),
        0
    );
    let (cp1, cp2) = (local_port(c1), local_port(c2));
    // Loopback completes both handshakes at once; leave the listener a moment to queue them.
    std::thread::sleep(Duration::from_millis(50));
    let a1 = sc(
        libc::SYS_accept4,
        [ls as u64, 0, 0, libc::SOCK_CLOEXEC as u64, 0, 0],
    );
    assert!(a1 >= 0, "accept4: {a1}");
    let a2 = sc(libc::SYS_accept, [ls as u64, 0, 0, 0, 0, 0]);
    assert!(a2 >= 0, "accept: {a2}");
    let msg = b"hello-tcp";
    let sent = sc(
        libc::SYS_sendto,
        [c1 as u64, msg.as_ptr() as u64, msg.len() as u64, 0, 0, 0],
    );
    assert_eq!(sent, msg.len() as i64);
    let mut rbuf = [0u8; 64];
    let got = sc(
        libc::SYS_recvfrom,
        [a1 as u64, rbuf.as_mut_ptr() as u64, 64, 0, 0, 0],
    );
    assert_eq!(got, msg.len() as i64);
    // A connect that fails: nothing listens on the listener's port + 1 of another socket.
    let refused = sockaddr_in(LO4, 1);
    let c3 = sc(libc::SYS_socket, [2, libc::SOCK_STREAM as u64, 0, 0, 0, 0]);
    let refused_ret = sc(
        libc::SYS_connect,
        [c3 as u64, ptr(&refused), sin_len, 0, 0, 0],
    );
    assert_eq!(refused_ret, -(libc::ECONNREFUSED as i64));

    // ---- TCP over IPv6. ----
    let ls6 = sc(libc::SYS_socket, [10, libc::SOCK_STREAM as u64, 6, 0, 0, 0]);
    let any6 = sockaddr_in6(LO6, 0);
    let sin6_len = std::mem::size_of::<libc::sockaddr_in6>() as u64;
    assert_eq!(
        sc(libc::SYS_bind, [ls6 as u64, ptr(&any6), sin6_len, 0, 0, 0]),
        0
    );
    assert_eq!(sc(libc::SYS_listen, [ls6 as u64, 3, 0, 0, 0, 0]), 0);
    let port6 = local_port(ls6);
    let srv6 = sockaddr_in6(LO6, port6);
    let c6 = sc(libc::SYS_socket, [10, libc::SOCK_STREAM as u64, 6, 0, 0, 0]);
    assert_eq!(
        sc(
            libc::SYS_connect,
            [c6 as u64, ptr(&srv6), sin6_len, 0, 0, 0]
        ),
        0
    );
    let cp6 = local_port(c6);
    std::thread::sleep(Duration::from_millis(20));
    let a6 = sc(libc::SYS_accept, [ls6 as u64, 0, 0, 0, 0, 0]);
    assert!(a6 >= 0, "accept6: {a6}");

    // ---- A unix stream socket with a path. ----
    let path = format!("/tmp/falco-ebpf-net-{pid}.sock");
    let _ = std::fs::remove_file(&path);
    let mut sun_addr = sockaddr_un();
    for (d, s) in sun_addr.sun_path.iter_mut().zip(path.as_bytes()) {
        *d = *s as libc::c_char;
    }
    // bind passes the NUL, connect does not: both encode the same path.
    let sun_len_nul = (2 + path.len() + 1) as u64;
    let sun_len = (2 + path.len()) as u64;
    let lu = sc(libc::SYS_socket, [1, libc::SOCK_STREAM as u64, 0, 0, 0, 0]);
    assert_eq!(
        sc(
            libc::SYS_bind,
            [lu as u64, ptr(&sun_addr), sun_len_nul, 0, 0, 0]
        ),
        0
    );
    assert_eq!(sc(libc::SYS_listen, [lu as u64, 2, 0, 0, 0, 0]), 0);
    let cu = sc(libc::SYS_socket, [1, libc::SOCK_STREAM as u64, 0, 0, 0, 0]);
    assert_eq!(
        sc(
            libc::SYS_connect,
            [cu as u64, ptr(&sun_addr), sun_len, 0, 0, 0]
        ),
        0
    );
    let au = sc(libc::SYS_accept, [lu as u64, 0, 0, 0, 0, 0]);
    assert!(au >= 0, "accept unix: {au}");
    let umsg = b"over-unix";
    assert_eq!(
        sc(
            libc::SYS_sendto,
            [cu as u64, umsg.as_ptr() as u64, 9, 0, 0, 0]
        ),
        9
    );
    assert_eq!(
        sc(
            libc::SYS_recvfrom,
            [au as u64, rbuf.as_mut_ptr() as u64, 64, 0, 0, 0]
        ),
        9
    );

    // ---- Addresses at the edges: abstract unix, a short IPv4 address, none at all. ----
    let mut abs_addr = sockaddr_un();
    let abs_name = format!("falco-ebpf-abs-{pid}");
    for (d, s) in abs_addr.sun_path[1..].iter_mut().zip(abs_name.as_bytes()) {
        *d = *s as libc::c_char;
    }
    let abs_len = (2 + 1 + abs_name.len()) as u64;
    let ua = sc(libc::SYS_socket, [1, libc::SOCK_DGRAM as u64, 0, 0, 0, 0]);
    assert_eq!(
        sc(
            libc::SYS_bind,
            [ua as u64, ptr(&abs_addr), abs_len, 0, 0, 0]
        ),
        0
    );
    let es = sc(libc::SYS_socket, [2, libc::SOCK_STREAM as u64, 0, 0, 0, 0]);
    let short_ret = sc(libc::SYS_bind, [es as u64, ptr(&any_port), 4, 0, 0, 0]);
    assert_eq!(short_ret, -(libc::EINVAL as i64));
    let null_ret = sc(libc::SYS_connect, [es as u64, 0, 0, 0, 0, 0]);
    assert!(null_ret < 0, "connect without an address fails");

    // ---- UDP: a payload longer than the snaplen. ----
    let dgram_nb = (libc::SOCK_DGRAM | libc::SOCK_NONBLOCK) as u64;
    let u1 = sc(libc::SYS_socket, [2, dgram_nb, 0, 0, 0, 0]);
    let u2 = sc(libc::SYS_socket, [2, libc::SOCK_DGRAM as u64, 0, 0, 0, 0]);
    assert_eq!(
        sc(
            libc::SYS_bind,
            [u1 as u64, ptr(&any_port), sin_len, 0, 0, 0]
        ),
        0
    );
    assert_eq!(
        sc(
            libc::SYS_bind,
            [u2 as u64, ptr(&any_port), sin_len, 0, 0, 0]
        ),
        0
    );
    let (up1, up2) = (local_port(u1), local_port(u2));
    let to = sockaddr_in(LO4, up2);
    let payload: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(
        sc(
            libc::SYS_sendto,
            [
                u1 as u64,
                payload.as_ptr() as u64,
                300,
                0,
                ptr(&to),
                sin_len
            ]
        ),
        300
    );
    let mut big = vec![0u8; 1000];
    let mut from = sockaddr_in(ANY4, 0);
    let mut from_len = sin_len as libc::socklen_t;
    assert_eq!(
        sc(
            libc::SYS_recvfrom,
            [
                u2 as u64,
                big.as_mut_ptr() as u64,
                1000,
                0,
                mptr(&mut from),
                mptr(&mut from_len)
            ]
        ),
        300
    );

    // ---- Credentials in a child (gids first, while it is still root). ----
    let cred_child = fork_child(|| {
        steps(&[
            (sc(libc::SYS_setgid, [3000, 0, 0, 0, 0, 0]), 0),
            (sc(libc::SYS_setregid, [3001, 3002, 0, 0, 0, 0]), 0),
            (sc(libc::SYS_setresgid, [3003, 3004, 3005, 0, 0, 0]), 0),
            (sc(libc::SYS_setresuid, [4000, 4001, 4002, 0, 0, 0]), 0),
            (sc(libc::SYS_setreuid, [4001, 4000, 0, 0, 0, 0]), 0),
            (
                sc(
                    libc::SYS_setreuid,
                    [u32::MAX as u64, u32::MAX as u64, 0, 0, 0, 0],
                ),
                0,
            ),
            (sc(libc::SYS_setuid, [4000, 0, 0, 0, 0, 0]), 0),
            (
                sc(libc::SYS_setuid, [0, 0, 0, 0, 0, 0]),
                -(libc::EPERM as i64),
            ),
        ])
    });
    assert_eq!(
        exit_code(cred_child),
        0,
        "credentials child: the step that failed"
    );

    // ---- Namespaces in a child. ----
    let ns_path = CString::new("/proc/self/ns/uts").expect("path");
    // SAFETY: ns_path is a valid C string.
    let uts_fd = i64::from(unsafe { libc::open(ns_path.as_ptr(), libc::O_RDONLY) });
    assert!(uts_fd >= 0, "open {ns_path:?}");
    let newuts_ipc = (libc::CLONE_NEWUTS | libc::CLONE_NEWIPC) as u64;
    let ns_child = fork_child(|| {
        steps(&[
            (sc(libc::SYS_unshare, [newuts_ipc, 0, 0, 0, 0, 0]), 0),
            (
                sc(
                    libc::SYS_setns,
                    [uts_fd as u64, libc::CLONE_NEWUTS as u64, 0, 0, 0, 0],
                ),
                0,
            ),
            (
                sc(
                    libc::SYS_setns,
                    [u64::MAX, libc::CLONE_NEWNET as u64, 0, 0, 0, 0],
                ),
                -(libc::EBADF as i64),
            ),
        ])
    });
    assert_eq!(
        exit_code(ns_child),
        0,
        "namespace child: the step that failed"
    );
    // SAFETY: uts_fd is ours.
    unsafe { libc::close(uts_fd as i32) };

    // ---- prctl in a child (it renames itself). ----
    let short = CString::new("falco-net-test").expect("name");
    let long = CString::new("abcdefghijklmnopqrstuvwxyz").expect("name");
    let empty = CString::new("").expect("name");
    let mut name_buf = [0u8; 16];
    let name_ptr = name_buf.as_mut_ptr() as u64;
    let (p_short, p_long, p_empty) = (
        short.as_ptr() as u64,
        long.as_ptr() as u64,
        empty.as_ptr() as u64,
    );
    let prctl_child = fork_child(|| {
        steps(&[
            (sc(libc::SYS_prctl, [15, p_short, 0, 0, 0, 0]), 0),
            (sc(libc::SYS_prctl, [15, p_long, 0, 0, 0, 0]), 0),
            (sc(libc::SYS_prctl, [15, p_empty, 0, 0, 0, 0]), 0),
            (sc(libc::SYS_prctl, [16, name_ptr, 0, 0, 0, 0]), 0),
        ])
    });
    assert_eq!(
        exit_code(prctl_child),
        0,
        "prctl child: the step that failed"
    );

    // ---- Signals. ----
    let tid = me as i64;
    assert_eq!(sc(libc::SYS_kill, [pid as u64, 0, 0, 0, 0, 0]), 0);
    let no_such = -999_999i64;
    let esrch = -(libc::ESRCH as i64);
    assert_eq!(sc(libc::SYS_kill, [no_such as u64, 0, 0, 0, 0, 0]), esrch);
    assert_eq!(sc(libc::SYS_tkill, [tid as u64, 0, 0, 0, 0, 0]), 0);
    assert_eq!(
        sc(libc::SYS_tgkill, [pid as u64, tid as u64, 0, 0, 0, 0]),
        0
    );

    // ---- ptrace: attach, peek a word the child has, detach with a signal. ----
    let word: Box<u64> = Box::new(0x1122_3344_5566_7788);
    let word_addr = ptr(&*word);
    let tracee = fork_child(|| loop {
        // SAFETY: pause has no preconditions.
        unsafe { libc::pause() };
    });
    assert_eq!(
        sc(libc::SYS_ptrace, [16, tracee as u64, 0, 0, 0, 0]),
        0,
        "attach"
    );
    let st = wait(tracee);
    assert!(libc::WIFSTOPPED(st), "tracee stopped after attach");
    let mut peeked = 0u64;
    assert_eq!(
        sc(
            libc::SYS_ptrace,
            [2, tracee as u64, word_addr, mptr(&mut peeked), 0, 0]
        ),
        0,
        "peekdata"
    );
    assert_eq!(peeked, *word, "peeked word");
    assert_eq!(
        sc(libc::SYS_ptrace, [17, tracee as u64, 0, 18, 0, 0]),
        0,
        "detach"
    );
    // Not traced any more: the same peek fails.
    let peek_fail = sc(
        libc::SYS_ptrace,
        [2, tracee as u64, word_addr, mptr(&mut peeked), 0, 0],
    );
    assert_eq!(peek_fail, esrch);
    assert_eq!(sc(libc::SYS_kill, [tracee as u64, 9, 0, 0, 0, 0]), 0);
    wait(tracee);

    // ---- Modules and bpf: calls that fail. ----
    let image: Vec<u8> = (0..200u32).map(|i| (i * 13 % 256) as u8).collect();
    let margs = CString::new("falco_test=1").expect("args");
    let init_ret = sc(
        libc::SYS_init_module,
        [image.as_ptr() as u64, 200, margs.as_ptr() as u64, 0, 0, 0],
    );
    assert!(init_ret < 0, "init_module of garbage must fail");
    let finit_ret = sc(
        libc::SYS_finit_module,
        [9999, empty.as_ptr() as u64, 3, 0, 0, 0],
    );
    assert!(finit_ret < 0, "finit_module of a bad fd must fail");
    let bpf_ret = sc(libc::SYS_bpf, [0x7fff, 0, 0, 0, 0, 0]);
    assert!(bpf_ret < 0, "bpf with an unknown command must fail");

    // ---- Read everything back. ----
    rs.disable().expect("disable");
    let (all, bad) = common::drain(&mut rs, Duration::from_millis(300));
    assert!(
        bad.is_empty(),
        "every record parses with ringbuf_abi::Record: {bad:?}"
    );
    common::assert_no_drops(&rs);
    let _ = std::fs::remove_file(&path);
    let mut ev = Events {
        all,
        cursor: HashMap::new(),
    };

    // ---- IPv4 TCP. ----
    let cloexec_ppm = 1u32 << 12;
    ev.expect(
        "socket v4 listener",
        PPME_SOCKET_SOCKET_X,
        me,
        &[
            s64(ls),
            u32p(2),
            u32p(stream_cloexec as u32),
            u32p(0),
            u32p(cloexec_ppm),
        ],
    );
    ev.expect(
        "bind v4",
        PPME_SOCKET_BIND_X,
        me,
        &[s64(0), sa4(LO4, 0), s64(ls)],
    );
    ev.expect(
        "listen v4",
        PPME_SOCKET_LISTEN_X,
        me,
        &[s64(0), s64(ls), u32p(5)],
    );
    ev.expect(
        "socket c1",
        PPME_SOCKET_SOCKET_X,
        me,
        &[s64(c1), u32p(2), u32p(1), u32p(0), u32p(0)],
    );
    ev.expect(
        "connect c1 enter",
        PPME_SOCKET_CONNECT_E,
        me,
        &[s64(c1), sa4(LO4, port)],
    );
    ev.expect(
        "connect c1",
        PPME_SOCKET_CONNECT_X,
        me,
        &[s64(0), tup4(LO4, cp1, LO4, port), s64(c1), sa4(LO4, port)],
    );
    ev.expect(
        "connect c2 enter",
        PPME_SOCKET_CONNECT_E,
        me,
        &[s64(c2), sa4(LO4, port)],
    );
    ev.expect(
        "connect c2",
        PPME_SOCKET_CONNECT_X,
        me,
        &[s64(0), tup4(LO4, cp2, LO4, port), s64(c2), sa4(LO4, port)],
    );
    // The first accept leaves c2 queued: 1 of 5, 20 %.
    ev.expect(
        "accept4",
        PPME_SOCKET_ACCEPT4_6_X,
        me,
        &[
            s64(a1),
            tup4(LO4, cp1, LO4, port),
            u8p(20),
            u32p(1),
            u32p(5),
            u32p(libc::SOCK_CLOEXEC as u32),
        ],
    );
    ev.expect(
        "accept",
        PPME_SOCKET_ACCEPT_5_X,
        me,
        &[s64(a2), tup4(LO4, cp2, LO4, port), u8p(0), u32p(0), u32p(5)],
    );
    ev.expect(
        "sendto tcp",
        PPME_SOCKET_SENDTO_X,
        me,
        &[
            s64(9),
            msg.to_vec(),
            s64(c1),
            u32p(9),
            tup4(LO4, cp1, LO4, port),
        ],
    );
    ev.expect(
        "recvfrom tcp",
        PPME_SOCKET_RECVFROM_X,
        me,
        &[
            s64(9),
            msg.to_vec(),
            tup4(LO4, cp1, LO4, port),
            s64(a1),
            u32p(64),
        ],
    );
    // A refused connect: the socket got a local address but no peer.
    ev.expect(
        "connect refused enter",
        PPME_SOCKET_CONNECT_E,
        me,
        &[s64(c3), sa4(LO4, 1)],
    );
    let refused_ev = ev.find("connect refused", PPME_SOCKET_CONNECT_X, me, |p| {
        p.len() == 4 && p[0] == s64(refused_ret) && p[2] == s64(c3)
    });
    assert_eq!(refused_ev.params[3], sa4(LO4, 1), "connect refused: addr");
    // What the socket keeps of a refused connection is the kernel's business: an IPv4 tuple.
    let t = &refused_ev.params[1];
    assert!(
        t.len() == 13 && t[0] == 2,
        "connect refused: an IPv4 tuple: {t:02x?}"
    );

    // ---- IPv6 TCP. ----
    ev.expect(
        "socket v6",
        PPME_SOCKET_SOCKET_X,
        me,
        &[s64(ls6), u32p(10), u32p(1), u32p(6), u32p(0)],
    );
    ev.expect(
        "bind v6",
        PPME_SOCKET_BIND_X,
        me,
        &[s64(0), sa6(LO6, 0), s64(ls6)],
    );
    ev.expect(
        "listen v6",
        PPME_SOCKET_LISTEN_X,
        me,
        &[s64(0), s64(ls6), u32p(3)],
    );
    ev.expect(
        "connect v6 enter",
        PPME_SOCKET_CONNECT_E,
        me,
        &[s64(c6), sa6(LO6, port6)],
    );
    ev.expect(
        "connect v6",
        PPME_SOCKET_CONNECT_X,
        me,
        &[s64(0), tup6(LO6, cp6, LO6, port6), s64(c6), sa6(LO6, port6)],
    );
    ev.expect(
        "accept v6",
        PPME_SOCKET_ACCEPT_5_X,
        me,
        &[
            s64(a6),
            tup6(LO6, cp6, LO6, port6),
            u8p(0),
            u32p(0),
            u32p(3),
        ],
    );

    // ---- Unix. ----
    ev.expect(
        "bind unix",
        PPME_SOCKET_BIND_X,
        me,
        &[s64(0), sun(&path), s64(lu)],
    );
    ev.expect(
        "listen unix",
        PPME_SOCKET_LISTEN_X,
        me,
        &[s64(0), s64(lu), u32p(2)],
    );
    ev.expect(
        "connect unix enter",
        PPME_SOCKET_CONNECT_E,
        me,
        &[s64(cu), sun(&path)],
    );
    let cx = ev.find("connect unix", PPME_SOCKET_CONNECT_X, me, |p| {
        p.len() == 4 && p[2] == s64(cu)
    });
    assert_eq!(cx.params[0], s64(0), "connect unix: res");
    assert_eq!(cx.params[3], sun(&path), "connect unix: addr");
    let (client_sk, client_peer) = unix_tuple("connect unix", &cx.params[1]);
    // The accepted socket is the client's peer, and its peer is the client.
    ev.expect(
        "accept unix",
        PPME_SOCKET_ACCEPT_5_X,
        me,
        &[
            s64(au),
            tupu(client_peer, client_sk),
            u8p(0),
            u32p(0),
            u32p(2),
        ],
    );
    ev.expect(
        "sendto unix",
        PPME_SOCKET_SENDTO_X,
        me,
        &[
            s64(9),
            umsg.to_vec(),
            s64(cu),
            u32p(9),
            tupu(client_sk, client_peer),
        ],
    );
    ev.expect(
        "recvfrom unix",
        PPME_SOCKET_RECVFROM_X,
        me,
        &[
            s64(9),
            umsg.to_vec(),
            tupu(client_peer, client_sk),
            s64(au),
            u32p(64),
        ],
    );

    // ---- Edges: an abstract name is an empty path; a short address keeps its family; no
    // address is an empty parameter, and the tuple is the unconnected socket's zeros. ----
    ev.expect(
        "bind abstract",
        PPME_SOCKET_BIND_X,
        me,
        &[s64(0), vec![1, 0], s64(ua)],
    );
    ev.expect(
        "bind short",
        PPME_SOCKET_BIND_X,
        me,
        &[s64(short_ret), vec![2], s64(es)],
    );
    ev.expect(
        "connect null enter",
        PPME_SOCKET_CONNECT_E,
        me,
        &[s64(es), vec![]],
    );
    ev.expect(
        "connect null",
        PPME_SOCKET_CONNECT_X,
        me,
        &[s64(null_ret), tup4(ANY4, 0, ANY4, 0), s64(es), vec![]],
    );

    // ---- UDP. ----
    ev.expect(
        "socket udp nonblock",
        PPME_SOCKET_SOCKET_X,
        me,
        &[
            s64(u1),
            u32p(2),
            u32p(dgram_nb as u32),
            u32p(0),
            u32p(1 << 6),
        ],
    );
    let cut = payload[..SNAPLEN as usize].to_vec();
    // Unconnected: the tuple has the bound address and no peer.
    ev.expect(
        "sendto udp",
        PPME_SOCKET_SENDTO_X,
        me,
        &[
            s64(300),
            cut.clone(),
            s64(u1),
            u32p(300),
            tup4(LO4, up1, ANY4, 0),
        ],
    );
    ev.expect(
        "recvfrom udp",
        PPME_SOCKET_RECVFROM_X,
        me,
        &[s64(300), cut, tup4(ANY4, 0, LO4, up2), s64(u2), u32p(1000)],
    );

    // ---- Credentials. ----
    let ct = cred_child as u64;
    let eperm = -(libc::EPERM as i64);
    ev.expect("setgid", PPME_SYSCALL_SETGID_X, ct, &[s64(0), u32p(3000)]);
    ev.expect(
        "setregid",
        PPME_SYSCALL_SETREGID_X,
        ct,
        &[s64(0), u32p(3001), u32p(3002)],
    );
    ev.expect(
        "setresgid",
        PPME_SYSCALL_SETRESGID_X,
        ct,
        &[s64(0), u32p(3003), u32p(3004), u32p(3005)],
    );
    ev.expect(
        "setresuid",
        PPME_SYSCALL_SETRESUID_X,
        ct,
        &[s64(0), u32p(4000), u32p(4001), u32p(4002)],
    );
    ev.expect(
        "setreuid",
        PPME_SYSCALL_SETREUID_X,
        ct,
        &[s64(0), u32p(4001), u32p(4000)],
    );
    ev.expect(
        "setreuid -1",
        PPME_SYSCALL_SETREUID_X,
        ct,
        &[s64(0), u32p(u32::MAX), u32p(u32::MAX)],
    );
    ev.expect("setuid", PPME_SYSCALL_SETUID_X, ct, &[s64(0), u32p(4000)]);
    ev.expect(
        "setuid denied",
        PPME_SYSCALL_SETUID_X,
        ct,
        &[s64(eperm), u32p(0)],
    );

    // ---- Namespaces: PPM_CL_CLONE_NEWUTS 1<<7, NEWIPC 1<<3, NEWNET 1<<4. ----
    let nt = ns_child as u64;
    ev.expect(
        "unshare",
        PPME_SYSCALL_UNSHARE_X,
        nt,
        &[s64(0), u32p((1 << 7) | (1 << 3))],
    );
    ev.expect(
        "setns",
        PPME_SYSCALL_SETNS_X,
        nt,
        &[s64(0), s64(uts_fd), u32p(1 << 7)],
    );
    ev.expect(
        "setns bad fd",
        PPME_SYSCALL_SETNS_X,
        nt,
        &[s64(-(libc::EBADF as i64)), s64(-1), u32p(1 << 4)],
    );

    // ---- prctl. ----
    let pt = prctl_child as u64;
    ev.expect(
        "prctl set name",
        PPME_SYSCALL_PRCTL_X,
        pt,
        &[s64(0), u32p(15), cstr("falco-net-test"), u64p(p_short)],
    );
    ev.expect(
        "prctl long name",
        PPME_SYSCALL_PRCTL_X,
        pt,
        &[s64(0), u32p(15), cstr("abcdefghijklmno"), u64p(p_long)],
    );
    ev.expect(
        "prctl empty name",
        PPME_SYSCALL_PRCTL_X,
        pt,
        &[s64(0), u32p(15), vec![], u64p(p_empty)],
    );
    ev.expect(
        "prctl get name",
        PPME_SYSCALL_PRCTL_X,
        pt,
        &[s64(0), u32p(16), vec![], u64p(name_ptr)],
    );

    // ---- Signals. ----
    ev.expect(
        "kill self",
        PPME_SYSCALL_KILL_X,
        me,
        &[s64(0), s64(pid), u8p(0)],
    );
    ev.expect(
        "kill none",
        PPME_SYSCALL_KILL_X,
        me,
        &[s64(esrch), s64(no_such), u8p(0)],
    );
    ev.expect(
        "tkill",
        PPME_SYSCALL_TKILL_X,
        me,
        &[s64(0), s64(tid), u8p(0)],
    );
    ev.expect(
        "tgkill",
        PPME_SYSCALL_TGKILL_X,
        me,
        &[s64(0), s64(pid), s64(tid), u8p(0)],
    );

    // ---- ptrace: PPM_PTRACE_ATTACH 11, PEEKDATA 3, DETACH 12. ----
    ev.expect(
        "ptrace attach",
        PPME_SYSCALL_PTRACE_X,
        me,
        &[s64(0), dyn_u64(0), dyn_u64(0), u16p(11), s64(tracee)],
    );
    ev.expect(
        "ptrace peekdata",
        PPME_SYSCALL_PTRACE_X,
        me,
        &[
            s64(0),
            dyn_u64(word_addr),
            dyn_u64(*word),
            u16p(3),
            s64(tracee),
        ],
    );
    ev.expect(
        "ptrace detach",
        PPME_SYSCALL_PTRACE_X,
        me,
        &[s64(0), dyn_u64(0), dyn_sig(18), u16p(12), s64(tracee)],
    );
    ev.expect(
        "ptrace peek fails",
        PPME_SYSCALL_PTRACE_X,
        me,
        &[s64(esrch), dyn_u64(0), dyn_u64(0), u16p(3), s64(tracee)],
    );
    ev.expect(
        "kill tracee",
        PPME_SYSCALL_KILL_X,
        me,
        &[s64(0), s64(tracee), u8p(9)],
    );

    // ---- Modules and bpf. ----
    ev.expect(
        "init_module",
        PPME_SYSCALL_INIT_MODULE_X,
        me,
        &[
            s64(init_ret),
            image[..SNAPLEN as usize].to_vec(),
            u64p(200),
            cstr("falco_test=1"),
        ],
    );
    ev.expect(
        "finit_module",
        PPME_SYSCALL_FINIT_MODULE_X,
        me,
        &[s64(finit_ret), s64(9999), vec![], u32p(3)],
    );
    ev.expect(
        "bpf",
        PPME_SYSCALL_BPF_2_X,
        me,
        &[s64(bpf_ret), u32p(0x7fff)],
    );
}
