//! `evt.*` fields that read the event itself: its type and category, arguments, result,
//! I/O direction, latency and open flags (libsinsp's `event` checks).
//!
//! [`EventContext::extract_evt`] dispatches; the arms with more than a few lines of their
//! own are the named helpers below it.

use std::io::Write;

use falco_rules::field::{FieldArg, Value};
use ringbuf_abi::schema::{category as ec, flags as ef};
use ringbuf_abi::{Direction, EventInfo};

use super::{EventContext, Scratch};
use crate::fields::args::render_param;
use crate::fields::table::EvtField as E;
use crate::fields::time;
use crate::state::fd::FdKind;

impl EventContext<'_> {
    pub(super) fn extract_evt(
        &mut self,
        f: E,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let Some(info) = self.p.info else {
            return false;
        };
        let flags = info.flags;
        match f {
            E::Dir => sink(Value::Str(if self.is_exit() { b"<" } else { b">" })),
            E::Type => match crate::fields::generic::generic_name(&self.p.rec) {
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
            E::Category => sink(Value::Str(self.category_name(info))),
            E::Cpu => sink(Value::Int(self.cpu as i64)),
            E::Args | E::Info => self.extract_args_line(info, sink),
            E::Arg => {
                let Some(i) = self.arg_index(arg) else {
                    return false;
                };
                return self.extract_rendered_param(i, sink);
            }
            E::Rawarg => return self.extract_rawarg(info, arg, sink),
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
                    let n = crate::fields::names::errno_name(-r);
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
                return self.extract_latency(f, sink)
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
                return self.extract_open_flag(f, info, sink)
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
                return self.extract_rendered_param(i, sink);
            }
            E::Around | E::WaitLatency => return false,
        }
        true
    }

    /// `evt.category`: the event's category name.
    fn category_name(&self, info: &EventInfo) -> &'static [u8] {
        match info.category & 0xff {
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
            ec::EC_IO_READ | ec::EC_IO_WRITE | ec::EC_IO_OTHER => match self.fd.map(|f| &f.kind) {
                Some(FdKind::File | FdKind::Directory) => b"file",
                Some(FdKind::Ip { .. } | FdKind::IpServer { .. } | FdKind::IpUnbound { .. }) => {
                    b"net"
                }
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
        }
    }

    /// `evt.args` and `evt.info`: every parameter as `name=value`, the resolved form in
    /// parentheses where there is one, joined by spaces.
    fn extract_args_line(&mut self, info: &EventInfo, sink: &mut dyn FnMut(Value<'_>)) {
        let (st, tid, p) = (self.st, self.meta.tid, self.p);
        let Scratch { a, b, .. } = &mut *self.s;
        let mut out = std::mem::take(a);
        out.clear();
        let mut plain = Vec::new();
        // libsinsp prints no arguments for a generic syscall: its id and native id are for
        // internal use (`TYPE_ARGS` in sinsp_filtercheck_event.cpp).
        let generic = p.rec.evtype() == ringbuf_abi::ids::PPME_GENERIC_X;
        for (i, pi) in info.params.iter().enumerate().filter(|_| !generic) {
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

    /// `evt.arg` and `evt.abspath`: parameter `i` as printed, its resolved form when it has one.
    fn extract_rendered_param(&mut self, i: usize, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        let (st, tid, p) = (self.st, self.meta.tid, self.p);
        let Scratch { a, b, .. } = &mut *self.s;
        if !render_param(st, tid, &p, i, a, b) {
            return false;
        }
        sink(Value::Str(if b.is_empty() { a } else { b }));
        true
    }

    /// `evt.rawarg`: a parameter's raw value, as a string or a number of its width.
    fn extract_rawarg(
        &mut self,
        info: &EventInfo,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
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
        true
    }

    /// `evt.latency*`: time since the matching enter event, when there was one.
    fn extract_latency(&mut self, f: E, sink: &mut dyn FnMut(Value<'_>)) -> bool {
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
        true
    }

    /// `evt.is_open_read`, `_write`, `_exec` and `_create`: the open flags (and mode) of an
    /// open family event.
    fn extract_open_flag(
        &mut self,
        f: E,
        info: &EventInfo,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let Some(at) = crate::state::open_params(self.p.rec.evtype()) else {
            return false;
        };
        let read = |i: Option<u8>| i.and_then(|i| self.p.uint(i as usize)).unwrap_or(0);
        let fl = read(at.flags) as u32;
        let mode = read(at.mode) as u32;
        let v = match f {
            E::IsOpenRead => fl & 1 != 0,
            E::IsOpenWrite => fl & 2 != 0,
            E::IsOpenExec => (fl & (1 << 2) != 0 || info.name == "creat") && mode & 0o111 != 0,
            _ => fl & (1 << 14) != 0,
        };
        sink(Value::Bool(v));
        true
    }
}
