//! The running engine, a pipeline joined by bounded channels: a source thread (replay or
//! kernel module) feeds batches of records; this thread, the ordered state stage, applies each
//! event to the state and snapshots what the fields of events with candidate rules read;
//! `engine.evaluators` threads run the rules on those snapshots (`evaluate.rs`); the reorder
//! stage (`reorder.rs`) puts the alerts back in event order for the outputs. Signals: SIGINT/SIGTERM stop, SIGHUP reloads configuration and rules through the
//! same path as startup (a failed reload keeps the running ruleset and raises an internal
//! alert; events wait in the source's queue and the rings meanwhile, so none is lost),
//! SIGUSR1 reopens file outputs.

use crate::cli::Cli;
use crate::config::model::DropAction;
use crate::config::{EngineKind, Loaded};
use crate::evaluate::{Detection, WorkUnit};
use crate::fatal::Fatal;
use crate::reorder::PipelineStats;
use crate::source::kmod::{Control, Live};
use crate::source::replay::Replay;
use crate::source::{EventBatch, SourceMsg};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use falco_outputs::{Alert, Outputs, OutputsConfig};
use falco_rules::priority::Priority;
use falco_rules::ruleset::RuleSet;
use falco_sinsp::fields::SyscallCatalog;
use falco_sinsp::state::{CaptureCache, State, StateLimits};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Signal flags, set by handlers and consumed by the event loop.
#[derive(Clone, Default)]
pub struct Signals {
    /// SIGINT or SIGTERM.
    pub stop: Arc<AtomicBool>,
    /// SIGHUP.
    pub reload: Arc<AtomicBool>,
    /// SIGUSR1.
    pub reopen: Arc<AtomicBool>,
}

impl Signals {
    /// Installs the handlers.
    pub fn install() -> std::io::Result<Signals> {
        let s = Signals::default();
        signal_hook::flag::register(signal_hook::consts::SIGINT, s.stop.clone())?;
        signal_hook::flag::register(signal_hook::consts::SIGTERM, s.stop.clone())?;
        signal_hook::flag::register(signal_hook::consts::SIGHUP, s.reload.clone())?;
        signal_hook::flag::register(signal_hook::consts::SIGUSR1, s.reopen.clone())?;
        Ok(s)
    }
}

/// An engine-generated alert (reload failure, drops, metrics), delivered like rule alerts and
/// in order with them.
fn internal_alert(
    stage: &mut Stage<'_>,
    d: &Detection,
    hostname: &str,
    rule: &str,
    priority: Priority,
    message: &str,
) {
    let now = now_ns();
    let text = format!("{}{message}", d.fmt.prefix(now, priority));
    let json = serde_json::json!({
        "hostname": hostname, "output": text, "output_fields": {}, "priority": priority.as_str(),
        "rule": rule, "source": "internal", "time": crate::alert::time_json(now),
    });
    stage.internal(Alert {
        time_ns: now,
        priority: crate::alert::output_priority(priority),
        rule: rule.to_string(),
        source: "internal".into(),
        tags: Vec::new(),
        hostname: hostname.to_string(),
        line: if d.json_output {
            json.to_string()
        } else {
            text
        },
        json: d.json_output,
    });
}

/// The running source, whichever it is.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per run, never moved after the start"
)]
enum Source {
    Replay(Replay),
    Live(Live),
}

impl Source {
    fn events(&self) -> &Receiver<SourceMsg> {
        match self {
            Source::Replay(r) => &r.events,
            Source::Live(l) => &l.events,
        }
    }
    fn recycle(&self) -> &Sender<EventBatch> {
        match self {
            Source::Replay(r) => &r.recycle,
            Source::Live(l) => &l.recycle,
        }
    }
}

/// Starts the configured source and runs until it ends or a stop signal arrives.
///
/// `Err` when something cannot start; once running, a failing source is reported at once and
/// the pipeline still drains and prints its summary, ending with exit code 1.
pub fn run(
    cli: &Cli,
    loaded: Loaded,
    ruleset: RuleSet,
    catalog: SyscallCatalog,
) -> Result<ExitCode, Fatal> {
    let hostname = crate::alert::hostname();
    let detection =
        Detection::new(&loaded, ruleset, &catalog, &hostname).map_err(Fatal::Detection)?;
    let outputs_config: OutputsConfig =
        serde_yaml::from_value(loaded.config.outputs.clone()).map_err(Fatal::OutputConfig)?;
    let outputs = Outputs::new(&outputs_config).map_err(Fatal::Outputs)?;
    let signals = Signals::install().map_err(Fatal::Signals)?;
    let (source, state) = match loaded.config.engine_kind {
        EngineKind::Replay => {
            let Some(path) = loaded
                .config
                .replay_capture_file
                .clone()
                .filter(|p| !p.as_os_str().is_empty())
            else {
                return Err(Fatal::NoCaptureFile);
            };
            let r = Replay::start(&path).map_err(|e| Fatal::Replay(path, e))?;
            let state = State::bootstrap(
                crate::bootstrap::from_capture(&r.metadata),
                StateLimits::default(),
            );
            (Source::Replay(r), state)
        }
        EngineKind::Kmod => {
            let mask =
                crate::source::mask::event_mask(&detection.ruleset, &loaded.config.base_syscalls);
            let state = State::from_host(StateLimits::default()).map_err(Fatal::Proc)?;
            let l = Live::start(
                Path::new("/dev"),
                &mask,
                ringbuf_abi::ioctl::DEFAULT_SNAPLEN,
                loaded.config.kmod_drop_failed_exit,
            )
            .map_err(Fatal::Source)?;
            log::info!("capturing live events from the kernel module");
            (Source::Live(l), state)
        }
    };
    if loaded.config.watch_config_files {
        let mut watched = loaded.files.clone();
        watched.extend(loaded.config.rules_files.iter().cloned());
        if !crate::watch::start(&watched, signals.reload.clone()) {
            log::warn!("watch_config_files: inotify unavailable; reload with SIGHUP");
        }
    }
    let _pidfile = match &source {
        Source::Live(_) => match PidFile::create(&cli.pidfile) {
            Ok(p) => Some(p),
            Err(e) => {
                log::warn!("cannot write pid file {}: {e}", cli.pidfile.display());
                None
            }
        },
        Source::Replay(_) => None,
    };
    let evaluators = loaded.config.evaluators.max(1);
    let stats = PipelineStats::default();
    // Bounded queues: two units per evaluator waiting to be evaluated (the state stage stalls
    // beyond, and the source and the rings absorb it), and room for every unit in flight
    // between the evaluators and the reorder stage.
    let (eval_tx, eval_rx) = bounded::<WorkUnit>(2 * evaluators);
    let (done_tx, done_rx) = bounded::<WorkUnit>(4 * evaluators + 4);
    let (pool_tx, pool_rx) = bounded::<WorkUnit>(4 * evaluators + 8);
    let mut detection = Arc::new(detection);
    let mut ticker = Ticker::new(&loaded, &source);
    let deadline = cli
        .duration_secs
        .map(|s| Instant::now() + Duration::from_secs(s));
    let started = Instant::now();
    let mut code = ExitCode::SUCCESS;
    let mut events = 0u64;
    let alerts = std::thread::scope(|scope| {
        for i in 0..evaluators {
            let (rx, tx, hostname) = (eval_rx.clone(), done_tx.clone(), hostname.as_str());
            let spawned = std::thread::Builder::new()
                .name(format!("evaluator-{i}"))
                .spawn_scoped(scope, move || {
                    crate::evaluate::evaluator_loop(rx, tx, hostname)
                });
            if let Err(e) = spawned {
                log::error!("cannot start evaluator thread {i}: {e}");
            }
        }
        drop(eval_rx);
        let reorder = {
            let (outputs, stats, recycle) = (&outputs, &stats, source.recycle().clone());
            scope.spawn(move || {
                crate::reorder::reorder_loop(done_rx, outputs, recycle, pool_tx, stats)
            })
        };
        let mut stage = Stage {
            state,
            events: &mut events,
            eval: eval_tx,
            done: done_tx,
            pool: pool_rx,
            next_seq: 0,
            stats: &stats,
            cache: CaptureCache::default(),
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
                match reload(cli, &catalog, &hostname) {
                    Ok((d, loaded)) => {
                        if let Source::Live(l) = &source {
                            let mask = crate::source::mask::event_mask(
                                &d.ruleset,
                                &loaded.config.base_syscalls,
                            );
                            let _ = l.control.send(Control::SetMask(Box::new(mask)));
                        }
                        log::info!("reloaded: {} rules enabled", d.ruleset.num_enabled());
                        // Units already handed out keep the ruleset they were built with.
                        detection = Arc::new(d);
                    }
                    Err(e) => {
                        log::error!("reload failed, keeping the running rules: {e}");
                        internal_alert(
                            &mut stage,
                            &detection,
                            &hostname,
                            "Falco internal: hot restart failure",
                            Priority::Error,
                            &format!(
                                "Falco internal: reload failed, keeping the running rules: {}",
                                e.replace('\n', " ")
                            ),
                        );
                    }
                }
            }
            if let Some(exit) = ticker.tick(&source, &mut stage, &outputs, &detection, &hostname) {
                code = exit;
                break;
            }
            match source.events().recv_timeout(Duration::from_millis(100)) {
                Ok(SourceMsg::Batch(batch)) => stage.process(batch, &detection),
                Ok(SourceMsg::Fatal(e)) => {
                    code = Fatal::Source(e).report();
                    break;
                }
                Ok(SourceMsg::Stopped) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        if let Source::Live(l) = &source {
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
        // Closing the queues ends the evaluators once they are empty, then the reorder stage.
        drop(stage);
        reorder.join().unwrap_or_default()
    });
    let mut summary = alerts;
    summary.events = events;
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    let report = outputs.shutdown(Duration::from_secs(5));
    log::debug!("outputs: {report:?}");
    print!("{}", summary.render());
    Ok(code)
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Once-per-second work: the drop monitor (live) and periodic metrics.
struct Ticker {
    next: Instant,
    drops: Option<crate::drops::DropMonitor>,
    metrics: Option<(Duration, Instant, bool)>,
    last_cpu: (Instant, f64),
}

impl Ticker {
    fn new(loaded: &Loaded, source: &Source) -> Ticker {
        let drops = match source {
            Source::Live(l) => Some(crate::drops::DropMonitor::new(
                loaded.config.syscall_event_drops.clone(),
                now_ns(),
                l.counters.driver_events.load(Ordering::Relaxed),
                l.counters.driver_drops.load(Ordering::Relaxed),
            )),
            Source::Replay(_) => None,
        };
        let m = &loaded.config.metrics;
        let metrics = m.enabled.then(|| {
            let every = Duration::from_secs(m.interval_secs.max(1));
            (every, Instant::now() + every, m.output_rule)
        });
        Ticker {
            next: Instant::now() + Duration::from_secs(1),
            drops,
            metrics,
            last_cpu: (Instant::now(), crate::metrics::cpu_seconds()),
        }
    }

    /// Returns an exit code when a drop action says to exit.
    fn tick(
        &mut self,
        source: &Source,
        stage: &mut Stage<'_>,
        outputs: &Outputs,
        d: &Detection,
        hostname: &str,
    ) -> Option<ExitCode> {
        let now = Instant::now();
        if now < self.next {
            return None;
        }
        self.next = now + Duration::from_secs(1);
        let (driver_events, driver_drops) = match source {
            Source::Live(l) => (
                l.counters.driver_events.load(Ordering::Relaxed),
                l.counters.driver_drops.load(Ordering::Relaxed),
            ),
            Source::Replay(_) => (0, 0),
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
                        DropAction::Alert => internal_alert(
                            stage,
                            d,
                            hostname,
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
                let cpu = crate::metrics::cpu_seconds();
                let wall = now.duration_since(self.last_cpu.0).as_secs_f64();
                let pct = if wall > 0.0 {
                    (cpu - self.last_cpu.1) / wall * 100.0
                } else {
                    0.0
                };
                self.last_cpu = (now, cpu);
                let stats = stage.stats;
                let snap = crate::metrics::Snapshot {
                    events: *stage.events,
                    driver_events,
                    driver_drops,
                    alerts: stats.alerts.load(Ordering::Relaxed),
                    source_queue: source.events().len(),
                    evaluator_queue: stage.eval.len(),
                    reorder_queue: stage.done.len() + stats.reorder_waiting.load(Ordering::Relaxed),
                    reorder_queue_max: stats.reorder_waiting_max.load(Ordering::Relaxed),
                    evaluator_stalls: stats.evaluator_stalls.load(Ordering::Relaxed),
                    outputs_shed: outputs.stats().total_shed(),
                    cpu_percent: pct,
                    rss_bytes: crate::metrics::rss_bytes(),
                };
                let text = format!("Falco metrics snapshot: {}", snap.to_json());
                if *as_alert {
                    internal_alert(
                        stage,
                        d,
                        hostname,
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

/// Configuration and rules again, through the startup path.
fn reload(
    cli: &Cli,
    catalog: &SyscallCatalog,
    hostname: &str,
) -> Result<(Detection, Loaded), String> {
    let loaded = crate::load::load_config(cli).map_err(|e| e.to_string())?;
    let ruleset = crate::load::load_rules(cli, &loaded, catalog)?;
    let d = Detection::new(&loaded, ruleset, catalog, hostname)?;
    Ok((d, loaded))
}

/// The ordered state stage: what the event loop owns.
struct Stage<'a> {
    state: State,
    events: &'a mut u64,
    eval: Sender<WorkUnit>,
    done: Sender<WorkUnit>,
    pool: Receiver<WorkUnit>,
    next_seq: u64,
    stats: &'a PipelineStats,
    /// The last capture's thread family, shared by the next events of the same thread.
    cache: CaptureCache,
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
    fn process(&mut self, batch: EventBatch, d: &Arc<Detection>) {
        let mut unit = self.unit();
        for (i, rec, e) in batch.iter_indexed() {
            *self.events += 1;
            self.state.process(rec, e.cpu);
            if e.flags & falco_scap::DF_STATE_ONLY != 0 {
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

    /// Queues an internal alert after the alerts of every event processed so far.
    fn internal(&mut self, alert: Alert) {
        let mut unit = self.unit();
        unit.alerts.push((None, alert));
        let _ = self.done.send(unit);
    }
}

/// Writes our pid to `path`; the file is removed when the guard drops.
pub struct PidFile(PathBuf);

impl PidFile {
    /// Creates the pid file.
    pub fn create(path: &Path) -> std::io::Result<PidFile> {
        std::fs::write(path, format!("{}\n", std::process::id()))?;
        Ok(PidFile(path.to_path_buf()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
