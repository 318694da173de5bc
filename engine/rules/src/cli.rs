//! Library side of the CLI: `-L` (rules with descriptions), `-l RULE`, `--list` fields.

use serde_json::json;

use crate::field::FieldCatalog;
use crate::ruleset::RuleSet;

/// Falco's `wrap_text`: words separated by one space (each followed by one), a new line
/// indented by `indent` columns whenever the next word would pass `line_len - indent`.
pub fn wrap_text(text: &str, indent: usize, line_len: usize) -> String {
    let mut out = String::new();
    let mut len = 0usize;
    for word in text.split_whitespace() {
        if len + word.len() < line_len.saturating_sub(indent) {
            len += word.len() + 1;
        } else {
            out.push('\n');
            out.push_str(&" ".repeat(indent.max(1)));
            len = word.len() + 1;
        }
        out.push_str(word);
        out.push(' ');
    }
    out
}

/// Falco's two-column rule table (`format_described_rules_as_text`): a header, then each
/// rule's name padded to 50 columns and its wrapped description, with an empty line after it.
fn rule_table<'a>(rules: impl Iterator<Item = &'a crate::ruleset::Rule>) -> String {
    let mut s = format!(
        "{:<50} {}\n{:<50} {}\n",
        "Rule", "Description", "----", "-----------"
    );
    for r in rules {
        s.push_str(&format!(
            "{:<50} {}\n\n",
            r.name,
            wrap_text(&r.desc, 51, 110)
        ));
    }
    s
}

/// `-L`: every loaded rule with its description.
pub fn list_rules(rs: &RuleSet) -> String {
    rule_table(rs.rules().iter())
}

/// `-l RULE`: the same table for that rule, or `None` when no rule has that name.
pub fn describe_rule(rs: &RuleSet, name: &str) -> Option<String> {
    rs.get(name).map(|r| rule_table(std::iter::once(r)))
}

/// Falco's JSON for one rule (`-L`/`-l` with `json_output`): `info` as Falco gives it;
/// `details` holds the parts this engine keeps after loading (the compiled output, the
/// exception fields; no plugins).
fn rule_json(r: &crate::ruleset::Rule) -> serde_json::Value {
    json!({
        "info": {
            "name": r.name, "condition": r.condition_text, "priority": r.priority.as_str(),
            "output": r.output, "description": r.desc, "enabled": r.enabled,
            "source": r.source, "tags": r.tags,
        },
        "details": {
            "output_compiled": r.output, "exception_fields": r.exception_fields,
            "plugins": [],
        },
    })
}

fn macro_json(m: &crate::ruleset::MacroDescription) -> serde_json::Value {
    json!({
        "info": {"name": m.name, "condition": m.condition},
        "details": {"used": m.used, "plugins": []},
    })
}

fn list_json(l: &crate::ruleset::ListDescription) -> serde_json::Value {
    json!({
        "info": {"name": l.name, "items": l.items},
        "details": {"used": l.used, "items_compiled": l.items, "plugins": []},
    })
}

/// `-L` with `json_output`: Falco's object of `rules`, `macros` and `lists`, each entry with
/// its `info` and `details`.
pub fn list_rules_json(rs: &RuleSet) -> String {
    let rules: Vec<_> = rs.rules().iter().map(rule_json).collect();
    let macros: Vec<_> = rs.macros.iter().map(macro_json).collect();
    let lists: Vec<_> = rs.lists.iter().map(list_json).collect();
    format!(
        "{}\n",
        json!({"required_plugin_versions": [], "rules": rules, "macros": macros, "lists": lists})
    )
}

/// `-l NAME` with `json_output`: `{"rules": [rule]}` as Falco prints it, or for a macro or a
/// list `{"macros": [..]}` / `{"lists": [..]}`; `None` when nothing has that name.
pub fn describe_json(rs: &RuleSet, name: &str) -> Option<String> {
    let v = if let Some(r) = rs.get(name) {
        json!({"rules": [rule_json(r)]})
    } else if let Some(m) = rs.macros.iter().find(|m| m.name == name) {
        json!({"macros": [macro_json(m)]})
    } else {
        let l = rs.lists.iter().find(|l| l.name == name)?;
        json!({"lists": [list_json(l)]})
    };
    Some(format!("{v}\n"))
}

/// Output style of `--list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// Falco's plain text.
    Text,
    /// Markdown.
    Markdown,
    /// JSON.
    Json,
}

/// `--list[=SOURCE]` (`names_only` for `-N`).
pub fn list_fields(
    catalog: &dyn FieldCatalog,
    source: Option<&str>,
    names_only: bool,
    format: ListFormat,
) -> String {
    let classes: Vec<_> = catalog
        .classes()
        .iter()
        .filter(|c| source.is_none_or(|s| s == c.source))
        .collect();
    if names_only {
        return classes
            .iter()
            .flat_map(|c| c.fields.iter())
            .map(|f| format!("{}\n", f.name))
            .collect();
    }
    match format {
        ListFormat::Json => {
            let v: Vec<_> = classes
                .iter()
                .map(|c| {
                    json!({"name": c.name, "event_sources": [c.source], "desc": c.desc,
                        "fields": c.fields.iter().map(|f| json!({"name": f.name, "type": format!("{:?}", f.ftype).to_ascii_uppercase(), "desc": f.desc})).collect::<Vec<_>>()})
                })
                .collect();
            serde_json::to_string_pretty(&v).unwrap_or_default()
        }
        ListFormat::Markdown => {
            let mut s = String::new();
            for c in classes {
                s.push_str(&format!(
                    "## Field Class: {}\n\n{}\n\nEvent Sources: {}\n\n",
                    c.name, c.desc, c.source
                ));
                s.push_str("Name | Type | Description\n:----|:-----|:-----------\n");
                for f in c.fields {
                    s.push_str(&format!("`{}` | {:?} | {}\n", f.name, f.ftype, f.desc));
                }
                s.push('\n');
            }
            s
        }
        ListFormat::Text => {
            let mut s = String::new();
            for c in classes {
                s.push_str(&format!("Field Class:                  {} ({})\nEvent Sources:                {}\n\n{}\n\n", c.name, c.source, c.source, c.desc));
                for f in c.fields {
                    s.push_str(&format!("{:<30}{}\n", f.name, f.desc));
                }
                s.push_str("\n----------------------\n\n");
            }
            s
        }
    }
}
