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
            s.fd_param[i] = if e.direction == Direction::Exit && creates && first_is_fd {
                Some(0)
            } else if uses || creates {
                e.params
                    .iter()
                    .position(|p| p.name == "fd")
                    .map(|p| p as u8)
            } else {
                None
            };
        }
        s
    })
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
    String::from_utf8_lossy(b).into_owned()
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
/// adds an entry without a name so later lookups (and its fds) have a home. Like
/// sysdig 0.29's libsinsp, the process id is the thread id, so each such thread keeps its
/// own fd table.
fn add_unknown_thread(s: &mut State, tid: i64) {
    s.threads.insert(ThreadInfo {
        tid,
        pid: tid,
        ptid: -1,
        vtid: -1,
        vpid: -1,
        comm: "<NA>".into(),
        exe: "<NA>".into(),
        uid: u32::MAX,
        gid: u32::MAX,
        loginuid: u32::MAX,
        ..ThreadInfo::default()
    });
}

/// Sets the event metadata (number, times, thread, fd) for an event that leaves the tables
/// as they are: an enter event the converter folds into its exit, shown by a viewer.
pub(crate) fn describe(s: &mut State, rec: Record<'_>) {
    let evtype = rec.evtype() as usize;
    begin(s, &rec);
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
        Action::Clone => parse_clone(s, &p, tid, ts),
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
                if let Some(old) = p.int_named("oldfd").or_else(|| p.int_named("fd")) {
                    dup_fd(s, tid, old, res);
                }
                s.meta.fd = Some(res);
            }
        }
        Action::Fcntl => {
            // PPM_FCNTL_F_DUPFD = 1, PPM_FCNTL_F_DUPFD_CLOEXEC = 14.
            let res = p.int(0).unwrap_or(-1);
            let cmd = p.uint_named("cmd").unwrap_or(0);
            if res >= 0 && (cmd == 1 || cmd == 14) {
                if let Some(old) = p.int_named("fd") {
                    dup_fd(s, tid, old, res);
                }
            }
        }
        Action::Close => {
            let res = p.int(0).unwrap_or(-1);
            if let (0, Some(fd)) = (res, p.int_named("fd")) {
                if let Some(t) = s.threads.get(tid) {
                    s.deferred.close_fd = Some((t.pid, fd));
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
            if p.int(0) == Some(0) {
                if let Some(uid) = p.uint_named(name) {
                    // -1 (u32::MAX) leaves the id unchanged.
                    if uid as u32 != u32::MAX {
                        for_process(s, tid, |t| t.uid = uid as u32);
                    }
                }
            }
        }
        Action::SetGid | Action::SetResGid => {
            let name = if action == Action::SetGid {
                "gid"
            } else {
                "egid"
            };
            if p.int(0) == Some(0) {
                if let Some(gid) = p.uint_named(name) {
                    if gid as u32 != u32::MAX {
                        for_process(s, tid, |t| t.gid = gid as u32);
                    }
                }
            }
        }
        Action::Prctl => {
            // PPM_PR_SET_NAME = 15 mirrors Linux's PR_SET_NAME.
            if p.int(0) == Some(0) && p.uint_named("option") == Some(15) {
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
    }
}

fn for_process(s: &mut State, tid: i64, mut f: impl FnMut(&mut ThreadInfo)) {
    let Some(pid) = s.threads.get(tid).map(|t| t.pid) else {
        return;
    };
    for t in s.threads.iter_mut() {
        if t.pid == pid {
            f(t);
        }
    }
}

fn set_cwd(s: &mut State, tid: i64, cwd: String) {
    // The cwd is per process (threads share fs unless cloned without CLONE_FS).
    for_process(s, tid, |t| t.cwd = cwd.clone());
}

fn add_fd(s: &mut State, tid: i64, info: FdInfo) {
    let pid = s.threads.get(tid).map(|t| t.pid).unwrap_or(tid);
    let max = s.limits.max_fds_per_process;
    s.fdtables
        .entry(pid)
        .or_default()
        .insert(info, max, &mut s.fd_counters);
}

fn dup_fd(s: &mut State, tid: i64, old: i64, new: i64) {
    if let Some(mut info) = s.fd_of(tid, old).cloned() {
        info.fd = new;
        add_fd(s, tid, info);
    } else if let Some(pid) = s.threads.get(tid).map(|t| t.pid) {
        // Unknown source: the new fd number no longer means what we knew about it.
        if let Some(t) = s.fdtables.get_mut(&pid) {
            t.remove(new);
        }
    }
}

fn parse_clone(s: &mut State, p: &Params<'_>, tid: i64, ts: u64) {
    let Some(res) = p.int(0) else { return };
    if res < 0 {
        return;
    }
    let flags = p.uint_named("flags").unwrap_or(0) as u32;
    let (child_tid, from_child) = if res == 0 { (tid, true) } else { (res, false) };
    // Start from what the caller knows (the parent thread for the parent's half, the thread
    // named by ptid for the child's half).
    let parent_tid = if from_child {
        p.int_named("ptid").unwrap_or(-1)
    } else {
        tid
    };
    let existing = s.threads.get(child_tid).cloned();
    let base = existing
        .clone()
        .or_else(|| s.threads.get(parent_tid).cloned());
    let mut t = base.unwrap_or_default();
    t.dead = false;
    t.tid = child_tid;
    let str_or = |name: &str, cur: &mut String| {
        if let Some(v) = p.str_named(name) {
            *cur = lossy(v);
        }
    };
    str_or("exe", &mut t.exe);
    str_or("comm", &mut t.comm);
    if let Some(a) = p.present_named("args") {
        t.args = parse_list(a);
    }
    if let Some(c) = p.str_named("cwd") {
        t.cwd = lossy(c);
        normalize_cwd(&mut t.cwd);
    }
    if let Some(c) = p.raw_named("cgroups") {
        t.cgroups = parse_cgroups(c);
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
    if let Some(v) = p.uint_named("pidns_init_start_ts") {
        t.pidns_init_start_ts = v;
    }
    if from_child {
        t.pid = p.int_named("pid").unwrap_or(child_tid);
        t.ptid = p.int_named("ptid").unwrap_or(t.ptid);
        t.vtid = p.int_named("vtid").unwrap_or(child_tid);
        t.vpid = p.int_named("vpid").unwrap_or(t.pid);
    } else if existing.is_none() {
        let parent_pid = p.int_named("pid").unwrap_or(tid);
        let parent_ptid = p.int_named("ptid").unwrap_or(0);
        if flags & cl::CLONE_THREAD != 0 {
            t.pid = parent_pid;
            t.ptid = parent_ptid;
        } else {
            t.pid = child_tid;
            t.ptid = if flags & cl::CLONE_PARENT != 0 {
                parent_ptid
            } else {
                parent_pid
            };
        }
        // The parent's half does not know the child's namespace ids.
        let in_ns = flags & cl::CHILD_IN_PIDNS != 0;
        t.vtid = if in_ns { 0 } else { child_tid };
        t.vpid = if in_ns { 0 } else { t.pid };
    }
    t.flags = (t.flags & !(cl::CLONE_THREAD | cl::CHILD_IN_PIDNS))
        | (flags & (cl::CLONE_THREAD | cl::CHILD_IN_PIDNS));
    if t.vtid > 0 && t.vtid != t.tid {
        t.flags |= cl::CHILD_IN_PIDNS;
    }
    if existing.is_none() {
        t.clone_ts = ts;
        s.threads.counters.added += 1;
        // A new process gets a copy of its parent's fds; a thread shares them by pid.
        if t.pid == child_tid && flags & cl::CLONE_THREAD == 0 {
            let parent_pid = s.threads.get(parent_tid).map(|x| x.pid);
            if let Some(pp) = parent_pid.filter(|&pp| pp != t.pid) {
                if let Some(ft) = s.fdtables.get(&pp).cloned() {
                    s.fdtables.insert(t.pid, ft);
                }
            }
        }
    }
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
            tid,
            pid: p.int_named("pid").unwrap_or(tid),
            ptid: p.int_named("ptid").unwrap_or(0),
            vtid: tid,
            vpid: p.int_named("pid").unwrap_or(tid),
            loginuid: u32::MAX,
            ..ThreadInfo::default()
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
    if let Some(c) = p.str_named("cwd") {
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
    for t in s.threads.iter_mut() {
        if t.ptid == tid && t.tid != tid {
            t.ptid = reaper;
        }
    }
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
    let Some(pid) = s.threads.get(tid).map(|t| t.pid) else {
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
    info.kind = FdKind::IpServer { ip, port, l4proto };
    info.name = name;
    info.is_server = true;
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
            let name = lossy(path);
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
    let Some(pid) = s.threads.get(tid).map(|t| t.pid) else {
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
        }
    }
}

/// sendto/recvfrom and friends carry the tuple of unconnected (UDP) sockets.
fn parse_tuple_io(s: &mut State, p: &Params<'_>, tid: i64) {
    let Some(fd) = s.meta.fd else { return };
    let Some(tuple) = p.raw_named("tuple").and_then(socktuple) else {
        return;
    };
    let Some(pid) = s.threads.get(tid).map(|t| t.pid) else {
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
