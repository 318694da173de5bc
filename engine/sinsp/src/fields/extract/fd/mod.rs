//! `fd.*` fields: the event's file descriptor, its type, name and device (libsinsp's `fd`
//! checks). Socket addresses and ports are in [`socket`]; the fields an fd event still has
//! when its fd is unknown (a failed open) in [`null`].

mod null;
mod socket;

use std::io::Write;

use falco_rules::field::{FieldArg, Value};

use super::EventContext;
use crate::fields::table::FdField as F;
use crate::state::fd::FdKind;
use crate::state::path;

impl EventContext<'_> {
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
            let at = crate::state::fd_param(self.p.rec.evtype());
            if let Some(n) = at.and_then(|i| self.p.int(i as usize)) {
                return Some(n);
            }
        }
        Some(-1)
    }

    /// `fd.types` (libs' `TYPE_FDTYPES`), on events that create, use or destroy an fd: without
    /// an argument the distinct types of every fd of the thread's process (in fd order), with
    /// `[n]` the type of fd `n`.
    pub(super) fn extract_fd_types(
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
        if !self.st.fd_types(t.fd_table_key(), &mut types) {
            return true;
        }
        for ty in types {
            sink(Value::Str(ty.as_bytes()));
        }
        true
    }

    pub(super) fn extract_fd(&mut self, f: F, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        if f == F::Num {
            let Some(n) = self.fd_num() else { return false };
            sink(Value::Int(n));
            return true;
        }
        let Some(fd) = self.fd else {
            return self.extract_null_fd(f, sink);
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
            F::Ip
            | F::Net
            | F::Port
            | F::Proto
            | F::Cip
            | F::Cnet
            | F::Sip
            | F::Snet
            | F::Lip
            | F::Lnet
            | F::Rip
            | F::Rnet
            | F::Cport
            | F::Sport
            | F::Lport
            | F::Rport
            | F::Cproto
            | F::Sproto
            | F::Lproto
            | F::Rproto
            | F::L4proto
            | F::Sockfamily
            | F::IsServer => return self.extract_fd_socket(f, fd, sink),
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
}
