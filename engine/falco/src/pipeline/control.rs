//! What changes a running pipeline from outside: the signals (stop, reload, reopen outputs)
//! and the reload they ask for, which goes through the same loading as startup.

use super::evaluate::Detection;
use crate::cli::Cli;
use crate::load::{load_config, load_rules};
use crate::source::kmod::Control;
use crate::source::{mask, Running};
use falco_sinsp::fields::SyscallCatalog;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

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
pub(super) fn reload(
    cli: &Cli,
    catalog: &SyscallCatalog,
    hostname: &str,
    source: &Running,
) -> Result<Detection, String> {
    let loaded = load_config(cli).map_err(|e| e.to_string())?;
    let ruleset = load_rules(cli, &loaded, catalog)?;
    let d = Detection::new(&loaded, ruleset, catalog, hostname)?;
    if let Running::Live(l) = source {
        let mask = mask::event_mask(&d.ruleset, &loaded.config.base_syscalls);
        let _ = l.control.send(Control::SetMask(Box::new(mask)));
    }
    Ok(d)
}
