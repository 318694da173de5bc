//! Once-per-second work beside the event loop: the driver drop monitor (`drops.rs`, live
//! only) and the periodic metrics snapshot (`metrics.rs`), each as a log line or an internal
//! alert.

use super::drops::DropMonitor;
use super::evaluate::Detection;
use super::metrics;
use super::stage::{now_ns, Stage};
use crate::config::model::DropAction;
use crate::config::Loaded;
use crate::source::Running;
use falco_outputs::Outputs;
use falco_rules::priority::Priority;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Once-per-second work: the drop monitor (live) and periodic metrics.
pub(super) struct Ticker {
    next: Instant,
    drops: Option<DropMonitor>,
    metrics: Option<(Duration, Instant, bool)>,
    last_cpu: (Instant, f64),
}

impl Ticker {
    pub(super) fn new(loaded: &Loaded, source: &Running) -> Ticker {
        let drop_config = &loaded.config.syscall_event_drops;
        let drops = match source {
            Running::Live(l) => Some(DropMonitor::new(
                drop_config.clone(),
                now_ns(),
                l.counters.driver_events.load(Ordering::Relaxed),
                l.counters.driver_drops.load(Ordering::Relaxed),
            )),
            // A capture has no driver to drop events; simulated drops act on it too, as in
            // Falco.
            Running::Replay(_) if drop_config.simulate_drops => {
                Some(DropMonitor::new(drop_config.clone(), now_ns(), 0, 0))
            }
            Running::Replay(_) => None,
        };
        if drop_config.simulate_drops {
            log::info!("syscall_event_drops.simulate_drops: simulating one event drop per check");
        }
        let m = &loaded.config.metrics;
        let metrics = m.enabled.then(|| {
            let every = Duration::from_secs(m.interval_secs.max(1));
            (every, Instant::now() + every, m.output_rule)
        });
        // Simulated drops are checked from the first turn of the loop, so that even a short
        // replay sees them.
        let first = if drop_config.simulate_drops {
            Duration::ZERO
        } else {
            Duration::from_secs(1)
        };
        Ticker {
            next: Instant::now() + first,
            drops,
            metrics,
            last_cpu: (Instant::now(), metrics::cpu_seconds()),
        }
    }

    /// Returns an exit code when a drop action says to exit.
    pub(super) fn tick(
        &mut self,
        source: &Running,
        stage: &mut Stage<'_>,
        outputs: &Outputs,
        d: &Detection,
    ) -> Option<ExitCode> {
        let now = Instant::now();
        if now < self.next {
            return None;
        }
        self.next = now + Duration::from_secs(1);
        let (driver_events, driver_drops) = match source {
            Running::Live(l) => (
                l.counters.driver_events.load(Ordering::Relaxed),
                l.counters.driver_drops.load(Ordering::Relaxed),
            ),
            Running::Replay(_) => (0, 0),
        };
        if let Some(mon) = &mut self.drops {
            if let Some(r) = mon.check(now_ns(), driver_events, driver_drops) {
                let msg = format!(
                    "Falco internal: syscall event drop. {} system calls dropped in last second ({:.1}% of {} events).",
                    r.drops,
                    r.ratio * 100.0,
                    r.events + r.drops
                );
                for a in &r.actions {
                    match a {
                        DropAction::Log => log::error!("{msg}"),
                        DropAction::Alert => stage.internal_alert(
                            d,
                            "Falco internal: syscall event drop",
                            Priority::Debug,
                            &msg,
                        ),
                        DropAction::Exit => {
                            log::error!("{msg} Exiting (syscall_event_drops.actions: exit).");
                            return Some(ExitCode::FAILURE);
                        }
                        DropAction::Ignore => {}
                    }
                }
            }
        }
        if let Some((every, due, as_alert)) = &mut self.metrics {
            if now >= *due {
                *due = now + *every;
                let cpu = metrics::cpu_seconds();
                let wall = now.duration_since(self.last_cpu.0).as_secs_f64();
                let pct = if wall > 0.0 {
                    (cpu - self.last_cpu.1) / wall * 100.0
                } else {
                    0.0
                };
                self.last_cpu = (now, cpu);
                let stats = stage.stats;
                let output_stats = outputs.stats();
                let snap = metrics::Snapshot {
                    events: *stage.events,
                    driver_events,
                    driver_drops,
                    alerts: stats.alerts.load(Ordering::Relaxed),
                    source_queue: source.events().len(),
                    evaluator_queue: stage.eval.len(),
                    reorder_queue: stage.done.len() + stats.reorder_waiting.load(Ordering::Relaxed),
                    reorder_queue_max: stats.reorder_waiting_max.load(Ordering::Relaxed),
                    evaluator_stalls: stats.evaluator_stalls.load(Ordering::Relaxed),
                    outputs_shed: output_stats.total_shed(),
                    outputs_lost: output_stats.total_lost(),
                    cpu_percent: pct,
                    rss_bytes: metrics::rss_bytes(),
                };
                let text = format!("Falco metrics snapshot: {}", snap.to_json());
                if *as_alert {
                    stage.internal_alert(
                        d,
                        "Falco internal: metrics snapshot",
                        Priority::Informational,
                        &text,
                    );
                } else {
                    log::info!("{text}");
                }
            }
        }
        None
    }
}
