//! Field values for the current event: [`EventContext`] implements the rules crate's
//! [`EventFields`] over the [`State`] after it processed the event.
//!
//! The thread and fd are looked up once, when the context is built. Strings that do not
//! live in the state (joined command lines, formatted arguments, times) are built in a
//! [`Scratch`] buffer reused across events, so the common path does not allocate.
//!
//! This module holds the context and the dispatch by field class; each class's extraction
//! lives in its own file, as an extra `impl EventContext` block (libsinsp's
//! `filter/checks/*` split): [`gen_event`] for `evt.*` fields every event has, [`evt`],
//! [`proc`], [`fd`], [`fspath`], [`user`], [`group`] and [`container`].

mod container;
mod evt;
mod fd;
mod fspath;
mod gen_event;
mod group;
mod proc;
mod user;

use falco_rules::field::{EventFields, FieldArg, ResolvedField, Value};
use ringbuf_abi::{Direction, Record};

use super::table::{FdField as F, FieldId};
use crate::params::Params;
use crate::state::fd::FdInfo;
use crate::state::snapshot::StateView;
use crate::state::{EventMeta, EventSnapshot, State, ThreadInfo};

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

    /// The return value, as libsinsp 0.25 reads it (`sinsp_evt::has_return_value` and
    /// `get_syscall_return_value`): the first parameter of a syscall exit event that has
    /// parameters, other than a generic syscall's, read as a signed 32- or 64-bit number by
    /// its length (0 for any other length), whatever the parameter's type (`geteuid`'s
    /// `euid` is its result too).
    fn res(&self) -> Option<i64> {
        let info = self.p.info?;
        if info.direction != Direction::Exit
            || info.category & ringbuf_abi::schema::category::EC_SYSCALL == 0
            || self.p.rec.evtype() == ringbuf_abi::ids::PPME_GENERIC_X
        {
            return None;
        }
        let raw = self.p.rec.param(0)?;
        Some(match raw.len() {
            4 => i64::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
            8 => crate::params::int_le(raw).unwrap_or(0),
            _ => 0,
        })
    }

    fn arg_index(&self, arg: Option<&FieldArg>) -> Option<usize> {
        match arg? {
            FieldArg::Index(i) => usize::try_from(*i).ok(),
            FieldArg::Key(k) => self.p.index(k),
        }
    }

    /// Builds a string in the scratch buffer with `f` and hands it to `sink`, for values
    /// that do not live in the state.
    fn str_out(&mut self, sink: &mut dyn FnMut(Value<'_>), f: impl FnOnce(&mut Vec<u8>)) -> bool {
        self.s.a.clear();
        f(&mut self.s.a);
        sink(Value::Str(&self.s.a));
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
            FieldId::User(f) => self.extract_user(f, sink),
            FieldId::Group(f) => self.extract_group(f, sink),
            FieldId::Container(f) => self.extract_container(f, arg, sink),
            FieldId::K8s(f) => self.extract_k8s(f, arg, sink),
            FieldId::Fd(F::Types) => self.extract_fd_types(arg, sink),
            FieldId::Fd(f) => self.extract_fd(f, sink),
            FieldId::FsPath(f) => self.extract_fspath(f, sink),
            FieldId::Fdlist(_) => false,
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
