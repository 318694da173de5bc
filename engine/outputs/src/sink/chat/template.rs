//! `webhook_output.body_template`: the body of a generic webhook, text with `{{name}}`
//! placeholders, parsed once at start (an unknown name stops the start) and filled per message.

use serde_json::{Map, Value};

use super::payload::{falco_json, View};

/// What a placeholder stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Var {
    /// The alert line as Falco prints it.
    Output,
    /// The rule's output without time and priority.
    Message,
    /// The message text: the alert line, or for N alerts a summary and the first line.
    Text,
    Rule,
    Priority,
    Source,
    Hostname,
    /// The first alert's time (UTC, RFC 3339).
    Time,
    /// The last alert's time.
    LastTime,
    /// How many alerts the message stands for.
    Count,
    /// The tags: a JSON array in a JSON body, else comma-separated.
    Tags,
    /// The output fields as a JSON object.
    OutputFields,
    /// The alert as Falco's JSON object.
    Json,
    /// One output field's value (`{{field:proc.name}}`).
    Field(String),
}

/// The names a template may use, for the error message.
const NAMES: &str =
    "output, message, text, rule, priority, source, hostname, time, last_time, count, tags, \
                     output_fields, json, field:<name>";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Text(String),
    Var(Var),
}

/// A parsed body template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    segments: Vec<Segment>,
}

impl Template {
    /// Parses `source`; the error names the first unknown or unclosed placeholder.
    pub(crate) fn parse(source: &str) -> Result<Template, String> {
        let mut segments = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                segments.push(Segment::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or_else(|| {
                format!(
                    "a placeholder opened at byte {} is not closed with }}}}",
                    source.len() - rest.len() + open
                )
            })?;
            let name = after[..close].trim();
            let var = match name {
                "output" => Var::Output,
                "message" => Var::Message,
                "text" => Var::Text,
                "rule" => Var::Rule,
                "priority" => Var::Priority,
                "source" => Var::Source,
                "hostname" => Var::Hostname,
                "time" => Var::Time,
                "last_time" => Var::LastTime,
                "count" => Var::Count,
                "tags" => Var::Tags,
                "output_fields" => Var::OutputFields,
                "json" => Var::Json,
                other => match other.strip_prefix("field:") {
                    Some(field) if !field.trim().is_empty() => Var::Field(field.trim().to_string()),
                    _ => {
                        return Err(format!(
                            "unknown placeholder {{{{{other}}}}}; known: {NAMES}"
                        ))
                    }
                },
            };
            segments.push(Segment::Var(var));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_string()));
        }
        Ok(Template { segments })
    }

    /// The body for `view`. With `json`, text values are JSON-escaped (the template writes the
    /// quotes), so no alert content can break out of its string.
    pub(crate) fn render(&self, view: &View<'_>, json: bool) -> String {
        let a = view.alert;
        let mut out = String::new();
        let text = |out: &mut String, s: &str| {
            if json {
                let quoted = Value::String(s.to_string()).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            } else {
                out.push_str(s);
            }
        };
        for segment in &self.segments {
            match segment {
                Segment::Text(t) => out.push_str(t),
                Segment::Var(var) => match var {
                    Var::Output => text(&mut out, &view.output),
                    Var::Message => text(&mut out, &a.message),
                    Var::Text => text(&mut out, &view.text),
                    Var::Rule => text(&mut out, &a.rule),
                    Var::Priority => text(&mut out, a.priority.name()),
                    Var::Source => text(&mut out, &a.source),
                    Var::Hostname => text(&mut out, &a.hostname),
                    Var::Time => text(&mut out, &view.time),
                    Var::LastTime => text(&mut out, &view.last_time),
                    Var::Count => out.push_str(&view.count.to_string()),
                    Var::Tags if json => {
                        out.push_str(&Value::from(a.tags.clone()).to_string());
                    }
                    Var::Tags => out.push_str(&a.tags.join(", ")),
                    Var::OutputFields => {
                        let fields: Map<String, Value> = a
                            .output_fields
                            .iter()
                            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                            .collect();
                        out.push_str(&Value::Object(fields).to_string());
                    }
                    Var::Json => out.push_str(&falco_json(a)),
                    Var::Field(name) => {
                        let value = a
                            .output_fields
                            .iter()
                            .find(|(k, _)| k == name)
                            .map_or("<NA>", |(_, v)| v.as_str());
                        text(&mut out, value);
                    }
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_unclosed_placeholders_are_errors() {
        assert!(Template::parse("{\"a\": \"{{rulez}}\"}")
            .unwrap_err()
            .contains("unknown placeholder {{rulez}}"));
        assert!(Template::parse("{{rule")
            .unwrap_err()
            .contains("not closed"));
        assert!(Template::parse("{{field:}}").is_err());
        assert_eq!(
            Template::parse("a{{ rule }}b").map(|t| t.segments.len()),
            Ok(3)
        );
    }
}
