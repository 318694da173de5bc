//! Upgrades old event layouts to the current schema, the way libs' savefile converter does,
//! so the rest of the engine sees one schema: an exit event carries all of its parameters,
//! and the only enter events left are those current libs still emits (`open`, `openat`,
//! `openat2`, `creat`, `connect`, plus the non-syscall enter-only events such as `switch`
//! or `procexit`).
//!
//! The rules, applied per event and driven by the event table's flags:
//!
//! 1. Events not managed by the converter (`EF_CONVERTER_MANAGED` unset) pass unchanged,
//!    except old enter versions (`EF_OLD_VERSION`), which are dropped; unused slots
//!    (`EF_UNUSED`) are dropped.
//! 2. A managed enter event is stored per thread, to be folded into that thread's next exit
//!    event of the same syscall. An old enter is then dropped, unless a current enter event of
//!    the same name exists, to which it is converted; a current enter is passed on, with
//!    missing parameters appended empty.
//! 3. A managed exit event is converted when it is an old version (its type changes to the
//!    current exit event of the same name) or has fewer parameters than the schema. Each
//!    parameter of the target schema is taken, in order of preference, from the stored event
//!    by name, from the stored enter event by name, from the stored enter event by position
//!    after the stored exit's parameters when the types agree, and is otherwise left empty.
//!
//! libs drives the same rules from a hand-written table (`converter/table.cpp`) keyed by
//! (type, parameter count). This converter derives the table from the event schema instead,
//! matching parameters by name; where libs pushes a type's default value (a handful of
//! fixed-size parameters such as `accept`'s `queuepct`) this converter pushes an empty
//! parameter, which every consumer must handle anyway.

use foldhash::HashMap;
use std::sync::OnceLock;

use ringbuf_abi::schema::flags::EF_CONVERTER_MANAGED;
use ringbuf_abi::{Direction, EventInfo, Record, EVENT_COUNT, EVENT_TABLE};

/// Largest number of threads with a pending enter event. Past it the store is cleared, which
/// costs at most the enter parameters of the events in flight, and keeps memory bounded.
const MAX_PENDING: usize = 65_536;

/// What the converter decided for one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    /// The event is already in the current layout: use it as is.
    Pass,
    /// The event is dropped (an old enter event folded into its exit, or an unused slot).
    Drop,
    /// The event was rewritten; the new record is [`Converter::output`].
    Rewritten,
}

/// The converter's state: one pending enter event per thread, and the output buffer.
#[derive(Debug, Default)]
pub struct Converter {
    /// tid -> (an enter event is pending, its bytes). Buffers are kept and reused.
    enters: HashMap<u64, (bool, Vec<u8>)>,
    out: Vec<u8>,
    plans: Plans,
}

/// For each event id, the current id of the same name and direction, or `u16::MAX`.
fn current_ids() -> &'static [u16; EVENT_COUNT] {
    static IDS: OnceLock<[u16; EVENT_COUNT]> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut ids = [u16::MAX; EVENT_COUNT];
        for (i, slot) in ids.iter_mut().enumerate() {
            let info = &EVENT_TABLE[i];
            if !info.is_old_version() {
                *slot = i as u16;
                continue;
            }
            if let Some(cur) = EVENT_TABLE.iter().find(|c| {
                c.name == info.name
                    && c.direction == info.direction
                    && !c.is_old_version()
                    && !c.is_unused()
            }) {
                *slot = cur.id;
            }
        }
        ids
    })
}

/// For each event id, the first id of the same name: two events are of the same syscall when
/// their name ids are equal (one array read instead of a string comparison per exit).
fn name_ids() -> &'static [u16; EVENT_COUNT] {
    static IDS: OnceLock<[u16; EVENT_COUNT]> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut ids = [0u16; EVENT_COUNT];
        for (i, slot) in ids.iter_mut().enumerate() {
            let name = EVENT_TABLE[i].name;
            *slot = EVENT_TABLE.iter().position(|c| c.name == name).unwrap_or(i) as u16;
        }
        ids
    })
}

/// The current event id for an old one (itself when it is current), or `None` when the event
/// has no current version.
pub fn current_id(evtype: u16) -> Option<u16> {
    match current_ids().get(evtype as usize) {
        Some(&id) if id != u16::MAX => Some(id),
        _ => None,
    }
}

impl Converter {
    /// A converter with no pending enter events.
    pub fn new() -> Self {
        Self::default()
    }

    /// The record produced by the last [`Conversion::Rewritten`].
    pub fn output(&self) -> &[u8] {
        &self.out
    }

    /// Number of threads with a pending enter event.
    pub fn pending(&self) -> usize {
        self.enters.values().filter(|(p, _)| *p).count()
    }

    /// Converts one event: returns the event to deliver (the input, or a rewritten record
    /// borrowed from the converter), or `None` when it is dropped.
    pub fn convert<'a>(&'a mut self, rec: Record<'a>) -> Option<Record<'a>> {
        match self.process(&rec) {
            Conversion::Pass => Some(rec),
            Conversion::Drop => None,
            // The output was built by RecordBuilder, so it parses; be safe and pass the
            // original otherwise.
            Conversion::Rewritten => Some(Record::parse(&self.out).unwrap_or(rec)),
        }
    }

    /// Decides what to do with one event, rewriting it into [`Converter::output`] when needed.
    pub fn process(&mut self, rec: &Record<'_>) -> Conversion {
        let ty = rec.evtype();
        let Some(info) = EVENT_TABLE.get(ty as usize) else {
            return Conversion::Pass;
        };
        if info.is_unused() {
            return Conversion::Drop;
        }
        let managed = info.flags & EF_CONVERTER_MANAGED != 0;
        match info.direction {
            Direction::Enter => {
                if !managed {
                    return if info.is_old_version() {
                        Conversion::Drop
                    } else {
                        Conversion::Pass
                    };
                }
                if self.enters.len() >= MAX_PENDING && !self.enters.contains_key(&rec.tid()) {
                    self.enters.clear();
                }
                let slot = self.enters.entry(rec.tid()).or_default();
                slot.0 = true;
                slot.1.clear();
                slot.1.extend_from_slice(rec.as_bytes());
                match current_id(ty) {
                    None => Conversion::Drop,
                    Some(t) if t != ty => rewrite(&mut self.out, &mut self.plans, t, rec, None),
                    Some(_) if info.is_old_version() => Conversion::Drop,
                    Some(_) if rec.nparams() as usize >= info.params.len() => Conversion::Pass,
                    Some(t) => rewrite(&mut self.out, &mut self.plans, t, rec, None),
                }
            }
            Direction::Exit => {
                if !managed {
                    return Conversion::Pass;
                }
                // The stored enter belongs to this exit only if it is the same syscall.
                let enter = match self.enters.get_mut(&rec.tid()) {
                    Some((pending, bytes)) if *pending => {
                        *pending = false;
                        let names = name_ids();
                        let name = names[ty as usize];
                        Record::parse(bytes)
                            .ok()
                            .filter(|er| names.get(er.evtype() as usize) == Some(&name))
                    }
                    _ => None,
                };
                let Some(target) = current_id(ty) else {
                    return Conversion::Pass;
                };
                if target == ty && rec.nparams() as usize >= info.params.len() {
                    return Conversion::Pass;
                }
                rewrite(&mut self.out, &mut self.plans, target, rec, enter)
            }
        }
    }
}

/// Where one parameter of a rewritten event comes from. It depends on the schemas and
/// parameter counts only, never on the values, so it is decided once per
/// (target, stored event and count, enter event and count): see [`Plans`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// Parameter `k` of the stored event.
    Old(u8),
    /// Parameter `k` of the thread's enter event.
    Enter(u8),
    /// No source: an empty parameter.
    Empty,
}

/// Most parameters a rewritten event gets (the largest schema has 32).
const MAX_PARAMS: usize = 64;

/// The rewrite plans computed so far, by [`plan_key`]. Bounded by the number of distinct
/// (event id, count) combinations, a few hundred at most.
#[derive(Debug, Default)]
pub(crate) struct Plans {
    plans: HashMap<u64, Box<[Source]>>,
}

/// The key of a plan: target id, stored id and count, enter id and count (counts are
/// clamped to 255: past every schema's length they select the same sources).
fn plan_key(target: u16, old: &Record<'_>, enter: Option<&Record<'_>>) -> u64 {
    let count = |r: &Record<'_>| u64::from(r.nparams().min(255));
    let (eid, en) = enter.map_or((u64::from(u16::MAX), 0), |e| {
        (u64::from(e.evtype()), count(e))
    });
    u64::from(target) | u64::from(old.evtype()) << 16 | count(old) << 32 | eid << 40 | en << 56
}

impl Plans {
    fn get(&mut self, target: u16, old: &Record<'_>, enter: Option<&Record<'_>>) -> &[Source] {
        self.plans
            .entry(plan_key(target, old, enter))
            .or_insert_with(|| plan(target, old, enter))
    }
}

/// The sources of every parameter of `target` built from `old` (and `enter`).
fn plan(target: u16, old: &Record<'_>, enter: Option<&Record<'_>>) -> Box<[Source]> {
    let tinfo = &EVENT_TABLE[target as usize];
    let oinfo = &EVENT_TABLE[old.evtype() as usize];
    let old_n = old.nparams() as usize;
    let einfo =
        enter.and_then(|e| Some((EVENT_TABLE.get(e.evtype() as usize)?, e.nparams() as usize)));
    tinfo
        .params
        .iter()
        .take(MAX_PARAMS)
        .enumerate()
        .map(|(j, p)| source(j, p, oinfo, old_n, einfo))
        .collect()
}

/// Builds the `target` event from `old` (and the thread's enter event) into `out`: the
/// header, the parameter lengths, then each value copied from its planned source. The
/// layout is [`RecordBuilder`]'s (its tests pin it); writing in place saves its per-push
/// checks and the zero-filling of a buffer sized in advance.
fn rewrite(
    out: &mut Vec<u8>,
    plans: &mut Plans,
    target: u16,
    old: &Record<'_>,
    enter: Option<Record<'_>>,
) -> Conversion {
    use ringbuf_abi::record::{
        param_len_size, HEADER_LEN, OFF_LEN, OFF_NPARAMS, OFF_TID, OFF_TS, OFF_TYPE,
    };
    let plan = plans.get(target, old, enter.as_ref());
    let n = plan.len();
    let lsize = param_len_size(target);
    let max_word = if lsize == 2 {
        u16::MAX as usize
    } else {
        u32::MAX as usize
    };
    let values_at = HEADER_LEN + n * lsize;
    out.clear();
    out.resize(values_at, 0);
    out[OFF_TS..OFF_TS + 8].copy_from_slice(&old.ts().to_le_bytes());
    out[OFF_TID..OFF_TID + 8].copy_from_slice(&old.tid().to_le_bytes());
    out[OFF_TYPE..OFF_TYPE + 2].copy_from_slice(&target.to_le_bytes());
    out[OFF_NPARAMS..OFF_NPARAMS + 4].copy_from_slice(&(n as u32).to_le_bytes());
    let mut olds = Cursor::new(*old);
    let mut enters = enter.map(Cursor::new);
    for (j, s) in plan.iter().enumerate() {
        let v = match *s {
            Source::Old(k) => olds.get(k as usize),
            Source::Enter(k) => enters.as_mut().and_then(|e| e.get(k as usize)),
            Source::Empty => None,
        }
        .unwrap_or(&[]);
        if v.len() > max_word {
            // A value too long for a 16-bit length: deliver the event unconverted.
            return Conversion::Pass;
        }
        let at = HEADER_LEN + j * lsize;
        if lsize == 2 {
            out[at..at + 2].copy_from_slice(&(v.len() as u16).to_le_bytes());
        } else {
            out[at..at + 4].copy_from_slice(&(v.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(v);
    }
    let Ok(len) = u32::try_from(out.len()) else {
        return Conversion::Pass;
    };
    out[OFF_LEN..OFF_LEN + 4].copy_from_slice(&len.to_le_bytes());
    Conversion::Rewritten
}

/// Sequential access to a record's parameters: plans read them mostly in increasing order,
/// so each value is found from the previous one instead of from the first.
struct Cursor<'a> {
    rec: Record<'a>,
    iter: ringbuf_abi::record::ParamIter<'a>,
    next: usize,
}

impl<'a> Cursor<'a> {
    fn new(rec: Record<'a>) -> Self {
        Cursor {
            rec,
            iter: rec.params().iter(),
            next: 0,
        }
    }

    fn get(&mut self, k: usize) -> Option<&'a [u8]> {
        if k < self.next {
            self.iter = self.rec.params().iter();
            self.next = 0;
        }
        let v = self.iter.nth(k - self.next);
        self.next = k + 1;
        v
    }
}

/// Where parameter `j` (schema `p`) of the target event comes from, given the stored event's
/// schema and parameter count and the enter event's.
fn source(
    j: usize,
    p: &ringbuf_abi::ParamInfo,
    oinfo: &EventInfo,
    old_n: usize,
    enter: Option<(&EventInfo, usize)>,
) -> Source {
    let compatible = |q: &ringbuf_abi::ParamInfo| {
        q.ptype == p.ptype
            || (q.ptype.fixed_size().is_some() && q.ptype.fixed_size() == p.ptype.fixed_size())
    };
    // From the stored event, by name.
    if let Some(k) = oinfo
        .params
        .iter()
        .take(old_n)
        .position(|q| q.name == p.name && compatible(q))
    {
        return Source::Old(k as u8);
    }
    let Some((einfo, enter_n)) = enter else {
        return Source::Empty;
    };
    // From the enter event, by name.
    if let Some(k) = einfo
        .params
        .iter()
        .take(enter_n)
        .position(|q| q.name == p.name && compatible(q))
    {
        return Source::Enter(k as u8);
    }
    // From the enter event, by position after the exit's own parameters.
    let Some(k) = j.checked_sub(old_n) else {
        return Source::Empty;
    };
    match einfo.params.get(k) {
        Some(q) if k < enter_n && q.ptype == p.ptype => Source::Enter(k as u8),
        _ => Source::Empty,
    }
}
