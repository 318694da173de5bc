//! Once-per-second work beside the event loop: the driver drop monitor (`drops.rs`, live
//! only) and the periodic metrics snapshot (`metrics.rs`), each as a log line or an internal
//! alert.

use super::drops::DropMonitor;
use super::evaluate::Detection;
use super::metrics::{self, MetricsHub};
use super::stage::{now_ns, Stage};
use crate::config::model::DropAction;
use crate::config::Loaded;
use crate::source::Running;
use falco_rules::priority::Priority;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Once-per-second work: the drop monitor (live) and periodic metrics.
pub(super) struct Ticker {
    next: Instant,
    drops: Option<DropMonitor>,
    metrics: Option<Periodic>,
    hub: Arc<MetricsHub>,
}

/// The periodic metrics snapshot: when, where to, and what the previous one saw.
struct Periodic {
    every: Duration,
    due: Instant,
    output_rule: bool,
    output_file: Option<PathBuf>,
    sample: u64,
    state: metrics::SnapshotState,
}

/// Appends one snapshot to `metrics.output_file` as a JSON line; a file that cannot be written
/// is logged, never a reason to stop monitoring.
fn write_snapshot_line(
    path: &Path,
    sample: u64,
    fields: &serde_json::Map<String, serde_json::Value>,
) {
    use std::io::Write;
    let line = serde_json::json!({"sample": sample, "output_fields": fields});
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        log::error!("metrics.output_file {}: {e}", path.display());
    }
}

impl Ticker {
    pub(super) fn new(loaded: &Loaded, source: &Running, hub: Arc<MetricsHub>) -> Ticker {
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
            Running::Replay(_) | Running::Idle(_) => None,
        };
        if drop_config.simulate_drops {
            log::info!("syscall_event_drops.simulate_drops: simulating one event drop per check");
        }
        let m = &loaded.config.metrics;
        let metrics = (m.enabled && (m.output_rule || m.output_file.is_some())).then(|| {
            let every = Duration::from_secs(m.interval_secs.max(1));
            Periodic {
                every,
                due: Instant::now() + every,
                output_rule: m.output_rule,
                output_file: m.output_file.clone(),
                sample: 0,
                state: metrics::SnapshotState::default(),
            }
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
            hub,
        }
    }

    /// Returns an exit code when a drop action says to exit.
    pub(super) fn tick(
        &mut self,
        source: &Running,
        stage: &mut Stage<'_>,
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
            Running::Replay(_) | Running::Idle(_) => (0, 0),
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
        if let Some(m) = &mut self.metrics {
            if now >= m.due {
                m.due = now + m.every;
                m.sample += 1;
                let fields = metrics::snapshot_fields(&self.hub, &mut m.state, now_ns());
                if let Some(path) = &m.output_file {
                    write_snapshot_line(path, m.sample, &fields);
                }
                if m.output_rule {
                    let alert = d.fmt.internal_with_fields(
                        now_ns(),
                        "Falco internal: metrics snapshot",
                        Priority::Informational,
                        "Falco metrics snapshot",
                        fields,
                    );
                    stage.queue_internal(alert);
                }
            }
        }
        None
    }
}
