//! The tables libsinsp keeps: threads, file descriptors, users, groups, containers, updated
//! one event at a time by [`State::process`].

pub mod container;
pub mod container_json;
pub mod fd;
pub mod ifaddr;
mod parse;
pub mod path;
pub mod procfs;
pub mod snapshot;
pub mod thread;
pub mod users;

use foldhash::HashMap;

pub use fd::{FdCounters, FdInfo, FdKind, FdTable, IpAddr};
pub use ifaddr::Interfaces;
pub(crate) use parse::{fd_param, open_params};
pub use snapshot::{CaptureCache, EventSnapshot, SnapshotNeeds, StateView};
pub use thread::{ThreadCounters, ThreadInfo, ThreadTable};
pub use users::{GroupInfo, UserInfo, UserTable};

/// A number no table had before: a table takes a new one whenever it may change, so two
/// tables (or one table at two times) with the same generation have the same content.
pub(crate) fn next_generation() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Whether an event reaches the rules once the state has applied it. libsinsp 0.25 parses the
/// enter events the capture converter still passes (the open family and `connect`, kept for
/// TOCTOU checks, and the `execve`/`execveat` enters that fill a lacking exit) and then marks
/// them filtered out (`sinsp_evt_filter`'s destructor in `sinsp.cpp`): they take an event
/// number, change the state, and never reach Falco's rules, live or replayed.
pub fn reaches_rules(evtype: u16) -> bool {
    use ringbuf_abi::ids::*;
    !matches!(
        evtype,
        PPME_SYSCALL_OPEN_E
            | PPME_SYSCALL_OPENAT_2_E
            | PPME_SYSCALL_OPENAT2_E
            | PPME_SYSCALL_CREAT_E
            | PPME_SOCKET_CONNECT_E
            | PPME_SYSCALL_EXECVE_19_E
            | PPME_SYSCALL_EXECVEAT_E
    )
}

/// Whether an event is initial state (users, groups, containers, async events). libsinsp
/// parses and numbers the run of such events a capture starts with while it opens the file
/// (`sinsp::consume_initialstate_events`), so they never reach Falco's rules.
pub fn is_initial_state(evtype: u16) -> bool {
    use ringbuf_abi::ids::*;
    matches!(
        evtype,
        PPME_CONTAINER_JSON_2_E
            | PPME_USER_ADDED_E
            | PPME_USER_DELETED_E
            | PPME_GROUP_ADDED_E
            | PPME_GROUP_DELETED_E
            | PPME_ASYNCEVENT_E
    )
}

/// Memory bounds of the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateLimits {
    /// Most threads kept; new ones beyond are not tracked (counted).
    pub max_threads: usize,
    /// Most fds kept per process; new ones beyond are not tracked (counted).
    pub max_fds_per_process: usize,
}

impl Default for StateLimits {
    fn default() -> Self {
        // libsinsp's defaults: 262144 threads, 1024 fds per process for the table kept
        // in memory.
        StateLimits {
            max_threads: 262_144,
            max_fds_per_process: 1024,
        }
    }
}

/// What a capture's metadata blocks (or a /proc scan) provide to start from.
#[derive(Clone, Debug, Default)]
pub struct Bootstrap {
    /// Threads (PL block).
    pub threads: Vec<ThreadInfo>,
    /// fds per thread id (FDL blocks): the fds belong to that thread's process.
    pub fds: Vec<(i64, FdInfo)>,
    /// Users (UL block).
    pub users: Vec<UserInfo>,
    /// Groups (UL block).
    pub groups: Vec<GroupInfo>,
    /// Host name (MI block), for `evt.hostname`.
    pub hostname: String,
    /// Boot time in ns since the epoch (MI block), 0 when unknown.
    pub boot_ts: u64,
    /// The machine's interface addresses (IL block), for local/remote fields.
    pub interfaces: Vec<IpAddr>,
}

/// What [`State::process`] found out about the current event, for field extraction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventMeta {
    /// `evt.num`: 1 for the first event processed.
    pub num: u64,
    /// Thread id of the event.
    pub tid: i64,
    /// Timestamp of the event.
    pub ts: u64,
    /// The fd the event uses or creates, when any.
    pub fd: Option<i64>,
    /// The event changed the name of its fd (connect, udp tuple change).
    pub fd_name_changed: bool,
    /// Timestamp of the first event (for `evt.reltime`).
    pub first_ts: u64,
    /// Timestamp of the previous event (for `evt.deltatime`), 0 for the first.
    pub prev_ts: u64,
    /// Timestamp of the matching enter event, when it was seen (for `evt.latency`).
    pub enter_ts: u64,
}

/// Changes libsinsp applies at the start of the next event, so the event that closes an fd
/// or ends a thread still sees it.
#[derive(Clone, Copy, Debug, Default)]
struct Deferred {
    close_fd: Option<(i64, i64)>,
    remove_thread: Option<i64>,
}

/// An enter event kept until its exit (connect/open family), for parameters the exit lacks.
#[derive(Clone, Debug, Default)]
struct PendingEnter {
    evtype: u16,
    ts: u64,
    fd: Option<i64>,
}

/// All the state, updated from one event at a time.
#[derive(Debug, Default)]
pub struct State {
    /// Threads by tid.
    pub threads: ThreadTable,
    /// fd tables by pid.
    fdtables: HashMap<i64, FdTable>,
    /// Users and groups.
    pub users: UserTable,
    /// Bounds.
    pub limits: StateLimits,
    /// fd table counters (all processes).
    pub fd_counters: FdCounters,
    /// Host name for `evt.hostname` (shared with the snapshots).
    pub hostname: std::sync::Arc<str>,
    /// Machine boot time, ns since the epoch.
    pub boot_ts: u64,
    /// The machine's interface addresses (shared with the snapshots).
    pub interfaces: std::sync::Arc<Interfaces>,
    /// The current event.
    pub meta: EventMeta,
    /// Where container metadata comes from (live runs with runtimes configured).
    containers: Option<std::sync::Arc<dyn container::ContainerMetadata>>,
    /// The metadata of the current event's container, when known.
    container: Option<std::sync::Arc<container::ContainerInfo>>,
    /// Containers described by the capture's own `container` events, by short id.
    captured: HashMap<String, std::sync::Arc<container::ContainerInfo>>,
    /// The container the current event describes (a `container` event has no thread).
    event_container: Option<std::sync::Arc<container::ContainerInfo>>,
    last_ts: u64,
    deferred: Deferred,
    enters: HashMap<i64, PendingEnter>,
}

impl State {
    /// Open fds over every process's table (Falco's `n_fds` state counter).
    pub fn total_fds(&self) -> usize {
        self.fdtables.values().map(FdTable::len).sum()
    }

    /// An empty state with the given bounds.
    pub fn new(limits: StateLimits) -> State {
        State {
            threads: ThreadTable::new(limits.max_threads),
            limits,
            ..State::default()
        }
    }

    /// Loads a capture's metadata (or a /proc scan) into a new state.
    pub fn bootstrap(b: Bootstrap, limits: StateLimits) -> State {
        let mut s = State::new(limits);
        s.hostname = b.hostname.into();
        s.boot_ts = b.boot_ts;
        s.interfaces = std::sync::Arc::new(Interfaces::new(b.interfaces));
        s.users = UserTable::new(b.users, b.groups);
        for mut t in b.threads {
            parse::normalize_cwd(&mut t.cwd);
            parse::set_container(&mut t);
            s.threads.insert(t);
        }
        for (tid, fd) in b.fds {
            let pid = s.threads.get(tid).map_or(tid, ThreadInfo::fd_table_key);
            let max = s.limits.max_fds_per_process;
            s.fdtables
                .entry(pid)
                .or_default()
                .insert(fd, max, &mut s.fd_counters);
        }
        s
    }

    /// Reads the live system: /proc for threads and fds, /etc/passwd and /etc/group (under
    /// `HOST_ROOT` when it is set).
    ///
    /// # Errors
    /// When /proc cannot be listed. Unreadable single processes are skipped.
    pub fn from_host(limits: StateLimits) -> std::io::Result<State> {
        // An engine in a container sees the host under `HOST_ROOT` (`/host`), as Falco does.
        let root = std::env::var_os("HOST_ROOT")
            .filter(|r| !r.is_empty())
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from("/"));
        let b = procfs::scan(&root.join("proc"), &root.join("etc"))?;
        Ok(State::bootstrap(b, limits))
    }

    /// The fd table of process `pid` (a key of [`ThreadInfo::fd_table_key`]).
    pub fn fdtable(&self, pid: i64) -> Option<&FdTable> {
        self.fdtables.get(&pid)
    }

    /// The fd `fd` of the process of thread `tid`.
    pub fn fd_of(&self, tid: i64, fd: i64) -> Option<&FdInfo> {
        let pid = self.threads.get(tid)?.fd_table_key();
        self.fdtables.get(&pid)?.get(fd)
    }

    /// Number of fd tables (processes with fds).
    pub fn fdtable_count(&self) -> usize {
        self.fdtables.len()
    }

    /// Applies one event (current schema; enter events only for connect/creat/open/openat/
    /// openat2, and a capture's execve/execveat) and records what field extraction needs in
    /// [`State::meta`].
    pub fn process(&mut self, rec: ringbuf_abi::Record<'_>, cpu: u16) -> EventMeta {
        let _ = cpu;
        self.apply_deferred();
        parse::process(self, rec);
        self.lookup_container();
        if let Some(c) = self.event_container.take() {
            self.container = Some(c);
        }
        self.meta
    }

    /// Most containers remembered from a capture's `container` events; beyond, new ones are
    /// ignored (a capture of a real host holds far fewer).
    pub const MAX_CAPTURED_CONTAINERS: usize = 65_536;

    /// Remembers a container a capture describes: its threads' `container.*` fields read it
    /// (before any live runtime), and so do the fields of the describing event itself.
    pub(crate) fn add_captured_container(&mut self, info: container::ContainerInfo) {
        let id = info.id.clone();
        let info = std::sync::Arc::new(info);
        if self.captured.len() < Self::MAX_CAPTURED_CONTAINERS || self.captured.contains_key(&id) {
            self.captured.insert(id, info.clone());
        }
        self.event_container = Some(info);
    }

    /// The containers the capture's `container` events described so far.
    pub fn captured_containers(
        &self,
    ) -> impl Iterator<Item = &std::sync::Arc<container::ContainerInfo>> {
        self.captured.values()
    }

    /// Sets the source of container metadata: from now on each event of a containerized
    /// thread reads (or requests) its container's metadata.
    pub fn set_container_metadata(
        &mut self,
        source: std::sync::Arc<dyn container::ContainerMetadata>,
    ) {
        self.containers = Some(source);
    }

    /// The metadata of the current event's container, when known.
    pub fn container(&self) -> Option<&std::sync::Arc<container::ContainerInfo>> {
        self.container.as_ref()
    }

    /// One cache read per event of a containerized thread; host threads cost a comparison.
    fn lookup_container(&mut self) {
        self.container = None;
        if self.containers.is_none() && self.captured.is_empty() {
            return;
        }
        let Some(t) = self.threads.get(self.meta.tid) else {
            return;
        };
        if t.container_id.is_empty() || t.container_id == "host" {
            return;
        }
        if let Some(c) = self.captured.get(&t.container_id) {
            self.container = Some(c.clone());
            return;
        }
        let Some(src) = &self.containers else { return };
        self.container = src.get_or_request(&t.container_id, t.container_type);
    }

    /// Sets [`State::meta`] for `rec` without changing any table: for a viewer showing an
    /// event the state does not consume (an old enter event the converter folds into its
    /// exit), so its fields read the tables as they are before the syscall returns.
    pub fn describe(&mut self, rec: ringbuf_abi::Record<'_>) -> EventMeta {
        self.apply_deferred();
        parse::describe(self, rec);
        self.meta
    }

    fn apply_deferred(&mut self) {
        if let Some((pid, fd)) = self.deferred.close_fd.take() {
            if let Some(t) = self.fdtables.get_mut(&pid) {
                if t.remove(fd).is_some() {
                    self.fd_counters.removed += 1;
                }
            }
        }
        if let Some(tid) = self.deferred.remove_thread.take() {
            self.remove_thread(tid);
        }
    }

    fn remove_thread(&mut self, tid: i64) {
        if let Some(t) = self.threads.remove(tid) {
            self.threads.counters.purged += 1;
            self.enters.remove(&tid);
            // The fd table goes with the last thread of the process.
            if t.pid < 0 || !self.threads.iter().any(|o| o.pid == t.pid) {
                self.fdtables.remove(&t.fd_table_key());
            }
        }
    }

    /// Drops threads marked dead that are still in the table (e.g. after a missed event).
    pub fn purge_dead(&mut self) {
        let dead: Vec<i64> = self
            .threads
            .iter()
            .filter(|t| t.dead)
            .map(|t| t.tid)
            .collect();
        for tid in dead {
            self.remove_thread(tid);
        }
    }
}
