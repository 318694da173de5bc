//! What startup and reload both load: the configuration (file, includes, `-o` overrides and the
//! CLI's shorthands for them) and the rules files with the rule selection applied. Reload calls
//! the same functions as startup, so a configuration that starts also reloads.

use crate::cli::{Cli, DEFAULT_CONFIG};
use crate::config::{self, ConfigError, Loaded, RuleMatcher, RuleSelection};
use falco_rules::field::FieldCatalog;
use falco_rules::load::{load_paths_sources, Catalogs, LoadOptions};
use falco_rules::ruleset::RuleSet;
use falco_sinsp::fields::SyscallCatalog;
use std::path::{Path, PathBuf};

/// Builds the `-o` override list from the CLI, including the deprecated shorthands.
pub fn overrides_from_cli(cli: &Cli) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(file) = &cli.replay_file {
        log::warn!(
            "-e is deprecated: use -o engine.kind=replay -o engine.replay.capture_file={}",
            file.display()
        );
        out.push("engine.kind=replay".to_string());
        out.push(format!("engine.replay.capture_file={}", file.display()));
    }
    if cli.unbuffered {
        out.push("buffered_outputs=false".to_string());
    }
    out.extend(cli.options.iter().cloned());
    out
}

/// Loads the configuration named by `-c` (or the default file; the built-in defaults when
/// neither exists and none was asked for) and applies the CLI's overrides.
pub fn load_config(cli: &Cli) -> Result<Loaded, ConfigError> {
    let overrides = overrides_from_cli(cli);
    let mut loaded = match &cli.config {
        Some(p) => config::load(p, &overrides)?,
        None if Path::new(DEFAULT_CONFIG).exists() => {
            config::load(Path::new(DEFAULT_CONFIG), &overrides)?
        }
        None => config::load_str(
            "<built-in defaults>",
            "stdout_output: {enabled: true}\n",
            &overrides,
        )?,
    };
    if !cli.rules.is_empty() {
        loaded.config.rules_files = cli.rules.clone();
    }
    Ok(loaded)
}

/// Loads the configured rules files and applies the rule selection. Warnings are logged;
/// errors come back as the text Falco prints. Startup and reload both come here.
pub fn load_rules(cli: &Cli, loaded: &Loaded, catalog: &SyscallCatalog) -> Result<RuleSet, String> {
    let config = &loaded.config;
    let (mut ruleset, result) =
        load_paths_sources(&config.rules_files, catalogs(catalog), &load_options());
    if !result.successful() {
        return Err(result.to_text());
    }
    for w in &result.warnings {
        log::warn!("{}", w.short());
    }
    append_outputs(&mut ruleset, &config.append_output, catalog)?;
    select_rules(&mut ruleset, cli, config.priority, &config.rules_selection);
    Ok(ruleset)
}

/// The fields the container plugin marks as suggested output, in its order: what
/// `suggested_output: true` appends as `name=%field`.
pub const SUGGESTED_FIELDS: [&str; 6] = [
    "container.id",
    "container.name",
    "container.image.repository",
    "container.image.tag",
    "k8s.pod.name",
    "k8s.ns.name",
];

/// Applies `append_output` to every rule an entry matches (source, every tag, name):
/// `extra_output` after a space, then each suggested field the output does not already
/// print, as `container_id=%container.id`.
///
/// # Errors
/// When an appended text names a field the catalog does not know.
pub fn append_outputs(
    ruleset: &mut RuleSet,
    appends: &[crate::config::containers::AppendOutput],
    catalog: &SyscallCatalog,
) -> Result<(), String> {
    if appends.is_empty() {
        return Ok(());
    }
    let mut changes = Vec::new();
    for (i, r) in ruleset.rules().iter().enumerate() {
        let mut out = r.output.clone();
        for a in appends {
            let matches = a.source.as_ref().is_none_or(|s| *s == r.source)
                && a.rule.as_ref().is_none_or(|n| *n == r.name)
                && a.tags.iter().all(|t| r.tags.contains(t));
            if !matches {
                continue;
            }
            if !a.extra_output.is_empty() {
                out.push(' ');
                out.push_str(&a.extra_output);
            }
            if a.suggested_output && r.source == "syscall" {
                for f in SUGGESTED_FIELDS {
                    if out.contains(&format!("%{f}")) {
                        continue;
                    }
                    out.push_str(&format!(" {}=%{f}", f.replace('.', "_")));
                }
            }
        }
        if out != r.output {
            let fmt =
                falco_rules::output::compile_output(&out, catalogs(catalog).for_source(&r.source))
                    .map_err(|(_, msg)| format!("append_output: rule `{}`: {msg}", r.name))?;
            changes.push((i as falco_rules::ruleset::RuleIndex, out, fmt));
        }
    }
    for (i, out, fmt) in changes {
        ruleset.set_output(i, out, fmt);
    }
    Ok(())
}

/// Applies `priority`, the `rules:` list and `-D`/`-t`/`-T`, in Falco's order.
pub fn select_rules(
    ruleset: &mut RuleSet,
    cli: &Cli,
    min: falco_rules::priority::Priority,
    selection: &[RuleSelection],
) {
    // Each step reindexes the set once, however many rules it touches.
    ruleset.set_enabled_where(false, |r| r.priority > min);
    for s in selection {
        let (m, on) = match s {
            RuleSelection::Enable(m) => (m, true),
            RuleSelection::Disable(m) => (m, false),
        };
        match m {
            RuleMatcher::Rule(p) => ruleset.set_enabled_by_name(p, on),
            RuleMatcher::Tag(t) => ruleset.set_enabled_by_tags(&[t.as_str()], on),
        };
    }
    if !cli.disable_rules.is_empty() {
        ruleset.set_enabled_where(false, |r| {
            cli.disable_rules
                .iter()
                .any(|p| r.name.contains(p.as_str()))
        });
    }
    if !cli.disable_tags.is_empty() {
        let tags: Vec<&str> = cli.disable_tags.iter().map(String::as_str).collect();
        ruleset.set_enabled_by_tags(&tags, false);
    }
    if !cli.only_tags.is_empty() {
        ruleset.set_enabled_where(false, |r| !cli.only_tags.iter().any(|t| r.tags.contains(t)));
    }
}

/// The catalogs of the sources other than syscall: the built-in `k8s_audit` source's.
pub static OTHER_CATALOGS: &[(&str, &dyn FieldCatalog)] =
    &[(falco_k8saudit::SOURCE, &falco_k8saudit::AuditCatalog)];

/// The field catalog of each source, for loading rules.
pub fn catalogs(syscall: &SyscallCatalog) -> Catalogs<'_> {
    Catalogs {
        primary: syscall,
        others: OTHER_CATALOGS,
    }
}

/// The sources rules are compiled for: every source this engine has fields for, configured
/// or not, so a rule of the `k8s_audit` source is checked even where the source is off.
pub fn load_options() -> LoadOptions {
    LoadOptions {
        sources: vec![
            crate::config::model::SYSCALL_SOURCE.to_string(),
            falco_k8saudit::SOURCE.to_string(),
        ],
    }
}

/// The event sources this engine can capture.
pub const KNOWN_SOURCES: &[&str] = &[crate::config::model::SYSCALL_SOURCE, falco_k8saudit::SOURCE];

/// The sources the configuration provides: syscall, and `k8s_audit` when a `k8saudit` plugin
/// entry is loaded (as in Falco, where the plugin brings the source).
pub fn configured_sources(config: &crate::config::Config) -> Vec<&'static str> {
    KNOWN_SOURCES
        .iter()
        .copied()
        .filter(|s| *s != falco_k8saudit::SOURCE || config.k8saudit.is_some())
        .collect()
}

/// The sources enabled by `--enable-source` / `--disable-source`, with Falco's checks: the two
/// flags do not mix, every name is a known source, and at least one source is left.
///
/// # Errors
/// Falco's message for the first problem.
pub fn enabled_sources(cli: &Cli, config: &crate::config::Config) -> Result<Vec<String>, String> {
    let known = configured_sources(config);
    if !cli.enable_source.is_empty() && !cli.disable_source.is_empty() {
        return Err("You can not mix --enable-source and --disable-source".into());
    }
    for (names, verb) in [
        (&cli.enable_source, "enabling"),
        (&cli.disable_source, "disabling"),
    ] {
        if let Some(bad) = names.iter().find(|n| !known.contains(&n.as_str())) {
            return Err(format!(
                "Attempted {verb} an unknown event source: {bad} (known: {})",
                known.join(", ")
            ));
        }
    }
    let enabled: Vec<String> = known
        .iter()
        .filter(|s| cli.enable_source.is_empty() || cli.enable_source.iter().any(|e| e == *s))
        .filter(|s| !cli.disable_source.iter().any(|d| d == *s))
        .map(|s| s.to_string())
        .collect();
    if enabled.is_empty() {
        return Err("Must enable at least one event source".into());
    }
    Ok(enabled)
}

/// The rules files `paths` name, directories expanded to their `.yaml`/`.yml` files in name
/// order (as the loader reads them).
pub fn rules_file_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            v.retain(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")));
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    out
}
