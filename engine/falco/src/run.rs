//! The actions after configuration: list fields, validate, list/describe rules, dry run, and
//! running the engine on a capture (replay) or the kernel module.

use crate::cli::Cli;
use crate::config::Loaded;
use crate::load::load_rules;
use falco_rules::cli::{describe_rule, list_fields, list_rules, ListFormat};
use falco_rules::load::LoadOptions;
use falco_rules::ruleset::RuleSet;
use falco_sinsp::fields::SyscallCatalog;
use std::process::ExitCode;

/// Runs the action the command line asks for.
pub fn run(cli: &Cli, loaded: Loaded) -> ExitCode {
    let catalog = SyscallCatalog::new();
    let config = &loaded.config;

    if let Some(source) = &cli.list_fields {
        let format = match cli.format.as_deref() {
            None | Some("text") => ListFormat::Text,
            Some("markdown") => ListFormat::Markdown,
            Some("json") => ListFormat::Json,
            Some(other) => {
                eprintln!("Error: --format must be markdown or json, not `{other}`");
                return ExitCode::FAILURE;
            }
        };
        let source = if source.is_empty() {
            None
        } else {
            Some(source.as_str())
        };
        print!("{}", list_fields(&catalog, source, cli.names_only, format));
        return ExitCode::SUCCESS;
    }

    if !cli.validate.is_empty() {
        return validate(&cli.validate, &catalog, config.json_output);
    }

    if config.rules_files.is_empty() {
        eprintln!("Error: no rules files: set `rules_files` in the configuration or pass -r");
        return ExitCode::FAILURE;
    }
    let ruleset = match load_rules(cli, &loaded, &catalog) {
        Ok(r) => r,
        Err(text) => {
            eprint!("{text}");
            eprintln!("Error: could not load rules files");
            return ExitCode::FAILURE;
        }
    };
    if cli.list_rules {
        print!("{}", list_rules(&ruleset));
        return ExitCode::SUCCESS;
    }
    if let Some(name) = &cli.describe_rule {
        return match describe(&ruleset, name) {
            Some(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("Error: no rule, macro or list named `{name}`");
                ExitCode::FAILURE
            }
        };
    }
    log::info!(
        "Loaded {} rules ({} enabled) from {} file(s)",
        ruleset.rules().len(),
        ruleset.num_enabled(),
        config.rules_files.len()
    );
    if cli.dry_run {
        return ExitCode::SUCCESS;
    }
    crate::engine::run(cli, loaded, ruleset, catalog)
}

/// `-V FILE...`, as Falco's `validate_rules_files`: each file loaded after the previous ones;
/// JSON: every result in `falco_load_results`; text: per file the verbose result when it
/// failed or is clean, `NAME: Ok, with warnings` otherwise (the warnings go to stderr).
/// Exit code 1 when a file is invalid.
fn validate(paths: &[std::path::PathBuf], catalog: &SyscallCatalog, json: bool) -> ExitCode {
    let (files, read_errors) = falco_rules::load::read_paths(paths);
    if let Some(e) = read_errors.first() {
        eprintln!("Error: {}", e.message);
        return ExitCode::FAILURE;
    }
    let results = falco_rules::load::load_each(&files, catalog, &LoadOptions::default());
    let ok = results.iter().all(|r| r.successful());
    if json {
        let all: Vec<_> = results.iter().map(|r| r.to_json()).collect();
        println!("{}", serde_json::json!({ "falco_load_results": all }));
    } else {
        let mut summary = Vec::new();
        for (r, f) in results.iter().zip(&files) {
            let mut text = if !r.successful() || !r.has_warnings() {
                r.to_text()
            } else {
                eprintln!("{}", r.to_text());
                format!("{}: Ok, with warnings", r.name)
            };
            if !r.successful() && falco_rules::load::has_mapping_root(&f.content) {
                text.push_str(&format!("\nHint: --validate expects a rules file, that is a YAML list of rule, macro, and list items. If this is a Falco configuration file, validate it and its configured rules with `falco -c {} --dry-run` instead.", r.name));
            }
            summary.push(text);
        }
        println!("{}", summary.join("\n"));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `-l NAME`: a rule, or else a macro or list of that name.
fn describe(ruleset: &RuleSet, name: &str) -> Option<String> {
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
