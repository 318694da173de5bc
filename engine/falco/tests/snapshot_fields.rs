//! Every field reads the same through an [`EventSnapshot`] as through the [`State`] it was
//! captured from: the shared captures replayed through the engine's path (converter, state),
//! and after each event every field of the catalog (with index and key arguments) formatted
//! both ways. The evaluator threads see events only through snapshots, so any lookup the
//! snapshot misses shows up here as a differing value. The engine captures only the optional
//! parts its rules' fields need ([`SnapshotNeeds`]), so each field is also compared through a
//! snapshot captured with exactly the parts it needs, through a [`CaptureCache`] kept across
//! the events as the engine keeps it.

use falco_rules::field::{ArgSpec, FieldArg, FieldCatalog, ResolvedField};
use falco_scap::CaptureReader;
use falco_sinsp::fields::{EventContext, Scratch, SyscallCatalog};
use falco_sinsp::state::{CaptureCache, EventSnapshot, SnapshotNeeds, State, StateLimits};
use ringbuf_abi::Record;

/// Events compared per capture (the first ones; the small captures are compared whole).
const MAX_EVENTS: usize = 6_000;

/// Keys tried for fields that take one (`evt.arg.X`, `proc.env[X]`, ...).
const KEYS: &[&str] = &[
    "fd", "dirfd", "name", "path", "pathname", "res", "pid", "uid", "gid", "euid", "tid",
    "newpath", "oldpath", "target", "linkpath", "tuple", "addr", "data", "HOME", "PATH", "cpu",
];

/// Every field of the catalog, with a few index and key arguments where accepted.
fn fields(catalog: &SyscallCatalog) -> Vec<ResolvedField> {
    let mut out = Vec::new();
    for class in catalog.classes() {
        for f in class.fields {
            let mut args: Vec<Option<FieldArg>> = Vec::new();
            if f.arg != ArgSpec::Required {
                args.push(None);
            }
            if f.arg != ArgSpec::None {
                if f.arg_index {
                    args.extend((0..6).map(|i| Some(FieldArg::Index(i))));
                }
                if f.arg_key {
                    args.extend(KEYS.iter().map(|k| Some(FieldArg::Key(k.to_string()))));
                }
            }
            for a in args {
                if let Ok(r) = catalog.resolve(f.name, a.as_ref()) {
                    out.push(r);
                }
            }
        }
    }
    out
}

/// Each field's text form and JSON value, or `None` when it has none.
fn values(ctx: &mut EventContext<'_>, fields: &[ResolvedField]) -> Vec<(Option<String>, String)> {
    fields
        .iter()
        .map(|f| {
            let mut s = String::new();
            let text = ctx.format_field(f, &mut s).then_some(s);
            (text, format!("{:?}", ctx.json_field(f)))
        })
        .collect()
}

/// One event, just processed by `state`.
struct Event<'a, 'r> {
    state: &'a State,
    rec: Record<'r>,
    cpu: u16,
    number: usize,
    scratch: (&'a mut Scratch, &'a mut Scratch),
}

impl Event<'_, '_> {
    /// Appends to `out` (20 at most in all) each of `fields` whose value through `snap`
    /// differs from its value through the state.
    fn differences(
        &mut self,
        snap: &EventSnapshot,
        fields: &[ResolvedField],
        label: &str,
        out: &mut Vec<String>,
    ) {
        let (a, b) = (&mut *self.scratch.0, &mut *self.scratch.1);
        let direct = values(
            &mut EventContext::new(self.state, self.rec, self.cpu, a),
            fields,
        );
        let snapped = values(
            &mut EventContext::from_snapshot(snap, self.rec, self.cpu, b),
            fields,
        );
        for (f, (d, s)) in fields.iter().zip(direct.iter().zip(&snapped)) {
            if d != s && out.len() < 20 {
                out.push(format!(
                    "event {} (evtype {}) {}{label}: state {d:?} snapshot {s:?}",
                    self.number,
                    self.rec.evtype(),
                    f.name
                ));
            }
        }
    }
}

fn compare(capture: &str) -> usize {
    let catalog = SyscallCatalog::new();
    let fields = fields(&catalog);
    assert!(fields.len() > 300, "{} fields", fields.len());
    let path = falco_testdata::reference_path(format!("captures/{capture}"));
    let mut reader = CaptureReader::open(&path).unwrap_or_else(|e| panic!("{capture}: {e}"));
    reader.set_convert(true);
    let mut state = State::bootstrap(
        falco::capture::bootstrap::from_capture(reader.metadata()),
        StateLimits::default(),
    );
    let (mut a, mut b) = (Scratch::default(), Scratch::default());
    let mut snap = EventSnapshot::default();
    // Fields grouped by the snapshot parts they need, each group with its own snapshot.
    // Like the engine's state stage, each group captures through a cache kept across events.
    let mut groups: Vec<(
        SnapshotNeeds,
        Vec<ResolvedField>,
        EventSnapshot,
        CaptureCache,
    )> = Vec::new();
    for f in &fields {
        let needs = SnapshotNeeds::of_field(f.id);
        match groups.iter_mut().find(|g| g.0 == needs) {
            Some(g) => g.1.push(f.clone()),
            None => groups.push((
                needs,
                vec![f.clone()],
                EventSnapshot::default(),
                CaptureCache::default(),
            )),
        }
    }
    assert!(
        groups.len() >= 3 && groups.iter().any(|g| g.0 == SnapshotNeeds::NONE),
        "{:?}",
        groups.iter().map(|g| g.0).collect::<Vec<_>>()
    );
    let mut compared = 0;
    let mut differences = Vec::new();
    while compared < MAX_EVENTS {
        let Some(ev) = reader
            .next_event()
            .unwrap_or_else(|e| panic!("{capture}: {e}"))
        else {
            break;
        };
        let rec = ev.record;
        state.process(rec, ev.cpu);
        snap.capture(&state, rec);
        let mut event = Event {
            state: &state,
            rec,
            cpu: ev.cpu,
            number: compared + 1,
            scratch: (&mut a, &mut b),
        };
        event.differences(&snap, &fields, "", &mut differences);
        for (needs, group, gsnap, cache) in &mut groups {
            gsnap.capture_cached(&state, rec, *needs, cache);
            event.differences(
                gsnap,
                group,
                &format!(" with only {needs:?}"),
                &mut differences,
            );
        }
        compared += 1;
    }
    assert!(
        differences.is_empty(),
        "{capture}: fields differ through the snapshot:\n{}",
        differences.join("\n")
    );
    compared
}

#[test]
fn every_field_reads_the_same_through_a_snapshot() {
    for capture in [
        "sensitive_reads.scap.gz",
        "container_shell.scap.gz",
        "file_mutations.scap.gz",
        "network.scap.gz",
        "busy_server.scap.gz",
    ] {
        let n = compare(capture);
        assert!(n > 1000, "{capture}: only {n} events");
    }
}
