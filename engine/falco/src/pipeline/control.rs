//! What changes a running pipeline from outside: the signals (stop, reload, reopen outputs)
//! and the reload they ask for, which goes through the same loading as startup.

use super::evaluate::Detection;
use super::output_set::OutputSet;
use crate::cli::Cli;
use crate::config::Loaded;
use crate::load::{load_config, load_rules};
use crate::source::kmod::Control;
use crate::source::{mask, Running};
use crossbeam_channel::{bounded, Receiver, TryRecvError};
use falco_outputs::{Outputs, OutputsConfig};
use falco_sinsp::fields::SyscallCatalog;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

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

/// What a reload loaded: the detection to swap in, the events its rules need and the
/// configuration the rest of the engine is reconfigured from.
pub(super) struct Reloaded {
    detection: Detection,
    mask: ringbuf_abi::ioctl::EventMask,
    /// The new `webserver.*` keys and `/versions`, for [`super::web::Served::reload`].
    web: (crate::config::model::WebserverConfig, serde_json::Value),
    loaded: Loaded,
}

/// A reload ready to take into use: every part of it built, nothing swapped yet.
pub(super) struct Applied {
    /// The rules and formats.
    pub(super) detection: Detection,
    /// The new configuration.
    pub(super) loaded: Loaded,
    /// The new `webserver.*` keys and `/versions`, for [`super::web::Served::reload`].
    pub(super) web: (crate::config::model::WebserverConfig, serde_json::Value),
    /// A new output set with its configuration, when the output sections changed.
    pub(super) outputs: Option<(Outputs, OutputsConfig)>,
}

/// A reload loading on a thread of its own, so that the event loop keeps moving events (and
/// the running rules keep alerting) while a large or slow rules file is read and compiled; the
/// loop swaps the result in when it is ready ([`Reloader::poll`], then [`apply`]). A request
/// made while a load runs starts one more load when it ends: the files may have changed after
/// the running load read them.
#[derive(Default)]
pub(super) struct Reloader {
    running: Option<Receiver<Result<Reloaded, String>>>,
    again: bool,
}

impl Reloader {
    /// Asks for a reload: starts loading now, or once the load in progress ends.
    pub(super) fn request(&mut self, cli: &Cli, hostname: &str) {
        if self.running.is_some() {
            self.again = true;
            return;
        }
        log::info!("reload: loading the configuration and rules");
        let (tx, rx) = bounded(1);
        let (cli, hostname) = (cli.clone(), hostname.to_string());
        let spawned = std::thread::Builder::new()
            .name("reload".to_string())
            .spawn(move || {
                let _ = tx.send(load(&cli, &hostname));
            });
        match spawned {
            Ok(_) => self.running = Some(rx),
            Err(e) => {
                let (tx, rx) = bounded(1);
                let _ = tx.send(Err(format!("cannot start the reload thread: {e}")));
                self.running = Some(rx);
            }
        }
    }

    /// The result of the load in progress once it has ended; starts the one asked for
    /// meanwhile.
    pub(super) fn poll(&mut self, cli: &Cli, hostname: &str) -> Option<Result<Reloaded, String>> {
        let result = match self.running.as_ref()?.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                Err("the reload thread ended without a result".into())
            }
        };
        self.running = None;
        if std::mem::take(&mut self.again) {
            self.request(cli, hostname);
        }
        Some(result)
    }
}

/// Configuration and rules again, through the startup path, with the events the new rules
/// need. Runs on the reload thread.
///
/// Files that changed while they were read are read once more after a pause, then refused
/// (a file caught mid-edit).
fn load(cli: &Cli, hostname: &str) -> Result<Reloaded, String> {
    let catalog = SyscallCatalog::new();
    let mut attempt = 0;
    let (loaded, detection) = loop {
        // Taken once the configuration is read: a configuration caught mid-write almost
        // always fails to parse; the rules, read next, are covered whole.
        let loaded = load_config(cli).map_err(|e| e.to_string())?;
        let watched = watched_files(&loaded);
        let before = fingerprint(&watched);
        let ruleset = load_rules(cli, &loaded, &catalog)?;
        let d = Detection::new(&loaded, ruleset, &catalog, hostname)?;
        if fingerprint(&watched) == before {
            break (loaded, d);
        }
        attempt += 1;
        if attempt == RELOAD_ATTEMPTS {
            return Err(
                "the configuration or rules files changed while they were read; try again once \
                 they are written"
                    .to_string(),
            );
        }
        std::thread::sleep(SETTLE);
    };
    let mask = mask::event_mask(&detection.ruleset, &loaded.config.base_syscalls);
    let web = (
        loaded.config.webserver.clone(),
        super::web::versions_json(&loaded),
    );
    for w in &loaded.warnings {
        log::warn!("{w}");
    }
    Ok(Reloaded {
        detection,
        mask,
        web,
        loaded,
    })
}

/// Takes a loaded reload into use: when the output sections changed, the new output set is
/// built (through the constructor start-up uses), then the live source is told the events
/// the new rules need, and the rest is returned for the loop to swap in. On error the caller
/// keeps the running rules and outputs: a reload that enables no rule where `enabled_now`
/// rules run (an editor's truncate-then-write seen between the two) is refused, and so is one
/// whose outputs cannot be built.
pub(super) fn apply(
    reloaded: Reloaded,
    source: &Running,
    enabled_now: usize,
    outputs: &OutputSet,
) -> Result<Applied, String> {
    let Reloaded {
        detection,
        mask,
        web,
        loaded,
    } = reloaded;
    if enabled_now > 0 && detection.ruleset.num_enabled() == 0 {
        return Err(format!(
            "the new rules enable no rule where {enabled_now} were enabled (an empty or \
             half-written file?); refused"
        ));
    }
    let config: OutputsConfig = serde_yaml::from_value(loaded.config.outputs.clone())
        .map_err(|e| format!("outputs: {e}"))?;
    let new_outputs = if outputs.changed(&config) {
        Some((Outputs::new(&config).map_err(|e| e.to_string())?, config))
    } else {
        None
    };
    if let Running::Live(l) = source {
        let _ = l.control.send(Control::SetMask(Box::new(mask)));
    }
    Ok(Applied {
        detection,
        loaded,
        web,
        outputs: new_outputs,
    })
}

/// Loads a reload tries before refusing files that keep changing under it.
const RELOAD_ATTEMPTS: u32 = 2;
/// The pause between them, for an editor or a deployment to finish writing.
const SETTLE: Duration = Duration::from_millis(200);

/// The files a reload reads: the configuration files and the rules files, a rules directory's
/// entries included.
fn watched_files(loaded: &Loaded) -> Vec<PathBuf> {
    let mut out = loaded.files.clone();
    for p in &loaded.config.rules_files {
        out.push(p.clone());
        if let Ok(dir) = std::fs::read_dir(p) {
            let mut entries: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
            entries.sort();
            out.extend(entries);
        }
    }
    out
}

/// Length, modification time and inode of each file (`None` when it cannot be read), enough to
/// see a rewrite in place or a replacement between two looks.
fn fingerprint(paths: &[PathBuf]) -> Vec<Option<(u64, i64, i64, u64)>> {
    paths
        .iter()
        .map(|p| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.len(), m.mtime(), m.mtime_nsec(), m.ino()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_changes_the_fingerprint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("rules.yaml");
        std::fs::write(&f, "- list: a\n  items: []\n").expect("write");
        let paths = vec![f.clone(), dir.path().join("missing.yaml")];
        let first = fingerprint(&paths);
        assert_eq!(first, fingerprint(&paths), "nothing changed");
        assert_eq!(first[1], None);
        // Same length, new content: the modification time tells.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&f, "- list: b\n  items: []\n").expect("rewrite");
        assert_ne!(first, fingerprint(&paths));
        // Replaced by another file (an editor's rename): the inode tells.
        let again = fingerprint(&paths);
        let other = dir.path().join("new.yaml");
        std::fs::write(&other, "- list: b\n  items: []\n").expect("write");
        std::fs::rename(&other, &f).expect("rename");
        assert_ne!(again, fingerprint(&paths));
    }
}
