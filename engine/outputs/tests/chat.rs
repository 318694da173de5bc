//! The chat outputs against receivers on 127.0.0.1 started here (issue #20, item 1): every
//! body checked against its service's documented payload schema (Slack incoming webhooks,
//! Teams Adaptive Card and MessageCard, Google Chat `cardsV2`, the generic webhook's template),
//! `minimum_priority`, bursts gathered into summaries within the rate limit, retries on 429
//! (honouring `Retry-After`), 5xx, slow and silent receivers, and the other outputs unaffected.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{quiet_config, read_or_empty, refused_url, wait_for, Behaviour, HttpReceiver};
use falco_outputs::{Alert, ChatOutputConfig, OutputsConfig, OutputsError, Priority};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);

/// An alert of `rule` at `priority`, with output fields that need escaping in every medium.
fn alert(i: usize, rule: &str, priority: Priority) -> Alert {
    let mut a = common::alert(i, priority, false);
    a.rule = rule.to_string();
    a.message = format!("alert-{i:06} shell <script>alert(1)</script> & \"quotes\" (user=root)");
    a.line = format!("00:00:00.000000000: {} {}", priority.name(), a.message);
    a.output_fields.push((
        "proc.cmdline".into(),
        "bash -c 'echo <b>hi</b> && a very long command line indeed'".into(),
    ));
    a
}

/// A chat output to `url` that sends every alert at once (no batching at test rates).
fn chat(url: &str) -> ChatOutputConfig {
    ChatOutputConfig {
        enabled: true,
        webhook_url: url.to_string(),
        rate_limit: 1000.0,
        rate_burst: 1000,
        retry_backoff_ms: 50,
        timeout_ms: 2000,
        ..ChatOutputConfig::default()
    }
}

fn json_body(r: &common::Received) -> Value {
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("content-type"), Some("application/json"));
    serde_json::from_slice(&r.body).unwrap_or_else(|e| {
        panic!(
            "body is not JSON ({e}): {}",
            String::from_utf8_lossy(&r.body)
        )
    })
}

/// Fails unless every key of `object` is one of `allowed` and every one of `required` is there.
fn keys(what: &str, object: &Value, allowed: &[&str], required: &[&str]) {
    let map = object
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {object}"));
    for key in map.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "{what}: key {key:?} is not in the documented schema {allowed:?}"
        );
    }
    for key in required {
        assert!(
            map.contains_key(*key),
            "{what}: required key {key:?} missing: {object}"
        );
    }
}

fn string(what: &str, v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"))
        .to_string()
}

/// Slack's incoming-webhook message with legacy attachments (api.slack.com: "Reference:
/// secondary message attachments"): top-level `text`/`attachments`/`username`/`icon_url`/
/// `channel`; an attachment's `fallback`, `color` (hex), `text`, `fields` of
/// `{title, value, short}`, `footer`; `&`, `<`, `>` escaped in text. Returns the fields.
fn check_slack(body: &Value) -> Vec<(String, String, bool)> {
    keys(
        "slack message",
        body,
        &[
            "text",
            "attachments",
            "blocks",
            "username",
            "icon_url",
            "icon_emoji",
            "channel",
            "mrkdwn",
        ],
        &["attachments"],
    );
    let attachments = body["attachments"].as_array().expect("attachments array");
    assert_eq!(attachments.len(), 1, "{body}");
    let a = &attachments[0];
    keys(
        "slack attachment",
        a,
        &[
            "fallback",
            "color",
            "pretext",
            "author_name",
            "author_link",
            "author_icon",
            "title",
            "title_link",
            "text",
            "fields",
            "image_url",
            "thumb_url",
            "footer",
            "footer_icon",
            "ts",
            "mrkdwn_in",
        ],
        &["fallback", "color", "fields"],
    );
    let color = string("color", &a["color"]);
    assert!(
        color.len() == 7
            && color.starts_with('#')
            && color[1..].chars().all(|c| c.is_ascii_hexdigit()),
        "color {color}"
    );
    for key in ["fallback", "text"] {
        if let Some(text) = a.get(key) {
            let text = string(key, text);
            assert!(
                !text.contains('<') && !text.contains('>'),
                "unescaped {key}: {text}"
            );
        }
    }
    a["fields"]
        .as_array()
        .expect("fields array")
        .iter()
        .map(|f| {
            keys(
                "slack field",
                f,
                &["title", "value", "short"],
                &["title", "value", "short"],
            );
            let value = string("value", &f["value"]);
            assert!(!value.contains('<'), "unescaped field value {value}");
            (
                string("title", &f["title"]),
                value,
                f["short"].as_bool().expect("short is a bool"),
            )
        })
        .collect()
}

#[test]
fn slack_messages_follow_the_documented_schema_and_falcosidekicks_layout() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let mut config = quiet_config();
    config.slack_output = ChatOutputConfig {
        minimum_priority: "warning".into(),
        username: "falco".into(),
        ..chat(&receiver.url)
    };
    let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
    for (i, p) in Priority::ALL.into_iter().enumerate() {
        outputs.send(alert(i, &format!("rule {i}"), p));
    }
    // Emergency, Alert, Critical, Error and Warning are at or above `warning`.
    wait_for("5 Slack messages", WAIT, || receiver.count() >= 5);
    let report = outputs.shutdown(WAIT);
    let stats = report.stats.get("slack").expect("slack stats").clone();
    assert_eq!((stats.enqueued, stats.delivered, stats.messages), (5, 5, 5));
    assert_eq!(stats.shed + stats.failed + stats.discarded, 0);
    let colours = ["#e20b0b", "#ff5400", "#ff5400", "#e20b0b", "#ffc700"];
    let mut received = receiver.received();
    assert_eq!(received.len(), 5);
    received.sort_by_key(|r| common::alert_id(&String::from_utf8_lossy(&r.body)));
    for (i, r) in received.iter().enumerate() {
        let body = json_body(r);
        assert_eq!(body["username"], "falco");
        let fields = check_slack(&body);
        let a = &body["attachments"][0];
        assert_eq!(a["color"], colours[i], "priority {:?}", Priority::ALL[i]);
        let text = string("text", &a["text"]);
        assert!(
            text.starts_with(&format!(
                "00:00:00.000000000: {} alert-{i:06} shell &lt;script&gt;",
                Priority::ALL[i].name()
            )),
            "{text}"
        );
        let titles: Vec<&str> = fields.iter().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(
            titles,
            [
                "rule",
                "priority",
                "source",
                "hostname",
                "tags",
                "evt.num",
                "proc.name",
                "user.name",
                "proc.cmdline",
                "time"
            ]
        );
        let field = |name: &str| {
            fields
                .iter()
                .find(|(t, _, _)| t == name)
                .cloned()
                .expect(name)
        };
        assert_eq!(field("rule").1, format!("rule {i}"));
        assert_eq!(field("priority").1, Priority::ALL[i].name());
        assert_eq!(field("tags").1, "container, shell");
        assert_eq!(field("time").1, format!("2026-01-01T00:00:00.{:09}Z", i));
        // falcosidekick's rule: values of 36 characters or more take a whole row.
        assert!(field("proc.name").2 && !field("proc.cmdline").2 && !field("time").2);
        assert!(field("proc.cmdline")
            .1
            .contains("&lt;b&gt;hi&lt;/b&gt; &amp;&amp;"));
    }
}

#[test]
fn slack_text_and_fields_formats_leave_out_the_other_part() {
    for (format, has_text, has_fields) in [("text", true, false), ("fields", false, true)] {
        let receiver = HttpReceiver::start(Behaviour::Answer(200));
        let mut config = quiet_config();
        config.slack_output = ChatOutputConfig {
            output_format: format.into(),
            ..chat(&receiver.url)
        };
        let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
        outputs.send(alert(1, "r", Priority::Notice));
        wait_for("one message", WAIT, || receiver.count() == 1);
        let body = json_body(&receiver.received()[0]);
        let fields = check_slack(&body);
        assert_eq!(
            body["attachments"][0].get("text").is_some(),
            has_text,
            "{format}: {body}"
        );
        assert_eq!(!fields.is_empty(), has_fields, "{format}: {body}");
        assert_eq!(body["attachments"][0]["color"], "#5bffb5");
        outputs.shutdown(WAIT);
    }
}

/// A Teams Adaptive Card message (learn.microsoft.com: "Create incoming webhooks with
/// Workflows", Adaptive Card schema 1.4): `type: message`, one attachment of content type
/// `application/vnd.microsoft.card.adaptive` whose content is an `AdaptiveCard` with a `body`
/// of `TextBlock`s and a `FactSet` of `{title, value}`.
fn check_teams_adaptive(body: &Value) -> Vec<(String, String)> {
    keys(
        "teams message",
        body,
        &["type", "attachments"],
        &["type", "attachments"],
    );
    assert_eq!(body["type"], "message");
    let attachments = body["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 1);
    let a = &attachments[0];
    keys(
        "teams attachment",
        a,
        &["contentType", "contentUrl", "content"],
        &["contentType", "content"],
    );
    assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
    let card = &a["content"];
    keys(
        "adaptive card",
        card,
        &["$schema", "type", "version", "body", "actions", "msteams"],
        &["type", "version", "body"],
    );
    assert_eq!(card["type"], "AdaptiveCard");
    let version: f64 = string("version", &card["version"])
        .parse()
        .expect("version number");
    assert!(
        version <= 1.5,
        "Teams renders Adaptive Cards up to 1.5: {version}"
    );
    let mut facts = Vec::new();
    for element in card["body"].as_array().expect("body array") {
        match element["type"].as_str() {
            Some("TextBlock") => {
                keys(
                    "TextBlock",
                    element,
                    &["type", "text", "weight", "size", "color", "wrap"],
                    &["type", "text"],
                );
                if let Some(color) = element.get("color") {
                    let color = string("color", color);
                    assert!(
                        [
                            "Default",
                            "Dark",
                            "Light",
                            "Accent",
                            "Good",
                            "Warning",
                            "Attention"
                        ]
                        .contains(&color.as_str()),
                        "{color}"
                    );
                }
            }
            Some("FactSet") => {
                keys("FactSet", element, &["type", "facts"], &["type", "facts"]);
                for fact in element["facts"].as_array().expect("facts") {
                    keys("Fact", fact, &["title", "value"], &["title", "value"]);
                    facts.push((
                        string("title", &fact["title"]),
                        string("value", &fact["value"]),
                    ));
                }
            }
            other => panic!("element type {other:?} not expected"),
        }
    }
    facts
}

/// A legacy connector MessageCard (learn.microsoft.com: "Legacy actionable message card
/// reference"): `@type`, `@context`, `summary`, `themeColor` (hex without #), `sections` with
/// `activityTitle`, `activitySubtitle`, `text` and `facts` of `{name, value}`.
fn check_teams_message_card(body: &Value) -> Vec<(String, String)> {
    keys(
        "message card",
        body,
        &[
            "@type",
            "@context",
            "summary",
            "title",
            "text",
            "themeColor",
            "sections",
            "potentialAction",
        ],
        &["@type", "summary", "sections"],
    );
    assert_eq!(body["@type"], "MessageCard");
    let color = string("themeColor", &body["themeColor"]);
    assert!(
        color.len() == 6 && color.chars().all(|c| c.is_ascii_hexdigit()),
        "{color}"
    );
    let mut facts = Vec::new();
    for section in body["sections"].as_array().expect("sections") {
        keys(
            "section",
            section,
            &[
                "activityTitle",
                "activitySubtitle",
                "activityImage",
                "activityText",
                "text",
                "facts",
                "title",
                "markdown",
            ],
            &[],
        );
        for fact in section["facts"].as_array().into_iter().flatten() {
            keys("fact", fact, &["name", "value"], &["name", "value"]);
            facts.push((
                string("name", &fact["name"]),
                string("value", &fact["value"]),
            ));
        }
    }
    facts
}

#[test]
fn teams_cards_follow_the_documented_schemas() {
    for card in ["adaptive", "message"] {
        let receiver = HttpReceiver::start(Behaviour::Answer(200));
        let mut config = quiet_config();
        config.teams_output = ChatOutputConfig {
            card: card.into(),
            ..chat(&receiver.url)
        };
        let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
        outputs.send(alert(7, "Terminal shell in container", Priority::Critical));
        wait_for("one Teams card", WAIT, || receiver.count() == 1);
        let body = json_body(&receiver.received()[0]);
        let facts = if card == "adaptive" {
            check_teams_adaptive(&body)
        } else {
            let facts = check_teams_message_card(&body);
            assert_eq!(
                body["themeColor"], "ff9000",
                "falcosidekick's Critical colour"
            );
            facts
        };
        let names: Vec<&str> = facts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            &names[..9],
            [
                "rule",
                "priority",
                "source",
                "hostname",
                "evt.num",
                "proc.name",
                "user.name",
                "proc.cmdline",
                "tags"
            ],
            "{card}"
        );
        assert!(facts.contains(&("rule".into(), "Terminal shell in container".into())));
        assert!(
            body.to_string().contains("alert-000007 shell <script>"),
            "{body}"
        );
        outputs.shutdown(WAIT);
    }
}

/// A Google Chat message (developers.google.com/workspace/chat: "Card" and `cardsV2`): `text`
/// and/or `cardsV2` of `{cardId, card}`, a card's `header` `{title, subtitle}` and `sections`
/// of `widgets`, here `decoratedText` `{topLabel, text, wrapText}`.
fn check_google_chat(body: &Value) -> Vec<(String, String)> {
    keys(
        "google chat message",
        body,
        &["text", "cardsV2", "thread", "fallbackText"],
        &[],
    );
    let mut widgets = Vec::new();
    for card in body["cardsV2"].as_array().into_iter().flatten() {
        keys(
            "cardsV2 entry",
            card,
            &["cardId", "card"],
            &["cardId", "card"],
        );
        let card = &card["card"];
        keys(
            "card",
            card,
            &["header", "sections", "name", "fixedFooter", "cardActions"],
            &["sections"],
        );
        keys(
            "header",
            &card["header"],
            &["title", "subtitle", "imageUrl", "imageType"],
            &["title"],
        );
        for section in card["sections"].as_array().expect("sections") {
            keys(
                "section",
                section,
                &["header", "widgets", "collapsible"],
                &["widgets"],
            );
            for widget in section["widgets"].as_array().expect("widgets") {
                keys("widget", widget, &["decoratedText", "textParagraph"], &[]);
                let t = &widget["decoratedText"];
                keys(
                    "decoratedText",
                    t,
                    &["topLabel", "text", "bottomLabel", "wrapText", "icon"],
                    &["text"],
                );
                let text = string("text", &t["text"]);
                assert!(
                    !text.contains('<'),
                    "decoratedText takes HTML: unescaped {text}"
                );
                widgets.push((string("topLabel", &t["topLabel"]), text));
            }
        }
    }
    widgets
}

#[test]
fn google_chat_cards_and_text_follow_the_documented_schema() {
    for (format, want_text, want_card) in [
        ("all", true, true),
        ("text", true, false),
        ("fields", false, true),
    ] {
        let receiver = HttpReceiver::start(Behaviour::Answer(200));
        let mut config = quiet_config();
        config.googlechat_output = ChatOutputConfig {
            output_format: format.into(),
            ..chat(&receiver.url)
        };
        let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
        outputs.send(alert(3, "Write below etc", Priority::Error));
        wait_for("one Google Chat message", WAIT, || receiver.count() == 1);
        let body = json_body(&receiver.received()[0]);
        let widgets = check_google_chat(&body);
        assert_eq!(body.get("text").is_some(), want_text, "{format}: {body}");
        assert_eq!(!widgets.is_empty(), want_card, "{format}: {body}");
        if want_card {
            let labels: Vec<&str> = widgets.iter().map(|(l, _)| l.as_str()).collect();
            assert_eq!(labels.first(), Some(&"rule"));
            assert_eq!(labels.last(), Some(&"time"));
            assert!(widgets.contains(&("priority".into(), "Error".into())));
            assert_eq!(
                body["cardsV2"][0]["card"]["header"]["title"],
                "Error Write below etc"
            );
        }
        outputs.shutdown(WAIT);
    }
}

#[test]
fn the_generic_webhook_fills_its_template_with_escaped_values() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let mut config = quiet_config();
    config.webhook_output = ChatOutputConfig {
        headers: [("Authorization".to_string(), "Bearer t0ken".to_string())].into(),
        body_template: r#"{"summary": "{{priority}}: {{message}}", "rule": "{{rule}}", "n": {{count}}, "tags": {{tags}}, "user": "{{field:user.name}}", "fields": {{output_fields}}, "falco": {{json}}}"#.into(),
        ..chat(&receiver.url)
    };
    let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
    outputs.send(alert(5, "rule \"quoted\"", Priority::Warning));
    wait_for("one webhook call", WAIT, || receiver.count() == 1);
    assert_eq!(
        receiver.received()[0].header("authorization"),
        Some("Bearer t0ken")
    );
    let body = json_body(&receiver.received()[0]);
    assert_eq!(
        body["summary"],
        "Warning: alert-000005 shell <script>alert(1)</script> & \"quotes\" (user=root)"
    );
    assert_eq!(body["rule"], "rule \"quoted\"");
    assert_eq!(body["n"], 1);
    assert_eq!(body["tags"], serde_json::json!(["container", "shell"]));
    assert_eq!(body["user"], "root");
    assert_eq!(body["fields"]["proc.name"], "bash");
    // `{{json}}` is Falco's JSON object, as falcosidekick reads it.
    assert_eq!(body["falco"]["rule"], "rule \"quoted\"");
    assert_eq!(body["falco"]["priority"], "Warning");
    assert_eq!(body["falco"]["output_fields"]["user.name"], "root");
    outputs.shutdown(WAIT);

    // A plain-text template: values as they are, with the content type asked for.
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    config.webhook_output = ChatOutputConfig {
        body_template: "{{rule}} | {{tags}} | {{output}}".into(),
        content_type: "text/plain".into(),
        ..chat(&receiver.url)
    };
    let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
    outputs.send(alert(6, "plain", Priority::Notice));
    wait_for("one webhook call", WAIT, || receiver.count() == 1);
    let r = &receiver.received()[0];
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        "plain | container, shell | 00:00:00.000000000: Notice alert-000006 shell <script>alert(1)</script> & \"quotes\" (user=root)"
    );
    outputs.shutdown(WAIT);
}

#[test]
fn the_webhook_url_can_come_from_a_file_or_the_environment() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("slack-url");
    std::fs::write(&secret, format!("{}\n", receiver.url)).expect("secret written");
    let var = format!("FALCO_TEST_CHAT_URL_{}", std::process::id());
    std::env::set_var(&var, &receiver.url);
    let mut config = quiet_config();
    config.slack_output = ChatOutputConfig {
        webhook_url: String::new(),
        webhook_url_file: secret.display().to_string(),
        ..chat("")
    };
    config.teams_output = ChatOutputConfig {
        webhook_url: String::new(),
        webhook_url_env: var.clone(),
        ..chat("")
    };
    let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
    outputs.send(alert(1, "r", Priority::Warning));
    wait_for("both messages", WAIT, || receiver.count() == 2);
    let report = outputs.shutdown(WAIT);
    assert_eq!(report.stats.get("slack").map(|s| s.delivered), Some(1));
    assert_eq!(report.stats.get("teams").map(|s| s.delivered), Some(1));

    // A missing file or variable stops the start, naming the key but never the secret.
    config.slack_output.webhook_url_file = dir.path().join("missing").display().to_string();
    config.teams_output.webhook_url_env = format!("{var}_UNSET");
    let Err(OutputsError::Config(errors)) = falco_outputs::Outputs::new(&config) else {
        panic!("a missing URL file and variable must stop the start");
    };
    let text = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("slack_output.webhook_url: reading webhook_url_file"),
        "{text}"
    );
    assert!(text.contains(&format!("teams_output.webhook_url: webhook_url_env: the environment variable {var}_UNSET is not set")), "{text}");
    std::env::remove_var(&var);
}

#[test]
fn bad_chat_settings_are_refused_with_their_keys() {
    let mut config = quiet_config();
    config.slack_output = ChatOutputConfig {
        webhook_url_env: "X".into(),
        minimum_priority: "loud".into(),
        output_format: "pretty".into(),
        rate_limit: 0.0,
        ..chat("http://127.0.0.1:1/")
    };
    config.teams_output = ChatOutputConfig {
        card: "hero".into(),
        ..chat("ftp://example/")
    };
    config.webhook_output = ChatOutputConfig {
        headers: [("Bad Name".to_string(), "v".to_string())].into(),
        body_template: "{\"x\": \"{{nope}}\"}".into(),
        ..chat("http://127.0.0.1:1/")
    };
    config.googlechat_output = ChatOutputConfig {
        enabled: true,
        ..ChatOutputConfig::default()
    };
    let Err(OutputsError::Config(errors)) = falco_outputs::Outputs::new(&config) else {
        panic!("bad settings must stop the start");
    };
    let keys: Vec<&str> = errors.iter().map(|e| e.key).collect();
    for key in [
        "slack_output.webhook_url",
        "slack_output.minimum_priority",
        "slack_output.output_format",
        "slack_output.rate_limit",
        "teams_output.webhook_url",
        "teams_output.card",
        "googlechat_output.webhook_url",
        "webhook_output.headers",
    ] {
        assert!(keys.contains(&key), "{key} not reported: {errors:?}");
    }
    // The template is checked when the outputs are built, once the rest is valid.
    config.slack_output = chat("http://127.0.0.1:1/");
    config.teams_output = chat("http://127.0.0.1:1/");
    config.googlechat_output = chat("http://127.0.0.1:1/");
    config.webhook_output.headers.clear();
    let Err(OutputsError::Config(errors)) = falco_outputs::Outputs::new(&config) else {
        panic!("an unknown placeholder must stop the start");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].key, "webhook_output.body_template");
    assert!(
        errors[0].message.contains("unknown placeholder {{nope}}"),
        "{}",
        errors[0]
    );
}

/// The number of alerts a Slack message stands for: its `alerts` field, or 1.
fn slack_alerts(body: &Value) -> u64 {
    check_slack(body)
        .iter()
        .find(|(t, _, _)| t == "alerts")
        .map_or(1, |(_, v, _)| v.parse().expect("a count"))
}

#[test]
fn a_burst_of_one_rule_arrives_batched_within_the_rate_limit() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let mut config = quiet_config();
    let (rate, burst) = (5.0, 2);
    config.slack_output = ChatOutputConfig {
        rate_limit: rate,
        rate_burst: burst,
        ..chat(&receiver.url)
    };
    let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
    let started = Instant::now();
    for i in 0..1000 {
        outputs.send(alert(i, "Terminal shell in container", Priority::Notice));
    }
    wait_for("all 1,000 alerts delivered", WAIT, || {
        outputs
            .stats()
            .get("slack")
            .is_some_and(|s| s.delivered == 1000)
    });
    let elapsed = started.elapsed().as_secs_f64();
    let report = outputs.shutdown(WAIT);
    let stats = report.stats.get("slack").expect("stats");
    let received = receiver.received();
    let counts: Vec<u64> = received
        .iter()
        .map(|r| slack_alerts(&json_body(r)))
        .collect();
    assert_eq!(
        counts.iter().sum::<u64>(),
        1000,
        "every alert told once: {counts:?}"
    );
    // The bucket allows `burst` at once and `rate` a second after that.
    let allowed = f64::from(burst) + rate * elapsed;
    assert!(
        (received.len() as f64) <= allowed,
        "{} messages in {elapsed:.2} s, the limit allows {allowed:.1}",
        received.len()
    );
    assert!(
        received.len() < 20,
        "{} messages for one rule: not batched",
        received.len()
    );
    // Messages after the burst are spaced by the rate at least (small slack for clocks).
    let gaps: Vec<Duration> = received
        .windows(2)
        .skip(burst as usize - 1)
        .map(|w| w[1].at.duration_since(w[0].at))
        .collect();
    assert!(
        gaps.iter().all(|g| g.as_secs_f64() >= 0.9 / rate),
        "{gaps:?}"
    );
    let summary = received
        .iter()
        .map(json_body)
        .find(|b| slack_alerts(b) > 1)
        .expect("a summary message");
    let text = string("text", &summary["attachments"][0]["text"]);
    assert!(
        text.contains(" alerts of rule \"Terminal shell in container\" from "),
        "{text}"
    );
    assert_eq!(stats.messages, received.len() as u64);
    assert_eq!(
        stats.batched,
        counts.iter().filter(|c| **c > 1).sum::<u64>()
    );
    assert_eq!((stats.delivered, stats.failed, stats.shed), (1000, 0, 0));
}

/// A chat output next to a file output, with `alerts` alerts sent; returns when the file has
/// them all, with the chat stats at that moment and the report.
struct Trial {
    stats_when_file_done: falco_outputs::OutputStats,
    report: falco_outputs::ShutdownReport,
    file_lines: usize,
}

fn trial(
    chat_config: ChatOutputConfig,
    alerts: usize,
    until: impl Fn(&falco_outputs::OutputStats) -> bool,
) -> Trial {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("events.txt");
    let mut config: OutputsConfig = quiet_config();
    config.file_output.enabled = true;
    config.file_output.filename = file.display().to_string();
    config.webhook_output = chat_config;
    let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
    for i in 0..alerts {
        outputs.send(alert(i, &format!("rule {}", i % 3), Priority::Warning));
    }
    let lines = |p: &Path| read_or_empty(p).lines().count();
    wait_for("the file output has every alert", WAIT, || {
        lines(&file) == alerts
    });
    let stats_when_file_done = outputs.stats().get("webhook").expect("stats").clone();
    wait_for("the chat output to settle", WAIT, || {
        outputs.stats().get("webhook").is_some_and(&until)
    });
    let report = outputs.shutdown(WAIT);
    let file_stats = report.stats.get("file").expect("file stats");
    assert_eq!(
        (file_stats.delivered, file_stats.shed, file_stats.failed),
        (alerts as u64, 0, 0),
        "the file output lost nothing"
    );
    Trial {
        stats_when_file_done,
        report,
        file_lines: lines(&file),
    }
}

fn settled(s: &falco_outputs::OutputStats) -> bool {
    s.queued == 0 && s.delivered + s.failed + s.discarded == s.enqueued
}

#[test]
fn a_429_with_retry_after_is_honoured_and_other_outputs_go_on() {
    let receiver = HttpReceiver::start(Behaviour::FailFirst {
        status: 429,
        retry_after: Some(1),
        times: 1,
    });
    let t = trial(
        ChatOutputConfig {
            body_template: "{\"rule\": \"{{rule}}\", \"n\": {{count}}}".into(),
            ..chat(&receiver.url)
        },
        30,
        |s| settled(s) && s.delivered == 30,
    );
    // The file output had all 30 while the chat output still waited out the Retry-After.
    assert_eq!(t.file_lines, 30);
    assert!(
        t.stats_when_file_done.delivered < 30,
        "{:?}",
        t.stats_when_file_done
    );
    let s = t.report.stats.get("webhook").expect("stats");
    assert_eq!((s.rate_limited, s.failed, s.shed), (1, 0, 0), "{s:?}");
    assert!(s.retries >= 1);
    let received = receiver.received();
    // The retry came no sooner than the second Retry-After asked for.
    let retry_gap = received[1].at.duration_since(received[0].at);
    assert!(
        retry_gap >= Duration::from_millis(950),
        "retried after {retry_gap:?}"
    );
    // The first message was refused; the rest told every alert once, batched by rule.
    let told: u64 = received[1..]
        .iter()
        .map(|r| json_body(r)["n"].as_u64().expect("n"))
        .sum();
    assert_eq!(told, 30);
    assert!(
        received.len() < 30,
        "alerts gathered during the wait: {}",
        received.len()
    );
}

#[test]
fn a_failing_receiver_is_retried_as_configured_then_counted_as_failed() {
    // 500 twice, then 200: delivered after two retries.
    let receiver = HttpReceiver::start(Behaviour::FailFirst {
        status: 500,
        retry_after: None,
        times: 2,
    });
    let t = trial(
        ChatOutputConfig {
            rate_limit: 1000.0,
            rate_burst: 1,
            max_retries: 3,
            ..chat(&receiver.url)
        },
        1,
        settled,
    );
    let s = t.report.stats.get("webhook").expect("stats");
    assert_eq!(
        (s.delivered, s.failed, s.retries, s.messages),
        (1, 0, 2, 1),
        "{s:?}"
    );
    assert_eq!(receiver.count(), 3);

    // 500 always: the message is sent 1 + max_retries times, then its alerts fail.
    let receiver = HttpReceiver::start(Behaviour::Answer(500));
    let t = trial(
        ChatOutputConfig {
            max_retries: 2,
            rate_burst: 1,
            ..chat(&receiver.url)
        },
        1,
        settled,
    );
    let s = t.report.stats.get("webhook").expect("stats");
    assert_eq!(
        (s.delivered, s.failed, s.retries, s.messages),
        (0, 1, 2, 0),
        "{s:?}"
    );
    assert_eq!(receiver.count(), 3);

    // A 400 is the message's fault: no retry.
    let receiver = HttpReceiver::start(Behaviour::Answer(400));
    let t = trial(chat(&receiver.url), 1, settled);
    let s = t.report.stats.get("webhook").expect("stats");
    assert_eq!((s.failed, s.retries), (1, 0), "{s:?}");
    assert_eq!(receiver.count(), 1);
}

#[test]
fn slow_silent_and_absent_receivers_cost_retries_not_other_outputs() {
    // Slower than the timeout: each attempt times out.
    let slow = HttpReceiver::start(Behaviour::Slow(Duration::from_millis(1500)));
    // Never answers at all.
    let silent = HttpReceiver::start(Behaviour::Hang);
    for (what, url) in [
        ("slow", slow.url.clone()),
        ("silent", silent.url.clone()),
        ("absent", refused_url()),
    ] {
        let t = trial(
            ChatOutputConfig {
                timeout_ms: 300,
                max_retries: 2,
                rate_burst: 10,
                ..chat(&url)
            },
            20,
            settled,
        );
        let s = t.report.stats.get("webhook").expect("stats");
        // At least one message per rule (three), each tried 1 + max_retries times: two
        // retries per message, and with a receiver that takes the connection, every attempt
        // a timeout.
        assert_eq!((s.delivered, s.failed, s.shed), (0, 20, 0), "{what}: {s:?}");
        assert!(
            s.retries >= 6 && s.retries.is_multiple_of(2),
            "{what}: {s:?}"
        );
        if what != "absent" {
            assert_eq!(s.timeouts, s.retries / 2 * 3, "{what}: {s:?}");
        }
        assert_eq!(t.file_lines, 20, "{what}");
        // The file output finished while the chat output was still trying.
        assert!(
            t.stats_when_file_done.failed < 20,
            "{what}: {:?}",
            t.stats_when_file_done
        );
    }
    silent.release();
}

#[test]
fn alerts_below_minimum_priority_never_reach_the_queue() {
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let mut config = quiet_config();
    config.googlechat_output = ChatOutputConfig {
        minimum_priority: "Error".into(),
        ..chat(&receiver.url)
    };
    let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
    let mut expected = BTreeMap::new();
    for i in 0..80 {
        let p = Priority::ALL[i % 8];
        if p <= Priority::Error {
            *expected.entry(p.name()).or_insert(0) += 1;
        }
        outputs.send(alert(i, &format!("rule {i}"), p));
    }
    let want: u64 = expected.values().sum();
    wait_for("the alerts at or above Error", WAIT, || {
        receiver.count() as u64 == want
    });
    let report = outputs.shutdown(WAIT);
    let s = report.stats.get("googlechat").expect("stats");
    assert_eq!((s.enqueued, s.delivered, s.shed), (want, want, 0));
    let mut got = BTreeMap::new();
    for r in receiver.received() {
        let widgets = check_google_chat(&json_body(&r));
        let p = widgets
            .iter()
            .find(|(l, _)| l == "priority")
            .expect("priority")
            .1
            .clone();
        *got.entry(p).or_insert(0) += 1;
    }
    let expected: BTreeMap<String, u64> = expected
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn a_stuck_chat_output_sheds_counted_and_never_holds_up_send() {
    let silent = HttpReceiver::start(Behaviour::Hang);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("events.txt");
    let mut config = quiet_config();
    config.outputs_queue.capacity = 10;
    config.file_output.enabled = true;
    config.file_output.filename = file.display().to_string();
    config.slack_output = ChatOutputConfig {
        timeout_ms: 10_000,
        max_retries: 0,
        ..chat(&silent.url)
    };
    let outputs = falco_outputs::Outputs::new(&config).expect("outputs start");
    outputs.send(alert(0, "r", Priority::Warning));
    wait_for("the first request held", WAIT, || silent.held() == 1);
    // The Slack worker is stuck in its first request: its queue fills and the rest is shed,
    // while `send` returns at once and the file output takes everything.
    for i in 1..200 {
        outputs.send(alert(i, "r", Priority::Warning));
        if i % 10 == 0 {
            wait_for("the file output to keep up", WAIT, || {
                read_or_empty(&file).lines().count() == i + 1
            });
        }
    }
    wait_for("the file output has every alert", WAIT, || {
        read_or_empty(&file).lines().count() == 200
    });
    let stats = outputs.stats();
    let slack = stats.get("slack").expect("slack");
    assert_eq!(slack.enqueued + slack.shed, 200, "{slack:?}");
    assert!(slack.shed >= 189, "{slack:?}");
    silent.release();
    let report = outputs.shutdown(WAIT);
    let slack = report.stats.get("slack").expect("slack");
    assert_eq!(
        slack.enqueued,
        slack.delivered + slack.failed + slack.discarded,
        "every alert accounted for: {slack:?}"
    );
    assert_eq!(report.stats.get("file").map(|f| f.delivered), Some(200));
}
