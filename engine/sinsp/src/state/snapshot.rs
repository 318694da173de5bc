//! What field extraction reads from the state ([`StateView`]), and the per-event copy of it
//! ([`EventSnapshot`]) that lets rules be evaluated on another thread while the state moves on.
//!
//! Field extraction reaches the state only through [`StateView`], so the set of lookups an
//! event's fields can make is closed: the event's thread, its main thread and ancestors (each
//! level's main thread and parent), its session, process-group leaders, the fds and
//! threads/users its parameters name, its own fd, its process's fd count and thread count.
//! [`EventSnapshot::capture`] records the answer to every one of them right after
//! [`State::process`]; answers it did not record read as absent, and the equivalence test
//! (`tests/snapshot_fields.rs`) compares every field through both views on whole captures.

use std::sync::Arc;

use ringbuf_abi::{ParamType, Record};

use super::container::ContainerInfo;
use super::fd::FdInfo;
use super::ifaddr::Interfaces;
use super::thread::ThreadInfo;
use super::users::{GroupInfo, UserInfo};
use super::{EventMeta, State};
use crate::params::{int_le, uint_le, Params};

/// Read access to the state, as field extraction needs it.
pub trait StateView {
    /// The thread `tid`.
    fn thread(&self, tid: i64) -> Option<&ThreadInfo>;
    /// The fd `fd` of the process of thread `tid`.
    fn fd_of(&self, tid: i64, fd: i64) -> Option<&FdInfo>;
    /// Number of fds of process `pid`, `None` without an fd table.
    fn fd_count(&self, pid: i64) -> Option<usize>;
    /// Threads of process `pid` not marked dead, and whether its main thread is alive.
    fn process_threads(&self, pid: i64) -> (u64, bool);
    /// The user `uid`.
    fn user(&self, uid: u32) -> Option<&UserInfo>;
    /// The group `gid`.
    fn group(&self, gid: u32) -> Option<&GroupInfo>;
    /// The host name (`evt.hostname`).
    fn hostname(&self) -> &str;
    /// The machine's interface addresses (local/remote ends of sockets).
    fn interfaces(&self) -> &Interfaces;
    /// The fd types of process `pid` in fd order, each once (`fd.types`); `false` without an
    /// fd table.
    fn fd_types(&self, pid: i64, out: &mut Vec<&'static str>) -> bool;
    /// What processing the current event found out.
    fn meta(&self) -> EventMeta;
    /// The runtime's metadata of the current event's container, when known.
    fn container(&self) -> Option<&ContainerInfo>;

    /// The main thread of `t`'s process (`t` itself when it is the main thread).
    fn main_thread<'a>(&'a self, t: &'a ThreadInfo) -> Option<&'a ThreadInfo> {
        if t.is_main() {
            Some(t)
        } else {
            self.thread(t.pid)
        }
    }

    /// The parent of `t` (libsinsp's `get_parent_thread`).
    fn parent(&self, t: &ThreadInfo) -> Option<&ThreadInfo> {
        if t.ptid == t.tid {
            return None;
        }
        self.thread(t.ptid)
    }
}

/// Walks the ancestors of `t` (parent first), libsinsp's way: from the main thread of each
/// process to its parent. Stops on loops and after 128 levels.
pub fn ancestors<'a, V: StateView + ?Sized>(
    view: &'a V,
    t: &'a ThreadInfo,
) -> impl Iterator<Item = &'a ThreadInfo> + 'a {
    let start = t.tid;
    let mut cur = Some(t);
    let mut left = 128u32;
    std::iter::from_fn(move || {
        let c = cur?;
        if left == 0 {
            return None;
        }
        left -= 1;
        let main = view.main_thread(c).unwrap_or(c);
        let p = view.parent(main).filter(|p| p.tid != start);
        cur = p;
        p
    })
}

impl StateView for State {
    fn thread(&self, tid: i64) -> Option<&ThreadInfo> {
        self.threads.get(tid)
    }
    fn fd_of(&self, tid: i64, fd: i64) -> Option<&FdInfo> {
        State::fd_of(self, tid, fd)
    }
    fn fd_count(&self, pid: i64) -> Option<usize> {
        self.fdtable(pid).map(|t| t.len())
    }
    fn process_threads(&self, pid: i64) -> (u64, bool) {
        // A placeholder thread (pid -1) belongs to no thread group in libsinsp: no threads.
        if pid < 0 {
            return (0, false);
        }
        let n = self
            .threads
            .iter()
            .filter(|x| x.pid == pid && !x.dead)
            .count() as u64;
        let main_alive = self.threads.get(pid).map(|m| !m.dead).unwrap_or(false);
        (n, main_alive)
    }
    fn user(&self, uid: u32) -> Option<&UserInfo> {
        self.users.user(uid)
    }
    fn group(&self, gid: u32) -> Option<&GroupInfo> {
        self.users.group(gid)
    }
    fn hostname(&self) -> &str {
        &self.hostname
    }
    fn interfaces(&self) -> &Interfaces {
        &self.interfaces
    }
    fn fd_types(&self, pid: i64, out: &mut Vec<&'static str>) -> bool {
        out.clear();
        let Some(table) = self.fdtable(pid) else {
            return false;
        };
        let mut fds: Vec<(i64, &'static str)> = table
            .iter()
            .filter_map(|f| Some((f.fd, f.kind.type_str()?)))
            .collect();
        fds.sort_unstable_by_key(|(n, _)| *n);
        for (_, ty) in fds {
            if !out.contains(&ty) {
                out.push(ty);
            }
        }
        true
    }
    fn meta(&self) -> EventMeta {
        self.meta
    }
    fn container(&self) -> Option<&ContainerInfo> {
        State::container(self).map(|c| &**c)
    }
}

/// The costly, optional parts of a snapshot, each needed by only a few fields: a capture
/// with a part off leaves it absent, so only fields that do not read it may use the snapshot
/// ([`SnapshotNeeds::of_fields`](crate::fields) derives the parts from the fields a ruleset
/// uses). Everything else is always captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SnapshotNeeds {
    /// Every fd of the event's process and their distinct types (`fd.types`, `fd.types[N]`).
    pub process_fds: bool,
    /// The alive threads of the event's process, counted over the whole thread table
    /// (`proc.nthreads`, `proc.nchilds`).
    pub thread_count: bool,
}

impl SnapshotNeeds {
    /// Every part: the snapshot answers every field.
    pub const ALL: SnapshotNeeds = SnapshotNeeds {
        process_fds: true,
        thread_count: true,
    };
    /// No optional part.
    pub const NONE: SnapshotNeeds = SnapshotNeeds {
        process_fds: false,
        thread_count: false,
    };
    /// Only the process's fds (`fd.types`).
    pub const PROCESS_FDS: SnapshotNeeds = SnapshotNeeds {
        process_fds: true,
        thread_count: false,
    };
    /// Only the process's thread count (`proc.nthreads`, `proc.nchilds`).
    pub const THREAD_COUNT: SnapshotNeeds = SnapshotNeeds {
        process_fds: false,
        thread_count: true,
    };

    /// The parts either needs.
    pub fn union(self, other: SnapshotNeeds) -> SnapshotNeeds {
        SnapshotNeeds {
            process_fds: self.process_fds || other.process_fds,
            thread_count: self.thread_count || other.thread_count,
        }
    }
}

impl Default for SnapshotNeeds {
    fn default() -> Self {
        SnapshotNeeds::ALL
    }
}

/// The state as one event's fields see it, detached from [`State`]: threads, fds, users and
/// groups are shared with the tables (copied on write there), the rest is copied. Reused from event to event
/// ([`EventSnapshot::capture`] keeps the allocations).
#[derive(Debug, Default, Clone)]
pub struct EventSnapshot {
    meta: EventMeta,
    /// The event's thread first, then its family; shared with the next snapshots of the same
    /// thread while the tables do not change (see [`CaptureCache`]).
    threads: Arc<Vec<Arc<ThreadInfo>>>,
    /// (tid, fd, the fd or `None` when the lookup found nothing).
    fds: Vec<(i64, i64, Option<Arc<FdInfo>>)>,
    fd_counts: Vec<(i64, Option<usize>)>,
    process_threads: Vec<(i64, (u64, bool))>,
    users: Arc<Vec<Arc<UserInfo>>>,
    groups: Arc<Vec<Arc<GroupInfo>>>,
    hostname: Arc<str>,
    interfaces: Arc<Interfaces>,
    /// `fd.types` of the event's process: (pid, has an fd table, types).
    fd_types: (i64, bool, Vec<&'static str>),
    /// Every fd of the event's process (`fd.types[N]` reads any of them).
    proc_fds: Vec<Arc<FdInfo>>,
    /// The event's container metadata, shared with the runtime cache.
    container: Option<Arc<ContainerInfo>>,
}

impl EventSnapshot {
    /// Records, for the event `rec` that `state` has just processed, the answer to every
    /// lookup its fields can make (every optional part, no cache: for one-off captures; a
    /// stream of events goes through [`EventSnapshot::capture_cached`]).
    pub fn capture(&mut self, state: &State, rec: Record<'_>) {
        self.capture_cached(state, rec, SnapshotNeeds::ALL, &mut CaptureCache::default());
    }

    /// [`EventSnapshot::capture`] for a stream of events, with only the optional parts in
    /// `needs` (fields that read another part see it as absent): `cache` keeps the previous
    /// capture's thread family, users and groups, and an event of the same thread while the
    /// thread and user tables have not changed shares them instead of looking them up again.
    pub fn capture_cached(
        &mut self,
        state: &State,
        rec: Record<'_>,
        needs: SnapshotNeeds,
        cache: &mut CaptureCache,
    ) {
        self.meta = state.meta;
        self.container.clone_from(&state.container().cloned());
        self.fds.clear();
        self.fd_counts.clear();
        self.process_threads.clear();
        share(&mut self.hostname, &state.hostname);
        share(&mut self.interfaces, &state.interfaces);
        self.fd_types = (i64::MIN, false, std::mem::take(&mut self.fd_types.2));
        self.proc_fds.clear();
        let tid = rec.tid() as i64;
        let key = (tid, state.threads.generation(), state.users.generation());
        if cache.key == Some(key) {
            share(&mut self.threads, &cache.threads);
            share(&mut self.users, &cache.users);
            share(&mut self.groups, &cache.groups);
        } else {
            self.capture_family(state, tid);
            cache.key = Some(key);
            cache.threads.clone_from(&self.threads);
            cache.users.clone_from(&self.users);
            cache.groups.clone_from(&self.groups);
        }
        let pid = self
            .threads
            .first()
            .filter(|t| t.tid == tid)
            .map(|t| t.fd_table_key());
        if let Some(pid) = pid {
            if needs.process_fds {
                let mut types = std::mem::take(&mut self.fd_types.2);
                let has = StateView::fd_types(state, pid, &mut types);
                self.fd_types = (pid, has, types);
                if let Some(table) = state.fdtable(pid) {
                    self.proc_fds.extend(table.iter_shared().cloned());
                }
            }
            self.fd_counts.push((pid, state.fd_count(pid)));
            if needs.thread_count {
                self.process_threads
                    .push((pid, StateView::process_threads(state, pid)));
            }
        }
        if let Some(fd) = self.meta.fd {
            self.add_fd(state, tid, fd);
        }
        self.capture_params(state, tid, rec);
    }

    /// The event's thread, its ancestors (each level's main thread and its parent, exactly as
    /// `ancestors` walks them), session and process-group leaders and main thread; its users
    /// and group. Each list is new (the previous one may be shared).
    fn capture_family(&mut self, state: &State, tid: i64) {
        let threads = fresh(&mut self.threads);
        let users = fresh(&mut self.users);
        let groups = fresh(&mut self.groups);
        let table = &state.threads;
        let Some(t) = table.get_shared(tid) else {
            return;
        };
        let mut push = |x: &Arc<ThreadInfo>| {
            if !threads.iter().any(|y| y.tid == x.tid) {
                threads.push(x.clone());
            }
        };
        push(t);
        // A loop in corrupt state costs its 128 levels here too.
        let start = t.tid;
        let mut cur = t;
        for _ in 0..128 {
            let main = if cur.is_main() {
                cur
            } else {
                match table.get_shared(cur.pid) {
                    Some(m) => {
                        push(m);
                        m
                    }
                    None => cur,
                }
            };
            if main.ptid == main.tid || main.ptid == start {
                break;
            }
            let Some(p) = table.get_shared(main.ptid) else {
                break;
            };
            push(p);
            cur = p;
        }
        for id in [t.sid, t.vpgid, t.pgid, t.pid] {
            if !threads.iter().any(|y| y.tid == id) {
                if let Some(x) = table.get_shared(id) {
                    threads.push(x.clone());
                }
            }
        }
        for uid in [t.uid, t.loginuid] {
            if !users.iter().any(|u| u.uid == uid) {
                if let Some(u) = state.users.user_shared(uid) {
                    users.push(u.clone());
                }
            }
        }
        if let Some(g) = state.users.group_shared(t.gid) {
            groups.push(g.clone());
        }
    }

    /// The threads, fds, users and groups the event's parameters name (`evt.arg`, `evt.args`).
    fn capture_params(&mut self, state: &State, tid: i64, rec: Record<'_>) {
        let p = Params::new(rec);
        let Some(info) = p.info else { return };
        for (i, pi) in info.params.iter().enumerate() {
            let Some(raw) = rec.param(i) else { break };
            if raw.is_empty() {
                continue;
            }
            match pi.ptype {
                ParamType::Fd | ParamType::Fd32 => {
                    let v = int_le(raw).unwrap_or(0);
                    if v >= 0 {
                        self.add_fd(state, tid, v);
                    }
                }
                ParamType::Fspath | ParamType::Fsrelpath => {
                    let dirfd = pi
                        .info
                        .strip_prefix("DIRFD_PARAM(")
                        .and_then(|x| x.strip_suffix(')'))
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| p.int(n));
                    if let Some(d) = dirfd {
                        self.add_fd(state, tid, d);
                    }
                }
                ParamType::Fdlist => {
                    // u16 count, then (u64 fd, u16 flags) pairs: each fd's type is printed.
                    let n = raw.get(..2).and_then(uint_le).unwrap_or(0) as usize;
                    for k in 0..n {
                        match raw.get(2 + k * 10..10 + k * 10).and_then(int_le) {
                            Some(fd) if fd >= 0 => self.add_fd(state, tid, fd),
                            Some(_) => {}
                            Option::None => break,
                        }
                    }
                }
                ParamType::Pid | ParamType::Pid32 => {
                    self.add_thread(state, int_le(raw).unwrap_or(0));
                }
                ParamType::Uid => self.add_user(state, uint_le(raw).unwrap_or(0) as u32),
                ParamType::Gid => self.add_group(state, uint_le(raw).unwrap_or(0) as u32),
                _ => {}
            }
        }
    }

    fn add_thread(&mut self, state: &State, tid: i64) {
        if self.threads.iter().any(|t| t.tid == tid) {
            return;
        }
        if let Some(t) = state.threads.get_shared(tid) {
            Arc::make_mut(&mut self.threads).push(t.clone());
        }
    }

    fn add_fd(&mut self, state: &State, tid: i64, fd: i64) {
        if self.fds.iter().any(|&(t, f, _)| t == tid && f == fd) {
            return;
        }
        let info = state
            .threads
            .get(tid)
            .and_then(|t| state.fdtable(t.fd_table_key()))
            .and_then(|t| t.get_shared(fd))
            .cloned();
        self.fds.push((tid, fd, info));
    }

    fn add_user(&mut self, state: &State, uid: u32) {
        if self.users.iter().any(|u| u.uid == uid) {
            return;
        }
        if let Some(u) = state.users.user_shared(uid) {
            Arc::make_mut(&mut self.users).push(u.clone());
        }
    }

    fn add_group(&mut self, state: &State, gid: u32) {
        if self.groups.iter().any(|g| g.gid == gid) {
            return;
        }
        if let Some(g) = state.users.group_shared(gid) {
            Arc::make_mut(&mut self.groups).push(g.clone());
        }
    }
}

/// Makes `list` the shared `from`; nothing to do (not even a reference count) when it
/// already is: a snapshot slot reused for the same thread usually still holds it.
fn share<T: ?Sized>(list: &mut Arc<T>, from: &Arc<T>) {
    if !Arc::ptr_eq(list, from) {
        *list = from.clone();
    }
}

/// An empty list to fill: `list`'s own when no other snapshot shares it, a new one otherwise.
fn fresh<T: Clone>(list: &mut Arc<Vec<T>>) -> &mut Vec<T> {
    if Arc::get_mut(list).is_none() {
        *list = Arc::default();
    }
    let v = Arc::make_mut(list);
    v.clear();
    v
}

/// What the previous capture of a stream found for its event's thread (its family, users and
/// group), kept for [`EventSnapshot::capture_cached`]. The key is the thread and the
/// generations of the thread and user tables: any change to either table makes the next
/// capture look everything up again.
#[derive(Debug, Default)]
pub struct CaptureCache {
    key: Option<(i64, u64, u64)>,
    threads: Arc<Vec<Arc<ThreadInfo>>>,
    users: Arc<Vec<Arc<UserInfo>>>,
    groups: Arc<Vec<Arc<GroupInfo>>>,
}

impl StateView for EventSnapshot {
    fn thread(&self, tid: i64) -> Option<&ThreadInfo> {
        self.threads.iter().find(|t| t.tid == tid).map(|t| &**t)
    }
    fn fd_of(&self, tid: i64, fd: i64) -> Option<&FdInfo> {
        if let Some((_, _, i)) = self.fds.iter().find(|&&(t, f, _)| t == tid && f == fd) {
            return i.as_deref();
        }
        // Any other fd of the event's own process.
        let pid = self.thread(tid)?.fd_table_key();
        if pid != self.fd_types.0 {
            return None;
        }
        self.proc_fds.iter().find(|f| f.fd == fd).map(|f| &**f)
    }
    fn fd_count(&self, pid: i64) -> Option<usize> {
        self.fd_counts
            .iter()
            .find(|&&(p, _)| p == pid)
            .and_then(|&(_, n)| n)
    }
    fn process_threads(&self, pid: i64) -> (u64, bool) {
        self.process_threads
            .iter()
            .find(|&&(p, _)| p == pid)
            .map(|&(_, v)| v)
            .unwrap_or((0, false))
    }
    fn user(&self, uid: u32) -> Option<&UserInfo> {
        self.users.iter().find(|u| u.uid == uid).map(|u| &**u)
    }
    fn group(&self, gid: u32) -> Option<&GroupInfo> {
        self.groups.iter().find(|g| g.gid == gid).map(|g| &**g)
    }
    fn hostname(&self) -> &str {
        &self.hostname
    }
    fn interfaces(&self) -> &Interfaces {
        &self.interfaces
    }
    fn fd_types(&self, pid: i64, out: &mut Vec<&'static str>) -> bool {
        out.clear();
        let (p, has, types) = &self.fd_types;
        if *p != pid || !has {
            return false;
        }
        out.extend_from_slice(types);
        true
    }
    fn meta(&self) -> EventMeta {
        self.meta
    }
    fn container(&self) -> Option<&ContainerInfo> {
        self.container.as_deref()
    }
}
