//! The evaluator stage: threads that run the candidate rules of each event on the snapshot
//! the state stage took right after the event ([`EventSnapshot`]), and format the alerts.
//!
//! Work travels in [`WorkUnit`]s, one per source batch: the batch's records, the indexes of the
//! events that have candidate rules with one snapshot each, the ruleset in force when the state
//! stage processed them, and a sequence number that the reorder stage (`reorder.rs`) uses to
//! put the alerts back in event order. Rules only read their event and its snapshot, so any
//! number of evaluators yields the alerts a single thread would, in the same order.

use super::alert::{AlertFormat, RuleAlert};
use crate::config::{Loaded, RuleMatching};
use crate::source::EventBatch;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use falco_outputs::Alert;
use falco_rules::field::{FieldCatalog, ResolvedField};
use falco_rules::output::OutputSegment;
use falco_rules::priority::Priority;
use falco_rules::ruleset::{Rule, RuleSet};
use falco_sinsp::fields::{EventContext, JsonValue, Scratch, SyscallCatalog};
use falco_sinsp::state::{EventSnapshot, SnapshotNeeds};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What evaluation needs from the configuration and the rules; swapped as a whole on reload.
pub struct Detection {
    /// The rules.
    pub ruleset: RuleSet,
    /// How alerts are formatted.
    pub fmt: AlertFormat,
    time_field: ResolvedField,
    /// `rule_matching: first`: an event stops at its first matching rule.
    pub first_only: bool,
    /// `json_output`.
    pub json_output: bool,
    /// The optional snapshot parts the enabled rules' conditions and outputs read: the state
    /// stage captures only these.
    pub needs: SnapshotNeeds,
}

impl Detection {
    /// Builds the detection configuration of `loaded` around `ruleset`.
    ///
    /// # Errors
    /// The time field of the output format does not resolve (never with the built-in catalog).
    pub fn new(
        loaded: &Loaded,
        ruleset: RuleSet,
        catalog: &SyscallCatalog,
        hostname: &str,
    ) -> Result<Detection, String> {
        let config = &loaded.config;
        let time_name = if config.time_format_iso_8601 {
            "evt.time.iso8601"
        } else {
            "evt.time"
        };
        let time_field = catalog
            .resolve(time_name, None)
            .map_err(|e| e.to_string())?;
        let needs = snapshot_needs(&ruleset, &time_field);
        Ok(Detection {
            needs,
            ruleset,
            fmt: AlertFormat {
                json_output: config.json_output,
                include_output: config.json_include_output_property,
                include_tags: config.json_include_tags_property,
                include_output_fields: config.json_include_output_fields_property,
                include_message: config.json_include_message_property,
                iso8601: config.time_format_iso_8601,
                hostname: hostname.to_string(),
            },
            time_field,
            first_only: config.rule_matching == RuleMatching::First,
            json_output: config.json_output,
        })
    }
}

/// The snapshot parts that the enabled rules (conditions and output formats) and the alert's
/// time field read.
fn snapshot_needs(ruleset: &RuleSet, time_field: &ResolvedField) -> SnapshotNeeds {
    let mut ids = vec![time_field.id];
    // Field ids are the syscall catalog's only in syscall rules.
    for rule in ruleset
        .rules()
        .iter()
        .filter(|r| r.enabled && r.source == crate::config::model::SYSCALL_SOURCE)
    {
        rule.filter.for_each_field(&mut |f| ids.push(f.id));
        for seg in &rule.output_format {
            if let OutputSegment::Field(f) = seg {
                ids.push(f.id);
            }
        }
    }
    SnapshotNeeds::of_fields(ids)
}

/// One source batch on its way through the evaluators to the reorder stage.
#[derive(Default)]
pub struct WorkUnit {
    /// Position in the stream: the reorder stage emits units in this order.
    pub seq: u64,
    /// The records.
    pub batch: EventBatch,
    /// Indexes (in `batch`) of the events with candidate rules; `snapshots[k]` is `jobs[k]`'s.
    pub jobs: Vec<u32>,
    /// Snapshots, reused from unit to unit (only the first `jobs.len()` are current).
    pub snapshots: Vec<EventSnapshot>,
    /// The rules in force when the state stage processed the batch.
    pub detection: Option<Arc<Detection>>,
    /// Alerts raised, in event order and, per event, in rule order; with the rule's priority
    /// for the summary (`None`: an internal alert, not counted as a rule's).
    pub alerts: Vec<(Option<Priority>, Alert)>,
}

impl WorkUnit {
    /// Empties the unit for reuse, keeping its allocations.
    pub fn clear(&mut self) {
        self.batch.clear();
        self.jobs.clear();
        self.alerts.clear();
        self.detection = None;
    }

    /// The snapshot slot for the next job (an event of the batch at `index`).
    pub fn next_snapshot(&mut self, index: u32) -> &mut EventSnapshot {
        let k = self.jobs.len();
        self.jobs.push(index);
        if self.snapshots.len() <= k {
            self.snapshots.push(EventSnapshot::default());
        }
        &mut self.snapshots[k]
    }
}

fn to_json(v: JsonValue) -> serde_json::Value {
    match v {
        JsonValue::Null => serde_json::Value::Null,
        JsonValue::Int(i) => i.into(),
        JsonValue::Uint(u) => u.into(),
        JsonValue::Double(d) => serde_json::Number::from_f64(d)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        JsonValue::Bool(b) => b.into(),
        JsonValue::Str(s) => s.into(),
    }
}

/// Formats one alert for `rule` on the event in `ctx`.
fn format_alert(d: &Detection, rule: &Rule, ctx: &mut EventContext<'_>) -> RuleAlert {
    let mut out = String::new();
    let mut fields = serde_json::Map::new();
    // The `output_fields` key of a field is its name as written (`proc.aname[2]`).
    fields.insert(
        d.time_field.name.clone(),
        to_json(ctx.json_field(&d.time_field)),
    );
    for seg in &rule.output_format {
        match seg {
            OutputSegment::Text(t) => out.push_str(t),
            OutputSegment::Field(f) => {
                if !ctx.format_field(f, &mut out) {
                    out.push_str("<NA>");
                }
                fields.insert(f.name.clone(), to_json(ctx.json_field(f)));
            }
        }
    }
    d.fmt.rule_alert(rule, ctx.event_ts(), out, fields)
}

/// Runs the candidate rules of every job of `unit`, appending the alerts to it.
pub fn evaluate(unit: &mut WorkUnit, scratch: &mut Scratch, hostname: &str) {
    let WorkUnit {
        batch,
        jobs,
        snapshots,
        detection,
        alerts,
        ..
    } = unit;
    let Some(d) = detection.as_deref() else {
        return;
    };
    for (&index, snap) in jobs.iter().zip(snapshots.iter()) {
        let Some((rec, e)) = batch.get(index as usize) else {
            continue;
        };
        let mut ctx = EventContext::from_snapshot(snap, rec, e.cpu, scratch);
        for &ri in d.ruleset.candidates(rec.evtype()) {
            let Some(rule) = d.ruleset.rule(ri) else {
                continue;
            };
            if !rule.filter.eval(&mut ctx) {
                continue;
            }
            let RuleAlert {
                text,
                json,
                message,
                output_fields,
            } = format_alert(d, rule, &mut ctx);
            alerts.push((
                Some(rule.priority),
                Alert {
                    time_ns: ctx.event_ts(),
                    priority: super::alert::output_priority(rule.priority),
                    rule: rule.name.clone(),
                    source: rule.source.clone(),
                    tags: rule.tags.iter().cloned().collect(),
                    hostname: hostname.to_string(),
                    line: if d.json_output { json } else { text },
                    json: d.json_output,
                    message,
                    output_fields,
                },
            ));
            if d.first_only {
                break;
            }
        }
    }
}

/// One evaluator thread: units from the state stage, evaluated, to the reorder stage. Ends
/// when the state stage closes its channel.
///
/// The thread also ends when it takes one of the stops counted in `excess` (a reload that
/// lowers `engine.evaluators`), between two units.
pub fn evaluator_loop(
    units: Receiver<WorkUnit>,
    done: Sender<WorkUnit>,
    hostname: &str,
    excess: &AtomicUsize,
) {
    let mut scratch = Scratch::default();
    loop {
        match units.recv_timeout(STOP_POLL) {
            Ok(mut unit) => {
                evaluate(&mut unit, &mut scratch, hostname);
                if done.send(unit).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if excess.load(Ordering::Relaxed) > 0
            && excess
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
        {
            return;
        }
    }
}

/// How often an idle evaluator looks for a stop.
const STOP_POLL: std::time::Duration = std::time::Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;
    use falco_rules::load::{load, LoadOptions, RulesFile};

    /// The needs of one rule with `condition` and `output`, enabled or not.
    fn needs_of(condition: &str, output: &str, enabled: bool) -> SnapshotNeeds {
        let catalog = SyscallCatalog::new();
        let content = format!(
            "- rule: r\n  desc: d\n  condition: {condition}\n  output: \"x {output}\"\n  priority: WARNING\n  enabled: {enabled}\n"
        );
        let (rs, res) = load(
            &[RulesFile {
                name: "t.yaml".into(),
                content,
            }],
            &catalog,
            &LoadOptions::default(),
        );
        assert!(res.errors.is_empty(), "{:?}", res.errors);
        let time = catalog.resolve("evt.time", None).expect("evt.time");
        snapshot_needs(&rs, &time)
    }

    #[test]
    fn needs_follow_the_enabled_rules_fields() {
        let (fds, threads) = (SnapshotNeeds::PROCESS_FDS, SnapshotNeeds::THREAD_COUNT);
        for (condition, output, enabled, want) in [
            (
                "evt.type = open and fd.name = /etc/shadow",
                "%proc.name %fd.name",
                true,
                SnapshotNeeds::NONE,
            ),
            (
                "evt.type = dup and fd.types[0] = ipv4",
                "%proc.name",
                true,
                fds,
            ),
            ("evt.type = open", "%proc.name %fd.types", true, fds),
            (
                "evt.type = open and proc.nthreads > 2",
                "%proc.name",
                true,
                threads,
            ),
            (
                "evt.type = open and proc.nthreads > 2",
                "%fd.types",
                false,
                SnapshotNeeds::NONE,
            ),
            (
                "evt.type = open and proc.name = val(proc.pname)",
                "%proc.nchilds %fd.types",
                true,
                SnapshotNeeds::ALL,
            ),
        ] {
            assert_eq!(
                needs_of(condition, output, enabled),
                want,
                "{condition} / {output} / {enabled}"
            );
        }
    }
}
