//! The actions after configuration: list fields, validate, list/describe rules, dry run, and
//! running the engine on a capture (replay) or the kernel module.

use crate::alert::{AlertFormat, AlertRule};
use crate::cli::Cli;
use crate::config::{EngineKind, Loaded, RuleMatcher, RuleMatching, RuleSelection};
use crate::source::replay::{Replay, SourceMsg};
use crate::summary::Summary;
use falco_outputs::{Alert, Outputs, OutputsConfig};
use falco_rules::cli::{describe_rule, list_fields, list_rules, ListFormat};
use falco_rules::field::{FieldArg, FieldCatalog, ResolvedField};
use falco_rules::load::{load_paths, LoadOptions};
use falco_rules::output::OutputSegment;
use falco_rules::ruleset::{Rule, RuleSet};
use falco_sinsp::fields::SyscallCatalog;
use falco_sinsp::fields::{EventContext, JsonValue, Scratch};
use falco_sinsp::state::{State, StateLimits};
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
        let (_, result) = load_paths(&cli.validate, &catalog, &LoadOptions::default());
        if config.json_output {
            println!("{}", result.to_json());
        } else {
            print!("{}", result.to_text());
        }
        return if result.successful() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }

    if config.rules_files.is_empty() {
        eprintln!("Error: no rules files: set `rules_files` in the configuration or pass -r");
        return ExitCode::FAILURE;
    }
    let (mut ruleset, result) = load_paths(&config.rules_files, &catalog, &LoadOptions::default());
    if !result.successful() {
        eprint!("{}", result.to_text());
        eprintln!("Error: could not load rules files");
        return ExitCode::FAILURE;
    }
    if result.has_warnings() {
        for w in &result.warnings {
            log::warn!("{}", w.short());
        }
    }
    select_rules(
        &mut ruleset,
        cli,
        loaded.config.priority,
        &loaded.config.rules_selection,
    );

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

    match config.engine_kind {
        EngineKind::Replay => match &config.replay_capture_file {
            Some(path) if !path.as_os_str().is_empty() => {
                replay(cli, &loaded, &ruleset, &catalog, path)
            }
            _ => {
                eprintln!("Error: engine.kind is replay but engine.replay.capture_file is not set");
                ExitCode::FAILURE
            }
        },
        EngineKind::Kmod => {
            eprintln!(
                "Error: the live kernel-module source is not available in this build yet; \
                 replay a capture with -o engine.kind=replay -o engine.replay.capture_file=FILE"
            );
            ExitCode::FAILURE
        }
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

/// Applies `priority`, the `rules:` list and `-D`/`-t`/`-T`, in Falco's order.
fn select_rules(
    ruleset: &mut RuleSet,
    cli: &Cli,
    min: falco_rules::priority::Priority,
    selection: &[RuleSelection],
) {
    let too_low: Vec<String> = ruleset
        .rules()
        .iter()
        .filter(|r| r.priority > min)
        .map(|r| r.name.clone())
        .collect();
    for name in &too_low {
        ruleset.set_enabled_by_name(name, false);
    }
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
    for pattern in &cli.disable_rules {
        let names: Vec<String> = ruleset
            .rules()
            .iter()
            .filter(|r| r.name.contains(pattern.as_str()))
            .map(|r| r.name.clone())
            .collect();
        for n in names {
            ruleset.set_enabled_by_name(&n, false);
        }
    }
    if !cli.disable_tags.is_empty() {
        let tags: Vec<&str> = cli.disable_tags.iter().map(String::as_str).collect();
        ruleset.set_enabled_by_tags(&tags, false);
    }
    if !cli.only_tags.is_empty() {
        let keep: Vec<String> = ruleset
            .rules()
            .iter()
            .filter(|r| !cli.only_tags.iter().any(|t| r.tags.contains(t)))
            .map(|r| r.name.clone())
            .collect();
        for n in keep {
            ruleset.set_enabled_by_name(&n, false);
        }
    }
}

/// The `output_fields` key of a field as written in an output (`proc.aname[2]`, `evt.arg.flags`).
fn output_key(f: &ResolvedField) -> String {
    match &f.arg {
        None => f.name.clone(),
        Some(_) if f.name.contains('[') => f.name.clone(),
        Some(FieldArg::Index(i)) => format!("{}[{i}]", f.name),
        Some(FieldArg::Key(k)) if f.name == "evt.arg" || f.name == "evt.rawarg" => {
            format!("{}.{k}", f.name)
        }
        Some(FieldArg::Key(k)) => format!("{}[{k}]", f.name),
    }
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

/// Formats one alert for `rule` on the event in `ctx`.
fn format_alert(
    fmt: &AlertFormat,
    time_field: &ResolvedField,
    rule: &Rule,
    ctx: &mut EventContext<'_>,
) -> (String, String) {
    let mut out = String::new();
    let mut fields = serde_json::Map::new();
    fields.insert(output_key(time_field), to_json(ctx.json_field(time_field)));
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
    let a = fmt.format(
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

fn replay(
    cli: &Cli,
    loaded: &Loaded,
    ruleset: &RuleSet,
    catalog: &SyscallCatalog,
    path: &std::path::Path,
) -> ExitCode {
    let config = &loaded.config;
    let outputs_config: OutputsConfig = match serde_yaml::from_value(config.outputs.clone()) {
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
    let source = match Replay::start(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let time_name = if config.time_format_iso_8601 {
        "evt.time.iso8601"
    } else {
        "evt.time"
    };
    let time_field = match catalog.resolve(time_name, None) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let hostname = crate::alert::hostname();
    let fmt = AlertFormat {
        json_output: config.json_output,
        include_output: config.json_include_output_property,
        include_tags: config.json_include_tags_property,
        include_output_fields: config.json_include_output_fields_property,
        iso8601: config.time_format_iso_8601,
        hostname: hostname.clone(),
    };
    let deadline = cli
        .duration_secs
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut state = State::bootstrap(
        crate::bootstrap::from_capture(&source.metadata),
        StateLimits::default(),
    );
    let mut scratch = Scratch::default();
    let mut summary = Summary::default();
    let first_only = config.rule_matching == RuleMatching::First;
    let started = Instant::now();
    let mut code = ExitCode::SUCCESS;
    'events: for msg in source.events.iter() {
        match msg {
            SourceMsg::Batch(batch) => {
                for (rec, e) in batch.iter() {
                    summary.events += 1;
                    state.process(rec, e.cpu);
                    if e.flags & falco_scap::DF_STATE_ONLY != 0 {
                        continue;
                    }
                    let candidates = ruleset.candidates(rec.evtype());
                    if candidates.is_empty() {
                        continue;
                    }
                    let mut ctx = EventContext::new(&state, rec, e.cpu, &mut scratch);
                    for &ri in candidates {
                        let Some(rule) = ruleset.rule(ri) else {
                            continue;
                        };
                        if !rule.filter.eval(&mut ctx) {
                            continue;
                        }
                        let (text, json) = format_alert(&fmt, &time_field, rule, &mut ctx);
                        summary.count_alert(&rule.name, rule.priority);
                        outputs.send(Alert {
                            time_ns: ctx.event_ts(),
                            priority: crate::alert::output_priority(rule.priority),
                            rule: rule.name.clone(),
                            source: rule.source.clone(),
                            tags: rule.tags.iter().cloned().collect(),
                            hostname: hostname.clone(),
                            line: if config.json_output { json } else { text },
                            json: config.json_output,
                        });
                        if first_only {
                            break;
                        }
                    }
                }
                let _ = source.recycle.try_send(batch);
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break 'events;
                }
            }
            SourceMsg::Error(e) => {
                eprintln!("Error: {}: {e}", path.display());
                code = ExitCode::FAILURE;
                break;
            }
            SourceMsg::End(_) => break,
        }
    }
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    let report = outputs.shutdown(Duration::from_secs(5));
    log::debug!("outputs: {report:?}");
    print!("{}", summary.render());
    code
}
