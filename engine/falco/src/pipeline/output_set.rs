//! The running outputs, replaceable on reload: a reload whose output sections changed builds a
//! whole new set through the constructor start-up uses ([`Outputs::new`]), so every output
//! kind, present or future, is added, removed or changed the same way. The old set is drained
//! and closed before the new one takes its first alert, so alerts keep their order and none is
//! lost; the counters of the sets retired so far stay in the totals and in the end-of-run loss
//! report.

use falco_outputs::{Alert, Outputs, OutputsConfig, OutputsStats, ShutdownReport};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The outputs in force and what the retired ones counted.
pub struct OutputSet {
    current: RwLock<Option<Outputs>>,
    /// The configuration `current` was built from, to tell whether a reload changes it.
    config: Mutex<OutputsConfig>,
    retired: Mutex<OutputsStats>,
    /// What [`OutputSet::stats`] returned last.
    last_stats: Mutex<OutputsStats>,
    /// A replay's back-pressure (stop flag, grace), given to every set in turn.
    backpressure: Option<(Arc<AtomicBool>, Duration)>,
}

impl OutputSet {
    /// The set built at start-up from `config`; with `backpressure`, full queues hold back the
    /// caller ([`Outputs::wait_for_room`]) in this set and in every replacement.
    pub fn new(
        mut outputs: Outputs,
        config: OutputsConfig,
        backpressure: Option<(Arc<AtomicBool>, Duration)>,
    ) -> OutputSet {
        if let Some((stop, grace)) = &backpressure {
            outputs.wait_for_room(stop.clone(), *grace);
        }
        OutputSet {
            current: RwLock::new(Some(outputs)),
            config: Mutex::new(config),
            retired: Mutex::new(OutputsStats::default()),
            last_stats: Mutex::new(OutputsStats::default()),
            backpressure,
        }
    }

    /// Whether `config` differs from the configuration of the outputs in force.
    pub fn changed(&self, config: &OutputsConfig) -> bool {
        self.config.lock().map_or(true, |c| *c != *config)
    }

    /// Puts `outputs`, built from `config`, in place of the running set: the old set delivers
    /// what it holds for as long as it makes progress (an output that delivers nothing for its
    /// `output_timeout` is given up on: what it holds is counted as discarded, and reported),
    /// then closes; sends wait meanwhile, so no alert overtakes an older one. Returns the time
    /// sends were held and the old set's report.
    pub fn replace(
        &self,
        mut outputs: Outputs,
        config: OutputsConfig,
    ) -> (Duration, ShutdownReport) {
        if let Some((stop, grace)) = &self.backpressure {
            outputs.wait_for_room(stop.clone(), *grace);
        }
        // The old set's own output_timeout, at most the end-of-run shutdown's 5 s: sends wait
        // for it.
        let deadline = self
            .config
            .lock()
            .map_or(Duration::from_secs(2), |c| c.output_timeout())
            .min(Duration::from_secs(5));
        let started = Instant::now();
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = current.as_mut() {
            old.hand_over_subscriptions(&mut outputs);
        }
        let old = current.replace(outputs);
        if let Some(o) = &old {
            drain(o, deadline);
        }
        let report = old.map(|o| o.shutdown(deadline));
        drop(current);
        let held = started.elapsed();
        if let Ok(mut c) = self.config.lock() {
            *c = config;
        }
        let report = report.unwrap_or(ShutdownReport {
            unfinished: Vec::new(),
            stats: OutputsStats::default(),
        });
        if let Ok(mut r) = self.retired.lock() {
            add(&mut r, report.stats.clone());
        }
        (held, report)
    }

    /// Offers `alert` to every output in force ([`Outputs::send`]).
    pub fn send(&self, alert: Alert) {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        if let Some(o) = current.as_ref() {
            o.send(alert);
        }
    }

    /// Asks every output in force to reopen ([`Outputs::reopen`]). During a replacement it
    /// does nothing and does not wait: the new set opens its destinations afresh.
    pub fn reopen(&self) {
        let current = match self.current.try_read() {
            Ok(c) => c,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        if let Some(o) = current.as_ref() {
            o.reopen();
        }
    }

    /// The counters of every output since the start, one entry per output name: an output
    /// rebuilt by a reload adds its new counters to its old ones (the queue and blocked state
    /// are the running one's). While a
    /// replacement drains the old set, the counters seen last (the caller is the event loop,
    /// which must not wait for the drain).
    pub fn stats(&self) -> OutputsStats {
        let current = match self.current.try_read() {
            Ok(c) => c,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return self
                    .last_stats
                    .lock()
                    .map(|s| s.clone())
                    .unwrap_or_default();
            }
        };
        let mut all = self.retired.lock().map(|r| r.clone()).unwrap_or_default();
        if let Some(o) = current.as_ref() {
            add(&mut all, o.stats());
        }
        drop(current);
        if let Ok(mut last) = self.last_stats.lock() {
            last.clone_from(&all);
        }
        all
    }

    /// Shuts the outputs in force down ([`Outputs::shutdown`]); the report's counters include
    /// the retired sets' (added by output name).
    pub fn shutdown(&self, deadline: Duration) -> ShutdownReport {
        let taken = self
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let mut report = taken.map_or(
            ShutdownReport {
                unfinished: Vec::new(),
                stats: OutputsStats::default(),
            },
            |o| o.shutdown(deadline),
        );
        let mut all = self.retired.lock().map(|r| r.clone()).unwrap_or_default();
        add(&mut all, std::mem::take(&mut report.stats));
        report.stats = all;
        report
    }
}

/// Waits until `outputs` holds no alert, or until none of its outputs delivered or failed one
/// for `stalled` while some still queue.
fn drain(outputs: &Outputs, stalled: Duration) {
    let settled = |s: &OutputsStats| -> (u64, usize) {
        (
            s.outputs.iter().map(|o| o.delivered + o.failed).sum(),
            s.outputs.iter().map(|o| o.queued).sum(),
        )
    };
    let (mut done, mut queued) = settled(&outputs.stats());
    let mut progress_at = Instant::now();
    while queued > 0 && progress_at.elapsed() < stalled {
        std::thread::sleep(Duration::from_millis(5));
        let (d, q) = settled(&outputs.stats());
        if d != done {
            progress_at = Instant::now();
        }
        (done, queued) = (d, q);
    }
}

/// Adds `more`'s counters to `into`'s, output by output name (a name not yet in `into` is
/// appended); the queue and blocked state are `more`'s, the newer.
fn add(into: &mut OutputsStats, more: OutputsStats) {
    for m in more.outputs {
        match into.outputs.iter_mut().find(|o| o.name == m.name) {
            None => into.outputs.push(m),
            Some(o) => {
                let sum = |a: &mut u64, b: u64| *a = a.saturating_add(b);
                sum(&mut o.enqueued, m.enqueued);
                sum(&mut o.shed, m.shed);
                sum(&mut o.delivered, m.delivered);
                sum(&mut o.failed, m.failed);
                sum(&mut o.discarded, m.discarded);
                sum(&mut o.timeouts, m.timeouts);
                sum(&mut o.reopens, m.reopens);
                sum(&mut o.respawns, m.respawns);
                sum(&mut o.resent, m.resent);
                sum(&mut o.lost_after_write, m.lost_after_write);
                sum(&mut o.messages, m.messages);
                sum(&mut o.retries, m.retries);
                sum(&mut o.rate_limited, m.rate_limited);
                sum(&mut o.batched, m.batched);
                (o.capacity, o.queued, o.blocked) = (m.capacity, m.queued, m.blocked);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falco_outputs::OutputStats;

    fn stats(name: &'static str, delivered: u64, queued: usize) -> OutputStats {
        OutputStats {
            name,
            capacity: 8,
            queued,
            enqueued: delivered,
            shed: 1,
            delivered,
            failed: 0,
            discarded: 0,
            timeouts: 0,
            reopens: 0,
            respawns: 0,
            resent: 0,
            lost_after_write: 0,
            messages: 0,
            retries: 0,
            rate_limited: 0,
            batched: 0,
            blocked: false,
        }
    }

    #[test]
    fn counters_add_up_by_output_name() {
        let mut all = OutputsStats {
            outputs: vec![stats("stdout", 5, 0), stats("file", 2, 0)],
        };
        add(
            &mut all,
            OutputsStats {
                outputs: vec![stats("stdout", 7, 3), stats("http", 1, 0)],
            },
        );
        let names: Vec<&str> = all.outputs.iter().map(|o| o.name).collect();
        assert_eq!(names, ["stdout", "file", "http"]);
        assert_eq!(all.outputs[0].delivered, 12);
        assert_eq!(all.outputs[0].shed, 2);
        assert_eq!(all.outputs[0].queued, 3);
        assert_eq!(all.total_shed(), 4);
    }
}
