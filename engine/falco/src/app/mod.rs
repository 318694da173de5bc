//! The `falco` program: the command line picks one [`Action`]; every action but `--version`
//! loads the configuration first; a [`Fatal`] error ends the run with `Error: ...` and exit
//! code 1, printed in one place ([`Fatal::report`]).

mod action;
mod info;
mod rules;

pub use action::Action;
pub use info::{support_json, VERSION};

use crate::cli::Cli;
use crate::config::Loaded;
use crate::fatal::Fatal;
use crate::load::load_config;
use falco_sinsp::fields::SyscallCatalog;
use std::process::ExitCode;

/// Runs the program and returns its exit code.
pub fn run(cli: Cli) -> ExitCode {
    init_logging(log::LevelFilter::Info);
    match execute(&cli, Action::from_cli(&cli)) {
        Ok(code) => code,
        Err(fatal) => fatal.report(),
    }
}

/// Runs `action`. `Ok` carries the code of an action that ended on its own terms (success, a
/// `-V` verdict, a drop action that exits).
fn execute(cli: &Cli, action: Action) -> Result<ExitCode, Fatal> {
    match action {
        Action::Version => info::print_version()?,
        Action::Support => {
            let loaded = configure(cli)?;
            crate::stdio::print(&format!("{}\n", support_json(&loaded)))?;
        }
        Action::ListFields {
            source,
            names_only,
            format,
        } => {
            configure(cli)?;
            let catalog = SyscallCatalog::new();
            rules::print_fields(&catalog, source.as_deref(), names_only, format.as_deref())?;
        }
        Action::Validate { paths } => {
            let loaded = configure(cli)?;
            let catalog = SyscallCatalog::new();
            return rules::validate(&paths, &catalog, loaded.config.json_output);
        }
        Action::ListRules => {
            let loaded = configure(cli)?;
            let catalog = SyscallCatalog::new();
            let ruleset = rules::startup_rules(cli, &loaded, &catalog)?;
            rules::print_rules(&ruleset, loaded.config.json_output)?;
        }
        Action::Describe { name } => {
            let loaded = configure(cli)?;
            let catalog = SyscallCatalog::new();
            let ruleset = rules::startup_rules(cli, &loaded, &catalog)?;
            rules::describe(&ruleset, &name, loaded.config.json_output)?;
        }
        Action::DryRun => {
            let mut loaded = configure(cli)?;
            loaded.config.enabled_sources =
                crate::load::enabled_sources(cli, &loaded.config).map_err(Fatal::Sources)?;
            let catalog = SyscallCatalog::new();
            rules::log_loaded(&rules::startup_rules(cli, &loaded, &catalog)?, &loaded);
        }
        Action::Run => {
            // Before anything slow (rules, the driver): a SIGHUP, SIGUSR1 or SIGTERM that
            // arrives while starting is then acted on once running, not fatal by default.
            let signals = crate::pipeline::control::Signals::install().map_err(Fatal::Signals)?;
            let mut loaded = configure(cli)?;
            loaded.config.enabled_sources =
                crate::load::enabled_sources(cli, &loaded.config).map_err(Fatal::Sources)?;
            let catalog = SyscallCatalog::new();
            let ruleset = rules::startup_rules(cli, &loaded, &catalog)?;
            rules::log_loaded(&ruleset, &loaded);
            return crate::pipeline::run(cli, loaded, ruleset, catalog, signals);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The configuration every action but `--version` starts from, with its warnings logged and
/// its log level in force.
fn configure(cli: &Cli) -> Result<Loaded, Fatal> {
    if cli.all_events {
        log::warn!("-A is deprecated and has no effect: every event is evaluated");
    }
    let loaded = load_config(cli).map_err(Fatal::Config)?;
    for w in &loaded.warnings {
        log::warn!("{w}");
    }
    log::set_max_level(loaded.config.log_level);
    Ok(loaded)
}

fn init_logging(level: log::LevelFilter) {
    let _ = env_logger::Builder::new()
        .filter_level(level)
        .parse_env("FALCO_LOG")
        .format_timestamp(None)
        .format_target(false)
        .try_init();
}
