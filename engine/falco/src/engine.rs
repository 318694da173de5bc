//! The running engine: a source thread (replay or kernel module) feeds batches of records; this
//! thread keeps the state, evaluates the candidate rules of each event and hands alerts to the
//! outputs. Signals: SIGINT/SIGTERM stop, SIGHUP reloads configuration and rules through the
//! same path as startup (a failed reload keeps the running ruleset and raises an internal
//! alert; events wait in the source's queue and the rings meanwhile, so none is lost),
//! SIGUSR1 reopens file outputs.

use crate::alert::{AlertFormat, AlertRule};
use crate::app::PidFile;
use crate::cli::Cli;
use crate::config::model::DropAction;
use crate::config::{EngineKind, Loaded, RuleMatching};
use crate::source::kmod::{Control, Live};
use crate::source::replay::Replay;
use crate::source::{EventBatch, SourceMsg};
use crate::summary::Summary;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use falco_outputs::{Alert, Outputs, OutputsConfig};
use falco_rules::field::{FieldCatalog, ResolvedField};
use falco_rules::output::OutputSegment;
use falco_rules::priority::Priority;
use falco_rules::ruleset::{Rule, RuleSet};
use falco_sinsp::fields::{EventContext, JsonValue, Scratch, SyscallCatalog};
use falco_sinsp::state::{State, StateLimits};
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

/// What evaluation needs from the configuration and the rules; swapped as a whole on reload.
struct Detection {
    ruleset: RuleSet,
    fmt: AlertFormat,
    time_field: ResolvedField,
    first_only: bool,
    json_output: bool,
}

impl Detection {
    fn new(
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
        Ok(Detection {
            ruleset,
            fmt: AlertFormat {
                json_output: config.json_output,
                include_output: config.json_include_output_property,
                include_tags: config.json_include_tags_property,
                include_output_fields: config.json_include_output_fields_property,
                iso8601: config.time_format_iso_8601,
                hostname: hostname.to_string(),
            },
            time_field,
            first_only: config.rule_matching == RuleMatching::First,
            json_output: config.json_output,
        })
    }
}

/// The `output_fields` key of a field as written in an output (`proc.aname[2]`, `evt.arg.flags`):
/// the catalog already resolves it to that spelling.
fn output_key(f: &ResolvedField) -> String {
    f.name.clone()
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

/// Formats one alert for `rule` on the event in `ctx`: (text line, JSON line).
fn format_alert(d: &Detection, rule: &Rule, ctx: &mut EventContext<'_>) -> (String, String) {
    let mut out = String::new();
    let mut fields = serde_json::Map::new();
    fields.insert(
        output_key(&d.time_field),
        to_json(ctx.json_field(&d.time_field)),
    );
    for seg in &rule.output_format {
        match seg {
            OutputSegment::Text(t) => out.push_str(t),
            OutputSegment::Field(f) => {
                if !ctx.format_field(f, &mut out) {
                    out.push_str("<NA>");
                }
                fields.insert(output_key(f), to_json(ctx.json_field(f)));
            }
        }
    }
    let tags: Vec<String> = rule.tags.iter().cloned().collect();
    let a = d.fmt.format(
        AlertRule {
            name: &rule.name,
            priority: rule.priority,
            source: &rule.source,
            tags: &tags,
        },
        ctx.event_ts(),
        &out,
        fields,
    );
    (a.text, a.json)
}

/// An engine-generated alert (reload failure, drops), delivered like rule alerts.
fn internal_alert(
    outputs: &Outputs,
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
    outputs.send(Alert {
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
pub fn run(cli: &Cli, loaded: Loaded, ruleset: RuleSet, catalog: SyscallCatalog) -> ExitCode {
    let hostname = crate::alert::hostname();
    let mut detection = match Detection::new(&loaded, ruleset, &catalog, &hostname) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outputs_config: OutputsConfig = match serde_yaml::from_value(loaded.config.outputs.clone())
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: invalid output configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outputs = match Outputs::new(&outputs_config) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("Error: cannot start outputs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Error: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (source, state) = match loaded.config.engine_kind {
        EngineKind::Replay => {
            let Some(path) = loaded
                .config
                .replay_capture_file
                .clone()
                .filter(|p| !p.as_os_str().is_empty())
            else {
                eprintln!("Error: engine.kind is replay but engine.replay.capture_file is not set");
                return ExitCode::FAILURE;
            };
            match Replay::start(&path) {
                Ok(r) => {
                    let state = State::bootstrap(
                        crate::bootstrap::from_capture(&r.metadata),
                        StateLimits::default(),
                    );
                    (Source::Replay(r), state)
                }
                Err(e) => {
                    eprintln!("Error: {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
        EngineKind::Kmod => {
            let mask =
                crate::source::mask::event_mask(&detection.ruleset, &loaded.config.base_syscalls);
            let state = match State::from_host(StateLimits::default()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("Error: cannot read /proc: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match Live::start(
                std::path::Path::new("/dev"),
                &mask,
                80,
                loaded.config.kmod_drop_failed_exit,
            ) {
                Ok(l) => (Source::Live(l), state),
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::FAILURE;
                }
            }
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
    let mut loop_state = Loop {
        state,
        scratch: Scratch::default(),
        summary: Summary::default(),
    };
    let mut ticker = Ticker::new(&loaded, &source);
    let deadline = cli
        .duration_secs
        .map(|s| Instant::now() + Duration::from_secs(s));
    let started = Instant::now();
    let mut code = ExitCode::SUCCESS;
    loop {
        if signals.stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
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
                    detection = d;
                }
                Err(e) => {
                    log::error!("reload failed, keeping the running rules: {e}");
                    internal_alert(
                        &outputs,
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
        if let Some(exit) = ticker.tick(
            &source,
            &loop_state.summary,
            &outputs,
            &detection,
            &hostname,
        ) {
            code = exit;
            break;
        }
        match source.events().recv_timeout(Duration::from_millis(100)) {
            Ok(SourceMsg::Batch(batch)) => {
                loop_state.process(&batch, &detection, &outputs, &hostname);
                let _ = source.recycle().try_send(batch);
            }
            Ok(SourceMsg::Fatal(e)) => {
                eprintln!("Error: {e}");
                code = ExitCode::FAILURE;
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
                SourceMsg::Batch(batch) => {
                    loop_state.process(&batch, &detection, &outputs, &hostname)
                }
                SourceMsg::Fatal(_) | SourceMsg::Stopped => break,
            }
        }
        let drops = l.counters.driver_drops.load(Ordering::Relaxed);
        let produced = l.counters.driver_events.load(Ordering::Relaxed);
        log::info!("driver: {produced} events produced, {drops} dropped");
    }
    loop_state.summary.elapsed_secs = started.elapsed().as_secs_f64();
    let report = outputs.shutdown(Duration::from_secs(5));
    log::debug!("outputs: {report:?}");
    print!("{}", loop_state.summary.render());
    code
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
        summary: &Summary,
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
                            outputs,
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
                let snap = crate::metrics::Snapshot {
                    events: summary.events,
                    driver_events,
                    driver_drops,
                    alerts: summary.alerts,
                    source_queue: source.events().len(),
                    outputs_shed: outputs.stats().total_shed(),
                    cpu_percent: pct,
                    rss_bytes: crate::metrics::rss_bytes(),
                };
                let text = format!("Falco metrics snapshot: {}", snap.to_json());
                if *as_alert {
                    internal_alert(
                        outputs,
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
    let loaded = crate::app::load_config(cli).map_err(|e| e.to_string())?;
    let ruleset = crate::run::load_rules(cli, &loaded, catalog)?;
    let d = Detection::new(&loaded, ruleset, catalog, hostname)?;
    Ok((d, loaded))
}

/// What the event loop owns.
struct Loop {
    state: State,
    scratch: Scratch,
    summary: Summary,
}

impl Loop {
    /// State update and rule evaluation for every record of a batch.
    fn process(&mut self, batch: &EventBatch, d: &Detection, outputs: &Outputs, hostname: &str) {
        for (rec, e) in batch.iter() {
            self.summary.events += 1;
            self.state.process(rec, e.cpu);
            if e.flags & falco_scap::DF_STATE_ONLY != 0 {
                continue;
            }
            let candidates = d.ruleset.candidates(rec.evtype());
            if candidates.is_empty() {
                continue;
            }
            let mut ctx = EventContext::new(&self.state, rec, e.cpu, &mut self.scratch);
            for &ri in candidates {
                let Some(rule) = d.ruleset.rule(ri) else {
                    continue;
                };
                if !rule.filter.eval(&mut ctx) {
                    continue;
                }
                let (text, json) = format_alert(d, rule, &mut ctx);
                self.summary.count_alert(&rule.name, rule.priority);
                outputs.send(Alert {
                    time_ns: ctx.event_ts(),
                    priority: crate::alert::output_priority(rule.priority),
                    rule: rule.name.clone(),
                    source: rule.source.clone(),
                    tags: rule.tags.iter().cloned().collect(),
                    hostname: hostname.to_string(),
                    line: if d.json_output { json } else { text },
                    json: d.json_output,
                });
                if d.first_only {
                    break;
                }
            }
        }
    }
}
