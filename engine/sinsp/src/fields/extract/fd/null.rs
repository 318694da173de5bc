//! `fd.*` fields of an event that creates, uses or destroys an fd whose fd entry is unknown,
//! e.g. a failed open: its type, uid and the name it tried (libs' `extract_from_null_fd`).

use std::io::Write;

use falco_rules::field::Value;
use ringbuf_abi::Direction;

use crate::fields::extract::EventContext;
use crate::fields::table::FdField as F;
use crate::state::{path, ThreadInfo};

impl EventContext<'_> {
    /// destroys an fd (of a known thread) whose fd is unknown, e.g. a failed creation, still
    /// gets the type its syscall makes (`f` for the open family, `4` for socket and accept,
    /// `p` for pipe, ...), `o` otherwise. `fd.uid` needs no fd entry either.
    pub(super) fn extract_null_fd(&mut self, f: F, sink: &mut dyn FnMut(Value<'_>)) -> bool {
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
            // libsinsp 0.25's `extract_typechar` lists open's exit nowhere: `o`.
            "openat" | "openat2" | "creat" => b"f",
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
            "accept" | "accept4" | "connect" => {
                // The tuple (or address) as printed in the arguments.
                let (st, tid, p) = (self.st, t.tid, self.p);
                let (mut plain, mut resolved) = (Vec::new(), Vec::new());
                if !crate::fields::args::render_param(st, tid, &p, 1, &mut plain, &mut resolved) {
                    return false;
                }
                let v = if resolved.is_empty() { plain } else { resolved };
                return self.str_out(sink, |o| o.extend_from_slice(&v));
            }
            // libsinsp 0.25 (`extract_fdname_from_event`): any other exit of an fd event
            // without an fd entry has an empty name, not none (mmap with fd -1, a close of an
            // unknown fd, unlinkat's dirfd).
            _ => return self.str_out(sink, |_| {}),
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
            // An empty name parameter: no name (libsinsp checks `empty()` for openat).
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
}
