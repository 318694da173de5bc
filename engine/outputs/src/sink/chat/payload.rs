//! Each service's webhook payload, laid out as falcosidekick lays it out (the same fields in
//! the same order, the same colours by priority), so that moving from falcosidekick to the
//! engine's own outputs changes nothing in the channel. A message for N alerts of a rule says
//! so in its text and in an `alerts` field, and shows the first alert's fields.

use serde_json::{json, Map, Value};

use super::template::Template;
use super::Group;
use crate::alert::{Alert, Priority};
use crate::config::{ChatFormat, ChatKind, ChatOutputConfig};
use crate::error::ConfigError;

/// How one output renders a message.
pub(crate) enum Layout {
    Slack {
        format: ChatFormat,
        username: String,
        icon_url: String,
        channel: String,
        footer: String,
    },
    Teams {
        format: ChatFormat,
        adaptive: bool,
    },
    GoogleChat {
        format: ChatFormat,
    },
    Webhook {
        template: Template,
        json: bool,
    },
}

impl Layout {
    pub(crate) fn new(kind: ChatKind, config: &ChatOutputConfig) -> Result<Layout, ConfigError> {
        // `validate` has checked the format; `All` is its default anyway.
        let format = config.format().unwrap_or(ChatFormat::All);
        Ok(match kind {
            ChatKind::Slack => Layout::Slack {
                format,
                username: config.username.clone(),
                icon_url: config.icon_url.clone(),
                channel: config.channel.clone(),
                footer: config.footer.clone(),
            },
            ChatKind::Teams => Layout::Teams {
                format,
                adaptive: config.card != "message",
            },
            ChatKind::GoogleChat => Layout::GoogleChat { format },
            ChatKind::Webhook => Layout::Webhook {
                template: Template::parse(&config.body_template).map_err(|message| {
                    ConfigError {
                        key: kind.key("body_template"),
                        message,
                    }
                })?,
                json: config.content_type.to_ascii_lowercase().contains("json"),
            },
        })
    }

    /// The body of the message for `group`.
    pub(crate) fn render(&self, group: &Group) -> Vec<u8> {
        let view = View::new(group);
        let value = match self {
            Layout::Slack {
                format,
                username,
                icon_url,
                channel,
                footer,
            } => slack(&view, *format, username, icon_url, channel, footer),
            Layout::Teams {
                format,
                adaptive: true,
            } => teams_adaptive(&view, *format),
            Layout::Teams {
                format,
                adaptive: false,
            } => teams_message_card(&view, *format),
            Layout::GoogleChat { format } => google_chat(&view, *format),
            Layout::Webhook { template, json } => {
                return template.render(&view, *json).into_bytes()
            }
        };
        value.to_string().into_bytes()
    }
}

/// What every layout shows of a group.
pub(crate) struct View<'a> {
    pub(crate) alert: &'a Alert,
    pub(crate) count: u64,
    /// The alert line as Falco prints it (`<time>: <Priority> <output>`).
    pub(crate) output: String,
    /// The text of the message: the alert line, or for N alerts a summary then the first line.
    pub(crate) text: String,
    pub(crate) time: String,
    pub(crate) last_time: String,
}

impl<'a> View<'a> {
    fn new(group: &'a Group) -> Self {
        let alert = &*group.first;
        let output = output_line(alert);
        let time = utc_time(alert.time_ns);
        let last_time = utc_time(group.last_time_ns);
        let text = if group.count > 1 {
            format!(
                "{} alerts of rule \"{}\" from {time} to {last_time}; the first: {output}",
                group.count, alert.rule
            )
        } else {
            output.clone()
        };
        View {
            alert,
            count: group.count,
            output,
            text,
            time,
            last_time,
        }
    }

    fn sorted_tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = self.alert.tags.iter().map(String::as_str).collect();
        tags.sort_unstable();
        tags
    }

    /// rule, priority, (alerts,) source, hostname: the head of every field list.
    fn head_fields(&self) -> Vec<(String, String)> {
        let a = self.alert;
        let mut fields = vec![
            ("rule".to_string(), a.rule.clone()),
            ("priority".to_string(), a.priority.name().to_string()),
        ];
        if self.count > 1 {
            fields.push(("alerts".to_string(), self.count.to_string()));
        }
        fields.push(("source".to_string(), a.source.clone()));
        if !a.hostname.is_empty() {
            fields.push(("hostname".to_string(), a.hostname.clone()));
        }
        fields
    }

    fn tags_field(&self) -> Option<(String, String)> {
        (!self.alert.tags.is_empty()).then(|| ("tags".to_string(), self.sorted_tags().join(", ")))
    }

    fn time_field(&self) -> (String, String) {
        let value = if self.count > 1 {
            format!("{} to {}", self.time, self.last_time)
        } else {
            self.time.clone()
        };
        ("time".to_string(), value)
    }
}

/// The alert line as Falco prints it, also when the engine sends JSON (its `output` key).
pub(crate) fn output_line(alert: &Alert) -> String {
    if !alert.json {
        return alert.line.clone();
    }
    serde_json::from_str::<Value>(&alert.line)
        .ok()
        .and_then(|v| v.get("output").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| alert.message.clone())
}

/// The alert as Falco's JSON object: the line itself with `json_output`, else built the same way.
pub(crate) fn falco_json(alert: &Alert) -> String {
    if alert.json {
        return alert.line.clone();
    }
    let fields: Map<String, Value> = alert
        .output_fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "hostname": alert.hostname,
        "output": alert.line,
        "output_fields": fields,
        "priority": alert.priority.name(),
        "rule": alert.rule,
        "source": alert.source,
        "tags": alert.tags,
        "time": utc_time(alert.time_ns),
    })
    .to_string()
}

/// Nanoseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (UTC), Falco's JSON `time`.
pub(crate) fn utc_time(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ns % 1_000_000_000
    )
}

/// falcosidekick's Slack colours.
fn slack_color(p: Priority) -> &'static str {
    match p {
        Priority::Emergency | Priority::Error => "#e20b0b",
        Priority::Alert | Priority::Critical => "#ff5400",
        Priority::Warning => "#ffc700",
        Priority::Notice => "#5bffb5",
        Priority::Informational => "#68c2ff",
        Priority::Debug => "#ccfff2",
    }
}

/// Slack's text escaping: `&`, `<` and `>` are control characters in its markup.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming-webhook message with one attachment coloured by priority.
fn slack(
    view: &View<'_>,
    format: ChatFormat,
    username: &str,
    icon_url: &str,
    channel: &str,
    footer: &str,
) -> Value {
    let mut attachment = Map::new();
    attachment.insert("fallback".into(), slack_escape(&view.text).into());
    attachment.insert("color".into(), slack_color(view.alert.priority).into());
    if format != ChatFormat::Fields {
        attachment.insert("text".into(), slack_escape(&view.text).into());
    }
    let mut fields = Vec::new();
    if format != ChatFormat::Text {
        let mut list = view.head_fields();
        list.extend(view.tags_field());
        for (title, value) in list {
            fields.push(json!({"title": title, "value": slack_escape(&value), "short": true}));
        }
        for (title, value) in &view.alert.output_fields {
            let short = value.chars().count() < 36;
            fields.push(json!({"title": title, "value": slack_escape(value), "short": short}));
        }
        let (title, value) = view.time_field();
        fields.push(json!({"title": title, "value": value, "short": false}));
        if !footer.is_empty() {
            attachment.insert("footer".into(), footer.into());
        }
    }
    attachment.insert("fields".into(), Value::Array(fields));
    let mut message = Map::new();
    for (key, value) in [
        ("username", username),
        ("icon_url", icon_url),
        ("channel", channel),
    ] {
        if !value.is_empty() {
            message.insert(key.into(), value.into());
        }
    }
    message.insert(
        "attachments".into(),
        Value::Array(vec![Value::Object(attachment)]),
    );
    Value::Object(message)
}

/// The facts of a Teams card: falcosidekick's order (tags after the output fields).
fn teams_facts(view: &View<'_>) -> Vec<(String, String)> {
    let mut facts = view.head_fields();
    facts.extend(view.alert.output_fields.iter().cloned());
    facts.extend(view.tags_field());
    facts
}

/// falcosidekick's Teams theme colours.
fn teams_color(p: Priority) -> &'static str {
    match p {
        Priority::Emergency => "e20b0b",
        Priority::Alert => "ff5400",
        Priority::Critical => "ff9000",
        Priority::Error => "ffc700",
        Priority::Warning => "ffff00",
        Priority::Notice => "5bffb5",
        Priority::Informational => "68c2ff",
        Priority::Debug => "ccfff2",
    }
}

/// A legacy Office 365 connector MessageCard, as falcosidekick sends.
fn teams_message_card(view: &View<'_>, format: ChatFormat) -> Value {
    let mut section = Map::new();
    section.insert("activityTitle".into(), "Falco".into());
    section.insert("activitySubtitle".into(), view.time_field().1.into());
    section.insert(
        "text".into(),
        if format == ChatFormat::Fields {
            String::new()
        } else {
            view.text.clone()
        }
        .into(),
    );
    if format != ChatFormat::Text {
        let facts: Vec<Value> = teams_facts(view)
            .into_iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        section.insert("facts".into(), Value::Array(facts));
    }
    json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": view.text,
        "themeColor": teams_color(view.alert.priority),
        "sections": [Value::Object(section)],
    })
}

/// An Adaptive Card (what Teams Workflows webhooks take): a coloured title, the text, a FactSet.
fn teams_adaptive(view: &View<'_>, format: ChatFormat) -> Value {
    let a = view.alert;
    let color = match a.priority {
        Priority::Emergency | Priority::Alert | Priority::Critical | Priority::Error => "Attention",
        Priority::Warning => "Warning",
        Priority::Notice => "Accent",
        Priority::Informational | Priority::Debug => "Default",
    };
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": format!("{} {}", a.priority.name(), a.rule),
        "weight": "Bolder",
        "size": "Medium",
        "color": color,
        "wrap": true,
    })];
    if format != ChatFormat::Fields {
        body.push(json!({"type": "TextBlock", "text": view.text, "wrap": true}));
    }
    if format != ChatFormat::Text {
        let mut facts = teams_facts(view);
        facts.push(view.time_field());
        let facts: Vec<Value> = facts
            .into_iter()
            .map(|(title, value)| json!({"title": title, "value": value}))
            .collect();
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "msteams": {"width": "Full"},
                "body": body,
            },
        }],
    })
}

/// Google Chat's decorated text takes a little HTML: escape what would be read as markup.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Google Chat message: the text, and (unless `text`) a card with one decorated text per
/// field in falcosidekick's order.
fn google_chat(view: &View<'_>, format: ChatFormat) -> Value {
    if format == ChatFormat::Text {
        return json!({"text": view.text});
    }
    let mut fields = view.head_fields();
    fields.extend(view.alert.output_fields.iter().cloned());
    fields.extend(view.tags_field());
    fields.push(view.time_field());
    let widgets: Vec<Value> = fields
        .into_iter()
        .map(|(label, value)| {
            json!({"decoratedText": {"topLabel": label, "text": html_escape(&value), "wrapText": true}})
        })
        .collect();
    let a = view.alert;
    let mut message = Map::new();
    if format == ChatFormat::All {
        message.insert("text".into(), view.text.clone().into());
    }
    message.insert(
        "cardsV2".into(),
        json!([{
            "cardId": "falco-alert",
            "card": {
                "header": {"title": format!("{} {}", a.priority.name(), a.rule), "subtitle": a.hostname},
                "sections": [{"widgets": widgets}],
            },
        }]),
    );
    Value::Object(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_time_is_civil() {
        assert_eq!(utc_time(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            utc_time(1_767_225_600_000_000_123),
            "2026-01-01T00:00:00.000000123Z"
        );
        assert_eq!(
            utc_time(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000000Z"
        );
    }
}
