//! The chat outputs in the engine (issue #20, item 1): a replay of a bundled capture delivers
//! to Slack every alert at or above `minimum_priority`, counted against the engine's own JSON
//! output of the same replay; a webhook that keeps failing is retried, then its alerts are
//! counted as failed in the summary and the exit status, while the file output loses nothing.

mod replay_common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// The secret part of the webhook URLs, which must never be logged.
const SECRET: &str = "s3cr3t-token";

/// A webhook receiver on 127.0.0.1 answering every request with `status`; keeps the bodies.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Receiver {
    fn start(status: u16) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!(
            "http://{}/services/T0/B0/{SECRET}",
            listener.local_addr().expect("addr")
        );
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                thread::spawn(move || serve(stream, status, &kept));
            }
        });
        Receiver { url, bodies }
    }

    fn bodies(&self) -> Vec<Value> {
        self.bodies
            .lock()
            .expect("bodies")
            .iter()
            .map(|b| serde_json::from_slice(b).expect("a JSON body"))
            .collect()
    }
}

/// Answers the requests of one connection (kept alive) until the client closes it.
fn serve(mut stream: TcpStream, status: u16, kept: &Mutex<Vec<Vec<u8>>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf.drain(..head_end + length).skip(head_end).collect();
        if let Ok(mut kept) = kept.lock() {
            kept.push(body);
        }
        let reply = format!("HTTP/1.1 {status} S\r\nContent-Length: 2\r\n\r\nok");
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Replays the bundled `file_mutations` capture (alerts at Error, Warning and Notice with the
/// default rules) with a JSON file output and the chat settings in `chat`.
fn replay(chat: &[String], file: &std::path::Path) -> std::process::Output {
    let mut cmd = replay_common::replay(
        replay_common::REPO_CONFIG,
        &falco_testdata::capture("file_mutations"),
    );
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args([
            "-o",
            "stdout_output.enabled=false",
            "-o",
            "json_output=true",
        ])
        .args(["-o", "file_output.enabled=true", "-o"])
        .arg(format!("file_output.filename={}", file.display()));
    for setting in chat {
        cmd.arg("-o").arg(setting);
    }
    cmd.output().expect("falco runs")
}

/// Alerts by rule in the engine's JSON output, those at or above Warning.
fn expected_by_rule(file: &std::path::Path) -> (BTreeMap<String, u64>, u64) {
    let text = std::fs::read_to_string(file).expect("the JSON alerts file");
    let mut all = 0;
    let mut by_rule = BTreeMap::new();
    for line in text.lines() {
        let alert: Value = serde_json::from_str(line).expect("a JSON alert");
        all += 1;
        let priority = alert["priority"].as_str().expect("priority");
        if ["Emergency", "Alert", "Critical", "Error", "Warning"].contains(&priority) {
            let rule = alert["rule"].as_str().expect("rule").to_string();
            *by_rule.entry(rule).or_insert(0) += 1;
        }
    }
    (by_rule, all)
}

fn slack_settings(url: &str, extra: &[&str]) -> Vec<String> {
    let mut s = vec![
        "slack_output.enabled=true".to_string(),
        format!("slack_output.webhook_url={url}"),
        "slack_output.minimum_priority=warning".to_string(),
        "slack_output.rate_limit=50".to_string(),
    ];
    s.extend(extra.iter().map(|e| e.to_string()));
    s
}

#[test]
fn a_replay_delivers_every_alert_at_or_above_minimum_priority_to_slack() {
    let receiver = Receiver::start(200);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("events.json");
    let out = replay(&slack_settings(&receiver.url, &[]), &file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let (expected, all) = expected_by_rule(&file);
    let want: u64 = expected.values().sum();
    assert!(
        want > 0 && want < all,
        "the capture must have alerts on both sides of Warning: {want} of {all}"
    );
    // Each Slack message tells its rule, and how many alerts it stands for when several.
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    for body in receiver.bodies() {
        let attachment = &body["attachments"][0];
        let fields = attachment["fields"].as_array().expect("fields");
        let field = |name: &str| {
            fields
                .iter()
                .find(|f| f["title"] == name)
                .and_then(|f| f["value"].as_str())
                .map(str::to_string)
        };
        let rule = field("rule").expect("a rule field");
        let count: u64 = field("alerts").map_or(1, |n| n.parse().expect("a count"));
        let priority = field("priority").expect("a priority field");
        assert!(
            ["Emergency", "Alert", "Critical", "Error", "Warning"].contains(&priority.as_str()),
            "{priority} is below minimum_priority"
        );
        assert!(attachment["color"]
            .as_str()
            .is_some_and(|c| c.starts_with('#')));
        *got.entry(rule).or_insert(0) += count;
    }
    assert_eq!(got, expected, "{stderr}");
}

#[test]
fn a_failing_webhook_is_retried_then_counted_and_the_file_output_is_unaffected() {
    let receiver = Receiver::start(503);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("events.json");
    let out = replay(
        &slack_settings(
            &receiver.url,
            &[
                "slack_output.max_retries=1",
                "slack_output.retry_backoff_ms=20",
            ],
        ),
        &file,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (expected, all) = expected_by_rule(&file);
    let want: u64 = expected.values().sum();
    // The file output has every alert; Slack's are all counted as failed, the run says so.
    assert!(
        stdout.contains(&format!(
            "   slack: {want} (0 shed, {want} failed, 0 discarded"
        )),
        "{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("   file:"),
        "the file output lost alerts: {stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&file)
            .expect("file")
            .lines()
            .count() as u64,
        all
    );
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    // Each message was sent twice (max_retries 1), and the outage logged once, not per attempt.
    let requests = receiver.bodies().len();
    assert!(
        requests >= 2 && requests.is_multiple_of(2),
        "{requests} requests"
    );
    assert_eq!(
        stderr
            .matches("slack output: the webhook answered HTTP 503; retrying")
            .count(),
        1,
        "{stderr}"
    );
    // The notices name the output and the failure, never the URL: it is the webhook's secret.
    assert!(stderr.contains("slack output: "), "{stderr}");
    assert!(
        !stderr.contains(SECRET) && !stdout.contains(SECRET),
        "{stderr}"
    );
}
