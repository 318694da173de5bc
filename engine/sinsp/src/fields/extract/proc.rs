//! `proc.*` and `thread.*` fields: the event's thread, its process, parent, ancestors,
//! session and process group leaders (libsinsp's `thread` checks).
//!
//! [`EventContext::extract_proc`] dispatches; parent, ancestor and environment fields are
//! the named helpers below it.

use std::io::Write;

use falco_rules::field::{FieldArg, Value};

use super::EventContext;
use crate::fields::table::ProcField as PR;
use crate::state::snapshot::ancestors;
use crate::state::ThreadInfo;

impl<'a> EventContext<'a> {
    pub(super) fn extract_proc(
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
            | PR::PpidTs => return self.extract_parent(f, t, parent, sink),
            PR::Aname | PR::Aexe | PR::Aexepath | PR::Acmdline | PR::Apid => {
                return self.extract_ancestors(f, t, idx, sink)
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
            PR::Env | PR::Aenv => return self.extract_env(f, t, arg, sink),
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

    /// `proc.p*`: fields of the parent process; `proc.ppid` falls back to the thread's own
    /// parent tid when the parent is unknown.
    fn extract_parent(
        &mut self,
        f: PR,
        t: &ThreadInfo,
        parent: Option<&ThreadInfo>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
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
        true
    }

    /// `proc.a*`: fields of the `n`th ancestor with `[n]`, of every ancestor without.
    fn extract_ancestors(
        &mut self,
        f: PR,
        t: &'a ThreadInfo,
        idx: Option<u64>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let st = self.st;
        let emit = |a: &ThreadInfo, out: &mut Vec<u8>, sink: &mut dyn FnMut(Value<'_>)| match f {
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
        true
    }

    /// `proc.env` and `proc.aenv`: one variable with `[name]` (looked up in the ancestors
    /// too for `aenv`), the whole environment without.
    fn extract_env(
        &mut self,
        f: PR,
        t: &'a ThreadInfo,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let st = self.st;
        match arg {
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
        }
        true
    }

    /// The `n`th ancestor of `t` (`t` itself for 0).
    fn ancestor(&self, t: &'a ThreadInfo, n: u64) -> Option<&'a ThreadInfo> {
        if n == 0 {
            return Some(t);
        }
        ancestors(self.st, t).nth(usize::try_from(n - 1).ok()?)
    }

    /// The leader of `t`'s session (`by_sid`) or process group `id`: that thread when `t` sees
    /// host pids, else the furthest ancestor still in the group.
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
}

/// Capability names by bit number, as `proc.cap_*` prints them.
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
