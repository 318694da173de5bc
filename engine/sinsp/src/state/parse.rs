//! The event parsers: how each state-changing event updates the tables. Parameters are read
//! by name, so any layout of an event id (old or current) works, and a missing trailing
//! parameter simply leaves the corresponding state unchanged.

use std::sync::OnceLock;

use ringbuf_abi::schema::flags as ef;
use ringbuf_abi::{Direction, Record, EVENT_COUNT, EVENT_TABLE};

use super::container::container_from_cgroups;
use super::fd::{l4, FdInfo, FdKind, IpAddr};
use super::path;
use super::thread::{cl, exe_flags, ThreadInfo};
use super::{PendingEnter, State};
use crate::params::{
    af, is_v4_mapped, sockaddr, socktuple, split_nul, Params, SockAddr, SockTuple,
};

/// What a state parser does with an event id, decided once per id from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    None,
    EnterKeep,
    Clone,
    Execve,
    Procexit,
    Open,
    Socket,
    Bind,
    Connect,
    Accept,
    Socketpair,
    Pipe,
    NewFd(FdKind),
    Memfd,
    Dup,
    Fcntl,
    Close,
    Chdir,
    Fchdir,
    SetUid,
    SetGid,
    SetResUid,
    SetResGid,
    Prctl,
    Capset,
    Setsid,
    Chroot,
    TupleIo,
    /// A capture's container description (`container` events carrying libsinsp's JSON).
    Container,
}

struct Schema {
    action: [Action; EVENT_COUNT],
    /// Index of the parameter holding the fd the event uses or creates.
    fd_param: [Option<u8>; EVENT_COUNT],
    /// For open-family exits: the indexes of their `flags` and `mode` parameters.
    open: [Option<OpenParams>; EVENT_COUNT],
}

/// Where an open-family exit keeps the parameters `evt.is_open_*` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpenParams {
    /// Index of `flags`.
    pub flags: Option<u8>,
    /// Index of `mode`.
    pub mode: Option<u8>,
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let mut s = Schema {
            action: [Action::None; EVENT_COUNT],
            fd_param: [None; EVENT_COUNT],
            open: [None; EVENT_COUNT],
        };
        for (i, e) in EVENT_TABLE.iter().enumerate() {
            s.action[i] = action_of(e.name, e.direction);
            if s.action[i] == Action::Open {
                let at = |name: &str| {
                    e.params
                        .iter()
                        .position(|p| p.name == name)
                        .map(|p| p as u8)
                };
                s.open[i] = Some(OpenParams {
                    flags: at("flags"),
                    mode: at("mode"),
                });
            }
            let creates = e.flags & ef::EF_CREATES_FD != 0;
            let uses = e.flags & ef::EF_USES_FD != 0;
            let first_is_fd = e
                .params
                .first()
                .map(|p| p.ptype == ringbuf_abi::ParamType::Fd)
                .unwrap_or(false);
            // copy_file_range names two fds: libsinsp takes the output fd of the exit (and
            // the enter's only fd, the input).
            let named = |n: &str| e.params.iter().position(|p| p.name == n).map(|p| p as u8);
            s.fd_param[i] = if e.name == "copy_file_range" {
                named("fdout").or_else(|| named("fdin"))
            } else if e.direction == Direction::Exit && creates && first_is_fd {
                Some(0)
            } else if uses || creates {
                // libscap's `get_exit_event_fd_location`: the `fd` parameter, or for the *at
                // calls that have none (unlinkat, fchmodat, mkdirat, symlinkat, ...) their
                // directory fd, the first fd after the result.
                e.params
                    .iter()
                    .position(|p| p.name == "fd")
                    .or_else(|| {
                        (uses && e.direction == Direction::Exit)
                            .then(|| {
                                e.params
                                    .iter()
                                    .skip(1)
                                    .position(|p| p.ptype == ringbuf_abi::ParamType::Fd)
                                    .map(|k| k + 1)
                            })
                            .flatten()
                    })
                    .map(|p| p as u8)
            } else {
                None
            };
        }
        s
    })
}

/// The parameter holding the fd event `evtype` uses or creates (libs' `m_lastevent_fd`).
pub(crate) fn fd_param(evtype: u16) -> Option<u8> {
    schema().fd_param.get(evtype as usize).copied().flatten()
}

/// For the exit of an open-family syscall (`open`, `openat`, `openat2`, `creat`,
/// `open_by_handle_at`, any version), where its `flags` and `mode` are: one table read, for
/// `evt.is_open_*`. `None` for every other event.
pub(crate) fn open_params(evtype: u16) -> Option<OpenParams> {
    schema().open.get(evtype as usize).copied().flatten()
}

fn action_of(name: &str, dir: Direction) -> Action {
    use Action::*;
    if dir == Direction::Enter {
        return match name {
            "connect" | "open" | "openat" | "openat2" | "creat" => EnterKeep,
            "procexit" => Procexit,
            "container" => Container,
            _ => None,
        };
    }
    match name {
        "clone" | "fork" | "vfork" | "clone3" => Clone,
        "execve" | "execveat" => Execve,
        "procexit" => Procexit,
        "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => Open,
        "socket" => Socket,
        "bind" => Bind,
        "connect" => Connect,
        "accept" | "accept4" => Accept,
        "socketpair" => Socketpair,
        "pipe" | "pipe2" => Pipe,
        "eventfd" | "eventfd2" => NewFd(FdKind::Event),
        "signalfd" | "signalfd4" => NewFd(FdKind::Signalfd),
        "timerfd_create" => NewFd(FdKind::Timerfd),
        "inotify_init" | "inotify_init1" => NewFd(FdKind::Inotify),
        "epoll_create" | "epoll_create1" => NewFd(FdKind::Eventpoll),
        "userfaultfd" => NewFd(FdKind::Userfaultfd),
        "io_uring_setup" => NewFd(FdKind::IoUring),
        "pidfd_open" => NewFd(FdKind::Pidfd),
        "bpf" => NewFd(FdKind::Bpf),
        "memfd_create" => Memfd,
        "dup" | "dup2" | "dup3" => Dup,
        "fcntl" => Fcntl,
        "close" => Close,
        "chdir" => Chdir,
        "fchdir" => Fchdir,
        "setuid" => SetUid,
        "setgid" => SetGid,
        "setresuid" | "setreuid" => SetResUid,
        "setresgid" | "setregid" => SetResGid,
        "prctl" => Prctl,
        "capset" => Capset,
        "setsid" => Setsid,
        "chroot" => Chroot,
        "sendto" | "recvfrom" | "sendmsg" | "recvmsg" | "send" | "recv" => TupleIo,
        _ => None,
    }
}

/// libsinsp keeps the cwd with a trailing slash.
pub(crate) fn normalize_cwd(cwd: &mut String) {
    if !cwd.ends_with('/') {
        cwd.push('/');
    }
}

/// Derives the container id from the cgroups; libsinsp 0.20 reports `""` (not `host`) for
/// a process in a private PID namespace whose cgroup names no container.
pub(crate) fn set_container(t: &mut ThreadInfo) {
    match container_from_cgroups(t.cgroups.iter().map(|(_, p)| p.as_str())) {
        Some((id, kind)) => {
            t.container_id = id;
            t.container_type = kind;
        }
        None => {
            t.container_id = if t.in_pid_namespace() {
                String::new()
            } else {
                "host".to_string()
            };
            t.container_type = "";
        }
    }
}

fn lossy(b: &[u8]) -> String {
    // Valid UTF-8 (nearly every name) is checked by the faster `from_utf8`.
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
    }
}

fn parse_cgroups(b: &[u8]) -> Vec<(String, String)> {
    split_nul(b)
        .filter_map(|item| {
            let s = std::str::from_utf8(item).ok()?;
            let (k, v) = s.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

fn parse_list(b: &[u8]) -> Vec<String> {
    split_nul(b).map(lossy).collect()
}

/// `ip:port` as libsinsp prints it (IPv6 without brackets).
pub(crate) fn write_addr(out: &mut String, ip: &IpAddr, port: u16) {
    let mut v = Vec::new();
    super::fd::write_ip_port(&mut v, ip, port);
    out.push_str(&String::from_utf8_lossy(&v));
}

/// A v4-mapped IPv6 address becomes IPv4, as libsinsp does for tuples.
fn ip6(a: [u8; 16]) -> IpAddr {
    if a[..10].iter().all(|&b| b == 0) && a[10] == 0xff && a[11] == 0xff {
        IpAddr::V4([a[12], a[13], a[14], a[15]])
    } else {
        IpAddr::V6(a)
    }
}

/// The IPv4 address in the last four bytes of a v4-mapped IPv6 address.
fn v4_tail(a: &[u8; 16]) -> IpAddr {
    IpAddr::V4([a[12], a[13], a[14], a[15]])
}

fn tuple_name(cip: &IpAddr, cport: u16, sip: &IpAddr, sport: u16) -> String {
    let mut s = String::with_capacity(48);
    write_addr(&mut s, cip, cport);
    s.push_str("->");
    write_addr(&mut s, sip, sport);
    s
}

fn l4_of(kind: &FdKind) -> u8 {
    match kind {
        FdKind::Ip { l4proto, .. }
        | FdKind::IpServer { l4proto, .. }
        | FdKind::IpUnbound { l4proto, .. } => *l4proto,
        _ => l4::UNKNOWN,
    }
}

/// The EINPROGRESS errno, accepted as a successful non-blocking connect.
const EINPROGRESS: i64 = -115;
/// `AT_FDCWD` as the driver reports it.
const AT_FDCWD: i64 = -100;
/// `PPM_O_DIRECTORY`.
const PPM_O_DIRECTORY: u32 = 1 << 10;

/// Whether an event of an unknown thread adds it: not scheduler or internal events (the idle
/// task's `switch`) nor those libsinsp parses without a thread (`EF_SKIPPARSERESET`).
fn makes_thread(evtype: usize) -> bool {
    use ringbuf_abi::schema::category::{EC_INTERNAL, EC_SCHEDULER};
    EVENT_TABLE.get(evtype).is_some_and(|i| {
        i.flags & ef::EF_SKIPPARSERESET == 0 && i.category & (EC_INTERNAL | EC_SCHEDULER) == 0
    })
}

/// A thread seen for the first time in an event other than its clone or execve: libsinsp
/// adds an entry without a name so later lookups have a home. Like libsinsp 0.25's
/// placeholder (`sinsp_thread_manager::get_thread`, "Add a fake entry"), its process id is
/// -1: `proc.pid` reads -1, and it has an fd table of its own ([`ThreadInfo::fd_table_key`]).
fn add_unknown_thread(s: &mut State, tid: i64) {
    s.threads.insert(unknown_thread(tid));
}

/// libsinsp's entry for a thread it knows nothing about: no name, invalid user, group and
/// session, on the host.
fn unknown_thread(tid: i64) -> ThreadInfo {
    let mut t = ThreadInfo {
        tid,
        pid: -1,
        ptid: -1,
        vtid: -1,
        vpid: -1,
        sid: -1,
        comm: "<NA>".into(),
        exe: "<NA>".into(),
        uid: u32::MAX,
        gid: u32::MAX,
        loginuid: u32::MAX,
        ..ThreadInfo::default()
    };
    set_container(&mut t);
    t
}

/// Sets the event metadata (number, times, thread, fd) for an event that leaves the tables
/// as they are: an enter event the converter folds into its exit, shown by a viewer.
pub(crate) fn describe(s: &mut State, rec: Record<'_>) {
    let evtype = rec.evtype() as usize;
    begin(s, &rec);
    // The thread's entry exists from its first event on, as in libsinsp.
    let tid = rec.tid() as i64;
    if tid > 0 && makes_thread(evtype) && s.threads.get(tid).is_none() {
        add_unknown_thread(s, tid);
    }
    if let Some(i) = schema().fd_param.get(evtype).copied().flatten() {
        s.meta.fd = Params::new(rec).int(i as usize).filter(|&fd| fd >= 0);
    }
}

/// The metadata every event sets before its parameters are looked at.
fn begin(s: &mut State, rec: &Record<'_>) {
    let ts = rec.ts();
    let m = &mut s.meta;
    m.num += 1;
    m.ts = ts;
    if m.first_ts == 0 {
        m.first_ts = ts;
    }
    m.prev_ts = s.last_ts;
    s.last_ts = ts;
    m.tid = rec.tid() as i64;
    m.fd = None;
    m.fd_name_changed = false;
    m.enter_ts = 0;
}

pub(crate) fn process(s: &mut State, rec: Record<'_>) {
    let evtype = rec.evtype() as usize;
    let sch = schema();
    let tid = rec.tid() as i64;
    let ts = rec.ts();
    begin(s, &rec);
    let p = Params::new(rec);
    let action = sch.action.get(evtype).copied().unwrap_or(Action::None);
    let fd_idx = sch.fd_param.get(evtype).copied().flatten();
    if let Some(i) = fd_idx {
        s.meta.fd = p.int(i as usize).filter(|&fd| fd >= 0);
    }
    // Exits of kept enters: take the enter's timestamp and, when the exit lacks it, its fd.
    if action != Action::EnterKeep && !s.enters.is_empty() {
        if let Some(e) = s.enters.get(&tid) {
            if EVENT_TABLE.get(evtype).map(|x| x.direction) == Some(Direction::Exit)
                && e.evtype as usize + 1 == evtype
            {
                s.meta.enter_ts = e.ts;
                if s.meta.fd.is_none() && action == Action::Connect {
                    s.meta.fd = e.fd;
                }
                s.enters.remove(&tid);
            }
        }
    }
    if tid > 0
        && !matches!(action, Action::Clone | Action::Execve | Action::Procexit)
        && makes_thread(evtype)
        && s.threads.get(tid).is_none()
    {
        add_unknown_thread(s, tid);
    }
    match action {
        Action::None => {}
        Action::EnterKeep => {
            let fd = p.int_named("fd");
            s.enters.insert(
                tid,
                PendingEnter {
                    evtype: evtype as u16,
                    ts,
                    fd,
                },
            );
        }
        Action::Clone => {
            let vfork = EVENT_TABLE.get(evtype).is_some_and(|i| i.name == "vfork");
            parse_clone(s, &p, tid, ts, vfork)
        }
        Action::Execve => parse_execve(s, &p, tid),
        Action::Procexit => parse_procexit(s, &p, tid),
        Action::Open => parse_open(s, &p, tid),
        Action::Socket => parse_socket(s, &p, tid),
        Action::Bind => parse_bind(s, &p, tid),
        Action::Connect => parse_connect(s, &p, tid),
        Action::Accept => parse_accept(s, &p, tid),
        Action::Socketpair => parse_socketpair(s, &p, tid),
        Action::Pipe => parse_pipe(s, &p, tid),
        Action::NewFd(kind) => {
            let fd = p.int(0).unwrap_or(-1);
            if fd >= 0 {
                s.meta.fd = Some(fd);
                add_fd(
                    s,
                    tid,
                    FdInfo {
                        fd,
                        kind,
                        ..FdInfo::default()
                    },
                );
            }
        }
        Action::Memfd => {
            let fd = p.int_named("fd").unwrap_or(-1);
            if fd >= 0 {
                let name = format!(
                    "memfd:{}",
                    String::from_utf8_lossy(p.str_named("name").unwrap_or(b""))
                );
                add_fd(
                    s,
                    tid,
                    FdInfo {
                        fd,
                        kind: FdKind::Memfd,
                        nameraw: name.clone(),
                        name,
                        ..FdInfo::default()
                    },
                );
            }
        }
        Action::Dup => {
            let res = p.int(0).unwrap_or(-1);
            if res >= 0 {
                s.meta.fd = Some(res);
                if let Some(old) = p.int_named("oldfd").or_else(|| p.int_named("fd")) {
                    // An unknown source adds nothing: the event's fd stays the old one.
                    if s.fd_of(tid, old).is_none() {
                        s.meta.fd = Some(old);
                    }
                    dup_fd(s, tid, old, res);
                }
            }
        }
        Action::Fcntl => {
            use ringbuf_abi::ppm::fcntl::{F_DUPFD, F_DUPFD_CLOEXEC};
            let res = p.int(0).unwrap_or(-1);
            let cmd = p.uint_named("cmd").unwrap_or(0);
            if res >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
                if let Some(old) = p.int_named("fd") {
                    dup_fd(s, tid, old, res);
                }
            }
        }
        Action::Close => {
            let res = p.int(0).unwrap_or(-1);
            if let (0, Some(fd)) = (res, p.int_named("fd")) {
                if let Some(t) = s.threads.get(tid) {
                    s.deferred.close_fd = Some((t.fd_table_key(), fd));
                }
            }
        }
        Action::Chdir => {
            if p.int(0) == Some(0) {
                if let (Some(path), Some(t)) = (p.str_named("path"), s.threads.get_mut(tid)) {
                    let mut cwd = path::resolve(&t.cwd, path);
                    normalize_cwd(&mut cwd);
                    set_cwd(s, tid, cwd);
                }
            }
        }
        Action::Fchdir => {
            if p.int(0) == Some(0) {
                if let Some(fd) = p.int_named("fd") {
                    if let Some(mut cwd) = s.fd_of(tid, fd).map(|f| f.name.clone()) {
                        normalize_cwd(&mut cwd);
                        set_cwd(s, tid, cwd);
                    }
                }
            }
        }
        Action::SetUid | Action::SetResUid => {
            let name = if action == Action::SetUid {
                "uid"
            } else {
                "euid"
            };
            // libsinsp 0.25 (`set_evt_thread_user`) sets the calling thread's uid to the
            // parameter as it is, -1 (unchanged, u32::MAX) included: `user.uid` then reads
            // 4294967295. Only an empty parameter leaves it.
            if p.int(0) == Some(0) {
                if let (Some(uid), Some(t)) = (p.uint_named(name), s.threads.get_mut(tid)) {
                    t.uid = uid as u32;
                }
            }
        }
        Action::SetGid | Action::SetResGid => {
            let name = if action == Action::SetGid {
                "gid"
            } else {
                "egid"
            };
            // As for the uid (`set_evt_thread_group`): the thread's gid, -1 included.
            if p.int(0) == Some(0) {
                if let (Some(gid), Some(t)) = (p.uint_named(name), s.threads.get_mut(tid)) {
                    t.gid = gid as u32;
                }
            }
        }
        Action::Prctl => {
            if p.int(0) == Some(0)
                && p.uint_named("option") == Some(ringbuf_abi::ppm::prctl::PR_SET_NAME)
            {
                if let (Some(name), Some(t)) = (p.str_named("arg2_str"), s.threads.get_mut(tid)) {
                    t.comm = lossy(name);
                }
            }
        }
        Action::Capset => {
            if p.int(0) == Some(0) {
                let (i, pm, e) = (
                    p.uint_named("cap_inheritable"),
                    p.uint_named("cap_permitted"),
                    p.uint_named("cap_effective"),
                );
                if let Some(t) = s.threads.get_mut(tid) {
                    if let (Some(i), Some(pm), Some(e)) = (i, pm, e) {
                        t.cap_inheritable = i;
                        t.cap_permitted = pm;
                        t.cap_effective = e;
                    }
                }
            }
        }
        Action::Setsid => {
            if let Some(sid) = p.int(0).filter(|&r| r >= 0) {
                if let Some(t) = s.threads.get_mut(tid) {
                    t.sid = sid;
                }
            }
        }
        Action::Chroot => {
            if p.int(0) == Some(0) {
                if let (Some(path), Some(t)) = (p.str_named("path"), s.threads.get_mut(tid)) {
                    t.root = path::resolve(&t.cwd, path);
                }
            }
        }
        Action::TupleIo => parse_tuple_io(s, &p, tid),
        Action::Container => parse_container(s, &p),
    }
}

/// A `container` event of a capture (`PPME_CONTAINER_JSON_E`/`_2_E`: libsinsp's JSON; the
/// older `PPME_CONTAINER_E` reaches the state upgraded to a JSON event without JSON, as libs'
/// converter upgrades it). Remembered for the threads of that container and for the event's
/// own fields; an unreadable or empty one is skipped, as the container plugin skips it.
fn parse_container(s: &mut State, p: &Params<'_>) {
    let Some(Ok(info)) = p.raw_named("json").map(super::container_json::parse) else {
        return;
    };
    s.add_captured_container(info);
}

fn for_process(s: &mut State, tid: i64, mut f: impl FnMut(&mut ThreadInfo)) {
    let Some(pid) = s.threads.get(tid).map(|t| t.pid) else {
        return;
    };
    if pid < 0 {
        // A thread of unknown process: it shares nothing.
        if let Some(t) = s.threads.get_mut(tid) {
            f(t);
        }
        return;
    }
    s.threads.update_where(|t| t.pid == pid, f);
}

fn set_cwd(s: &mut State, tid: i64, cwd: String) {
    // The cwd is per process (threads share fs unless cloned without CLONE_FS).
    for_process(s, tid, |t| t.cwd = cwd.clone());
}

fn add_fd(s: &mut State, tid: i64, info: FdInfo) {
    let pid = s.threads.get(tid).map_or(tid, ThreadInfo::fd_table_key);
    // libsinsp's `add_fd` makes the new fd the event's (`m_lastevent_fd`): `fd.num` and
    // `fd.*` of fcntl(F_DUPFD), pipe, socketpair name the fd just made.
    if tid == s.meta.tid && info.fd >= 0 {
        s.meta.fd = Some(info.fd);
    }
    let max = s.limits.max_fds_per_process;
    s.fdtables
        .entry(pid)
        .or_default()
        .insert(info, max, &mut s.fd_counters);
}

/// dup family and fcntl(F_DUPFD): the new fd becomes a copy of the old one. Like libsinsp's
/// `parse_dup_exit`, an unknown source leaves the table as it is (the new number keeps
/// whatever it named before).
fn dup_fd(s: &mut State, tid: i64, old: i64, new: i64) {
    if let Some(mut info) = s.fd_of(tid, old).cloned() {
        info.fd = new;
        add_fd(s, tid, info);
    }
}

/// libsinsp's `CLONE_STALE_TIME_NS`: a thread entry older than this when the child's half of
/// clone arrives is a leftover of a lost procexit.
const CLONE_STALE_TIME_NS: u64 = 2_000_000_000;

/// clone/fork/vfork/clone3 exit, as libsinsp 0.25's `parse_clone_exit`: the caller's half
/// (`res` = child tid) creates the child unless the child's half came first
/// (`CLONE_INVERTED`), the child lives in another PID namespace, or it is a vfork (whose
/// child may already have run and exited); the child's half (`res` = 0) creates it from its
/// own parameters and its parent (or thread leader) unless the caller just did.
fn parse_clone(s: &mut State, p: &Params<'_>, tid: i64, ts: u64, vfork: bool) {
    let Some(res) = p.int(0) else { return };
    if res < 0 {
        return;
    }
    let flags = p.uint_named("flags").unwrap_or(0) as u32;
    if res == 0 {
        parse_clone_child(s, p, tid, ts, flags);
    } else {
        parse_clone_caller(s, p, tid, res, ts, flags, vfork);
    }
}

/// The child's fields every half takes from the event: exe, args, comm, fdlimit, memory,
/// uid/gid, cgroups.
fn clone_from_params(t: &mut ThreadInfo, p: &Params<'_>) {
    if let Some(v) = p.str_named("exe") {
        t.exe = lossy(v);
    }
    if let Some(a) = p.present_named("args") {
        t.args = parse_list(a);
    }
    match p.str_named("comm") {
        Some(c) => t.comm = lossy(c),
        None => t.comm = t.exe.clone(),
    }
    if let Some(v) = p.int_named("fdlimit") {
        t.fdlimit = v;
    }
    if let Some(v) = p.uint_named("uid") {
        t.uid = v as u32;
    }
    if let Some(v) = p.uint_named("gid") {
        t.gid = v as u32;
    }
    if let Some(c) = p.raw_named("cgroups") {
        t.cgroups = parse_cgroups(c);
    }
}

/// What a new thread inherits from the thread it was cloned from (libsinsp: exepath, exe
/// flags, root, sid, process groups, tty, loginuid, capabilities, exe inode); a new process
/// also gets its cwd and environment.
fn inherit(t: &mut ThreadInfo, from: &ThreadInfo) {
    t.exepath = from.exepath.clone();
    t.exe_writable = from.exe_writable;
    t.exe_upper_layer = from.exe_upper_layer;
    t.exe_lower_layer = from.exe_lower_layer;
    t.exe_from_memfd = from.exe_from_memfd;
    t.root = from.root.clone();
    t.sid = from.sid;
    t.vpgid = from.vpgid;
    t.pgid = from.pgid;
    t.tty = from.tty;
    t.loginuid = from.loginuid;
    t.cap_permitted = from.cap_permitted;
    t.cap_inheritable = from.cap_inheritable;
    t.cap_effective = from.cap_effective;
    t.exe_ino = from.exe_ino;
    t.exe_ino_ctime = from.exe_ino_ctime;
    t.exe_ino_mtime = from.exe_ino_mtime;
    t.pidns_init_start_ts = from.pidns_init_start_ts;
    // Threads share the process's cwd and environment; this table keeps them per thread, so
    // a thread copies them too.
    t.cwd = from.cwd.clone();
    t.env = from.env.clone();
}

/// A new process gets a copy of its parent's fds; a thread shares them by pid.
fn copy_fds(s: &mut State, from_pid: Option<i64>, child: &ThreadInfo) {
    if child.pid != child.tid {
        return;
    }
    if let Some(pp) = from_pid.filter(|&pp| pp != child.pid) {
        if let Some(ft) = s.fdtables.get(&pp).cloned() {
            s.fdtables.insert(child.pid, ft);
        }
    } else if from_pid.is_none() {
        s.fdtables.remove(&child.pid);
    }
}

fn parse_clone_caller(
    s: &mut State,
    p: &Params<'_>,
    caller_tid: i64,
    child_tid: i64,
    ts: u64,
    flags: u32,
    vfork: bool,
) {
    if s.threads.get(caller_tid).is_none() {
        add_unknown_thread(s, caller_tid);
    }
    let Some(caller) = s.threads.get_mut(caller_tid) else {
        return;
    };
    // An entry made up for an unknown thread: fill in what the event tells.
    let valid_caller = caller.ptid != -1 || caller.exe != "<NA>";
    if !valid_caller {
        caller.pid = p.int_named("pid").unwrap_or(caller.pid);
        caller.ptid = p.int_named("ptid").unwrap_or(caller.ptid);
        match (p.int_named("vtid"), p.int_named("vpid")) {
            (Some(vt), Some(vp)) => {
                caller.vtid = vt;
                caller.vpid = vp;
            }
            _ => {
                caller.vtid = caller_tid;
                caller.vpid = -1;
            }
        }
    }
    let caller = caller.clone();
    // A placeholder that learnt its process keeps the fds it had (libsinsp's threadinfo keeps
    // its own table).
    if !valid_caller && caller.pid >= 0 {
        if let Some(ft) = s.fdtables.remove(&-caller_tid.max(1)) {
            s.fdtables.entry(caller.pid).or_insert(ft);
        }
    }
    // The child's half creates children in other PID namespaces (the caller does not know
    // their ids), and those of vforks.
    // (A vtid of 0 is a bootstrap entry that never learnt it: not a namespace.)
    if flags & (cl::CHILD_IN_PIDNS | cl::CLONE_NEWPID | cl::CLONE_PARENT) != 0
        || (caller.vtid > 0 && caller_tid != caller.vtid)
        || flags & cl::CLONE_VFORK != 0
        || vfork
    {
        return;
    }
    if let Some(existing) = s.threads.get(child_tid) {
        if existing.flags & cl::CLONE_INVERTED != 0 {
            return;
        }
        s.threads.remove(child_tid);
    }
    let mut t = ThreadInfo {
        tid: child_tid,
        flags,
        ..ThreadInfo::default()
    };
    let thread = flags & cl::CLONE_THREAD != 0;
    if thread {
        t.pid = caller.pid;
        t.ptid = caller.ptid;
        t.flags |= cl::CLONE_FILES;
    } else {
        t.pid = child_tid;
        t.ptid = caller.tid;
    }
    t.vtid = t.tid;
    t.vpid = t.pid;
    clone_from_params(&mut t, p);
    t.clone_ts = ts;
    if valid_caller {
        inherit(&mut t, &caller);
    } else if let Some(c) = s.threads.get_mut(caller_tid) {
        c.exe = t.exe.clone();
        c.comm = t.comm.clone();
        c.args = t.args.clone();
    }
    if let Some(v) = p.uint_named("pidns_init_start_ts") {
        t.pidns_init_start_ts = v;
    }
    if !thread {
        copy_fds(s, valid_caller.then_some(caller.pid), &t);
    }
    s.threads.counters.added += 1;
    set_container(&mut t);
    s.threads.insert(t);
}

fn parse_clone_child(s: &mut State, p: &Params<'_>, child_tid: i64, ts: u64, flags: u32) {
    if let Some(t) = s.threads.get(child_tid) {
        if t.clone_ts != 0 && ts.saturating_sub(t.clone_ts) < CLONE_STALE_TIME_NS {
            // The caller's half made it: nothing to add.
            return;
        }
        s.threads.remove(child_tid);
    }
    let mut t = ThreadInfo {
        tid: child_tid,
        pid: p.int_named("pid").unwrap_or(child_tid),
        ptid: p.int_named("ptid").unwrap_or(-1),
        flags: flags | cl::CLONE_INVERTED,
        ..ThreadInfo::default()
    };
    match (p.int_named("vtid"), p.int_named("vpid")) {
        (Some(vt), Some(vp)) => {
            t.vtid = vt;
            t.vpid = vp;
        }
        _ => {
            t.vtid = child_tid;
            t.vpid = -1;
        }
    }
    let leader = flags & cl::CLONE_THREAD == 0;
    let lookup_tid = if leader { t.ptid } else { t.pid };
    if !leader {
        t.flags |= cl::CLONE_FILES;
    }
    clone_from_params(&mut t, p);
    let lookup = s.threads.get(lookup_tid).cloned();
    let valid_lookup = lookup
        .as_ref()
        .is_some_and(|l| l.ptid != -1 || l.exe != "<NA>");
    match &lookup {
        Some(l) if valid_lookup => inherit(&mut t, l),
        _ => {}
    }
    if !valid_lookup && !leader {
        if let Some(l) = s.threads.get_mut(lookup_tid) {
            l.exe = t.exe.clone();
            l.comm = t.comm.clone();
            l.args = t.args.clone();
        }
    }
    t.clone_ts = ts;
    if let Some(v) = p.uint_named("pidns_init_start_ts") {
        t.pidns_init_start_ts = v;
    }
    if t.vtid > 0 && t.vtid != t.tid {
        t.flags |= cl::CHILD_IN_PIDNS;
    }
    if leader {
        copy_fds(
            s,
            valid_lookup
                .then(|| lookup.as_ref().map(|l| l.pid))
                .flatten(),
            &t,
        );
    }
    s.threads.counters.added += 1;
    set_container(&mut t);
    s.threads.insert(t);
}

fn parse_execve(s: &mut State, p: &Params<'_>, tid: i64) {
    if p.int(0) != Some(0) {
        return;
    }
    let mut t = match s.threads.get(tid) {
        Some(t) => t.clone(),
        None => ThreadInfo {
            pid: p.int_named("pid").unwrap_or(tid),
            ptid: p.int_named("ptid").unwrap_or(0),
            vtid: tid,
            vpid: p.int_named("pid").unwrap_or(tid),
            ..unknown_thread(tid)
        },
    };
    if let Some(v) = p.str_named("exe") {
        t.exe = lossy(v);
    }
    if let Some(a) = p.present_named("args") {
        t.args = parse_list(a);
    }
    if let Some(v) = p.str_named("comm") {
        t.comm = lossy(v);
    }
    // An empty cwd (the 2022 drivers always sent one) says nothing: the cwd stays the one
    // inherited and followed through chdir, as libsinsp keeps it.
    if let Some(c) = p.str_named("cwd").filter(|c| !c.is_empty()) {
        t.cwd = lossy(c);
        normalize_cwd(&mut t.cwd);
    }
    if let Some(v) = p.int_named("fdlimit") {
        t.fdlimit = v;
    }
    if let Some(c) = p.raw_named("cgroups") {
        t.cgroups = parse_cgroups(c);
    }
    if let Some(e) = p.raw_named("env") {
        t.env = parse_list(e);
    }
    if let Some(v) = p.uint_named("tty") {
        t.tty = v as u32;
    }
    if let Some(v) = p.int_named("vpgid") {
        t.vpgid = v;
    }
    if let Some(v) = p.int_named("pgid") {
        t.pgid = v;
    }
    if let Some(v) = p.uint_named("loginuid") {
        t.loginuid = v as u32;
    }
    if let Some(f) = p.uint_named("flags") {
        let f = f as u32;
        t.exe_writable = f & exe_flags::WRITABLE != 0;
        t.exe_upper_layer = f & exe_flags::UPPER_LAYER != 0;
        t.exe_from_memfd = f & exe_flags::FROM_MEMFD != 0;
        t.exe_lower_layer = f & exe_flags::LOWER_LAYER != 0;
    }
    if let Some(v) = p.uint_named("cap_inheritable") {
        t.cap_inheritable = v;
    }
    if let Some(v) = p.uint_named("cap_permitted") {
        t.cap_permitted = v;
    }
    if let Some(v) = p.uint_named("cap_effective") {
        t.cap_effective = v;
    }
    if let Some(v) = p.uint_named("exe_ino") {
        t.exe_ino = v;
    }
    if let Some(v) = p.uint_named("exe_ino_ctime") {
        t.exe_ino_ctime = v;
    }
    if let Some(v) = p.uint_named("exe_ino_mtime") {
        t.exe_ino_mtime = v;
    }
    if let Some(v) = p.uint_named("uid") {
        t.uid = v as u32;
    }
    if let Some(v) = p.uint_named("gid") {
        t.gid = v as u32;
    }
    // The executable's path: the kernel's when it sent one, else the filename resolved
    // against the cwd (libsinsp's fallback), else argv[0] when absolute.
    t.exepath = match (p.str_named("trusted_exepath"), p.str_named("filename")) {
        (Some(x), _) => lossy(x),
        (None, Some(f)) => path::resolve(&t.cwd, f),
        (None, None) if t.exe.starts_with('/') => t.exe.clone(),
        (None, None) => t.exepath.clone(),
    };
    t.flags |= cl::NAME_CHANGED;
    set_container(&mut t);
    s.threads.insert(t);
}

fn parse_procexit(s: &mut State, p: &Params<'_>, tid: i64) {
    let Some(dying) = s.threads.get(tid).cloned() else {
        return;
    };
    // The reaper of the children: the kernel's answer when it sent one, else another thread
    // of the same process, else init.
    let reaper = p
        .int_named("reaper_tid")
        .filter(|&r| r > 0)
        .or_else(|| {
            s.threads
                .iter()
                .find(|o| o.pid == dying.pid && o.tid != tid && !o.dead)
                .map(|o| o.tid)
        })
        .unwrap_or(1);
    s.threads
        .update_where(|t| t.ptid == tid && t.tid != tid, |t| t.ptid = reaper);
    if let Some(t) = s.threads.get_mut(tid) {
        t.dead = true;
        t.flags |= cl::CLOSED;
    }
    s.deferred.remove_thread = Some(tid);
}

fn parse_open(s: &mut State, p: &Params<'_>, tid: i64) {
    let fd = p.int(0).unwrap_or(-1);
    if fd < 0 {
        return;
    }
    let Some(t) = s.threads.get(tid) else {
        return;
    };
    let raw = p
        .str_named("name")
        .or_else(|| p.str_named("path"))
        .unwrap_or(b"");
    let base: &str = match p.int_named("dirfd") {
        Some(d) if d != AT_FDCWD => s.fd_of(tid, d).map_or("", |f| f.name.as_str()),
        _ => &t.cwd,
    };
    let name = path::resolve(base, raw);
    let flags = p.uint_named("flags").unwrap_or(0) as u32;
    let kind = if flags & PPM_O_DIRECTORY != 0 {
        FdKind::Directory
    } else {
        FdKind::File
    };
    let info = FdInfo {
        fd,
        ino: p.uint_named("ino").unwrap_or(0),
        kind,
        name,
        nameraw: lossy(raw),
        open_flags: flags,
        dev: p.uint_named("dev").unwrap_or(0) as u32,
        ..FdInfo::default()
    };
    add_fd(s, tid, info);
}

fn parse_socket(s: &mut State, p: &Params<'_>, tid: i64) {
    let fd = p.int(0).unwrap_or(-1);
    if fd < 0 {
        return;
    }
    let domain = p.uint_named("domain").unwrap_or(0) as u8;
    let stype = p.uint_named("type").unwrap_or(0) & 0xf;
    let proto = p.uint_named("proto").unwrap_or(0);
    let l4proto = match (stype, proto) {
        (_, 6) | (1, 0) => l4::TCP,
        (_, 17) | (2, 0) => l4::UDP,
        (_, 1) | (_, 58) => l4::ICMP,
        (3, _) => l4::RAW,
        _ => l4::UNKNOWN,
    };
    let kind = match domain {
        af::INET => FdKind::IpUnbound { v6: false, l4proto },
        af::INET6 => FdKind::IpUnbound { v6: true, l4proto },
        af::UNIX => FdKind::Unix { source: 0, dest: 0 },
        af::NETLINK => FdKind::Netlink,
        _ => FdKind::Unknown,
    };
    add_fd(
        s,
        tid,
        FdInfo {
            fd,
            kind,
            ..FdInfo::default()
        },
    );
}

fn parse_bind(s: &mut State, p: &Params<'_>, tid: i64) {
    if p.int(0) != Some(0) {
        return;
    }
    let (Some(fd), Some(addr)) = (p.int_named("fd").or(s.meta.fd), p.raw_named("addr")) else {
        return;
    };
    let Some(addr) = sockaddr(addr) else { return };
    let Some(pid) = s.threads.get(tid).map(ThreadInfo::fd_table_key) else {
        return;
    };
    let Some(info) = s.fdtables.get_mut(&pid).and_then(|t| t.get_mut(fd)) else {
        return;
    };
    let l4proto = l4_of(&info.kind);
    let (ip, port) = match addr {
        SockAddr::Inet(ip, port) => (IpAddr::V4(ip), port),
        SockAddr::Inet6(ip, port) => (ip6(ip), port),
        SockAddr::Unix(path) => {
            info.name = lossy(path);
            return;
        }
        SockAddr::Other(_) => return,
    };
    let mut name = String::new();
    write_addr(&mut name, &ip, port);
    info.name = name;
    // libsinsp makes the socket a server only for a real port: a bind to port 0 (let the
    // kernel pick) leaves it an unconnected socket.
    if port > 0 {
        info.kind = FdKind::IpServer { ip, port, l4proto };
        info.is_server = true;
    }
}

fn set_tuple(info: &mut FdInfo, tuple: SockTuple<'_>, server: bool) -> bool {
    let l4proto = l4_of(&info.kind);
    let (a, ap, b, bp) = match tuple {
        SockTuple::Inet(a, ap, b, bp) => (IpAddr::V4(a), ap, IpAddr::V4(b), bp),
        SockTuple::Inet6(a, ap, b, bp) => {
            // As libsinsp: the tuple is IPv4 only when both ends are v4-mapped (or all zero).
            if is_v4_mapped(&a) && is_v4_mapped(&b) {
                (v4_tail(&a), ap, v4_tail(&b), bp)
            } else {
                (IpAddr::V6(a), ap, IpAddr::V6(b), bp)
            }
        }
        SockTuple::Unix(src, dst, path) => {
            // libs names a unix socket by its tuple, as get_param_as_str prints it.
            let name = format!("{src:x}->{dst:x} {}", lossy(path));
            let changed = name != info.name;
            info.kind = FdKind::Unix {
                source: src,
                dest: dst,
            };
            info.name = name;
            info.is_server = server;
            return changed;
        }
        SockTuple::Other(_) => return false,
    };
    // libsinsp's update_ipv*_addresses_and_ports: the same connection seen from either end
    // (a recvfrom reports the peer as source) leaves the socket as it is.
    if let FdKind::Ip {
        cip,
        cport,
        sip,
        sport,
        ..
    } = info.kind
    {
        if (cip, cport, sip, sport) == (a, ap, b, bp) || (cip, cport, sip, sport) == (b, bp, a, ap)
        {
            return false;
        }
    }
    info.kind = FdKind::Ip {
        cip: a,
        cport: ap,
        sip: b,
        sport: bp,
        l4proto,
    };
    let name = tuple_name(&a, ap, &b, bp);
    let changed = name != info.name;
    info.name = name;
    info.is_server = server;
    changed
}

fn parse_connect(s: &mut State, p: &Params<'_>, tid: i64) {
    let res = p.int(0).unwrap_or(-1);
    let Some(fd) = s.meta.fd else { return };
    let Some(pid) = s.threads.get(tid).map(ThreadInfo::fd_table_key) else {
        return;
    };
    let Some(info) = s.fdtables.get_mut(&pid).and_then(|t| t.get_mut(fd)) else {
        return;
    };
    if res != 0 && res != EINPROGRESS {
        return;
    }
    if let Some(t) = p.raw_named("tuple").and_then(socktuple) {
        s.meta.fd_name_changed = set_tuple(info, t, false);
        info.connected = true;
        info.is_client = !info.is_server;
    }
}

fn parse_accept(s: &mut State, p: &Params<'_>, tid: i64) {
    let fd = p.int(0).unwrap_or(-1);
    if fd < 0 {
        return;
    }
    let mut info = FdInfo {
        fd,
        connected: true,
        ..FdInfo::default()
    };
    if let Some(t) = p.raw_named("tuple").and_then(socktuple) {
        // The listening socket's protocol carries over.
        info.kind = FdKind::IpUnbound {
            v6: false,
            l4proto: l4::TCP,
        };
        set_tuple(&mut info, t, true);
    }
    add_fd(s, tid, info);
}

fn parse_socketpair(s: &mut State, p: &Params<'_>, tid: i64) {
    if p.int(0) != Some(0) {
        return;
    }
    let src = p.uint_named("source").unwrap_or(0);
    let peer = p.uint_named("peer").unwrap_or(0);
    for (name, a, b) in [("fd1", src, peer), ("fd2", peer, src)] {
        if let Some(fd) = p.int_named(name).filter(|&f| f >= 0) {
            add_fd(
                s,
                tid,
                FdInfo {
                    fd,
                    kind: FdKind::Unix { source: a, dest: b },
                    ..FdInfo::default()
                },
            );
            // libsinsp's add_fd makes the last fd added the event's fd (fd.num).
            s.meta.fd = Some(fd);
        }
    }
}

fn parse_pipe(s: &mut State, p: &Params<'_>, tid: i64) {
    if p.int(0) != Some(0) {
        return;
    }
    let ino = p.uint_named("ino").unwrap_or(0);
    for name in ["fd1", "fd2"] {
        if let Some(fd) = p.int_named(name).filter(|&f| f >= 0) {
            add_fd(
                s,
                tid,
                FdInfo {
                    fd,
                    ino,
                    kind: FdKind::Fifo,
                    ..FdInfo::default()
                },
            );
            s.meta.fd = Some(fd);
        }
    }
}

/// sendto/recvfrom and friends carry the tuple of unconnected (UDP) sockets.
fn parse_tuple_io(s: &mut State, p: &Params<'_>, tid: i64) {
    let Some(fd) = s.meta.fd else { return };
    let Some(tuple) = p.raw_named("tuple").and_then(socktuple) else {
        return;
    };
    let Some(pid) = s.threads.get(tid).map(ThreadInfo::fd_table_key) else {
        return;
    };
    let Some(info) = s.fdtables.get_mut(&pid).and_then(|t| t.get_mut(fd)) else {
        return;
    };
    let update = match info.kind {
        FdKind::IpUnbound { .. } => true,
        FdKind::Ip { l4proto, .. } => l4proto == l4::UDP,
        _ => false,
    };
    if update && !matches!(tuple, SockTuple::Unix(..) | SockTuple::Other(_)) {
        let server = info.is_server;
        s.meta.fd_name_changed = set_tuple(info, tuple, server);
    }
}
