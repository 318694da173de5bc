//! Alert renderings, snapshotted against a line a reference Falco printed.

mod replay_common;

use falco::config::Priority;
use falco::pipeline::alert::{time_iso8601, time_json, time_text, AlertFormat, AlertRule};
use serde_json::{json, Map, Value};

fn format(json_output: bool, iso: bool) -> AlertFormat {
    AlertFormat {
        json_output,
        include_output: true,
        include_tags: true,
        include_output_fields: true,
        include_message: false,
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
    let lines = std::fs::read_to_string(falco_testdata::reference_path(
        "captures/expected/sensitive_reads__rules3.0.1-stable.jsonl",
    ))
    .expect("reference");
    let reference = lines.lines().next().expect("a line");
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

/// Replays sensitive_reads with the stable rules and the given `-o` options; the alert lines.
fn replay_lines(opts: &[&str]) -> Vec<String> {
    let out = replay_common::replay(
        replay_common::REPO_CONFIG,
        &falco_testdata::capture("sensitive_reads"),
    )
    .env("TZ", "UTC")
    // As the reference alerts: without the container context falco.yaml appends.
    .args(["-o", "append_output=[]"])
    .arg("-r")
    .arg(falco_testdata::reference_path(
        "rules/3.0.1/falco_rules.yaml",
    ))
    .args(opts.iter().flat_map(|o| ["-o", o]))
    .output()
    .expect("falco runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{') || l.contains(": Warning "))
        .map(str::to_string)
        .collect()
}

/// The reference run's alerts (Falco 0.40 on the same capture), hostname removed.
fn reference_alerts() -> Vec<Value> {
    std::fs::read_to_string(falco_testdata::reference_path(
        "captures/expected/sensitive_reads__rules3.0.1-stable.jsonl",
    ))
    .expect("reference")
    .lines()
    .map(|l| {
        let mut v: Value = serde_json::from_str(l).expect("json");
        if let Some(o) = v.as_object_mut() {
            o.remove("hostname");
        }
        v
    })
    .collect()
}

fn parse_without_hostname(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).expect("alert is JSON");
            if let Some(o) = v.as_object_mut() {
                o.remove("hostname");
            }
            v
        })
        .collect()
}

/// Text alerts of a real replay are the reference run's `output` strings, line for line.
#[test]
fn replay_text_alerts_are_falcos_lines() {
    let got = replay_lines(&["json_output=false"]);
    let want: Vec<String> = reference_alerts()
        .iter()
        .map(|a| a["output"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(got, want);
    insta::assert_snapshot!(got[0], @"21:13:39.771709090: Warning Sensitive file opened for reading by non-trusted program (file=/etc/shadow gparent=capture-init.sh ggparent=<NA> gggparent=<NA> evt_type=openat user=root user_uid=0 user_loginuid=-1 process=cat proc_exepath=/usr/bin/cat parent=scenarios.sh command=cat /etc/shadow terminal=0 container_id=host container_name=host)");
}

/// `time_format_iso_8601: true`: the text line starts with the ISO time (local zone, here
/// UTC), the rest of the line unchanged.
#[test]
fn replay_text_alerts_with_iso_8601_time() {
    let got = replay_lines(&["json_output=false", "time_format_iso_8601=true"]);
    let want: Vec<String> = reference_alerts()
        .iter()
        .map(|a| {
            let out = a["output"].as_str().unwrap_or("");
            let (_, rest) = out.split_once(": ").unwrap_or(("", out));
            let time = a["time"].as_str().unwrap_or("").replace('Z', "+0000");
            format!("{time}: {rest}")
        })
        .collect();
    assert_eq!(got, want);
    insta::assert_snapshot!(got[0].split_once(" (").map_or("", |p| p.0), @"2026-11-23T21:13:39.771709090+0000: Warning Sensitive file opened for reading by non-trusted program");
}

/// `json_include_output_property: false` drops `output`, `json_include_tags_property: false`
/// drops `tags`; everything else is the reference object.
#[test]
fn replay_json_without_output_or_tags() {
    let reference = reference_alerts();
    for (opt, key) in [
        ("json_include_output_property=false", "output"),
        ("json_include_tags_property=false", "tags"),
    ] {
        let got = parse_without_hostname(&replay_lines(&["json_output=true", opt]));
        let want: Vec<Value> = reference
            .iter()
            .map(|a| {
                let mut a = a.clone();
                if let Some(o) = a.as_object_mut() {
                    o.remove(key);
                }
                a
            })
            .collect();
        assert_eq!(got, want, "{opt}");
    }
    let got = parse_without_hostname(&replay_lines(&[
        "json_output=true",
        "json_include_output_property=false",
        "json_include_tags_property=false",
    ]));
    let keys: Vec<&String> = got[0].as_object().expect("object").keys().collect();
    insta::assert_debug_snapshot!(keys, @r#"
    [
        "output_fields",
        "priority",
        "rule",
        "source",
        "time",
    ]
    "#);
}
