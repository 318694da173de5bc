//! Library side of the CLI: `-L` (rules with descriptions), `-l RULE`, `--list` fields.

use serde_json::json;

use crate::field::FieldCatalog;
use crate::ruleset::RuleSet;

/// `-L`: one block per rule, name then description.
pub fn list_rules(rs: &RuleSet) -> String {
    let mut s = String::new();
    for r in rs.rules() {
        s.push_str(&format!("{}\n  {}\n\n", r.name, r.desc.trim()));
    }
    s
}

/// `-l RULE`: the rule's details, or `None` when no rule has that name.
pub fn describe_rule(rs: &RuleSet, name: &str) -> Option<String> {
    let r = rs.get(name)?;
    Some(format!(
        "Rule: {}\nDescription: {}\nCondition: {}\nCompiled condition: {}\nOutput: {}\nPriority: {}\nSource: {}\nTags: [{}]\nEnabled: {}\n",
        r.name,
        r.desc.trim(),
        r.condition_text.trim(),
        r.condition,
        r.output,
        r.priority.as_str(),
        r.source,
        r.tags.iter().cloned().collect::<Vec<_>>().join(", "),
        r.enabled
    ))
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
