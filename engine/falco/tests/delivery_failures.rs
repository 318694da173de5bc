//! An output file that cannot be written stops falco at start-up (issue #21, item 9): one
//! `Error:` line naming the file in Falco's words, exit status 1, and the source never starts
//! (no event is read, no summary printed).

mod replay_common;

use std::path::Path;

fn run_with_output_file(path: &Path) -> std::process::Output {
    replay_common::replay(
        replay_common::REPO_CONFIG,
        &falco_testdata::capture("busy_server"),
    )
    .args(["-o", "file_output.enabled=true"])
    .arg("-o")
    .arg(format!("file_output.filename={}", path.display()))
    .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
    .output()
    .expect("falco runs")
}

fn assert_refused(path: &Path) {
    let out = run_with_output_file(path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("Error: "))
        .unwrap_or_else(|| panic!("no Error: line in {stderr}"));
    assert!(
        error.contains(&format!(
            "file_output.filename: failed to open output file {}",
            path.display()
        )),
        "{error}"
    );
    assert!(
        !stdout.contains("Events processed"),
        "the source started: {stdout}"
    );
}

#[test]
fn an_output_file_in_a_missing_directory_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_refused(&dir.path().join("missing").join("events.txt"));
}

#[test]
fn an_output_file_that_is_a_directory_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_refused(dir.path());
}

/// Every event raises one alert.
const CATCH_ALL: &str = r#"- rule: every event
  desc: one alert per event
  condition: evt.num > 0
  output: "FAILTEST %evt.num %evt.type"
  priority: WARNING
"#;

/// An http output to a port where nothing listens: every detected alert fails, an error is
/// logged (even in a run shorter than the notice interval), the summary lists them all as
/// failed and the exit status is 3.
#[test]
fn an_http_output_to_a_closed_port_is_reported_as_failed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("catch_all.yaml");
    std::fs::write(&rules, CATCH_ALL).expect("rules written");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/alerts", listener.local_addr().expect("addr"));
    drop(listener);
    let out = replay_common::replay(
        replay_common::REPO_CONFIG,
        &falco_testdata::capture("curl_google"),
    )
    .arg("-r")
    .arg(&rules)
    .args([
        "-o",
        "stdout_output.enabled=false",
        "-o",
        "http_output.enabled=true",
    ])
    .arg("-o")
    .arg(format!("http_output.url={url}"))
    .output()
    .expect("falco runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let detected: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Events detected: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no summary: {stdout}"));
    assert!(detected > 0, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "   http: {detected} (0 shed, {detected} failed, 0 discarded at shutdown"
        )),
        "{stdout}"
    );
    // One or more notices (one per interval, the last when the run ends) count them all.
    let noticed: u64 = stderr
        .lines()
        .filter_map(|l| l.split("http output: ").nth(1))
        .filter(|rest| rest.contains(" alerts failed"))
        .filter_map(|rest| rest.split(" alerts failed").next())
        .filter_map(|n| n.parse::<u64>().ok())
        .sum();
    assert_eq!(noticed, detected, "{stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
}
