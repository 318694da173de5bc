//! The `k8s_audit` source's pipeline, beside the syscall one:
//!
//! ```text
//! file reader or webhook ──batches──▶ audit evaluator ──alerts──▶ outputs
//!  (source/k8saudit/)                   (this file)
//! ```
//!
//! Audit events carry no state to build, so one thread evaluates the enabled rules of source
//! `k8s_audit` on each event, in order, with the detection in force (swapped by the event loop
//! on reload, taken per batch: the next events see the new rules, none is dropped in between),
//! formats the alerts and hands them to the same outputs. The syscall pipeline never waits on
//! it: each has its own thread and queue.

use super::alert::{self, RuleAlert};
use super::evaluate::Detection;
use super::output_set::OutputSet;
use super::reorder::PipelineStats;
use super::summary::Summary;
use crate::config::plugins::K8sAuditConfig;
use crate::source::k8saudit::{AuditCounters, AuditInput};
use crate::source::SourceMsg;
use crossbeam_channel::{Receiver, Sender};
use falco_k8saudit::{AuditEvent, AuditFields, SOURCE};
use falco_outputs::Alert;
use falco_rules::field::ResolvedField;
use falco_rules::output::OutputSegment;
use falco_rules::ruleset::Rule;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// The running audit source: its input and the detection its evaluator reads.
pub(super) struct AuditRun {
    /// The input (file or webhook).
    pub input: AuditInput,
    /// The detection in force; the event loop replaces it on reload.
    pub current: Mutex<Arc<Detection>>,
}

impl AuditRun {
    /// Opens the input `config` names, with a start-up line saying the built-in source
    /// serves the plugin entry.
    pub(super) fn start(
        config: &K8sAuditConfig,
        detection: &Arc<Detection>,
    ) -> Result<AuditRun, String> {
        let input = AuditInput::start(config)?;
        let lib = if config.library_path.is_empty() {
            String::new()
        } else {
            format!(" (library_path {})", config.library_path)
        };
        log::info!(
            "plugin k8saudit{lib}: served by the built-in k8s_audit source, reading {}; {} k8s_audit rules enabled",
            input.describe,
            detection.ruleset.source_rules(SOURCE).len()
        );
        Ok(AuditRun {
            input,
            current: Mutex::new(detection.clone()),
        })
    }

    /// Puts a reloaded detection in force for the next batches.
    pub(super) fn swap(&self, detection: &Arc<Detection>) {
        if let Ok(mut d) = self.current.lock() {
            *d = detection.clone();
        }
    }

    fn detection(&self) -> Option<Arc<Detection>> {
        self.current.lock().ok().map(|d| d.clone())
    }
}

/// The evaluator thread: every batch of the input, evaluated in order, alerts to `outputs`.
/// Returns the alert counts once the input has ended (its channel closed), after sending
/// `ended` (the idle syscall source's end, when syscall is off).
pub(super) fn evaluator_loop(
    run: &AuditRun,
    events: Receiver<Vec<AuditEvent>>,
    outputs: &OutputSet,
    stats: &PipelineStats,
    hostname: &str,
    ended: Option<Sender<SourceMsg>>,
) -> Summary {
    let mut summary = Summary::default();
    let mut num = 0u64;
    for batch in events {
        let Some(d) = run.detection() else {
            break;
        };
        for ev in &batch {
            num += 1;
            summary.events += 1;
            evaluate(&d, ev, num, hostname, &mut |priority, a| {
                summary.count_alert(&a.rule, priority);
                stats.count(&a.rule, priority);
                outputs.send(a);
            });
        }
    }
    if let Some(tx) = ended {
        let _ = tx.send(SourceMsg::Stopped);
    }
    summary
}

/// Runs the enabled `k8s_audit` rules on one event.
pub fn evaluate(
    d: &Detection,
    ev: &AuditEvent,
    num: u64,
    hostname: &str,
    emit: &mut dyn FnMut(falco_rules::priority::Priority, Alert),
) {
    let mut fields = AuditFields::new(ev, num);
    for &ri in d.ruleset.source_rules(SOURCE) {
        let Some(rule) = d.ruleset.rule(ri) else {
            continue;
        };
        if !rule.filter.eval(&mut fields) {
            continue;
        }
        let a = format_alert(d, rule, &fields);
        emit(
            rule.priority,
            Alert {
                time_ns: ev.ts_ns,
                priority: alert::output_priority(rule.priority),
                rule: rule.name.clone(),
                source: rule.source.clone(),
                tags: rule.tags.iter().cloned().collect(),
                hostname: hostname.to_string(),
                line: if d.json_output { a.json } else { a.text },
                json: d.json_output,
                message: a.message,
                output_fields: a.output_fields,
            },
        );
        if d.first_only {
            break;
        }
    }
}

/// A field's text in an output; the time fields as Falco prints them.
fn field_text(f: &ResolvedField, fields: &AuditFields<'_>, out: &mut String) -> bool {
    let ts = fields.event.ts_ns;
    match f.name.as_str() {
        "evt.time" | "evt.time.s" | "evt.datetime" => {
            let t = alert::time_text(ts);
            if f.name == "evt.time.s" {
                out.push_str(t.split('.').next().unwrap_or(&t));
            } else {
                out.push_str(&t);
            }
            true
        }
        "evt.time.iso8601" => {
            out.push_str(&alert::time_iso8601(ts));
            true
        }
        "evt.num" | "evt.rawtime" => {
            let n = if f.name == "evt.num" { fields.num } else { ts };
            out.push_str(&n.to_string());
            true
        }
        _ => fields.format_field(f, out),
    }
}

/// A field's value in `output_fields`: numbers as numbers, lists joined by commas, `null`
/// when the event has none.
fn field_json(f: &ResolvedField, fields: &AuditFields<'_>) -> serde_json::Value {
    match f.name.as_str() {
        "evt.num" => fields.num.into(),
        "evt.rawtime" => fields.event.ts_ns.into(),
        _ if f.name.starts_with("evt.") => {
            let mut s = String::new();
            field_text(f, fields, &mut s);
            s.into()
        }
        _ => match fields.values(f) {
            Some(v) => v.join(",").into(),
            None => serde_json::Value::Null,
        },
    }
}

/// Formats one alert for `rule` on the event of `fields`.
fn format_alert(d: &Detection, rule: &Rule, fields: &AuditFields<'_>) -> RuleAlert {
    let mut out = String::new();
    let mut json = serde_json::Map::new();
    json.insert("evt.time".into(), fields.event.ts_ns.into());
    for seg in &rule.output_format {
        match seg {
            OutputSegment::Text(t) => out.push_str(t),
            OutputSegment::Field(f) => {
                if !field_text(f, fields, &mut out) {
                    out.push_str("<NA>");
                }
                json.insert(f.name.clone(), field_json(f, fields));
            }
        }
    }
    d.fmt.rule_alert(rule, fields.event.ts_ns, out, json)
}

/// The input's counters, for the end-of-run line.
pub(super) fn describe_counters(c: &AuditCounters) -> String {
    format!(
        "k8s_audit: {} events accepted, {} refused, {} requests refused, {} batches shed",
        c.events.load(Ordering::Relaxed),
        c.refused.load(Ordering::Relaxed),
        c.requests_refused.load(Ordering::Relaxed),
        c.shed.load(Ordering::Relaxed)
    )
}
