//! The actions that read fields or rules and exit (`--list`, `-V`, `-L`, `-l`), and the rules
//! loading that those and the engine start from.

use crate::cli::Cli;
use crate::config::Loaded;
use crate::fatal::Fatal;
use crate::load::load_rules;
use falco_rules::cli::{
    describe_json, describe_rule, list_fields, list_rules, list_rules_json, ListFormat,
};
use falco_rules::ruleset::RuleSet;
use falco_sinsp::fields::SyscallCatalog;
use std::path::PathBuf;
use std::process::ExitCode;

/// `--list [SOURCE]`: the fields of `source` (all with `None`) in the `--format` asked for.
pub fn print_fields(
    catalog: &SyscallCatalog,
    source: Option<&str>,
    names_only: bool,
    format: Option<&str>,
) -> Result<(), Fatal> {
    let format = match format {
        None | Some("text") => ListFormat::Text,
        Some("markdown") => ListFormat::Markdown,
        Some("json") => ListFormat::Json,
        Some(other) => return Err(Fatal::ListFormat(other.to_string())),
    };
    let every = EverySource::new(catalog);
    crate::stdio::print(&list_fields(&every, source, names_only, format))
}

/// The field classes of every source (syscall, then the built-in k8s_audit source's), for
/// `--list`; names resolve through the syscall catalog.
struct EverySource<'a> {
    syscall: &'a SyscallCatalog,
    classes: Vec<falco_rules::field::FieldClass>,
}

impl<'a> EverySource<'a> {
    fn new(syscall: &'a SyscallCatalog) -> Self {
        use falco_rules::field::FieldCatalog;
        let mut classes = syscall.classes().to_vec();
        for (_, c) in crate::load::OTHER_CATALOGS {
            classes.extend_from_slice(c.classes());
        }
        EverySource { syscall, classes }
    }
}

impl falco_rules::field::FieldCatalog for EverySource<'_> {
    fn resolve(
        &self,
        name: &str,
        arg: Option<&falco_rules::field::FieldArg>,
    ) -> Result<falco_rules::field::ResolvedField, falco_rules::field::FieldError> {
        self.syscall.resolve(name, arg)
    }

    fn classes(&self) -> &[falco_rules::field::FieldClass] {
        &self.classes
    }
}

/// `-V FILE...`, as Falco's `validate_rules_files`: each file loaded after the previous ones;
/// JSON: every result in `falco_load_results`; text: per file the verbose result when it
/// failed or is clean, `NAME: Ok, with warnings` otherwise (the warnings go to stderr).
/// Exit code 1 when a file is invalid; an unreadable file is fatal.
pub fn validate(
    paths: &[PathBuf],
    catalog: &SyscallCatalog,
    json: bool,
) -> Result<ExitCode, Fatal> {
    let (files, read_errors) = falco_rules::load::read_paths(paths);
    if let Some(e) = read_errors.first() {
        return Err(Fatal::ValidateRead(e.message.clone()));
    }
    let results = falco_rules::load::load_each_sources(
        &files,
        crate::load::catalogs(catalog),
        &crate::load::load_options(),
    );
    let ok = results.iter().all(|r| r.successful());
    if json {
        let all: Vec<_> = results.iter().map(|r| r.to_json()).collect();
        crate::stdio::print(&format!(
            "{}\n",
            serde_json::json!({ "falco_load_results": all })
        ))?;
    } else {
        let mut summary = Vec::new();
        for (r, f) in results.iter().zip(&files) {
            let mut text = if !r.successful() || !r.has_warnings() {
                r.to_text()
            } else {
                crate::stdio::eprint(&format!("{}\n", r.to_text()));
                format!("{}: Ok, with warnings", r.name)
            };
            if !r.successful() && falco_rules::load::has_mapping_root(&f.content) {
                text.push_str(&format!("\nHint: --validate expects a rules file, that is a YAML list of rule, macro, and list items. If this is a Falco configuration file, validate it and its configured rules with `falco -c {} --dry-run` instead.", r.name));
            }
            summary.push(text);
        }
        crate::stdio::print(&format!("{}\n", summary.join("\n")))?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The configured rules with the selection applied, for the actions that need them; no rules
/// files at all, or files that do not load, are fatal.
pub fn startup_rules(
    cli: &Cli,
    loaded: &Loaded,
    catalog: &SyscallCatalog,
) -> Result<RuleSet, Fatal> {
    if loaded.config.rules_files.is_empty() {
        return Err(Fatal::NoRulesFiles);
    }
    load_rules(cli, loaded, catalog).map_err(Fatal::Rules)
}

/// `-L`: every loaded rule with its description, or Falco's JSON with `json_output`.
pub fn print_rules(ruleset: &RuleSet, json: bool) -> Result<(), Fatal> {
    if json {
        return crate::stdio::print(&list_rules_json(ruleset));
    }
    crate::stdio::print(&list_rules(ruleset))
}

/// `-l NAME`: a rule, or else a macro or list of that name (as JSON with `json_output`).
pub fn describe(ruleset: &RuleSet, name: &str, json: bool) -> Result<(), Fatal> {
    let text = if json {
        describe_json(ruleset, name)
    } else {
        describe_item(ruleset, name)
    };
    let text = text.ok_or_else(|| Fatal::NoSuchItem(name.to_string()))?;
    crate::stdio::print(&text)
}

fn describe_item(ruleset: &RuleSet, name: &str) -> Option<String> {
    if let Some(text) = describe_rule(ruleset, name) {
        return Some(text);
    }
    if let Some(m) = ruleset.macros.iter().find(|m| m.name == name) {
        return Some(format!(
            "Macro: {}\nCondition: {}\n",
            m.name,
            m.condition.trim()
        ));
    }
    ruleset
        .lists
        .iter()
        .find(|l| l.name == name)
        .map(|l| format!("List: {}\nItems: {}\n", l.name, l.items.join(", ")))
}

/// The line `--dry-run` and the engine log once the rules are in.
pub fn log_loaded(ruleset: &RuleSet, loaded: &Loaded) {
    log::info!(
        "Loaded {} rules ({} enabled) from {} file(s)",
        ruleset.rules().len(),
        ruleset.num_enabled(),
        loaded.config.rules_files.len()
    );
}
