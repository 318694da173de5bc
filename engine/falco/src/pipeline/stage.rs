//! The ordered state stage: on the event loop's thread, every record updates the state in
//! stream order, and each event with candidate rules gets a snapshot of what those rules read;
//! the batch then leaves as one [`WorkUnit`] with a sequence number for the reorder stage.

use super::evaluate::{Detection, WorkUnit};
use super::reorder::PipelineStats;
use crate::source::EventBatch;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use falco_rules::priority::Priority;
use falco_sinsp::state::{CaptureCache, State};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The state stage: what the event loop owns.
pub(super) struct Stage<'a> {
    pub(super) state: State,
    /// Events processed, for the summary and the metrics.
    pub(super) events: &'a mut u64,
    /// Units with snapshots, to the evaluators.
    pub(super) eval: Sender<WorkUnit>,
    /// Units with nothing to evaluate, straight to the reorder stage.
    pub(super) done: Sender<WorkUnit>,
    /// Units the reorder stage gave back for reuse.
    pub(super) pool: Receiver<WorkUnit>,
    pub(super) next_seq: u64,
    pub(super) stats: &'a PipelineStats,
    /// The last capture's thread family, shared by the next events of the same thread.
    pub(super) cache: CaptureCache,
    /// True until the first event that is not initial state (users, groups, containers):
    /// libsinsp consumes those when it opens a capture, before Falco's loop starts.
    pub(super) opening: bool,
}

impl Stage<'_> {
    /// A unit to fill, reused when the reorder stage gave one back.
    fn unit(&mut self) -> WorkUnit {
        let mut u = self.pool.try_recv().unwrap_or_default();
        u.seq = self.next_seq;
        self.next_seq += 1;
        u
    }

    /// State update for every record of a batch, with a snapshot for each event that has
    /// candidate rules; the batch then goes to an evaluator (or straight to the reorder stage
    /// when no event of it has candidates).
    pub(super) fn process(&mut self, batch: EventBatch, d: &Arc<Detection>) {
        let mut unit = self.unit();
        for (i, rec, e) in batch.iter_indexed() {
            *self.events += 1;
            self.state.process(rec, e.cpu);
            if self.opening {
                self.opening = falco_sinsp::state::is_initial_state(rec.evtype());
            }
            if self.opening
                || e.flags & falco_scap::DF_STATE_ONLY != 0
                || !falco_sinsp::state::reaches_rules(rec.evtype())
            {
                continue;
            }
            if d.ruleset.candidates(rec.evtype()).is_empty() {
                continue;
            }
            unit.next_snapshot(i as u32)
                .capture_cached(&self.state, rec, d.needs, &mut self.cache);
        }
        unit.batch = batch;
        unit.detection = Some(d.clone());
        if unit.jobs.is_empty() {
            let _ = self.done.send(unit);
            return;
        }
        match self.eval.try_send(unit) {
            Ok(()) => {}
            Err(TrySendError::Full(unit)) => {
                self.stats.evaluator_stalls.fetch_add(1, Ordering::Relaxed);
                let _ = self.eval.send(unit);
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// An engine-generated alert (reload failure, drops, metrics), queued after the alerts of
    /// every event processed so far so that it reaches the outputs in order with them.
    pub(super) fn internal_alert(
        &mut self,
        d: &Detection,
        rule: &str,
        priority: Priority,
        message: &str,
    ) {
        let alert = d.fmt.internal(now_ns(), rule, priority, message);
        self.queue_internal(alert);
    }

    /// Queues an engine-generated alert after the alerts of every event processed so far.
    pub(super) fn queue_internal(&mut self, alert: falco_outputs::Alert) {
        let mut unit = self.unit();
        unit.alerts.push((None, alert));
        let _ = self.done.send(unit);
    }
}

/// Wall-clock time, for internal alerts and the drop monitor.
pub(super) fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
