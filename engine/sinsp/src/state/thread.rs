//! Threads: what libsinsp's `sinsp_threadinfo` keeps, and the table of live threads.

use foldhash::HashMap;
use std::sync::Arc;

/// One thread (or process main thread) as the state knows it. Also the bootstrap form: the
/// capture reader or the /proc scanner fills these and hands them to
/// [`State::bootstrap`](super::State::bootstrap).
///
/// Process-wide values (exe, args, env, cwd, ...) are kept on every thread, as libsinsp
/// does; threads of one process get them from the thread that cloned them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadInfo {
    /// Thread id (host namespace).
    pub tid: i64,
    /// Process id (host namespace).
    pub pid: i64,
    /// Parent thread id.
    pub ptid: i64,
    /// Session id.
    pub sid: i64,
    /// Process group id in the process's PID namespace.
    pub vpgid: i64,
    /// Process group id in the host namespace (-1 when unknown).
    pub pgid: i64,
    /// Task command name (`comm`, at most 15 bytes from the kernel).
    pub comm: String,
    /// argv\[0\].
    pub exe: String,
    /// Full executable path.
    pub exepath: String,
    /// argv\[1..\].
    pub args: Vec<String>,
    /// Current working directory, always ending with `/`.
    pub cwd: String,
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    /// Audit login uid (`u32::MAX` when unset).
    pub loginuid: u32,
    /// Thread id in its PID namespace.
    pub vtid: i64,
    /// Process id in its PID namespace.
    pub vpid: i64,
    /// Cgroups as (subsystems, path).
    pub cgroups: Vec<(String, String)>,
    /// Root directory.
    pub root: String,
    /// Controlling terminal device number (0 for none).
    pub tty: u32,
    /// Environment, `NAME=value` items.
    pub env: Vec<String>,
    /// `PPM_CL_*` flags.
    pub flags: u32,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Executable writable by its user.
    pub exe_writable: bool,
    /// Executable in an overlayfs upper layer.
    pub exe_upper_layer: bool,
    /// Executable in an overlayfs lower layer.
    pub exe_lower_layer: bool,
    /// Executable is a memfd.
    pub exe_from_memfd: bool,
    /// Executable inode.
    pub exe_ino: u64,
    /// Executable ctime (ns since the epoch).
    pub exe_ino_ctime: u64,
    /// Executable mtime (ns since the epoch).
    pub exe_ino_mtime: u64,
    /// Start of the PID namespace (ns since the epoch).
    pub pidns_init_start_ts: u64,
    /// Thread start time (ns since the epoch), 0 when unknown.
    pub clone_ts: u64,
    /// Maximum number of fds.
    pub fdlimit: i64,
    /// Virtual memory, kB.
    pub vmsize_kb: u32,
    /// Resident memory, kB.
    pub vmrss_kb: u32,
    /// Swapped memory, kB.
    pub vmswap_kb: u32,
    /// Major page faults.
    pub pfmajor: u64,
    /// Minor page faults.
    pub pfminor: u64,
    /// Container id derived from the cgroups (`""` for the host, see [`super::container`]).
    pub container_id: String,
    /// Container runtime type when `container_id` is set.
    pub container_type: &'static str,
    /// Set by procexit: the thread is gone and will be purged.
    pub dead: bool,
}

/// `PPM_CL_*` thread flags used by the state.
pub mod cl {
    /// `CLONE_FILES`: the child shares the fd table.
    pub const CLONE_FILES: u32 = 1 << 0;
    /// `CLONE_FS`.
    pub const CLONE_FS: u32 = 1 << 1;
    /// `CLONE_NEWPID`.
    pub const CLONE_NEWPID: u32 = 1 << 6;
    /// `CLONE_PARENT`.
    pub const CLONE_PARENT: u32 = 1 << 8;
    /// `CLONE_THREAD`: the child is a thread of the same process.
    pub const CLONE_THREAD: u32 = 1 << 13;
    /// `CLONE_VM`.
    pub const CLONE_VM: u32 = 1 << 15;
    /// libsinsp: the child's half of clone arrived before the parent's.
    pub const CLONE_INVERTED: u32 = 1 << 16;
    /// libsinsp: the name changed (execve).
    pub const NAME_CHANGED: u32 = 1 << 17;
    /// The thread exited.
    pub const CLOSED: u32 = 1 << 18;
    /// `CLONE_NEWUSER`.
    pub const CLONE_NEWUSER: u32 = 1 << 20;
    /// `CLONE_VFORK`.
    pub const CLONE_VFORK: u32 = 1 << 27;
    /// The child is in a PID namespace other than the host's.
    pub const CHILD_IN_PIDNS: u32 = 1 << 29;
}

/// `PPM_EXE_*` flags of execve exits.
pub mod exe_flags {
    /// The executable is writable.
    pub const WRITABLE: u32 = 1 << 0;
    /// In an overlayfs upper layer.
    pub const UPPER_LAYER: u32 = 1 << 1;
    /// A memfd.
    pub const FROM_MEMFD: u32 = 1 << 2;
    /// In an overlayfs lower layer.
    pub const LOWER_LAYER: u32 = 1 << 3;
}

impl ThreadInfo {
    /// The key of the thread's fd table: its process id, or, for a thread of unknown process
    /// (pid -1, libsinsp's placeholder), a key of its own (minus its tid): libsinsp gives such
    /// a thread its own fd table, shared with no other.
    pub fn fd_table_key(&self) -> i64 {
        if self.pid < 0 {
            -self.tid.max(1)
        } else {
            self.pid
        }
    }

    /// True for the main thread of its process.
    pub fn is_main(&self) -> bool {
        self.tid == self.pid
    }

    /// True when the thread lives in a PID namespace other than the host's.
    pub fn in_pid_namespace(&self) -> bool {
        self.flags & cl::CHILD_IN_PIDNS != 0 || (self.vtid > 0 && self.vtid != self.tid)
    }

    /// argv joined with spaces, after argv\[0\] (proc.args).
    pub fn write_args(&self, out: &mut Vec<u8>) {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(a.as_bytes());
        }
    }

    /// `comm` followed by the arguments (proc.cmdline).
    pub fn write_cmdline(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.comm.as_bytes());
        if !self.args.is_empty() {
            out.push(b' ');
            self.write_args(out);
        }
    }

    /// The value of environment variable `name`.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.iter().find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then_some(v)
        })
    }

    /// The cgroup path of one subsystem.
    pub fn cgroup(&self, subsys: &str) -> Option<&str> {
        self.cgroups
            .iter()
            .find(|(s, _)| s.split(',').any(|x| x == subsys))
            .map(|(_, p)| p.as_str())
    }
}

/// Counters of the thread table, for stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadCounters {
    /// Threads refused because the table was full.
    pub dropped_full: u64,
    /// Dead threads purged.
    pub purged: u64,
    /// Threads created from events.
    pub added: u64,
    /// Threads looked up and not found.
    pub missing: u64,
}

/// The threads, by tid, with a cap on their number.
///
/// Entries are shared (`Arc`) so that a per-event snapshot ([`super::EventSnapshot`]) holds
/// the threads an event's fields read without copying them; a change to a thread a snapshot
/// still holds copies that one thread first (copy on write), so the snapshot keeps seeing the
/// thread as it was at its event.
#[derive(Debug, Default)]
pub struct ThreadTable {
    threads: HashMap<i64, Arc<ThreadInfo>>,
    max: usize,
    /// Changes whenever a thread may have changed (see [`super::next_generation`]).
    generation: u64,
    /// What happened to the table.
    pub counters: ThreadCounters,
}

impl ThreadTable {
    /// An empty table holding at most `max` threads.
    pub fn new(max: usize) -> ThreadTable {
        ThreadTable {
            threads: HashMap::default(),
            max,
            generation: super::next_generation(),
            counters: ThreadCounters::default(),
        }
    }

    /// Equal at two times only when no thread was added, removed or changed in between.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The thread `tid`.
    #[inline]
    pub fn get(&self, tid: i64) -> Option<&ThreadInfo> {
        self.threads.get(&tid).map(|t| &**t)
    }

    /// The thread `tid`, shared: what a snapshot keeps.
    #[inline]
    pub fn get_shared(&self, tid: i64) -> Option<&Arc<ThreadInfo>> {
        self.threads.get(&tid)
    }

    /// The thread `tid`, mutably (copied first when a snapshot still holds it).
    #[inline]
    pub fn get_mut(&mut self, tid: i64) -> Option<&mut ThreadInfo> {
        self.generation = super::next_generation();
        self.threads.get_mut(&tid).map(Arc::make_mut)
    }

    /// Adds or replaces a thread. Returns false (and counts) when the table is full.
    pub fn insert(&mut self, t: ThreadInfo) -> bool {
        if self.threads.len() >= self.max && !self.threads.contains_key(&t.tid) {
            self.counters.dropped_full += 1;
            return false;
        }
        self.generation = super::next_generation();
        self.threads.insert(t.tid, Arc::new(t));
        true
    }

    /// Removes a thread.
    pub fn remove(&mut self, tid: i64) -> Option<ThreadInfo> {
        self.generation = super::next_generation();
        self.threads.remove(&tid).map(Arc::unwrap_or_clone)
    }

    /// Number of threads.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Every thread, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &ThreadInfo> {
        self.threads.values().map(|t| &**t)
    }

    /// Applies `f` to every thread `pick` selects (only those are copied when shared).
    pub fn update_where(
        &mut self,
        pick: impl Fn(&ThreadInfo) -> bool,
        mut f: impl FnMut(&mut ThreadInfo),
    ) {
        for t in self.threads.values_mut() {
            if pick(t) {
                self.generation = super::next_generation();
                f(Arc::make_mut(t));
            }
        }
    }

    /// The parent of `t`, skipping nothing (libsinsp's `get_parent_thread`).
    #[inline]
    pub fn parent(&self, t: &ThreadInfo) -> Option<&ThreadInfo> {
        if t.ptid == t.tid {
            return None;
        }
        self.get(t.ptid)
    }

    /// The main thread of `t`'s process (`t` itself when it is the main thread).
    pub fn main_thread<'a>(&'a self, t: &'a ThreadInfo) -> Option<&'a ThreadInfo> {
        if t.is_main() {
            Some(t)
        } else {
            self.get(t.pid)
        }
    }

    /// Walks the ancestors of `t` (parent first). Stops on loops and after 128 levels.
    pub fn ancestors<'a>(&'a self, t: &'a ThreadInfo) -> Ancestors<'a> {
        Ancestors {
            table: self,
            cur: Some(t),
            start: t.tid,
            left: 128,
        }
    }
}

/// Iterator over a thread's ancestors, from the parent up.
pub struct Ancestors<'a> {
    table: &'a ThreadTable,
    cur: Option<&'a ThreadInfo>,
    start: i64,
    left: u32,
}

impl<'a> Iterator for Ancestors<'a> {
    type Item = &'a ThreadInfo;
    fn next(&mut self) -> Option<&'a ThreadInfo> {
        let cur = self.cur?;
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // libsinsp walks from the main thread of each process to its parent.
        let main = self.table.main_thread(cur).unwrap_or(cur);
        let p = self.table.parent(main).filter(|p| p.tid != self.start);
        self.cur = p;
        p
    }
}
