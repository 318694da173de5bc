//! A reload applies the whole falco.yaml, not only the rules: the outputs (a changed output
//! section rebuilds the set, `output_set.rs`), `json_output` and the formats (in the
//! detection, swapped by the loop), `metrics`, `syscall_event_drops`, `engine.evaluators`, the
//! watched files and `log_level`, all while the driver stays open and the state is kept. The
//! live driver's settings (its kind, buffers, snapshot length) reopen it, the gap without
//! capture measured and logged; the keys that would need the state rebuilt (or a replay
//! restarted) are named in a warning saying a restart applies them.

use super::evaluate::{self, WorkUnit};
use super::metrics::MetricsHub;
use super::output_set::OutputSet;
use super::ticker::Ticker;
use super::watch;
use crate::config::{Config, EngineKind, Loaded};
use crate::source::Running;
use crossbeam_channel::{Receiver, Sender};
use falco_outputs::{Outputs, OutputsConfig};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::Scope;

/// The evaluator threads, resized by a reload of `engine.evaluators`: more are started at
/// once; fewer is a count of stops that idle threads take between two units.
pub(super) struct Evaluators<'env> {
    units: Receiver<WorkUnit>,
    done: Sender<WorkUnit>,
    hostname: &'env str,
    excess: &'env AtomicUsize,
    /// Threads meant to run (started, less the stops asked for).
    target: usize,
    /// Threads started so far, for their names.
    started: usize,
}

impl<'env> Evaluators<'env> {
    /// Starts `n` evaluators on `units`, sending to `done`.
    pub(super) fn start<'scope>(
        scope: &'scope Scope<'scope, 'env>,
        n: usize,
        units: Receiver<WorkUnit>,
        done: Sender<WorkUnit>,
        hostname: &'env str,
        excess: &'env AtomicUsize,
    ) -> Evaluators<'env> {
        let mut e = Evaluators {
            units,
            done,
            hostname,
            excess,
            target: 0,
            started: 0,
        };
        e.resize(scope, n);
        e
    }

    /// The evaluators meant to run.
    pub(super) fn count(&self) -> usize {
        self.target
    }

    /// Runs `n` evaluators from now on (at least one).
    pub(super) fn resize<'scope>(&mut self, scope: &'scope Scope<'scope, 'env>, n: usize) {
        let n = n.max(1);
        if n < self.target {
            self.excess.fetch_add(self.target - n, Ordering::Relaxed);
        } else if n > self.target {
            let mut add = n - self.target;
            // Stops not taken yet are cancelled first: those threads keep running.
            let pending = self
                .excess
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| {
                    Some(e.saturating_sub(add))
                })
                .unwrap_or(0);
            add -= pending.min(add);
            for _ in 0..add {
                let i = self.started;
                self.started += 1;
                let (rx, tx, hostname, excess) = (
                    self.units.clone(),
                    self.done.clone(),
                    self.hostname,
                    self.excess,
                );
                let spawned = std::thread::Builder::new()
                    .name(format!("evaluator-{i}"))
                    .spawn_scoped(scope, move || {
                        evaluate::evaluator_loop(rx, tx, hostname, excess)
                    });
                if let Err(e) = spawned {
                    log::error!("cannot start evaluator thread {i}: {e}");
                }
            }
        }
        self.target = n;
    }
}

/// What a reload reconfigures besides the rules, owned by the event loop.
pub(super) struct Parts<'a, 'env> {
    /// The configuration in force; replaced by the reloaded one.
    pub(super) running: &'a mut Loaded,
    pub(super) outputs: &'env OutputSet,
    pub(super) hub: &'a Arc<MetricsHub>,
    pub(super) ticker: &'a mut Ticker,
    pub(super) source: &'a Running,
    pub(super) watcher: &'a mut Option<watch::Watcher>,
    pub(super) reload_flag: &'a Arc<AtomicBool>,
    pub(super) evaluators: &'a mut Evaluators<'env>,
}

/// Applies `new` (and the output set built from it, when its output sections changed) to
/// the running engine, logging what changed. Returns whether the live driver must be reopened
/// with the new settings (the caller does it: it owns the source).
pub(super) fn apply<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    parts: Parts<'_, 'env>,
    new: Loaded,
    new_outputs: Option<(Outputs, OutputsConfig)>,
) -> bool {
    let old = &parts.running.config;
    let c = &new.config;
    if let Some((outputs, config)) = new_outputs {
        let set = parts.outputs;
        // On a thread of its own: the old set may take up to its output_timeout to drain, and
        // the event loop keeps moving events meanwhile (sends wait for the new set).
        let spawned = std::thread::Builder::new()
            .name("outputs-reload".into())
            .spawn_scoped(scope, move || {
                let (held, report) = set.replace(outputs, config);
                let lost = report.stats.total_lost();
                log::info!(
                    "reload: outputs rebuilt, the old ones drained and closed in {} ms ({lost} \
                     of their alerts not delivered)",
                    held.as_millis()
                );
            });
        if let Err(e) = spawned {
            log::error!("reload: cannot start the outputs' replacement: {e}");
        }
    }
    if c.log_level != old.log_level {
        log::set_max_level(c.log_level);
        log::info!("reload: log_level {:?}", c.log_level);
    }
    if c.metrics != old.metrics {
        parts.hub.set_config(c.metrics.clone());
        log::info!("reload: metrics configuration applied");
    }
    if c.metrics != old.metrics || c.syscall_event_drops != old.syscall_event_drops {
        *parts.ticker = Ticker::new(&new, parts.source, parts.hub.clone());
    }
    if c.evaluators.max(1) != parts.evaluators.count() {
        log::info!(
            "reload: engine.evaluators {} -> {}",
            parts.evaluators.count(),
            c.evaluators.max(1)
        );
        parts.evaluators.resize(scope, c.evaluators);
    }
    let watched = if c.watch_config_files {
        watched_files(&new)
    } else {
        Vec::new()
    };
    match parts.watcher {
        Some(w) => w.set(&watched),
        None if !watched.is_empty() => {
            *parts.watcher = watch::start(&watched, parts.reload_flag.clone());
            if parts.watcher.is_none() {
                log::warn!("watch_config_files: inotify unavailable; reload with SIGHUP");
            }
        }
        None => {}
    }
    let live = |c: &Config| matches!(c.engine_kind, EngineKind::Kmod | EngineKind::ModernEbpf);
    let reopen = matches!(parts.source, Running::Live(_)) && live(c) && driver_changed(old, c);
    let mut restart = needs_restart(old, c);
    if reopen {
        restart.retain(|k| !DRIVER_KEYS.contains(k));
    }
    if !restart.is_empty() {
        log::warn!(
            "reload: {} changed but cannot be applied while the driver stays open; the running \
             values are kept until falco restarts",
            restart.join(", ")
        );
    }
    *parts.running = new;
    reopen
}

/// The keys of the live driver's settings, applied by reopening it (`start::reopen_driver`).
const DRIVER_KEYS: [&str; 7] = [
    "engine.kind",
    "engine.kmod.buf_size_preset",
    "engine.kmod.drop_failed_exit",
    "engine.modern_ebpf.cpus_for_each_buffer",
    "engine.modern_ebpf.buf_size_preset",
    "engine.modern_ebpf.drop_failed_exit",
    "falco_libs.snaplen",
];

/// Whether the live driver's settings differ (the driver kind, its buffers, its
/// `drop_failed_exit`, the snapshot length).
fn driver_changed(old: &Config, new: &Config) -> bool {
    needs_restart(old, new)
        .iter()
        .any(|k| DRIVER_KEYS.contains(k))
}

/// The files `watch_config_files` watches: the configuration files and the rules files.
pub(super) fn watched_files(loaded: &Loaded) -> Vec<PathBuf> {
    let mut watched = loaded.files.clone();
    watched.extend(loaded.config.rules_files.iter().cloned());
    watched
}

/// The keys whose change a reload does not apply: the driver and its buffers, the replayed
/// capture, the state table's size, the container runtimes and the log's destinations.
pub(super) fn needs_restart(old: &Config, new: &Config) -> Vec<&'static str> {
    let checks: [(&'static str, bool); 11] = [
        ("engine.kind", old.engine_kind != new.engine_kind),
        (
            "engine.kmod.buf_size_preset",
            old.kmod_buf_size_preset != new.kmod_buf_size_preset,
        ),
        (
            "engine.kmod.drop_failed_exit",
            old.kmod_drop_failed_exit != new.kmod_drop_failed_exit,
        ),
        (
            "engine.modern_ebpf.cpus_for_each_buffer",
            old.modern_ebpf_cpus_for_each_buffer != new.modern_ebpf_cpus_for_each_buffer,
        ),
        (
            "engine.modern_ebpf.buf_size_preset",
            old.modern_ebpf_buf_size_preset != new.modern_ebpf_buf_size_preset,
        ),
        (
            "engine.modern_ebpf.drop_failed_exit",
            old.modern_ebpf_drop_failed_exit != new.modern_ebpf_drop_failed_exit,
        ),
        (
            "engine.replay.capture_file",
            old.replay_capture_file != new.replay_capture_file,
        ),
        (
            "falco_libs.thread_table_size",
            old.thread_table_size != new.thread_table_size,
        ),
        ("falco_libs.snaplen", old.snaplen != new.snaplen),
        (
            "container_engines",
            old.container_engines != new.container_engines,
        ),
        (
            "log_stderr/log_syslog",
            old.log_stderr != new.log_stderr || old.log_syslog != new.log_syslog,
        ),
    ];
    checks
        .into_iter()
        .filter_map(|(k, changed)| changed.then_some(k))
        .collect()
}
