//! What changes a running pipeline from outside: the signals (stop, reload, reopen outputs)
//! and the reload they ask for, which goes through the same loading as startup.

use super::evaluate::Detection;
use crate::cli::Cli;
use crate::config::Loaded;
use crate::load::{load_config, load_rules};
use crate::source::kmod::Control;
use crate::source::{mask, Running};
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

/// Configuration and rules again, through the startup path; the live source is then told the
/// events the new rules need. On error the caller keeps the running rules.
///
/// Two more refusals protect the running rules from a file caught mid-edit: a reload whose
/// files changed while they were read (tried once more after a pause, then refused), and one
/// that enables no rule where `enabled_now` rules run (an editor's truncate-then-write seen
/// between the two).
pub(super) fn reload(
    cli: &Cli,
    catalog: &SyscallCatalog,
    hostname: &str,
    source: &Running,
    enabled_now: usize,
) -> Result<Detection, String> {
    let mut attempt = 0;
    let (loaded, d) = loop {
        // Taken once the configuration is read: a configuration caught mid-write almost
        // always fails to parse; the rules, read next, are covered whole.
        let loaded = load_config(cli).map_err(|e| e.to_string())?;
        let watched = watched_files(&loaded);
        let before = fingerprint(&watched);
        let ruleset = load_rules(cli, &loaded, catalog)?;
        let d = Detection::new(&loaded, ruleset, catalog, hostname)?;
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
    if enabled_now > 0 && d.ruleset.num_enabled() == 0 {
        return Err(format!(
            "the new rules enable no rule where {enabled_now} were enabled (an empty or \
             half-written file?); refused"
        ));
    }
    if let Running::Live(l) = source {
        let mask = mask::event_mask(&d.ruleset, &loaded.config.base_syscalls);
        let _ = l.control.send(Control::SetMask(Box::new(mask)));
    }
    Ok(d)
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
