//! The reorder stage: evaluated units arrive from the evaluators in any order; their alerts
//! leave for the outputs in event order (by the units' sequence numbers), are counted for the
//! summary, and the units' buffers go back to the source and the state stage for reuse.

use super::evaluate::WorkUnit;
use super::output_set::OutputSet;
use super::summary::Summary;
use crate::source::EventBatch;
use crossbeam_channel::{Receiver, Sender};
use falco_rules::priority::Priority;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Counters of the pipeline between the state stage and the outputs, for stats.
#[derive(Debug, Default)]
pub struct PipelineStats {
    /// Times the state stage found the evaluators' queue full and waited.
    pub evaluator_stalls: AtomicU64,
    /// Units evaluated out of order, waiting for an earlier one.
    pub reorder_waiting: AtomicUsize,
    /// Most units that waited at once.
    pub reorder_waiting_max: AtomicUsize,
    /// Rule alerts emitted so far.
    pub alerts: AtomicU64,
    /// Rule alerts by rule name, with the priority they alerted with (for `/metrics` and the
    /// metrics snapshot; locked once per alert, never per event).
    pub rule_matches: Mutex<BTreeMap<String, (Priority, u64)>>,
}

impl PipelineStats {
    /// Counts one rule alert.
    pub(super) fn count(&self, rule: &str, priority: Priority) {
        self.alerts.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = self.rule_matches.lock() {
            match m.get_mut(rule) {
                Some(e) => e.1 += 1,
                None => {
                    m.insert(rule.to_string(), (priority, 1));
                }
            }
        }
    }
}

/// Runs until every sender of `done` is gone; returns the alert counts (events are counted
/// by the state stage).
pub fn reorder_loop(
    done: Receiver<WorkUnit>,
    outputs: &OutputSet,
    batches: Sender<EventBatch>,
    units: Sender<WorkUnit>,
    stats: &PipelineStats,
) -> Summary {
    let mut summary = Summary::default();
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, WorkUnit> = BTreeMap::new();
    for unit in done {
        waiting.insert(unit.seq, unit);
        while let Some(mut unit) = waiting.remove(&next) {
            next += 1;
            for (priority, alert) in unit.alerts.drain(..) {
                if let Some(p) = priority {
                    summary.count_alert(&alert.rule, p);
                    stats.count(&alert.rule, p);
                }
                outputs.send(alert);
            }
            let mut batch = std::mem::take(&mut unit.batch);
            batch.clear();
            let _ = batches.try_send(batch);
            unit.clear();
            let _ = units.try_send(unit);
        }
        stats
            .reorder_waiting
            .store(waiting.len(), Ordering::Relaxed);
        stats
            .reorder_waiting_max
            .fetch_max(waiting.len(), Ordering::Relaxed);
    }
    // Every sender is gone, so no earlier unit can still come: emit what is left in order.
    for (_, mut unit) in std::mem::take(&mut waiting) {
        for (priority, alert) in unit.alerts.drain(..) {
            if let Some(p) = priority {
                summary.count_alert(&alert.rule, p);
                stats.count(&alert.rule, p);
            }
            outputs.send(alert);
        }
    }
    summary
}
