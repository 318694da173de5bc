//! `--list` (fields), `-L` (rules) and `-l RULE` renderings.

use falco_rules::field::{ArgSpec, FieldCatalog, FieldType};
use falco_rules::ruleset::RuleSet;
use std::fmt::Write as _;

/// Falco's name of a field type (`CHARBUF`, `UINT64`, ...).
pub fn type_name(t: FieldType) -> String {
    format!("{t:?}").to_ascii_uppercase()
}

/// The field list of `source` ("" for every source): text (Falco's layout), `markdown` or
/// `json`; names only with `names_only`.
pub fn fields(
    catalog: &dyn FieldCatalog,
    source: &str,
    names_only: bool,
    format: Option<&str>,
) -> String {
    let classes: Vec<_> = catalog
        .classes()
        .iter()
        .filter(|c| source.is_empty() || c.source == source)
        .collect();
    let mut s = String::new();
    if names_only {
        for c in &classes {
            for f in c.fields {
                let _ = writeln!(s, "{}", f.name);
            }
        }
        return s;
    }
    match format {
        Some("json") => {
            let v: Vec<serde_json::Value> = classes
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": c.name,
                        "event_sources": [c.source],
                        "desc": c.desc,
                        "fields": c.fields.iter().map(|f| serde_json::json!({
                            "name": f.name,
                            "type": type_name(f.ftype),
                            "is_list": f.is_list,
                            "arg_required": f.arg == ArgSpec::Required,
                            "desc": f.desc,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let _ = writeln!(s, "{}", serde_json::Value::Array(v));
        }
        Some("markdown") => {
            for c in &classes {
                let _ = writeln!(
                    s,
                    "## Field Class: {}\n\n{}\n\nEvent Sources: {}\n",
                    c.name, c.desc, c.source
                );
                let _ = writeln!(s, "Name | Type | Description\n:----|:-----|:-----------");
                for f in c.fields {
                    let _ = writeln!(s, "`{}` | {} | {}", f.name, type_name(f.ftype), f.desc);
                }
                let _ = writeln!(s);
            }
        }
        _ => {
            for c in &classes {
                let _ = writeln!(s, "-------------------------------------------------------------------------------");
                let _ = writeln!(s, "Field Class:                  {} ({})", c.name, c.desc);
                let _ = writeln!(s, "Event Sources:                {}\n", c.source);
                for f in c.fields {
                    let _ = writeln!(s, "{:<30}{:<14}{}", f.name, type_name(f.ftype), f.desc);
                }
                let _ = writeln!(s);
            }
        }
    }
    s
}

/// `-L`: every rule with its description.
pub fn rules(ruleset: &RuleSet) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{:<50} Description", "Rule");
    let _ = writeln!(s, "{:<50} -----------", "----");
    for r in ruleset.rules() {
        let _ = writeln!(s, "{:<50} {}", r.name, r.desc.trim());
    }
    s
}

/// `-l NAME`: one rule, macro or list.
pub fn describe(ruleset: &RuleSet, name: &str) -> Option<String> {
    let mut s = String::new();
    if let Some(r) = ruleset.get(name) {
        let _ = writeln!(s, "Rule: {}", r.name);
        let _ = writeln!(s, "Description: {}", r.desc.trim());
        let _ = writeln!(s, "Condition: {}", r.condition_text.trim());
        let _ = writeln!(s, "Output: {}", r.output.trim());
        let _ = writeln!(s, "Priority: {}", r.priority.as_str());
        let _ = writeln!(
            s,
            "Tags: {}",
            r.tags.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        let _ = writeln!(s, "Enabled: {}", r.enabled);
        return Some(s);
    }
    if let Some(m) = ruleset.macros.iter().find(|m| m.name == name) {
        let _ = writeln!(s, "Macro: {}\nCondition: {}", m.name, m.condition.trim());
        return Some(s);
    }
    if let Some(l) = ruleset.lists.iter().find(|l| l.name == name) {
        let _ = writeln!(s, "List: {}\nItems: {}", l.name, l.items.join(", "));
        return Some(s);
    }
    None
}
