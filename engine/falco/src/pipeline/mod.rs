//! The running engine, a pipeline joined by bounded channels:
//!
//! ```text
//! source thread ──batches──▶ state stage ──units──▶ evaluators ──▶ reorder ──alerts──▶ outputs
//!  (source/)                  (stage.rs, this       (evaluate.rs,   (reorder.rs)  (falco-outputs)
//!                              thread's loop)        alert.rs)
//! ```
//!
//! A source thread (replay or kernel module, `crate::source`) feeds batches of records; this
//! thread, the ordered state stage, applies each event to the state and snapshots what the
//! fields of events with candidate rules read; `engine.evaluators` threads run the rules on
//! those snapshots and format the alerts; the reorder stage puts the alerts back in event order
//! for the outputs and counts them for the summary. Beside the loop: once a second the drop
//! monitor and the metrics (`ticker.rs`); signals (`control.rs`): SIGINT/SIGTERM stop, SIGHUP
//! (or a changed file, `watch.rs`) reloads configuration and rules through the same path as
//! startup, on a thread of its own while this loop keeps moving events under the running rules,
//! and swaps the result in when it is ready (a failed reload keeps the running ruleset and
//! raises an internal alert), SIGUSR1 reopens file outputs.

pub mod alert;
pub mod audit;
pub mod control;
pub mod drops;
pub mod evaluate;
pub mod loss;
pub mod metrics;
pub mod output_set;
pub mod pidfile;
mod reconfigure;
pub mod reorder;
mod stage;
mod start;
pub mod summary;
mod ticker;
pub mod watch;
pub mod web;

use crate::cli::Cli;
use crate::config::{EngineKind, Loaded};
use crate::fatal::Fatal;
use crate::source::{Running, SourceMsg};
use control::Signals;
use crossbeam_channel::{bounded, RecvTimeoutError};
use evaluate::{Detection, WorkUnit};
use falco_outputs::{Outputs, OutputsConfig};
use falco_rules::priority::Priority;
use falco_rules::ruleset::RuleSet;
use falco_sinsp::fields::SyscallCatalog;
use falco_sinsp::state::CaptureCache;
use metrics::{MetricsHub, Published};
use output_set::OutputSet;
use stage::Stage;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticker::Ticker;

/// How long a replay's outputs still wait for room once a stop was asked for.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Starts the configured source and runs until it ends or a stop signal arrives.
///
/// `Err` when something cannot start; once running, a failing source is reported at once and
/// the pipeline still drains and prints its summary, ending with exit code 1.
pub fn run(
    cli: &Cli,
    loaded: Loaded,
    ruleset: RuleSet,
    catalog: SyscallCatalog,
    signals: Signals,
) -> Result<ExitCode, Fatal> {
    let hostname = alert::hostname();
    let detection =
        Detection::new(&loaded, ruleset, &catalog, &hostname).map_err(Fatal::Detection)?;
    let outputs_config: OutputsConfig =
        serde_yaml::from_value(loaded.config.outputs.clone()).map_err(Fatal::OutputConfig)?;
    let built = Outputs::new(&outputs_config).map_err(Fatal::Outputs)?;
    let sources = &loaded.config.enabled_sources;
    let syscall_on = sources
        .iter()
        .any(|s| s == crate::config::model::SYSCALL_SOURCE);
    // Owned: `loaded` is replaced by each reload.
    let audit_config = loaded
        .config
        .k8saudit
        .clone()
        .filter(|_| sources.iter().any(|s| s == falco_k8saudit::SOURCE));
    // A k8s audit file alone is read like a capture: to its end, losing nothing.
    let audit_file_alone = !syscall_on
        && audit_config
            .as_ref()
            .is_some_and(|c| !c.open_params.trim_start().starts_with("http"));
    // A replay has no reason to shed: a full output queue holds back the reorder stage, the
    // evaluators, the state stage and the capture reader in turn. A stop still ends a wait
    // on a stuck output after the grace, shedding (and reporting) what it held.
    let backpressure = (loaded.config.engine_kind == EngineKind::Replay || audit_file_alone)
        .then(|| (signals.stop.clone(), STOP_GRACE));
    let mut built = built;
    let mut loaded = loaded;
    // Before the source starts, so a second instance is refused before it touches the driver.
    let _pidfile = start::pid_file(cli, &loaded)?;
    let hub = Arc::new(MetricsHub::new(
        start::engine_info(&loaded, &hostname),
        loaded.config.metrics.clone(),
    ));
    hub.set_rules(detection.ruleset.rules().iter());
    if loaded.config.metrics.enabled && loaded.config.metrics.kernel_event_counters_per_cpu {
        log::warn!("metrics.kernel_event_counters_per_cpu_enabled: per-CPU counters are not collected; the totals are");
    }
    let alert_store = web_ui_store(&loaded, &outputs_config, &mut built)?;
    // Subscriptions (the web UI's store) move to each output set a reload builds.
    let outputs = OutputSet::new(built, outputs_config, backpressure);
    // Also before the source: a port in use or a bad certificate stops the start.
    let mut webserver = web::Served::start(
        &loaded.config.webserver,
        &hub,
        web::versions_json(&loaded),
        alert_store,
    )
    .map_err(Fatal::Webserver)?;
    let (mut source, state, _containers) = start::source(&loaded, &detection.ruleset)?;
    let mut watcher = None;
    if loaded.config.watch_config_files {
        watcher = watch::start(&reconfigure::watched_files(&loaded), signals.reload.clone());
        if watcher.is_none() {
            log::warn!("watch_config_files: inotify unavailable; reload with SIGHUP");
        }
    }
    let evaluators = loaded.config.evaluators.max(1);
    let evaluators_excess = std::sync::atomic::AtomicUsize::new(0);
    let stats = &hub.pipeline;
    // Bounded queues: two units per evaluator waiting to be evaluated (the state stage stalls
    // beyond, and the source and the rings absorb it), and room for every unit in flight
    // between the evaluators and the reorder stage.
    let (eval_tx, eval_rx) = bounded::<WorkUnit>(2 * evaluators);
    let (done_tx, done_rx) = bounded::<WorkUnit>(4 * evaluators + 4);
    let (pool_tx, pool_rx) = bounded::<WorkUnit>(4 * evaluators + 8);
    let mut detection = Arc::new(detection);
    let audit = audit_config
        .as_ref()
        .map(|c| audit::AuditRun::start(c, &detection))
        .transpose()
        .map_err(Fatal::Source)?;
    let audit_ended = match &source {
        Running::Idle(i) => Some(i.ended.clone()),
        _ => None,
    };
    let mut ticker = Ticker::new(&loaded, &source, hub.clone());
    let mut reloader = control::Reloader::default();
    let deadline = cli
        .duration_secs
        // A duration past what an Instant can hold means no deadline, not a panic.
        .and_then(|s| Instant::now().checked_add(Duration::from_secs(s)));
    let started = Instant::now();
    let mut code = ExitCode::SUCCESS;
    let mut events = 0u64;
    let mut source_failed = false;
    let mut reload_ts = 0u64;
    let mut last_publish = Instant::now();
    hub.set_running(true);
    let (alerts, mut last, audit_summary) = std::thread::scope(|scope| {
        let mut pool = reconfigure::Evaluators::start(
            scope,
            evaluators,
            eval_rx,
            done_tx.clone(),
            hostname.as_str(),
            &evaluators_excess,
        );
        let audit_eval = audit.as_ref().map(|run| {
            let (outputs, hostname) = (&outputs, hostname.as_str());
            let (events, ended) = (run.input.events.clone(), audit_ended.clone());
            scope.spawn(move || audit::evaluator_loop(run, events, outputs, stats, hostname, ended))
        });
        let reorder = {
            let (outputs, recycle) = (&outputs, source.recycle().clone());
            scope.spawn(move || reorder::reorder_loop(done_rx, outputs, recycle, pool_tx, stats))
        };
        let mut stage = Stage {
            state,
            events: &mut events,
            eval: eval_tx,
            done: done_tx,
            pool: pool_rx,
            next_seq: 0,
            stats,
            cache: CaptureCache::default(),
            opening: true,
        };
        loop {
            if signals.stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d)
            {
                break;
            }
            if signals.reopen.swap(false, Ordering::Relaxed) {
                outputs.reopen();
            }
            if signals.reload.swap(false, Ordering::Relaxed) {
                reloader.request(cli, &hostname);
            }
            let reloaded = reloader.poll(cli, &hostname).map(|r| {
                r.and_then(|r| {
                    control::apply(r, &source, detection.ruleset.num_enabled(), &outputs)
                })
            });
            match reloaded {
                None => {}
                Some(Ok(applied)) => {
                    // The webserver alone restarts, and only when its keys or /versions changed.
                    let (web_config, versions) = applied.web;
                    if let Err(e) = webserver.reload(&web_config, versions, &hub) {
                        log::error!("{e}");
                    }
                    let d = applied.detection;
                    let previous = loaded.config.clone();
                    let parts = reconfigure::Parts {
                        running: &mut loaded,
                        outputs: &outputs,
                        hub: &hub,
                        ticker: &mut ticker,
                        source: &source,
                        watcher: &mut watcher,
                        reload_flag: &signals.reload,
                        evaluators: &mut pool,
                    };
                    let reopen = reconfigure::apply(scope, parts, applied.loaded, applied.outputs);
                    log::info!("reloaded: {} rules enabled", d.ruleset.num_enabled());
                    if reopen {
                        let drain = |b| stage.process(b, &detection);
                        match start::reopen_driver(
                            &mut source,
                            &loaded.config,
                            &previous,
                            &d.ruleset,
                            drain,
                        ) {
                            Ok(gap) => log::warn!(
                                "reload: the driver was reopened with the new settings: {} ms \
                                 without capture",
                                gap.as_millis()
                            ),
                            Err((e, restored)) => {
                                log::error!(
                                    "reload: the driver cannot start with the new settings: {e}; \
                                     {}",
                                    if restored {
                                        "the previous settings run again"
                                    } else {
                                        "nor with the previous ones: stopping"
                                    }
                                );
                                if !restored {
                                    code = ExitCode::FAILURE;
                                    break;
                                }
                            }
                        }
                        ticker = Ticker::new(&loaded, &source, hub.clone());
                    }
                    hub.set_rules(d.ruleset.rules().iter());
                    reload_ts = stage::now_ns();
                    // Units already handed out keep the ruleset they were built with.
                    detection = Arc::new(d);
                    if let Some(a) = &audit {
                        a.swap(&detection);
                    }
                }
                Some(Err(e)) => {
                    log::error!("reload failed, keeping the running rules: {e}");
                    stage.internal_alert(
                        &detection,
                        "Falco internal: hot restart failure",
                        Priority::Error,
                        &format!(
                            "Falco internal: reload failed, keeping the running rules: {}",
                            e.replace('\n', " ")
                        ),
                    );
                }
            }
            if last_publish.elapsed() >= metrics::PUBLISH_EVERY {
                last_publish = Instant::now();
                hub.publish(published(&stage, &source, &outputs, reload_ts));
            }
            if let Some(exit) = ticker.tick(&source, &mut stage, &detection) {
                code = exit;
                break;
            }
            match source.events().recv_timeout(Duration::from_millis(100)) {
                Ok(SourceMsg::Batch(batch)) => stage.process(batch, &detection),
                Ok(SourceMsg::Fatal(e)) => {
                    hub.source_failed(&e);
                    source_failed = true;
                    code = Fatal::Source(e).report();
                    break;
                }
                Ok(SourceMsg::Stopped) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        if let Running::Live(l) = &source {
            l.stop();
            // Drain what the reader already took from the rings: every queued alert is written.
            while let Ok(msg) = source.events().recv_timeout(Duration::from_secs(1)) {
                match msg {
                    SourceMsg::Batch(batch) => stage.process(batch, &detection),
                    SourceMsg::Fatal(_) | SourceMsg::Stopped => break,
                }
            }
            let drops = l.counters.driver_drops.load(Ordering::Relaxed);
            let produced = l.counters.driver_events.load(Ordering::Relaxed);
            log::info!("driver: {produced} events produced, {drops} dropped");
        }
        // The audit input stops taking events; what it queued is still evaluated.
        if let Some(a) = &audit {
            a.input.stop();
        }
        let audit_summary = audit_eval.map(|h| h.join().unwrap_or_default());
        if let Some(a) = &audit {
            log::info!("{}", audit::describe_counters(&a.input.counters));
        }
        let last = published(&stage, &source, &outputs, reload_ts);
        // Closing the queues ends the evaluators once they are empty, then the reorder stage.
        drop(stage);
        drop(pool);
        (reorder.join().unwrap_or_default(), last, audit_summary)
    });
    // The final counters, every alert counted, for the last scrapes.
    let out = outputs.stats();
    (last.outputs_shed, last.outputs_queued, last.outputs_lost) = (
        out.total_shed(),
        out.outputs.iter().map(|o| o.queued as u64).sum(),
        out.total_lost(),
    );
    last.outputs = out.outputs;
    last.events = events;
    hub.publish(last);
    if source_failed && webserver.is_running() {
        // A liveness probe decides the restart: /healthz reports the failure until stopped.
        log::error!("the event source failed: /healthz reports it until the engine is stopped");
        while !signals.stop.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    hub.set_running(false);
    let mut summary = alerts;
    summary.events = events;
    if let Some(a) = audit_summary {
        summary.merge(&a);
    }
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    let report = outputs.shutdown(Duration::from_secs(5));
    drop(webserver);
    log::debug!("outputs: {report:?}");
    // The loss decides the exit status before anything is printed: a stdout whose reader has
    // gone (`| head`) ends the printing quietly, but never hides alerts that were lost.
    let lost = loss::render(&report.stats);
    if lost.is_some() {
        log::warn!(
            "{} alerts were not delivered by every output (exit status {})",
            report.stats.total_lost(),
            loss::LOST_ALERTS_STATUS
        );
        if code == ExitCode::SUCCESS {
            code = ExitCode::from(loss::LOST_ALERTS_STATUS);
        }
    }
    let printed = crate::stdio::print(&summary.render())
        .and_then(|()| lost.map_or(Ok(()), |l| crate::stdio::print(&l)));
    match printed {
        Err(Fatal::Stdout(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

/// The web UI's alert store, when `webserver.ui` is on: filled from `file_output`'s file when
/// `load_file_output` asks, then fed by a subscription to every alert sent.
fn web_ui_store(
    loaded: &Loaded,
    outputs_config: &OutputsConfig,
    outputs: &mut Outputs,
) -> Result<Option<Arc<web::store::AlertStore>>, Fatal> {
    let web = &loaded.config.webserver;
    if !(web.enabled && web.ui.enabled) {
        return Ok(None);
    }
    let store = web::store::AlertStore::new(web.ui.max_alerts);
    if web.ui.load_file_output {
        let file = &outputs_config.file_output;
        if !file.enabled {
            log::warn!(
                "webserver.ui.load_file_output: file_output is not enabled; the UI starts empty"
            );
        } else {
            let path = std::path::Path::new(&file.filename);
            match store.load_file(path) {
                Ok(n) => log::info!("web UI: {n} alerts loaded from {}", path.display()),
                // A first start has no file yet.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => log::warn!("webserver.ui.load_file_output: {}: {e}", path.display()),
            }
        }
    }
    let subscription = outputs.subscribe(web::store::FEED_CAPACITY);
    web::store::start_feed(store.clone(), subscription)
        .map_err(|e| Fatal::Webserver(format!("cannot start the web UI's store: {e}")))?;
    Ok(Some(store))
}

/// The counters the event loop owns, for the metrics hub.
fn published(
    stage: &Stage<'_>,
    source: &Running,
    outputs: &OutputSet,
    reload_ts: u64,
) -> Published {
    let out = outputs.stats();
    let driver = match source {
        Running::Live(l) => Some((
            l.counters.driver_events.load(Ordering::Relaxed),
            std::array::from_fn(|i| l.counters.driver_drops_by_category[i].load(Ordering::Relaxed)),
        )),
        Running::Replay(_) | Running::Idle(_) => None,
    };
    Published {
        events: *stage.events,
        driver,
        source_queue: source.events().len(),
        evaluator_queue: stage.eval.len(),
        reorder_queue: stage.done.len() + stage.stats.reorder_waiting.load(Ordering::Relaxed),
        outputs_shed: out.total_shed(),
        outputs_queued: out.outputs.iter().map(|o| o.queued as u64).sum(),
        outputs_lost: out.total_lost(),
        outputs: out.outputs.clone(),
        n_threads: stage.state.threads.len() as u64,
        n_fds: stage.state.total_fds() as u64,
        reload_ts,
    }
}
