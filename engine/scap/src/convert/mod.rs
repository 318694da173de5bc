//! Upgrades old event layouts to the current schema, the way libs' savefile converter does,
//! so the rest of the engine sees one schema: an exit event carries all of its parameters,
//! and the only enter events left are those libs 0.25's converter still passes (`open`,
//! `openat`, `openat2`, `creat`, `connect`, `execve` and `execveat`, plus the non-syscall
//! enter-only events such as `switch` or `procexit`).
//!
//! The rules, applied per event and driven by the event table's flags:
//!
//! 1. Events not managed by the converter (`EF_CONVERTER_MANAGED` unset) pass unchanged,
//!    except old enter versions (`EF_OLD_VERSION`), which are dropped; unused slots
//!    (`EF_UNUSED`) are dropped.
//! 2. A managed enter event is stored per thread, to be folded into that thread's next exit
//!    event of the same syscall. An old enter is then dropped, unless a current enter event of
//!    the same name exists, to which it is converted; a current enter is passed on, with
//!    missing parameters appended empty. The `execve` and `execveat` enters are old versions
//!    libs still passes (see [`KEPT_OLD_ENTERS`]): older `execve` enters become them.
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

use ringbuf_abi::record::{HEADER_LEN, OFF_TYPE};
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
    enters: Enters,
    out: Vec<u8>,
    plans: Plans,
}

/// The pending enter events by thread: (pending, the record's bytes) in `slots`, found
/// through `index`, or without hashing when the thread is the one looked up last (an exit
/// usually follows its own enter).
#[derive(Debug, Default)]
struct Enters {
    index: HashMap<u64, usize>,
    slots: Vec<(bool, Vec<u8>)>,
    /// The tid and slot of the last lookup that found or made one.
    last: Option<(u64, usize)>,
}

impl Enters {
    /// The slot of `tid`, made when missing. Past [`MAX_PENDING`] threads the store is
    /// cleared first.
    #[inline]
    fn slot(&mut self, tid: u64) -> &mut (bool, Vec<u8>) {
        let i = match self.last {
            Some((t, i)) if t == tid => i,
            _ => {
                if self.index.len() >= MAX_PENDING && !self.index.contains_key(&tid) {
                    self.index.clear();
                    self.slots.clear();
                }
                let slots = &mut self.slots;
                let i = *self.index.entry(tid).or_insert_with(|| {
                    slots.push((false, Vec::new()));
                    slots.len() - 1
                });
                self.last = Some((tid, i));
                i
            }
        };
        &mut self.slots[i]
    }

    /// The slot of `tid`, if it has one.
    #[inline]
    fn get_mut(&mut self, tid: u64) -> Option<&mut (bool, Vec<u8>)> {
        let i = match self.last {
            Some((t, i)) if t == tid => i,
            _ => {
                let i = *self.index.get(&tid)?;
                self.last = Some((tid, i));
                i
            }
        };
        self.slots.get_mut(i)
    }
}

/// The name of the current event an old one converts to: its own, except for the old
/// `accept4` layouts, which the 2022 table named `accept` and libs' converter table turns into
/// `accept4` (`PPME_SOCKET_ACCEPT4_X` and `_5_X` to `PPME_SOCKET_ACCEPT4_6_X`).
fn converted_name(info: &EventInfo) -> &'static str {
    if info.code.starts_with("PPME_SOCKET_ACCEPT4_") {
        "accept4"
    } else {
        info.name
    }
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
            let name = converted_name(info);
            if let Some(cur) = EVENT_TABLE.iter().find(|c| {
                c.name == name
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

/// The old enter versions libs' converter table still passes on (`C_ACTION_PASS` or
/// `C_ACTION_STORE_AND_PASS` in `converter/table.cpp`): libsinsp's execve parser falls back
/// on their parameters when the exit lacks some. Every older enter of the same syscall is
/// converted to them; they take an event number and reach the state, never the rules.
const KEPT_OLD_ENTERS: [u16; 2] = [
    ringbuf_abi::ids::PPME_SYSCALL_EXECVE_19_E,
    ringbuf_abi::ids::PPME_SYSCALL_EXECVEAT_E,
];

/// The kept old enter event an enter of the same syscall is converted to, if any.
fn kept_old_enter(evtype: u16) -> Option<u16> {
    let info = EVENT_TABLE.get(evtype as usize)?;
    KEPT_OLD_ENTERS
        .iter()
        .copied()
        .find(|&k| EVENT_TABLE[k as usize].name == info.name && info.direction == Direction::Enter)
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
        self.enters.slots.iter().filter(|(p, _)| *p).count()
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
                let slot = self.enters.slot(rec.tid());
                slot.0 = true;
                slot.1.clear();
                slot.1.extend_from_slice(rec.as_bytes());
                match current_id(ty).or_else(|| kept_old_enter(ty)) {
                    None => Conversion::Drop,
                    Some(t) if t != ty => rewrite(&mut self.out, &mut self.plans, t, rec, None),
                    Some(t) if KEPT_OLD_ENTERS.contains(&t) => {
                        if rec.nparams() as usize >= info.params.len() {
                            Conversion::Pass
                        } else {
                            rewrite(&mut self.out, &mut self.plans, t, rec, None)
                        }
                    }
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
                let enter = match self.enters.get_mut(rec.tid()) {
                    Some((pending, bytes)) if *pending => {
                        *pending = false;
                        // The enter's type is read before it is parsed again: most exits
                        // follow their own enter, the others need no parse.
                        let names = name_ids();
                        let enter_ty = bytes
                            .get(OFF_TYPE..OFF_TYPE + 2)
                            .map_or(u16::MAX, |t| u16::from_le_bytes([t[0], t[1]]));
                        if names.get(enter_ty as usize) == Some(&names[ty as usize]) {
                            Record::parse(bytes).ok()
                        } else {
                            None
                        }
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
    /// No source, but libs' converter pushes the type's default value: zeros of the
    /// type's size, all ones for a uid or gid (`push_default_parameter`).
    Default,
}

/// Most parameters a rewritten event gets, and most a plan reads from the stored or enter
/// event (sources are positions in a schema; the largest schema has 32, a test pins it).
const MAX_PARAMS: usize = 32;

/// A rewrite plan: the source of each parameter of the target event, and how many leading
/// parameters of the stored and enter events it reads.
#[derive(Debug)]
struct Plan {
    sources: Box<[Source]>,
    old_need: usize,
    enter_need: usize,
}

/// The rewrite plans computed so far, by [`plan_key`]. Bounded by the number of distinct
/// (event id, count) combinations, a few hundred at most.
#[derive(Debug, Default)]
pub(crate) struct Plans {
    by_key: HashMap<u64, usize>,
    list: Vec<Plan>,
    /// Per stored event id, the key and index of the plan it used last: a stream repeats
    /// the same few combinations, so most events find their plan here without hashing.
    recent: Vec<(u64, usize)>,
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
    fn get(&mut self, target: u16, old: &Record<'_>, enter: Option<&Record<'_>>) -> &Plan {
        let key = plan_key(target, old, enter);
        let slot = old.evtype() as usize;
        let hit = match self.recent.get(slot) {
            Some(&(k, i)) if k == key => Some(i),
            _ => None,
        };
        let i = match hit {
            Some(i) => i,
            None => {
                let i = match self.by_key.get(&key) {
                    Some(&i) => i,
                    None => {
                        self.list.push(plan(target, old, enter));
                        self.by_key.insert(key, self.list.len() - 1);
                        self.list.len() - 1
                    }
                };
                if self.recent.len() < EVENT_COUNT {
                    // u64::MAX is no key: its target id would be past the event table.
                    self.recent.resize(EVENT_COUNT, (u64::MAX, 0));
                }
                if let Some(r) = self.recent.get_mut(slot) {
                    *r = (key, i);
                }
                i
            }
        };
        &self.list[i]
    }
}

/// The sources of every parameter of `target` built from `old` (and `enter`).
fn plan(target: u16, old: &Record<'_>, enter: Option<&Record<'_>>) -> Plan {
    let tinfo = &EVENT_TABLE[target as usize];
    let oinfo = &EVENT_TABLE[old.evtype() as usize];
    let old_n = old.nparams() as usize;
    let einfo =
        enter.and_then(|e| Some((EVENT_TABLE.get(e.evtype() as usize)?, e.nparams() as usize)));
    let sources: Box<[Source]> = tinfo
        .params
        .iter()
        .take(MAX_PARAMS)
        .enumerate()
        .map(|(j, p)| match source(j, p, oinfo, old_n, einfo) {
            // libs adds connect's fd and addr in two steps and frees the enter event after
            // the first: the addr is the default however the enter read.
            Source::Enter(_) if tinfo.name == "connect" && p.name == "addr" && old_n == 2 => {
                Source::Default
            }
            Source::Empty if pushes_default(tinfo, oinfo, old_n, enter.is_some(), p) => {
                Source::Default
            }
            s => s,
        })
        .collect();
    let need = |pick: fn(&Source) -> Option<u8>| {
        sources
            .iter()
            .filter_map(pick)
            .map(|k| k as usize + 1)
            .max()
            .unwrap_or(0)
    };
    let old_need = need(|s| match *s {
        Source::Old(k) => Some(k),
        _ => None,
    });
    let enter_need = need(|s| match *s {
        Source::Enter(k) => Some(k),
        _ => None,
    });
    Plan {
        sources,
        old_need,
        enter_need,
    }
}

/// Whether libs' converter table (`converter/table.cpp`) fills a parameter it has no value
/// for with its type's default value rather than leaving it empty:
/// - the `C_INSTR_FROM_DEFAULT` parameters: fcntl's `arg`, socket's `flags`, accept's
///   `queuelen` and `queuemax`, sendmmsg's and recvmmsg's `res`;
/// - a parameter an exit of the current layout takes from its enter event
///   (`C_INSTR_FROM_ENTER` without `CIF_FALLBACK_TO_EMPTY`) when no enter event is stored,
///   except for the few syscalls whose table entries fall back to empty;
/// - connect's `addr` when the exit has only `res` and `tuple`: libs adds `fd` and `addr` in
///   two steps and frees the stored enter event after the first.
fn pushes_default(
    tinfo: &EventInfo,
    oinfo: &EventInfo,
    old_n: usize,
    has_enter: bool,
    p: &ringbuf_abi::ParamInfo,
) -> bool {
    if p.ptype.fixed_size().is_none() {
        // A variable-length default is zero bytes long: the same as empty.
        return false;
    }
    let default_param = matches!(
        (tinfo.name, p.name),
        ("fcntl", "arg")
            | ("socket", "flags")
            | ("accept" | "accept4", "queuelen" | "queuemax")
            | ("sendmmsg" | "recvmmsg", "res")
    );
    if default_param || (tinfo.name == "connect" && p.name == "addr" && old_n == 2) {
        return true;
    }
    // Same layout, fewer parameters: libs' `C_ACTION_ADD_PARAMS` from the enter event.
    if has_enter || tinfo.id != oinfo.id {
        return false;
    }
    let falls_back_to_empty = matches!(
        tinfo.name,
        "syscall"
            | "prlimit"
            | "brk"
            | "execve"
            | "setresuid"
            | "setuid"
            | "mkdir"
            | "ptrace"
            | "fchdir"
            | "setns"
            | "setgid"
            | "setpgid"
            | "setresgid"
    );
    let from_enter = EVENT_TABLE
        .get(tinfo.id.wrapping_sub(1) as usize)
        .is_some_and(|e| {
            e.direction == Direction::Enter && e.params.iter().any(|q| q.name == p.name)
        });
    from_enter && !falls_back_to_empty
}

/// Where the first `n` parameter values of a record lie (fewer when it has fewer): value
/// `k` is `bytes[starts[k]..starts[k + 1]]`. Offsets rather than slices, so that the array
/// is cheap to zero; filled in place by [`Values::locate`] (returning it would copy it).
struct Values<'a> {
    bytes: &'a [u8],
    starts: [u32; MAX_PARAMS + 1],
}

impl<'a> Values<'a> {
    #[inline(always)]
    fn empty() -> Self {
        Values {
            bytes: &[],
            starts: [0; MAX_PARAMS + 1],
        }
    }

    #[inline]
    fn locate(&mut self, rec: &Record<'a>, n: usize) {
        let bytes = rec.as_bytes();
        let lsize = ringbuf_abi::record::param_len_size(rec.evtype());
        let total = rec.nparams() as usize;
        let n = n.min(total).min(MAX_PARAMS);
        // Validated by Record::parse: the lengths and values lie within the record, whose
        // length fits a u32.
        let mut at = (HEADER_LEN + total * lsize) as u32;
        self.bytes = bytes;
        self.starts[0] = at;
        for (i, w) in bytes[HEADER_LEN..].chunks_exact(lsize).take(n).enumerate() {
            at += if lsize == 2 {
                u32::from(u16::from_le_bytes([w[0], w[1]]))
            } else {
                u32::from_le_bytes([w[0], w[1], w[2], w[3]])
            };
            self.starts[i + 1] = at;
        }
    }

    /// Value `k` (empty past the values located).
    #[inline]
    fn get(&self, k: usize) -> &'a [u8] {
        match (self.starts.get(k), self.starts.get(k + 1)) {
            (Some(&a), Some(&b)) if a <= b => self.bytes.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// libs' default value of a parameter type: zeros of its size, all ones for a uid or gid,
/// nothing for a variable-length type.
fn default_value(ptype: Option<ringbuf_abi::ParamType>) -> &'static [u8] {
    use ringbuf_abi::ParamType;
    const ZEROS: [u8; 16] = [0; 16];
    match ptype {
        Some(ParamType::Uid | ParamType::Gid) => &[0xff; 4],
        Some(t) => &ZEROS[..t.fixed_size().unwrap_or(0).min(16)],
        None => &[],
    }
}

/// Appends `v` to `out`; the common fixed sizes are copied as constants (a move each)
/// rather than through a `memcpy` call.
#[inline(always)]
fn put(out: &mut Vec<u8>, v: &[u8]) {
    if let Ok(a) = <[u8; 8]>::try_from(v) {
        out.extend_from_slice(&a);
    } else if let Ok(a) = <[u8; 4]>::try_from(v) {
        out.extend_from_slice(&a);
    } else if !v.is_empty() {
        out.extend_from_slice(v);
    }
}

/// Builds the `target` event from `old` (and the thread's enter event) into `out`: the
/// header, the parameter lengths, then each value copied from its planned source. The
/// layout is [`RecordBuilder`]'s (its tests pin it); writing in place saves its per-push
/// checks and the zero-filling of a buffer sized in advance.
///
/// [`RecordBuilder`]: ringbuf_abi::record::RecordBuilder
fn rewrite(
    out: &mut Vec<u8>,
    plans: &mut Plans,
    target: u16,
    old: &Record<'_>,
    enter: Option<Record<'_>>,
) -> Conversion {
    use ringbuf_abi::record::param_len_size;
    let plan = plans.get(target, old, enter.as_ref());
    let n = plan.sources.len();
    let lsize = param_len_size(target);
    let max_word = if lsize == 2 {
        u16::MAX as usize
    } else {
        u32::MAX as usize
    };
    // Each source record's values are located once, in one pass over its lengths (plan
    // sources are schema positions, below MAX_PARAMS).
    let mut ov = Values::empty();
    ov.locate(old, plan.old_need);
    let mut ev = Values::empty();
    if let Some(e) = &enter {
        ev.locate(e, plan.enter_need);
    }
    let tinfo = &EVENT_TABLE[target as usize];
    let value = |j: usize, s: &Source| -> &[u8] {
        match *s {
            Source::Old(k) => ov.get(k as usize),
            Source::Enter(k) => ev.get(k as usize),
            Source::Empty => &[],
            Source::Default => default_value(tinfo.params.get(j).map(|p| p.ptype)),
        }
    };
    let mut total = HEADER_LEN + n * lsize;
    for (j, s) in plan.sources.iter().enumerate() {
        let l = value(j, s).len();
        if l > max_word {
            // A value too long for a 16-bit length: deliver the event unconverted.
            return Conversion::Pass;
        }
        total += l;
    }
    let Ok(len) = u32::try_from(total) else {
        return Conversion::Pass;
    };
    out.clear();
    out.reserve(total);
    // The header, field by field in layout order (ts, tid, len, type, nparams).
    out.extend_from_slice(&old.ts().to_le_bytes());
    out.extend_from_slice(&old.tid().to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&target.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    debug_assert_eq!(out.len(), HEADER_LEN);
    if lsize == 2 {
        for (j, s) in plan.sources.iter().enumerate() {
            out.extend_from_slice(&(value(j, s).len() as u16).to_le_bytes());
        }
    } else {
        for (j, s) in plan.sources.iter().enumerate() {
            out.extend_from_slice(&(value(j, s).len() as u32).to_le_bytes());
        }
    }
    for (j, s) in plan.sources.iter().enumerate() {
        put(out, value(j, s));
    }
    debug_assert_eq!(out.len(), total);
    Conversion::Rewritten
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `rewrite` reads plan sources (schema positions) from arrays of MAX_PARAMS values.
    #[test]
    fn every_schema_fits_the_rewrite_arrays() {
        let widest = EVENT_TABLE.iter().map(|e| e.params.len()).max();
        assert!(widest.is_some_and(|w| w <= MAX_PARAMS), "{widest:?}");
    }
}
