//! Alert text and JSON, byte for byte like Falco's.
//!
//! Text: `<time>: <Priority> <output>`, time as `HH:MM:SS.nnnnnnnnn` (local time) or, with
//! `time_format_iso_8601`, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000`. JSON: one object with keys
//! in Falco's (sorted) order: hostname, output, output_fields, priority, rule, source, tags,
//! time (UTC, `...Z`).

use crate::config::Priority;
use serde_json::{Map, Value as Json};

/// Falco's spelling of a priority in alerts.
pub fn priority_name(p: Priority) -> &'static str {
    p.as_str()
}

/// The same priority in the outputs crate's terms (syslog level mapping).
pub fn output_priority(p: Priority) -> falco_outputs::Priority {
    match p {
        Priority::Emergency => falco_outputs::Priority::Emergency,
        Priority::Alert => falco_outputs::Priority::Alert,
        Priority::Critical => falco_outputs::Priority::Critical,
        Priority::Error => falco_outputs::Priority::Error,
        Priority::Warning => falco_outputs::Priority::Warning,
        Priority::Notice => falco_outputs::Priority::Notice,
        Priority::Informational => falco_outputs::Priority::Informational,
        Priority::Debug => falco_outputs::Priority::Debug,
    }
}

/// Broken-down time.
struct Tm {
    year: i64,
    mon: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    gmtoff: i64,
}

fn broken_down(secs: i64, local: bool) -> Tm {
    let t: libc::time_t = secs as libc::time_t;
    // SAFETY: `tm` is plain old data; localtime_r/gmtime_r write it and read only `t`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    let ok = unsafe {
        if local {
            !libc::localtime_r(&t, &mut tm).is_null()
        } else {
            !libc::gmtime_r(&t, &mut tm).is_null()
        }
    };
    if !ok {
        return Tm {
            year: 1970,
            mon: 1,
            day: 1,
            hour: 0,
            min: 0,
            sec: 0,
            gmtoff: 0,
        };
    }
    Tm {
        year: tm.tm_year as i64 + 1900,
        mon: tm.tm_mon as u32 + 1,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        min: tm.tm_min as u32,
        sec: tm.tm_sec as u32,
        gmtoff: tm.tm_gmtoff as i64,
    }
}

/// `evt.time`: `HH:MM:SS.nnnnnnnnn`, local time.
pub fn time_text(ts_ns: u64) -> String {
    let tm = broken_down((ts_ns / 1_000_000_000) as i64, true);
    format!(
        "{:02}:{:02}:{:02}.{:09}",
        tm.hour,
        tm.min,
        tm.sec,
        ts_ns % 1_000_000_000
    )
}

/// `evt.time.iso8601`: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+hhmm`, local time.
pub fn time_iso8601(ts_ns: u64) -> String {
    let tm = broken_down((ts_ns / 1_000_000_000) as i64, true);
    let off = tm.gmtoff;
    let sign = if off < 0 { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}{}{:02}{:02}",
        tm.year,
        tm.mon,
        tm.day,
        tm.hour,
        tm.min,
        tm.sec,
        ts_ns % 1_000_000_000,
        sign,
        off.abs() / 3600,
        (off.abs() % 3600) / 60
    )
}

/// The JSON `time`: UTC, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub fn time_json(ts_ns: u64) -> String {
    let tm = broken_down((ts_ns / 1_000_000_000) as i64, false);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        tm.year,
        tm.mon,
        tm.day,
        tm.hour,
        tm.min,
        tm.sec,
        ts_ns % 1_000_000_000
    )
}

/// The JSON-related switches of the configuration.
#[derive(Clone, Debug)]
pub struct AlertFormat {
    /// `json_output`.
    pub json_output: bool,
    /// `json_include_output_property`.
    pub include_output: bool,
    /// `json_include_tags_property`.
    pub include_tags: bool,
    /// `json_include_output_fields_property`.
    pub include_output_fields: bool,
    /// `json_include_message_property`: the rule's output without the time and priority.
    pub include_message: bool,
    /// `time_format_iso_8601`.
    pub iso8601: bool,
    /// The host name reported in JSON.
    pub hostname: String,
}

/// What a rule contributes to its alert.
#[derive(Clone, Copy, Debug)]
pub struct AlertRule<'a> {
    /// Rule name.
    pub name: &'a str,
    /// Priority.
    pub priority: Priority,
    /// Source (`syscall`).
    pub source: &'a str,
    /// Tags in rule order.
    pub tags: &'a [String],
}

/// A rule's alert: the text line, the JSON object, the output without prefix and the output
/// fields as text.
#[derive(Clone, Debug)]
pub struct RuleAlert {
    /// `<time>: <Priority> <output>`.
    pub text: String,
    /// The JSON object (one line).
    pub json: String,
    /// The rule's output alone.
    pub message: String,
    /// `output_fields` as text, for the outputs that take them.
    pub output_fields: Vec<(String, String)>,
}

impl AlertFormat {
    /// The alert of `rule` whose output rendered as `output`, with the output fields `fields`,
    /// on an event at `ts_ns`: what the syscall and the k8s_audit evaluators share.
    pub fn rule_alert(
        &self,
        rule: &falco_rules::ruleset::Rule,
        ts_ns: u64,
        output: String,
        fields: Map<String, Json>,
    ) -> RuleAlert {
        let tags: Vec<String> = rule.tags.iter().cloned().collect();
        let output_fields = field_texts(&fields);
        let a = self.format(
            AlertRule {
                name: &rule.name,
                priority: rule.priority,
                source: &rule.source,
                tags: &tags,
            },
            ts_ns,
            &output,
            fields,
        );
        RuleAlert {
            text: a.text,
            json: a.json,
            message: output,
            output_fields,
        }
    }
}

/// A formatted alert: both renderings.
#[derive(Clone, Debug, PartialEq)]
pub struct FormattedAlert {
    /// `<time>: <Priority> <output>`.
    pub text: String,
    /// The JSON object (one line).
    pub json: String,
}

impl AlertFormat {
    /// The prefix Falco puts before a rule's output.
    pub fn prefix(&self, ts_ns: u64, priority: Priority) -> String {
        let t = if self.iso8601 {
            time_iso8601(ts_ns)
        } else {
            time_text(ts_ns)
        };
        format!("{t}: {} ", priority_name(priority))
    }

    /// Builds the alert from the rule, the event time, the rendered output (without the
    /// prefix) and the output fields as JSON values (keys as written in the output).
    pub fn format(
        &self,
        rule: AlertRule<'_>,
        ts_ns: u64,
        output: &str,
        fields: Map<String, Json>,
    ) -> FormattedAlert {
        let text = format!("{}{output}", self.prefix(ts_ns, rule.priority));
        let mut obj = Map::new();
        obj.insert("hostname".into(), Json::String(self.hostname.clone()));
        if self.include_message {
            obj.insert("message".into(), Json::String(output.to_string()));
        }
        if self.include_output {
            obj.insert("output".into(), Json::String(text.clone()));
        }
        if self.include_output_fields {
            obj.insert("output_fields".into(), Json::Object(fields));
        }
        obj.insert(
            "priority".into(),
            Json::String(priority_name(rule.priority).into()),
        );
        obj.insert("rule".into(), Json::String(rule.name.into()));
        obj.insert("source".into(), Json::String(rule.source.into()));
        if self.include_tags {
            obj.insert(
                "tags".into(),
                Json::Array(rule.tags.iter().map(|t| Json::String(t.clone())).collect()),
            );
        }
        obj.insert("time".into(), Json::String(time_json(ts_ns)));
        let json = serde_json::to_string(&Json::Object(obj)).unwrap_or_default();
        FormattedAlert { text, json }
    }

    /// An engine-generated alert (reload failure, drops, metrics) at `now_ns`: the prefix and
    /// `message` as text, or a JSON object with empty `output_fields` and source `internal`.
    pub fn internal(
        &self,
        now_ns: u64,
        rule: &str,
        priority: Priority,
        message: &str,
    ) -> falco_outputs::Alert {
        self.internal_with_fields(now_ns, rule, priority, message, serde_json::Map::new())
    }

    /// An engine-generated alert whose JSON carries `fields` as its `output_fields` (the
    /// metrics snapshot).
    pub fn internal_with_fields(
        &self,
        now_ns: u64,
        rule: &str,
        priority: Priority,
        message: &str,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> falco_outputs::Alert {
        let text = format!("{}{message}", self.prefix(now_ns, priority));
        let output_fields = field_texts(&fields);
        let json = serde_json::json!({
            "hostname": self.hostname, "output": text, "output_fields": fields, "priority": priority.as_str(),
            "rule": rule, "source": "internal", "time": time_json(now_ns),
        });
        falco_outputs::Alert {
            time_ns: now_ns,
            priority: output_priority(priority),
            rule: rule.to_string(),
            source: "internal".into(),
            tags: Vec::new(),
            hostname: self.hostname.clone(),
            line: if self.json_output {
                json.to_string()
            } else {
                text
            },
            json: self.json_output,
            message: message.to_string(),
            output_fields,
        }
    }
}

/// The output fields as text for the outputs that lay alerts out themselves: strings as they
/// are, `<NA>` for a field without value, numbers and the rest in their JSON spelling.
pub fn field_texts(fields: &Map<String, Json>) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Json::String(s) => s.clone(),
                Json::Null => "<NA>".to_string(),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect()
}

/// This machine's host name (Falco reads `FALCO_HOSTNAME` first).
pub fn hostname() -> String {
    if let Ok(h) = std::env::var("FALCO_HOSTNAME") {
        return h;
    }
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
