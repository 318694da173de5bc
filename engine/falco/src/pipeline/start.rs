//! Starting the configured source with the state it needs (a replay bootstraps the state from
//! the capture's metadata, the live source from /proc), and the pid file of a live run
//! (`pidfile.rs`).

use super::pidfile::{PidFile, PidFileError};
use crate::capture::bootstrap;
use crate::cli::Cli;
use crate::config::{Config, EngineKind, Loaded};
use crate::fatal::Fatal;
use crate::source::kmod::{Driver, Live};
use crate::source::replay::Replay;
use crate::source::{mask, Running};
use falco_containers::Collector;
use falco_rules::ruleset::RuleSet;
use falco_sinsp::state::{State, StateLimits};

/// Starts the source `engine.kind` names, with the state the state stage starts from; the
/// live source produces the events `ruleset` and the state tables need. A live source also
/// gets the container runtimes' metadata worker (kept running while its `Collector` lives).
pub(super) fn source(
    loaded: &Loaded,
    ruleset: &RuleSet,
) -> Result<(Running, State, Option<Collector>), Fatal> {
    let syscall = crate::config::model::SYSCALL_SOURCE;
    if !loaded.config.enabled_sources.iter().any(|s| s == syscall) {
        log::info!("the syscall source is disabled: no driver or capture is opened");
        let state = State::new(state_limits(&loaded.config));
        return Ok((Running::Idle(crate::source::Idle::new()), state, None));
    }
    match loaded.config.engine_kind {
        EngineKind::Replay => {
            let Some(path) = loaded
                .config
                .replay_capture_file
                .clone()
                .filter(|p| !p.as_os_str().is_empty())
            else {
                return Err(Fatal::NoCaptureFile);
            };
            let mut r = Replay::start(&path).map_err(|e| Fatal::Replay(path, e))?;
            // The process and fd lists are freed once the state is built from them: a run
            // keeps one copy of the threads, in the state, bounded by its thread table.
            let metadata = std::mem::take(&mut r.metadata);
            let state = State::bootstrap(
                bootstrap::from_capture(&metadata),
                state_limits(&loaded.config),
            );
            drop(metadata);
            Ok((Running::Replay(r), state, None))
        }
        EngineKind::Kmod | EngineKind::ModernEbpf => {
            let mask = mask::event_mask(ruleset, &loaded.config.base_syscalls);
            let mut state = State::from_host(state_limits(&loaded.config)).map_err(Fatal::Proc)?;
            let containers = start_containers(&loaded.config);
            if let Some(c) = &containers {
                state.set_container_metadata(c.cache.clone());
            }
            let snaplen = match loaded.config.snaplen {
                0 => ringbuf_abi::ioctl::DEFAULT_SNAPLEN,
                n => n,
            };
            let c = &loaded.config;
            let (driver, drop_failed) = live_driver(c);
            let l = Live::start(&driver, &mask, snaplen, drop_failed).map_err(Fatal::Source)?;
            log::info!("capturing live events from {}", driver.describe());
            Ok((Running::Live(l), state, containers))
        }
    }
}

/// Reopens the live driver with the settings of `config` (another kind, other buffers): the
/// running one is stopped and what it had read handed to `drain`, then the new one starts with
/// the events `ruleset` needs. Returns how long nothing was captured. When the new driver
/// cannot start, the previous settings (`previous`) are started again and the error returned
/// with `true`; should that fail too, with `false`: `source` is left stopped.
pub(super) fn reopen_driver(
    source: &mut Running,
    config: &Config,
    previous: &Config,
    ruleset: &RuleSet,
    mut drain: impl FnMut(crate::source::EventBatch),
) -> Result<std::time::Duration, (String, bool)> {
    let Running::Live(old) = source else {
        return Err(("not a live source".into(), true));
    };
    let stopped = std::time::Instant::now();
    old.stop();
    while let Ok(msg) = old.events.recv_timeout(std::time::Duration::from_secs(1)) {
        match msg {
            crate::source::SourceMsg::Batch(b) => drain(b),
            _ => break,
        }
    }
    let start = |c: &Config| {
        let mask = mask::event_mask(ruleset, &c.base_syscalls);
        let snaplen = match c.snaplen {
            0 => ringbuf_abi::ioctl::DEFAULT_SNAPLEN,
            n => n,
        };
        let (driver, drop_failed) = live_driver(c);
        // The old driver's rings and programs are released first (its reader thread joined).
        Live::start(&driver, &mask, snaplen, drop_failed).map(|l| (l, driver.describe()))
    };
    let replace = |source: &mut Running, l: Live| *source = Running::Live(l);
    // Dropping the stopped driver joins its reader and frees its rings before the new ones.
    drop(std::mem::replace(source, Running::Live(Live::stopped())));
    match start(config) {
        Ok((l, what)) => {
            replace(source, l);
            log::info!("capturing live events from {what}");
            Ok(stopped.elapsed())
        }
        Err(e) => match start(previous) {
            Ok((l, _)) => {
                replace(source, l);
                Err((e, true))
            }
            Err(_) => Err((e, false)),
        },
    }
}

/// The metadata worker for the configured runtimes, once each has listed its containers (or
/// failed to); none when every engine is off. A worker that cannot start is a warning:
/// detection goes on without container metadata.
fn start_containers(c: &Config) -> Option<Collector> {
    let cfg = c.container_engines.clone();
    if cfg.endpoints().is_empty() {
        return None;
    }
    let wait = cfg.request_timeout + std::time::Duration::from_millis(500);
    match falco_containers::start(cfg) {
        Ok(col) => {
            // The containers already running are listed before events flow, so their first
            // alerts carry their names; a hung runtime delays the start by one timeout at most.
            col.wait_settled(wait);
            Some(col)
        }
        Err(e) => {
            log::warn!("container metadata: cannot start the runtime worker: {e}");
            None
        }
    }
}

/// The live driver `engine.kind` names, with its `drop_failed_exit`.
pub(crate) fn live_driver(c: &Config) -> (Driver, bool) {
    match c.engine_kind {
        EngineKind::ModernEbpf => (
            Driver::ModernEbpf(
                falco_ebpf::Options {
                    cpus_for_each_buffer: c.modern_ebpf_cpus_for_each_buffer as u32,
                    buf_size_preset: c.modern_ebpf_buf_size_preset as u32,
                    ..falco_ebpf::Options::default()
                }
                .with_env(),
            ),
            c.modern_ebpf_drop_failed_exit,
        ),
        _ => (Driver::Kmod("/dev".into()), c.kmod_drop_failed_exit),
    }
}

/// The state's limits: `falco_libs.thread_table_size` threads, libsinsp's fd limit.
pub(super) fn state_limits(config: &Config) -> StateLimits {
    StateLimits {
        max_threads: config.thread_table_size,
        ..StateLimits::default()
    }
}

/// The pid file of a live run, only when `--pidfile` names one (Falco writes none by
/// default); a replay writes none. Another running instance
/// holding it, or a link or other non-regular file at its path, stops the start; a pid file
/// that cannot be written is a warning, not a reason to stop monitoring.
pub(super) fn pid_file(cli: &Cli, loaded: &Loaded) -> Result<Option<PidFile>, Fatal> {
    let Some(path) = &cli.pidfile else {
        return Ok(None);
    };
    if loaded.config.engine_kind == EngineKind::Replay {
        return Ok(None);
    }
    match PidFile::create(path) {
        Ok(p) => Ok(Some(p)),
        Err(e @ (PidFileError::Held { .. } | PidFileError::NotRegular(_))) => {
            Err(Fatal::PidFile(e.to_string()))
        }
        Err(e) => {
            log::warn!("{e}");
            Ok(None)
        }
    }
}

/// The facts the metrics report about this run: version, host, engine, sources, and the
/// checksums of the rules and configuration files.
pub(super) fn engine_info(loaded: &Loaded, hostname: &str) -> super::metrics::EngineInfo {
    use super::metrics::{sha256_file, EngineInfo};
    let file_sums = |paths: &[std::path::PathBuf]| -> Vec<(String, String)> {
        paths
            .iter()
            .filter_map(|p| {
                let name = p.file_name()?.to_string_lossy().into_owned();
                Some((name, sha256_file(p)?))
            })
            .collect()
    };
    EngineInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        hostname: hostname.to_string(),
        kernel_release: super::metrics::kernel_release(),
        start_ts: super::stage::now_ns(),
        host_boot_ts: super::metrics::host_boot_ts(),
        host_num_cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
        engine_name: match loaded.config.engine_kind {
            EngineKind::Kmod => "kmod",
            EngineKind::ModernEbpf => "modern_ebpf",
            EngineKind::Replay => "savefile",
        }
        .to_string(),
        sources: loaded.config.enabled_sources.clone(),
        rules_files: file_sums(&crate::load::rules_file_paths(&loaded.config.rules_files)),
        config_files: file_sums(&loaded.files),
    }
}
