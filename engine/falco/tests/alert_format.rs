//! Alert renderings, snapshotted against a line a reference Falco printed.

use falco::alert::{time_iso8601, time_json, time_text, AlertFormat, AlertRule};
use falco::config::Priority;
use serde_json::{json, Map, Value};

fn format(json_output: bool, iso: bool) -> AlertFormat {
    AlertFormat {
        json_output,
        include_output: true,
        include_tags: true,
        include_output_fields: true,
        iso8601: iso,
        hostname: "vm".into(),
    }
}

#[test]
fn times_render_like_falco() {
    std::env::set_var("TZ", "UTC");
    let ts = 1_795_468_419_771_709_090;
    assert_eq!(time_text(ts), "21:13:39.771709090");
    assert_eq!(time_json(ts), "2026-11-23T21:13:39.771709090Z");
    assert_eq!(time_iso8601(ts), "2026-11-23T21:13:39.771709090+0000");
}

/// The first alert of the reference run on sensitive_reads, rebuilt from its parts.
#[test]
fn json_alert_matches_reference_line() {
    std::env::set_var("TZ", "UTC");
    let reference = include_str!(
        "../../../../shared/reference/captures/expected/sensitive_reads__rules3.0.1-stable.jsonl"
    )
    .lines()
    .next()
    .expect("a line");
    let want: Value = serde_json::from_str(reference).expect("json");
    let tags: Vec<String> = want["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t.as_str().unwrap_or("").to_string())
        .collect();
    let fields: Map<String, Value> = want["output_fields"].as_object().expect("fields").clone();
    let out = want["output"].as_str().expect("output");
    let body = out.split_once(": Warning ").expect("prefix").1;
    let rule = AlertRule {
        name: "Read sensitive file untrusted",
        priority: Priority::Warning,
        source: "syscall",
        tags: &tags,
    };
    let got = format(true, false).format(rule, 1_795_468_419_771_709_090, body, fields);
    assert_eq!(got.json, reference);
    assert_eq!(got.text, out);
}

#[test]
fn text_alert_snapshot() {
    std::env::set_var("TZ", "UTC");
    let tags = vec!["a".to_string()];
    let rule = AlertRule {
        name: "r",
        priority: Priority::Notice,
        source: "syscall",
        tags: &tags,
    };
    let got = format(false, true).format(
        rule,
        1_000_000_000_000_000_123,
        "hello (x=<NA>)",
        Map::new(),
    );
    assert_eq!(
        got.text,
        "2001-09-09T01:46:40.000000123+0000: Notice hello (x=<NA>)"
    );
    let v: Value = serde_json::from_str(&got.json).expect("json");
    assert_eq!(v["output_fields"], json!({}));
}
