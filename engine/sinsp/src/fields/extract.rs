//! Field values for the current event: [`EventContext`] implements the rules crate's
//! [`EventFields`] over the [`State`] after it processed the event.
//!
//! The thread and fd are looked up once, when the context is built. Strings that do not
//! live in the state (joined command lines, formatted arguments, times) are built in a
//! [`Scratch`] buffer reused across events, so the common path does not allocate.

use std::io::Write;

use falco_rules::field::{EventFields, FieldArg, ResolvedField, Value};
use ringbuf_abi::{Direction, ParamType, Record};

use super::args::render_param;
use super::table::{
    ContainerField as C, EvtField as E, FdField as F, FieldId, FsPathField as P, GenField as G,
    GroupField as GR, ProcField as PR, UserField as U,
};
use super::time;
use crate::params::Params;
use crate::state::fd::{l4, FdInfo, FdKind, IpAddr};
use crate::state::snapshot::{ancestors, StateView};
use crate::state::{path, EventMeta, EventSnapshot, State, ThreadInfo};

/// Buffers reused from one event to the next.
#[derive(Debug, Default)]
pub struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
    /// Per memo slot: `event << 1 | result`, valid while `event` is the current one.
    memo: Vec<u64>,
    /// Number of the current event context: bumped by each [`EventContext`], so that the
    /// results of earlier events are stale without clearing `memo`.
    event: u64,
}

/// The current event with its thread and fd: what field extraction reads.
pub struct EventContext<'a> {
    st: &'a dyn StateView,
    p: Params<'a>,
    cpu: u16,
    meta: EventMeta,
    th: Option<&'a ThreadInfo>,
    fd: Option<&'a FdInfo>,
    s: &'a mut Scratch,
}

fn ip_value(ip: &IpAddr) -> Value<'static> {
    match *ip {
        IpAddr::V4(a) => Value::Ipv4(a),
        IpAddr::V6(a) => Value::Ipv6(a),
    }
}

const CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

fn write_caps(out: &mut Vec<u8>, caps: u64) {
    let mut first = true;
    for (i, name) in CAPS.iter().enumerate() {
        if caps & (1u64 << i) != 0 {
            if !first {
                out.push(b' ');
            }
            out.extend_from_slice(name.as_bytes());
            first = false;
        }
    }
}

impl<'a> EventContext<'a> {
    /// Builds the context for the event `rec` that `state` has just processed
    /// ([`State::process`]); looks up its thread and fd once.
    pub fn new(
        state: &'a State,
        rec: Record<'a>,
        cpu: u16,
        scratch: &'a mut Scratch,
    ) -> EventContext<'a> {
        EventContext::over(state, rec, cpu, scratch)
    }

    /// Builds the context for the event `rec` from the snapshot taken right after the state
    /// processed it ([`EventSnapshot::capture`]): the same values as [`EventContext::new`]
    /// then, on any thread, whatever the state has processed since.
    pub fn from_snapshot(
        snapshot: &'a EventSnapshot,
        rec: Record<'a>,
        cpu: u16,
        scratch: &'a mut Scratch,
    ) -> EventContext<'a> {
        EventContext::over(snapshot, rec, cpu, scratch)
    }

    fn over(
        st: &'a dyn StateView,
        rec: Record<'a>,
        cpu: u16,
        scratch: &'a mut Scratch,
    ) -> EventContext<'a> {
        let meta = st.meta();
        let tid = rec.tid() as i64;
        let th = st.thread(tid);
        let fd = meta.fd.and_then(|fd| st.fd_of(tid, fd));
        scratch.event += 1;
        EventContext {
            st,
            p: Params::new(rec),
            cpu,
            meta,
            th,
            fd,
            s: scratch,
        }
    }

    fn ts(&self) -> u64 {
        self.p.rec.ts()
    }

    /// The event's timestamp, ns since the epoch.
    pub fn event_ts(&self) -> u64 {
        self.p.rec.ts()
    }

    /// The event's number (`evt.num`).
    pub fn event_num(&self) -> u64 {
        self.meta.num
    }

    fn is_exit(&self) -> bool {
        self.p
            .info
            .map(|i| i.direction == Direction::Exit)
            .unwrap_or(false)
    }

    /// The return value: the first parameter of an exit event when it is a result type.
    fn res(&self) -> Option<i64> {
        let info = self.p.info?;
        if info.direction != Direction::Exit {
            return None;
        }
        let first = info.params.first()?;
        if matches!(
            first.ptype,
            ParamType::Errno | ParamType::Fd | ParamType::Pid
        ) || first.name == "res"
        {
            self.p.int(0)
        } else {
            None
        }
    }

    fn arg_index(&self, arg: Option<&FieldArg>) -> Option<usize> {
        match arg? {
            FieldArg::Index(i) => usize::try_from(*i).ok(),
            FieldArg::Key(k) => self.p.index(k),
        }
    }

    fn ancestor(&self, t: &'a ThreadInfo, n: u64) -> Option<&'a ThreadInfo> {
        if n == 0 {
            return Some(t);
        }
        ancestors(self.st, t).nth(usize::try_from(n - 1).ok()?)
    }

    fn leader(&self, t: &'a ThreadInfo, id: i64, by_sid: bool) -> &'a ThreadInfo {
        if !t.in_pid_namespace() {
            if let Some(l) = self.st.thread(id) {
                return l;
            }
        }
        let mut best = t;
        for a in ancestors(self.st, t) {
            let same = if by_sid { a.sid == id } else { a.vpgid == id };
            if !same {
                break;
            }
            best = a;
        }
        best
    }

    fn str_out(&mut self, sink: &mut dyn FnMut(Value<'_>), f: impl FnOnce(&mut Vec<u8>)) -> bool {
        self.s.a.clear();
        f(&mut self.s.a);
        sink(Value::Str(&self.s.a));
        true
    }

    fn extract_gen(&mut self, f: G, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let ts = self.ts();
        match f {
            G::Num => sink(Value::Uint(self.meta.num)),
            G::Time | G::Rawtime => sink(Value::Uint(ts)),
            G::TimeS => return self.str_out(sink, |o| time::write_time(o, ts, false)),
            G::TimeIso8601 => return self.str_out(sink, |o| time::write_iso8601(o, ts)),
            G::Datetime => return self.str_out(sink, |o| time::write_datetime(o, ts, true)),
            G::DatetimeS => return self.str_out(sink, |o| time::write_datetime(o, ts, false)),
            G::RawtimeS => sink(Value::Uint(ts / 1_000_000_000)),
            G::RawtimeNs => sink(Value::Uint(ts % 1_000_000_000)),
            G::Reltime => sink(Value::Uint(ts.saturating_sub(self.meta.first_ts))),
            G::ReltimeS => sink(Value::Uint(
                ts.saturating_sub(self.meta.first_ts) / 1_000_000_000,
            )),
            G::ReltimeNs => sink(Value::Uint(
                ts.saturating_sub(self.meta.first_ts) % 1_000_000_000,
            )),
            G::Source => sink(Value::Str(b"syscall")),
            G::IsAsync => sink(Value::Bool(false)),
            G::Hostname => sink(Value::Str(self.st.hostname().as_bytes())),
            G::PluginName | G::PluginInfo | G::AsyncType => return false,
        }
        true
    }

    fn extract_evt(
        &mut self,
        f: E,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let Some(info) = self.p.info else {
            return false;
        };
        let flags = info.flags;
        use ringbuf_abi::schema::{category as ec, flags as ef};
        match f {
            E::Dir => sink(Value::Str(if self.is_exit() { b"<" } else { b">" })),
            E::Type => match super::generic::generic_name(&self.p.rec) {
                Some(n) => sink(Value::Str(n.as_bytes())),
                None => sink(Value::Str(info.name.as_bytes())),
            },
            E::SyscallType => {
                if info.category & ec::EC_SYSCALL == 0 {
                    return false;
                }
                sink(Value::Str(info.name.as_bytes()))
            }
            E::TypeIs => {
                let Some(FieldArg::Key(k)) = arg else {
                    return false;
                };
                sink(Value::Uint((k == info.name) as u64))
            }
            E::Category => {
                let name: &[u8] = match info.category & 0xff {
                    ec::EC_OTHER => b"other",
                    ec::EC_FILE => b"file",
                    ec::EC_NET => b"net",
                    ec::EC_IPC => b"IPC",
                    ec::EC_MEMORY => b"memory",
                    ec::EC_PROCESS => b"process",
                    ec::EC_SLEEP => b"sleep",
                    ec::EC_SYSTEM => b"system",
                    ec::EC_SIGNAL => b"signal",
                    ec::EC_USER => b"user",
                    ec::EC_TIME => b"time",
                    ec::EC_PROCESSING => b"processing",
                    // I/O events take the class of their fd (libsinsp `get_category`).
                    ec::EC_IO_READ | ec::EC_IO_WRITE | ec::EC_IO_OTHER => match self
                        .fd
                        .map(|f| &f.kind)
                    {
                        Some(FdKind::File | FdKind::Directory) => b"file",
                        Some(
                            FdKind::Ip { .. } | FdKind::IpServer { .. } | FdKind::IpUnbound { .. },
                        ) => b"net",
                        Some(
                            FdKind::Fifo
                            | FdKind::Unix { .. }
                            | FdKind::Event
                            | FdKind::Signalfd
                            | FdKind::Inotify
                            | FdKind::Userfaultfd,
                        ) => b"ipc",
                        _ => b"unknown",
                    },
                    ec::EC_WAIT => b"wait",
                    ec::EC_SCHEDULER => b"scheduler",
                    _ => b"unknown",
                };
                sink(Value::Str(name))
            }
            E::Cpu => sink(Value::Int(self.cpu as i64)),
            E::Args | E::Info => {
                let (st, tid, p) = (self.st, self.meta.tid, self.p);
                let Scratch { a, b, .. } = &mut *self.s;
                let mut out = std::mem::take(a);
                out.clear();
                let mut plain = Vec::new();
                for (i, pi) in info.params.iter().enumerate() {
                    if !render_param(st, tid, &p, i, &mut plain, b) {
                        break;
                    }
                    if i > 0 {
                        out.push(b' ');
                    }
                    out.extend_from_slice(pi.name.as_bytes());
                    out.push(b'=');
                    out.extend_from_slice(&plain);
                    if !b.is_empty() {
                        out.push(b'(');
                        out.extend_from_slice(b);
                        out.push(b')');
                    }
                }
                sink(Value::Str(&out));
                *a = out;
            }
            E::Arg => {
                let Some(i) = self.arg_index(arg) else {
                    return false;
                };
                let (st, tid, p) = (self.st, self.meta.tid, self.p);
                let Scratch { a, b, .. } = &mut *self.s;
                if !render_param(st, tid, &p, i, a, b) {
                    return false;
                }
                sink(Value::Str(if b.is_empty() { a } else { b }));
            }
            E::Rawarg => {
                let Some(i) = self.arg_index(arg) else {
                    return false;
                };
                let Some(pi) = info.params.get(i) else {
                    return false;
                };
                let Some(raw) = self.p.rec.param(i) else {
                    return false;
                };
                if pi.ptype.is_string() {
                    sink(Value::Str(crate::params::cstr(raw)));
                } else if matches!(raw.len(), 1 | 2 | 4 | 8) {
                    if crate::params::is_signed(pi.ptype) {
                        sink(Value::Int(crate::params::int_le(raw).unwrap_or(0)));
                    } else {
                        sink(Value::Uint(crate::params::uint_le(raw).unwrap_or(0)));
                    }
                } else {
                    sink(Value::Str(raw));
                }
            }
            E::Buffer => {
                let Some(raw) = self.p.raw_named("data") else {
                    return false;
                };
                sink(Value::Str(raw));
            }
            E::Buflen => {
                // libsinsp: the return value of an I/O exit on a known fd, when not an error
                // (the syscall's byte count, not the captured, snaplen-limited data size).
                if self.fd.is_none()
                    || info.category & 0xff & ec::EC_IO_READ == 0
                    || info.direction != Direction::Exit
                {
                    return false;
                }
                match self.res() {
                    Some(r) if r >= 0 => sink(Value::Uint(r as u64)),
                    _ => return false,
                }
            }
            E::Res => {
                let Some(r) = self.res() else { return false };
                if r >= 0 {
                    sink(Value::Str(b"SUCCESS"));
                } else {
                    let n = super::names::errno_name(-r);
                    return self.str_out(sink, |o| match n {
                        Some(n) => o.extend_from_slice(n.as_bytes()),
                        None => {
                            let _ = write!(o, "{r}");
                        }
                    });
                }
            }
            E::Rawres => {
                let Some(r) = self.res() else { return false };
                sink(Value::Int(r));
            }
            E::Failed => sink(Value::Bool(self.res().map(|r| r < 0).unwrap_or(false))),
            E::IsIo => sink(Value::Bool(
                flags & (ef::EF_READS_FROM_FD | ef::EF_WRITES_TO_FD) != 0,
            )),
            E::IsIoRead => sink(Value::Bool(flags & ef::EF_READS_FROM_FD != 0)),
            E::IsIoWrite => sink(Value::Bool(flags & ef::EF_WRITES_TO_FD != 0)),
            E::IoDir => {
                if flags & ef::EF_READS_FROM_FD != 0 {
                    sink(Value::Str(b"r"))
                } else if flags & ef::EF_WRITES_TO_FD != 0 {
                    sink(Value::Str(b"w"))
                } else {
                    return false;
                }
            }
            E::IsWait => sink(Value::Bool(flags & ef::EF_WAITS != 0)),
            E::IsSyslog => sink(Value::Bool(
                self.fd.map(|f| f.name == "/dev/log").unwrap_or(false),
            )),
            E::Count => sink(Value::Uint(1)),
            E::CountError
            | E::CountErrorFile
            | E::CountErrorNet
            | E::CountErrorMemory
            | E::CountErrorOther => {
                let failed = self.res().map(|r| r < 0).unwrap_or(false);
                let cat = info.category & 0xff;
                let want = match f {
                    E::CountErrorFile => cat == ec::EC_FILE,
                    E::CountErrorNet => cat == ec::EC_NET,
                    E::CountErrorMemory => cat == ec::EC_MEMORY,
                    E::CountErrorOther => !matches!(cat, ec::EC_FILE | ec::EC_NET | ec::EC_MEMORY),
                    _ => true,
                };
                sink(Value::Uint((failed && want) as u64))
            }
            E::CountExit => sink(Value::Uint(self.is_exit() as u64)),
            E::Latency | E::LatencyS | E::LatencyNs | E::LatencyHuman => {
                if self.meta.enter_ts == 0 {
                    return false;
                }
                let l = self.ts().saturating_sub(self.meta.enter_ts);
                match f {
                    E::LatencyS => sink(Value::Uint(l / 1_000_000_000)),
                    E::LatencyNs => sink(Value::Uint(l % 1_000_000_000)),
                    E::LatencyHuman => {
                        return self.str_out(sink, |o| {
                            let _ = write!(o, "{}", time::human_duration(l));
                        })
                    }
                    _ => sink(Value::Uint(l)),
                }
            }
            E::Deltatime | E::DeltatimeS | E::DeltatimeNs => {
                let d = if self.meta.prev_ts == 0 {
                    0
                } else {
                    self.ts().saturating_sub(self.meta.prev_ts)
                };
                sink(Value::Uint(match f {
                    E::DeltatimeS => d / 1_000_000_000,
                    E::DeltatimeNs => d % 1_000_000_000,
                    _ => d,
                }))
            }
            E::IsOpenRead | E::IsOpenWrite | E::IsOpenExec | E::IsOpenCreate => {
                let Some(at) = crate::state::open_params(self.p.rec.evtype()) else {
                    return false;
                };
                let read = |i: Option<u8>| i.and_then(|i| self.p.uint(i as usize)).unwrap_or(0);
                let fl = read(at.flags) as u32;
                let mode = read(at.mode) as u32;
                let v = match f {
                    E::IsOpenRead => fl & 1 != 0,
                    E::IsOpenWrite => fl & 2 != 0,
                    E::IsOpenExec => {
                        (fl & (1 << 2) != 0 || info.name == "creat") && mode & 0o111 != 0
                    }
                    _ => fl & (1 << 14) != 0,
                };
                sink(Value::Bool(v))
            }
            E::AbsPath => {
                let name = match arg {
                    Some(FieldArg::Key(k)) if k == "src" => ["oldpath", "target"],
                    Some(FieldArg::Key(k)) if k == "dst" => ["newpath", "linkpath"],
                    _ => ["name", "path"],
                };
                let Some(i) = name.iter().find_map(|n| self.p.index(n)) else {
                    return false;
                };
                let (st, tid, p) = (self.st, self.meta.tid, self.p);
                let Scratch { a, b, .. } = &mut *self.s;
                if !render_param(st, tid, &p, i, a, b) {
                    return false;
                }
                sink(Value::Str(if b.is_empty() { a } else { b }));
            }
            E::Around | E::WaitLatency => return false,
        }
        true
    }

    fn extract_proc(
        &mut self,
        f: PR,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let Some(t) = self.th else {
            return match f {
                PR::Tid => {
                    sink(Value::Int(self.meta.tid));
                    true
                }
                _ => false,
            };
        };
        let st = self.st;
        let parent = st.main_thread(t).and_then(|m| st.parent(m));
        let idx = match arg {
            Some(FieldArg::Index(i)) => Some(*i),
            _ => None,
        };
        match f {
            PR::Exe => sink(Value::Str(t.exe.as_bytes())),
            PR::Exepath => sink(Value::Str(t.exepath.as_bytes())),
            PR::Name => sink(Value::Str(t.comm.as_bytes())),
            PR::Pexe
            | PR::Pexepath
            | PR::Pname
            | PR::Pcmdline
            | PR::Ppid
            | PR::Pvpid
            | PR::PpidDuration
            | PR::PpidTs => {
                let Some(p) = parent else {
                    // proc.ppid comes from the thread itself.
                    if f == PR::Ppid {
                        sink(Value::Int(t.ptid));
                        return true;
                    }
                    return false;
                };
                match f {
                    PR::Pexe => sink(Value::Str(p.exe.as_bytes())),
                    PR::Pexepath => sink(Value::Str(p.exepath.as_bytes())),
                    PR::Pname => sink(Value::Str(p.comm.as_bytes())),
                    PR::Pcmdline => return self.str_out(sink, |o| p.write_cmdline(o)),
                    PR::Ppid => sink(Value::Int(p.pid)),
                    PR::Pvpid => sink(Value::Int(p.vpid)),
                    PR::PpidTs => sink(Value::Uint(p.clone_ts)),
                    _ => {
                        if p.clone_ts == 0 {
                            return false;
                        }
                        sink(Value::Uint(self.ts().saturating_sub(p.clone_ts)))
                    }
                }
            }
            PR::Aname | PR::Aexe | PR::Aexepath | PR::Acmdline | PR::Apid => {
                let emit =
                    |a: &ThreadInfo, out: &mut Vec<u8>, sink: &mut dyn FnMut(Value<'_>)| match f {
                        PR::Aname => sink(Value::Str(a.comm.as_bytes())),
                        PR::Aexe => sink(Value::Str(a.exe.as_bytes())),
                        PR::Aexepath => sink(Value::Str(a.exepath.as_bytes())),
                        PR::Apid => sink(Value::Int(a.pid)),
                        _ => {
                            out.clear();
                            a.write_cmdline(out);
                            sink(Value::Str(out));
                        }
                    };
                match idx {
                    Some(n) => {
                        let Some(a) = self.ancestor(t, n) else {
                            return false;
                        };
                        emit(a, &mut self.s.a, sink);
                    }
                    None => {
                        let mut any = false;
                        for a in ancestors(st, t) {
                            emit(a, &mut self.s.a, sink);
                            any = true;
                        }
                        return any;
                    }
                }
            }
            PR::Args => return self.str_out(sink, |o| t.write_args(o)),
            PR::Cmdline => return self.str_out(sink, |o| t.write_cmdline(o)),
            PR::Exeline => {
                return self.str_out(sink, |o| {
                    o.extend_from_slice(t.exe.as_bytes());
                    if !t.args.is_empty() {
                        o.push(b' ');
                        t.write_args(o);
                    }
                })
            }
            PR::Cmdnargs => sink(Value::Uint(t.args.len() as u64)),
            PR::Cmdlenargs => sink(Value::Uint(t.args.iter().map(|a| a.len() as u64).sum())),
            PR::Env | PR::Aenv => match arg {
                Some(FieldArg::Key(k)) => {
                    let v = std::iter::once(t)
                        .chain(
                            if f == PR::Aenv {
                                Some(ancestors(st, t))
                            } else {
                                None
                            }
                            .into_iter()
                            .flatten(),
                        )
                        .find_map(|x| x.env_var(k));
                    let Some(v) = v else { return false };
                    sink(Value::Str(v.as_bytes()));
                }
                _ => {
                    return self.str_out(sink, |o| {
                        for (i, e) in t.env.iter().enumerate() {
                            if i > 0 {
                                o.push(b' ');
                            }
                            o.extend_from_slice(e.as_bytes());
                        }
                    })
                }
            },
            PR::Cwd => sink(Value::Str(t.cwd.as_bytes())),
            PR::Loginshellid => {
                let shell = std::iter::once(t)
                    .chain(ancestors(st, t))
                    .filter(|a| a.comm.ends_with("sh"))
                    .last();
                let Some(s) = shell else { return false };
                sink(Value::Int(s.pid))
            }
            PR::Tty => sink(Value::Uint(t.tty as u64)),
            PR::Pid => sink(Value::Int(t.pid)),
            PR::Vpid => sink(Value::Int(t.vpid)),
            PR::Sid => sink(Value::Int(t.sid)),
            PR::Sname | PR::SidExe | PR::SidExepath => {
                let l = self.leader(t, t.sid, true);
                match f {
                    PR::Sname => sink(Value::Str(l.comm.as_bytes())),
                    PR::SidExe => sink(Value::Str(l.exe.as_bytes())),
                    _ => sink(Value::Str(l.exepath.as_bytes())),
                }
            }
            PR::Vpgid => sink(Value::Int(t.vpgid)),
            PR::VpgidName | PR::VpgidExe | PR::VpgidExepath => {
                let l = self.leader(t, t.vpgid, false);
                match f {
                    PR::VpgidName => sink(Value::Str(l.comm.as_bytes())),
                    PR::VpgidExe => sink(Value::Str(l.exe.as_bytes())),
                    _ => sink(Value::Str(l.exepath.as_bytes())),
                }
            }
            PR::Pgid => sink(Value::Int(t.pgid)),
            PR::PgidName | PR::PgidExe | PR::PgidExepath => {
                let Some(l) = st.thread(t.pgid) else {
                    return false;
                };
                match f {
                    PR::PgidName => sink(Value::Str(l.comm.as_bytes())),
                    PR::PgidExe => sink(Value::Str(l.exe.as_bytes())),
                    _ => sink(Value::Str(l.exepath.as_bytes())),
                }
            }
            PR::Duration => {
                if t.clone_ts == 0 {
                    return false;
                }
                sink(Value::Uint(self.ts().saturating_sub(t.clone_ts)))
            }
            PR::PidTs => sink(Value::Uint(t.clone_ts)),
            PR::IsExeWritable => sink(Value::Bool(t.exe_writable)),
            PR::IsExeUpperLayer => sink(Value::Bool(t.exe_upper_layer)),
            PR::IsExeLowerLayer => sink(Value::Bool(t.exe_lower_layer)),
            PR::IsExeFromMemfd => sink(Value::Bool(t.exe_from_memfd)),
            PR::IsSidLeader => sink(Value::Bool(t.sid == t.vpid)),
            PR::IsVpgidLeader => sink(Value::Bool(t.vpgid == t.vpid)),
            PR::IsPgidLeader => sink(Value::Bool(t.pgid == t.pid)),
            PR::ExeIno => {
                if t.exe_ino == 0 {
                    return false;
                }
                sink(Value::Int(t.exe_ino as i64))
            }
            PR::ExeInoCtime | PR::ExeInoMtime => {
                let v = if f == PR::ExeInoCtime {
                    t.exe_ino_ctime
                } else {
                    t.exe_ino_mtime
                };
                if v == 0 {
                    return false;
                }
                sink(Value::Uint(v))
            }
            PR::ExeInoCtimeDurationProcStart => {
                if t.exe_ino_ctime == 0 || t.clone_ts < t.exe_ino_ctime {
                    return false;
                }
                sink(Value::Uint(t.clone_ts - t.exe_ino_ctime))
            }
            PR::ExeInoCtimeDurationPidnsStart => {
                if t.exe_ino_ctime == 0
                    || t.pidns_init_start_ts == 0
                    || t.exe_ino_ctime < t.pidns_init_start_ts
                {
                    return false;
                }
                sink(Value::Uint(t.exe_ino_ctime - t.pidns_init_start_ts))
            }
            PR::PidnsInitStartTs => sink(Value::Uint(t.pidns_init_start_ts)),
            PR::CapPermitted => return self.str_out(sink, |o| write_caps(o, t.cap_permitted)),
            PR::CapInheritable => return self.str_out(sink, |o| write_caps(o, t.cap_inheritable)),
            PR::CapEffective => return self.str_out(sink, |o| write_caps(o, t.cap_effective)),
            PR::IsContainerHealthcheck
            | PR::IsContainerLivenessProbe
            | PR::IsContainerReadinessProbe => sink(Value::Bool(false)),
            PR::Fdopencount => sink(Value::Uint(self.st.fd_count(t.pid).unwrap_or(0) as u64)),
            PR::Fdlimit => sink(Value::Int(t.fdlimit)),
            PR::Fdusage => {
                if t.fdlimit <= 0 {
                    return false;
                }
                let n = self.st.fd_count(t.pid).unwrap_or(0);
                sink(Value::Double(n as f64 * 100.0 / t.fdlimit as f64))
            }
            PR::Vmsize | PR::ThreadVmsize => {
                sink(Value::Uint(if f == PR::ThreadVmsize && !t.is_main() {
                    0
                } else {
                    t.vmsize_kb as u64
                }))
            }
            PR::Vmrss | PR::ThreadVmrss => {
                sink(Value::Uint(if f == PR::ThreadVmrss && !t.is_main() {
                    0
                } else {
                    t.vmrss_kb as u64
                }))
            }
            PR::ThreadVmsizeB => sink(Value::Uint(if t.is_main() {
                t.vmsize_kb as u64 * 1024
            } else {
                0
            })),
            PR::ThreadVmrssB => sink(Value::Uint(if t.is_main() {
                t.vmrss_kb as u64 * 1024
            } else {
                0
            })),
            PR::Vmswap => sink(Value::Uint(t.vmswap_kb as u64)),
            PR::Pfmajor => sink(Value::Uint(t.pfmajor)),
            PR::Pfminor => sink(Value::Uint(t.pfminor)),
            PR::Tid => sink(Value::Int(t.tid)),
            PR::Ismain => sink(Value::Bool(t.is_main())),
            PR::Vtid => sink(Value::Int(t.vtid)),
            PR::Nametid => {
                return self.str_out(sink, |o| {
                    let _ = write!(o, "{}{}", t.comm, t.tid);
                })
            }
            PR::Cgroups => {
                return self.str_out(sink, |o| {
                    for (i, (k, v)) in t.cgroups.iter().enumerate() {
                        if i > 0 {
                            o.push(b' ');
                        }
                        let _ = write!(o, "{k}={v}");
                    }
                })
            }
            PR::Cgroup => {
                let Some(FieldArg::Key(k)) = arg else {
                    return false;
                };
                let Some(v) = t.cgroup(k) else { return false };
                sink(Value::Str(v.as_bytes()))
            }
            PR::Nthreads | PR::Nchilds => {
                let (n, main_alive) = st.process_threads(t.pid);
                sink(Value::Uint(if f == PR::Nchilds && main_alive {
                    n.saturating_sub(1)
                } else {
                    n
                }))
            }
            PR::Exectime
            | PR::Totexectime
            | PR::ThreadCpu
            | PR::ThreadCpuUser
            | PR::ThreadCpuSystem => return false,
        }
        true
    }

    /// `fd.num`, libs' `m_lastevent_fd`: for an event that creates, uses or destroys an fd
    /// (and has a thread), the fd it names; a failed creation gives -1, a use of a bad fd the
    /// number passed.
    fn fd_num(&self) -> Option<i64> {
        use ringbuf_abi::schema::flags::{EF_CREATES_FD, EF_DESTROYS_FD, EF_USES_FD};
        if let Some(n) = self.meta.fd {
            return Some(n);
        }
        let info = ringbuf_abi::event_info(self.p.rec.evtype())?;
        if self.th.is_none() || info.flags & (EF_CREATES_FD | EF_USES_FD | EF_DESTROYS_FD) == 0 {
            return None;
        }
        if info.flags & EF_USES_FD != 0 {
            if let Some(n) = self.p.int_named("fd") {
                return Some(n);
            }
        }
        Some(-1)
    }

    /// `fd.types` (libs' `TYPE_FDTYPES`), on events that create, use or destroy an fd: without
    /// an argument the distinct types of every fd of the thread's process (in fd order), with
    /// `[n]` the type of fd `n`.
    fn extract_fd_types(
        &mut self,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        use ringbuf_abi::schema::flags::{EF_CREATES_FD, EF_DESTROYS_FD, EF_USES_FD};
        let Some(info) = ringbuf_abi::event_info(self.p.rec.evtype()) else {
            return false;
        };
        let Some(t) = self.th else { return false };
        if info.flags & (EF_CREATES_FD | EF_USES_FD | EF_DESTROYS_FD) == 0 {
            return false;
        }
        if let Some(FieldArg::Index(n)) = arg {
            let Some(fd) = self.st.fd_of(t.tid, *n as i64) else {
                return false;
            };
            let Some(s) = fd.kind.type_str() else {
                return false;
            };
            sink(Value::Str(s.as_bytes()));
            return true;
        }
        let mut types = Vec::new();
        if !self.st.fd_types(t.pid, &mut types) {
            return true;
        }
        for ty in types {
            sink(Value::Str(ty.as_bytes()));
        }
        true
    }

    /// libs' `extract_from_null_fd` for `fd.typechar`: an event that creates, uses or
    /// destroys an fd (of a known thread) whose fd is unknown, e.g. a failed creation, still
    /// gets the type its syscall makes (`f` for the open family, `4` for socket and accept,
    /// `p` for pipe, ...), `o` otherwise. `fd.uid` needs no fd entry either.
    fn extract_null_fd(&mut self, f: F, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        use ringbuf_abi::schema::flags::{EF_CREATES_FD, EF_DESTROYS_FD, EF_USES_FD};
        let Some(info) = self.p.info else {
            return false;
        };
        let Some(t) = self.th else { return false };
        if info.flags & (EF_CREATES_FD | EF_USES_FD | EF_DESTROYS_FD) == 0 {
            return false;
        }
        if f == F::Uid {
            // Thread id and the event's fd number, known or not.
            let n = self.fd_num().unwrap_or(-1);
            let tid = t.tid;
            return self.str_out(sink, |o| {
                let _ = write!(o, "{tid}{n}");
            });
        }
        if matches!(
            f,
            F::Name | F::Nameraw | F::Directory | F::Containername | F::Containerdirectory
        ) {
            return self.extract_name_from_creator(f, info, t, sink);
        }
        if f != F::Typechar {
            return false;
        }
        let c: &[u8] = match info.name {
            "open" | "openat" | "openat2" | "creat" => b"f",
            "socket" | "accept" | "accept4" => b"4",
            "pipe" | "pipe2" => b"p",
            "eventfd" | "eventfd2" => b"e",
            "signalfd" | "signalfd4" => b"s",
            "timerfd_create" => b"t",
            "inotify_init" | "inotify_init1" => b"i",
            _ => b"o",
        };
        sink(Value::Str(c));
        true
    }

    /// libs' `extract_fdname_from_creator`: without an fd entry (a failed creation), the exit
    /// of an open family call still names the path it tried (resolved against the cwd or
    /// its dirfd; `fd.nameraw` as given); other events name nothing. `fd.directory` is that
    /// name's directory.
    fn extract_name_from_creator(
        &mut self,
        f: F,
        info: &ringbuf_abi::EventInfo,
        t: &ThreadInfo,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        if info.direction != Direction::Exit {
            return false;
        }
        let raw: Option<&[u8]> = match info.name {
            "open" | "creat" | "openat" | "openat2" => self.p.str_named("name"),
            "open_by_handle_at" => self.p.str_named("path"),
            _ => None,
        };
        let name = match raw {
            Some(r) if f == F::Nameraw => String::from_utf8_lossy(r).into_owned(),
            Some(r) => {
                let base = match self.p.int_named("dirfd") {
                    Some(d) if d != -100 && !r.starts_with(b"/") => match self.st.fd_of(t.tid, d) {
                        Some(fd) => fd.name.clone(),
                        None => "<UNKNOWN>".to_string(),
                    },
                    _ => t.cwd.clone(),
                };
                path::resolve(&base, r)
            }
            // Other fd events have no name without an fd entry (the reference Falco run
            // prints `<NA>` for unlinkat's fd.name).
            None => return false,
        };
        let name = match f {
            F::Directory | F::Containerdirectory => match name.rfind('/') {
                Some(p) if p != 0 && p < name.len() - 1 => name[..p].to_string(),
                Some(p) if p != 0 => name,
                _ => "/".to_string(),
            },
            _ => name,
        };
        let name = match f {
            F::Containername | F::Containerdirectory => format!("{}:{name}", t.container_id),
            _ => name,
        };
        self.str_out(sink, |o| o.extend_from_slice(name.as_bytes()))
    }

    fn extract_fd(&mut self, f: F, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        if f == F::Num {
            let Some(n) = self.fd_num() else { return false };
            sink(Value::Int(n));
            return true;
        }
        let Some(fd) = self.fd else {
            return self.extract_null_fd(f, sink);
        };
        let (cip, cport, sip, sport, l4p) = match fd.kind {
            FdKind::Ip {
                cip,
                cport,
                sip,
                sport,
                l4proto,
            } => (Some(cip), Some(cport), Some(sip), Some(sport), l4proto),
            FdKind::IpServer { ip, port, l4proto } => (None, None, Some(ip), Some(port), l4proto),
            // libs' get_l4proto: a socket neither client nor server has no protocol yet,
            // except a raw one.
            FdKind::IpUnbound { l4proto, .. } if l4proto == l4::RAW => {
                (None, None, None, None, l4proto)
            }
            FdKind::IpUnbound { .. } => (None, None, None, None, l4::UNKNOWN),
            _ => (None, None, None, None, l4::UNKNOWN),
        };
        // libs decides the local end from the host's interfaces, not from who connected:
        // the client end is local when its address is one of the machine's (a connection's
        // two ends are both named only for connected sockets).
        // Host threads carry the container id "host" (what `container.id` shows).
        let in_container = self
            .th
            .is_some_and(|t| !t.container_id.is_empty() && t.container_id != "host");
        let ifs = self.st.interfaces();
        let (lip, lport, rip, rport) = match (cip, sip) {
            (Some(c), Some(s)) if matches!(fd.kind, FdKind::Ip { .. }) => {
                if ifs.is_local(&c, in_container) {
                    (Some(c), cport, Some(s), sport)
                } else {
                    (Some(s), sport, Some(c), cport)
                }
            }
            _ => (None, None, None, None),
        };
        // libs' fd.is_server: a listening socket, or a connection whose server address is
        // one of the machine's. A socket with no peer yet keeps libs' zeroed tuple, so its
        // server address is 0.0.0.0 or `::`; `::` shares its first 64 bits with `::1`, so an
        // unconnected IPv6 socket of a host thread counts as a server when the machine has
        // the loopback address.
        let server = match fd.kind {
            FdKind::IpServer { .. } => true,
            FdKind::Ip { .. } => sip.is_some_and(|s| ifs.is_local(&s, in_container)),
            FdKind::IpUnbound { v6, .. } => {
                let zero = if v6 {
                    IpAddr::V6([0; 16])
                } else {
                    IpAddr::V4([0; 4])
                };
                ifs.is_local(&zero, in_container)
            }
            _ => false,
        };
        let one_ip = |ip: Option<IpAddr>, sink: &mut dyn FnMut(Value<'_>)| match ip {
            Some(ip) => {
                sink(ip_value(&ip));
                true
            }
            None => false,
        };
        let one_port = |p: Option<u16>, sink: &mut dyn FnMut(Value<'_>)| match p {
            Some(p) => {
                sink(Value::Uint(p as u64));
                true
            }
            None => false,
        };
        let is_file = matches!(fd.kind, FdKind::File | FdKind::Directory);
        match f {
            F::Type => match fd.kind.type_str() {
                Some(s) => sink(Value::Str(s.as_bytes())),
                None => return false,
            },
            F::Typechar => {
                let c = [fd.kind.type_char()];
                return self.str_out(sink, |o| o.extend_from_slice(&c));
            }
            F::Name => sink(Value::Str(fd.name.as_bytes())),
            F::Nameraw => sink(Value::Str(fd.nameraw.as_bytes())),
            F::Directory => {
                if !is_file {
                    return false;
                }
                if fd.kind == FdKind::Directory {
                    sink(Value::Str(fd.name.as_bytes()))
                } else {
                    sink(Value::Str(path::dirname(&fd.name).as_bytes()))
                }
            }
            F::Filename => {
                if fd.kind != FdKind::File {
                    return false;
                }
                sink(Value::Str(path::basename(&fd.name).as_bytes()))
            }
            // libs' compare_ip/compare_net/compare_port look at both ends of an IP socket
            // even before it has any: a socket not yet bound or connected is 0.0.0.0:0 on
            // both sides for fd.ip, fd.net, fd.port and fd.proto.
            F::Ip | F::Net if matches!(fd.kind, FdKind::IpUnbound { .. }) => {
                let zero = if matches!(fd.kind, FdKind::IpUnbound { v6: true, .. }) {
                    IpAddr::V6([0; 16])
                } else {
                    IpAddr::V4([0; 4])
                };
                sink(ip_value(&zero));
                sink(ip_value(&zero));
            }
            F::Port | F::Proto if matches!(fd.kind, FdKind::IpUnbound { .. }) => {
                sink(Value::Uint(0));
                sink(Value::Uint(0));
            }
            F::Ip | F::Net => {
                let mut any = false;
                for ip in [cip, sip].into_iter().flatten() {
                    sink(ip_value(&ip));
                    any = true;
                }
                return any;
            }
            F::Port | F::Proto => {
                let mut any = false;
                for p in [cport, sport].into_iter().flatten() {
                    sink(Value::Uint(p as u64));
                    any = true;
                }
                return any;
            }
            F::Cip | F::Cnet => return one_ip(cip, sink),
            F::Sip | F::Snet => return one_ip(sip, sink),
            F::Lip | F::Lnet => return one_ip(lip, sink),
            F::Rip | F::Rnet => return one_ip(rip, sink),
            F::Cport => return one_port(cport, sink),
            F::Sport => return one_port(sport, sink),
            F::Lport => return one_port(lport, sink),
            F::Rport => return one_port(rport, sink),
            // libs names a listening socket's client and server protocols with an empty
            // string (its port is printed for connected sockets only). The client protocol
            // needs a role, which bind/listen/connect/accept give: a listening socket taken
            // from the capture's fd list has none, so it has no fd.cproto, while a unix
            // socket with a role has the empty one.
            F::Cproto if matches!(fd.kind, FdKind::IpServer { .. } | FdKind::Unix { .. }) => {
                if !(fd.is_server || fd.is_client) {
                    return false;
                }
                sink(Value::Str(b""))
            }
            F::Sproto if matches!(fd.kind, FdKind::IpServer { .. }) => sink(Value::Str(b"")),
            F::Cproto | F::Sproto | F::Lproto | F::Rproto => {
                let p = match f {
                    F::Cproto => cport,
                    F::Sproto => sport,
                    F::Lproto => lport,
                    _ => rport,
                };
                let Some(p) = p else { return false };
                return self.str_out(sink, |o| {
                    let _ = write!(o, "{p}");
                });
            }
            F::L4proto => {
                let s: &[u8] = match l4p {
                    l4::TCP => b"tcp",
                    l4::UDP => b"udp",
                    l4::ICMP => b"icmp",
                    l4::RAW => b"raw",
                    _ => return false,
                };
                sink(Value::Str(s))
            }
            F::Sockfamily => {
                if fd.kind.is_ip() {
                    sink(Value::Str(b"ip"))
                } else if matches!(fd.kind, FdKind::Unix { .. }) {
                    sink(Value::Str(b"unix"))
                } else {
                    return false;
                }
            }
            F::IsServer => sink(Value::Bool(server)),
            F::Connected => sink(Value::Bool(fd.connected)),
            F::NameChanged => sink(Value::Bool(self.meta.fd_name_changed)),
            F::Uid => {
                let (tid, n) = (self.meta.tid, fd.fd);
                return self.str_out(sink, |o| {
                    let _ = write!(o, "{tid}{n}");
                });
            }
            F::Containername | F::Containerdirectory => {
                let cid = self.th.map(|t| t.container_id.as_str()).unwrap_or("");
                let what = if f == F::Containername {
                    fd.name.as_str()
                } else {
                    path::dirname(&fd.name)
                };
                return self.str_out(sink, |o| {
                    let _ = write!(o, "{cid}:{what}");
                });
            }
            F::Dev => sink(Value::Int(fd.dev as i64)),
            F::DevMajor => sink(Value::Int(((fd.dev >> 20) & 0xfff) as i64)),
            F::DevMinor => sink(Value::Int((fd.dev & 0xfffff) as i64)),
            F::Ino => sink(Value::Int(fd.ino as i64)),
            F::CipName | F::SipName | F::LipName | F::RipName | F::Types | F::Num => return false,
        }
        true
    }

    fn extract_fspath(&mut self, f: P, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let names: &[&str] = match f {
            P::Name | P::Nameraw => &["name", "path", "pathname", "filename"],
            P::Source | P::Sourceraw => &["oldpath", "target"],
            P::Target | P::Targetraw => &["newpath", "linkpath"],
        };
        let Some(i) = names.iter().find_map(|n| self.p.index(n)) else {
            return false;
        };
        if self.p.raw(i).is_none() {
            return false;
        }
        let raw = matches!(f, P::Nameraw | P::Sourceraw | P::Targetraw);
        let (st, tid, p) = (self.st, self.meta.tid, self.p);
        let Scratch { a, b, .. } = &mut *self.s;
        if !render_param(st, tid, &p, i, a, b) {
            return false;
        }
        sink(Value::Str(if raw || b.is_empty() { a } else { b }));
        true
    }
}

impl EventFields for EventContext<'_> {
    fn extract(&mut self, field: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let Some(id) = FieldId::from_raw(field.id) else {
            return false;
        };
        let arg = field.arg.as_ref();
        match id {
            FieldId::Gen(f) => self.extract_gen(f, sink),
            FieldId::Evt(f) => self.extract_evt(f, arg, sink),
            FieldId::Proc(f) => self.extract_proc(f, arg, sink),
            FieldId::User(f) => {
                let Some(t) = self.th else { return false };
                let st = self.st;
                match f {
                    U::Uid => sink(Value::Uint(t.uid as u64)),
                    U::Loginuid => sink(Value::Int(if t.loginuid == u32::MAX {
                        -1
                    } else {
                        t.loginuid as i64
                    })),
                    U::Name | U::Homedir | U::Shell => {
                        let Some(u) = st.user(t.uid) else {
                            return false;
                        };
                        let v = match f {
                            U::Name => &u.name,
                            U::Homedir => &u.homedir,
                            _ => &u.shell,
                        };
                        sink(Value::Str(v.as_bytes()))
                    }
                    U::Loginname => {
                        if t.loginuid == u32::MAX {
                            return false;
                        }
                        let Some(u) = st.user(t.loginuid) else {
                            return false;
                        };
                        sink(Value::Str(u.name.as_bytes()))
                    }
                }
                true
            }
            FieldId::Group(f) => {
                let Some(t) = self.th else { return false };
                match f {
                    GR::Gid => sink(Value::Uint(t.gid as u64)),
                    GR::Name => {
                        let Some(g) = self.st.group(t.gid) else {
                            return false;
                        };
                        sink(Value::Str(g.name.as_bytes()))
                    }
                }
                true
            }
            FieldId::Container(f) => {
                let Some(t) = self.th else { return false };
                let on_host = t.container_id.is_empty() || t.container_id == "host";
                match f {
                    C::Id => sink(Value::Str(t.container_id.as_bytes())),
                    // libsinsp answers `host` for threads outside containers; a container's
                    // name needs runtime metadata, which we do not have.
                    C::Name if on_host => sink(Value::Str(b"host")),
                    C::Type if !on_host => sink(Value::Str(t.container_type.as_bytes())),
                    C::Privileged | C::HostPid | C::HostNetwork | C::HostIpc => return false,
                    _ => return false,
                }
                true
            }
            FieldId::Fd(F::Types) => self.extract_fd_types(arg, sink),
            FieldId::Fd(f) => self.extract_fd(f, sink),
            FieldId::FsPath(f) => self.extract_fspath(f, sink),
            FieldId::Fdlist(_) | FieldId::K8s(_) => false,
        }
    }

    fn event_type(&self) -> u16 {
        self.p.rec.evtype()
    }

    fn memo_get(&self, slot: u32) -> Option<bool> {
        let e = *self.s.memo.get(slot as usize)?;
        (e >> 1 == self.s.event).then_some(e & 1 == 1)
    }

    fn memo_set(&mut self, slot: u32, value: bool) {
        let slot = slot as usize;
        if slot >= self.s.memo.len() {
            self.s.memo.resize(slot + 1, 0);
        }
        self.s.memo[slot] = self.s.event << 1 | u64::from(value);
    }
}
