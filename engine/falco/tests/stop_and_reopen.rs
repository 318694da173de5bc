//! A stop and a reopen lose nothing that was detected, or report exactly what they lost
//! (issue #21, item 10). A replay of the largest shared capture with a catch-all rule writes
//! its alerts to `file_output`: stopped by SIGTERM mid-run, every alert the summary counts as
//! detected is either in the file or counted in the summary's "Alerts not delivered" lines; a
//! storm of SIGUSR1 while the file is rotated by rename loses nothing, and the rotated files
//! plus the current one hold every alert exactly once.

mod replay_common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every event of the capture raises one alert, numbered by the event.
const CATCH_ALL: &str = r#"- rule: every event
  desc: one alert per event
  condition: evt.num > 0
  output: "STOPTEST %evt.num %evt.type %proc.name"
  priority: WARNING
"#;

/// The largest shared capture: about half a million alerts with the catch-all rule.
const BUSY: &str = "busy_server";

struct Run {
    dir: tempfile::TempDir,
    rules: PathBuf,
    alerts: PathBuf,
}

impl Run {
    fn new() -> Run {
        let dir = tempfile::tempdir().expect("tempdir");
        let rules = dir.path().join("catch_all.yaml");
        std::fs::write(&rules, CATCH_ALL).expect("rules written");
        let alerts = dir.path().join("alerts.txt");
        Run { dir, rules, alerts }
    }

    /// Starts falco on the capture, alerts to the file only, the summary on a pipe.
    fn start(&self, keep_alive: bool) -> Child {
        self.start_with(keep_alive, &[])
    }

    fn start_with(&self, keep_alive: bool, extra: &[String]) -> Child {
        let mut cmd =
            replay_common::replay(replay_common::REPO_CONFIG, &falco_testdata::capture(BUSY));
        cmd.arg("-r")
            .arg(&self.rules)
            .args(["-o", "stdout_output.enabled=false"])
            .args(["-o", "syslog_output.enabled=false"])
            .args(["-o", "file_output.enabled=true"])
            .args(["-o", &format!("file_output.keep_alive={keep_alive}")])
            .arg("-o")
            .arg(format!("file_output.filename={}", self.alerts.display()))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("falco starts")
    }

    /// Waits until the alert file holds something: the engine runs and its signal handlers are
    /// installed (they are before the source starts).
    fn wait_for_alerts(&self, child: &mut Child) {
        let until = Instant::now() + Duration::from_secs(60);
        while std::fs::metadata(&self.alerts).map_or(0, |m| m.len()) < 64 * 1024 {
            assert!(
                child.try_wait().expect("wait").is_none(),
                "falco ended before writing alerts"
            );
            assert!(Instant::now() < until, "no alerts written within 60 s");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Every alert line in the current file and the rotated ones (`alerts.txt.N`).
    fn alert_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).expect("dir read") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with("alerts.txt") {
                let text = std::fs::read_to_string(&path).expect("alerts read");
                lines.extend(
                    text.lines()
                        .filter(|l| l.contains("STOPTEST "))
                        .map(str::to_string),
                );
            }
        }
        lines
    }
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name}");
}

fn tail(s: &str) -> &str {
    &s[s.len().saturating_sub(3000)..]
}

/// Waits for `child`, killing it (and failing) after `limit`.
fn wait_at_most(mut child: Child, limit: Duration) -> Output {
    let until = Instant::now() + limit;
    // The pipes are read by wait_with_output; the summary is small, stderr holds few lines.
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() >= until {
            let _ = child.kill();
            panic!("falco did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// The summary's "Events detected" count.
fn detected(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Events detected: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no summary: {}", tail(stdout)))
}

/// The file output's count in the "Alerts not delivered" lines, 0 when it has none.
fn not_delivered_by_file(stdout: &str) -> u64 {
    not_delivered_by(stdout, "file")
}

/// `output`'s count in the "Alerts not delivered" lines, 0 when it has none.
fn not_delivered_by(stdout: &str, output: &str) -> u64 {
    let prefix = format!("   {output}: ");
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn distinct(lines: &[String]) -> usize {
    lines.iter().collect::<HashSet<_>>().len()
}

fn check_sigterm_mid_run(keep_alive: bool) {
    let run = Run::new();
    let mut child = run.start(keep_alive);
    run.wait_for_alerts(&mut child);
    signal(child.id(), "TERM");
    let out = wait_at_most(child, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let detected = detected(&stdout);
    let lines = run.alert_lines();
    let lost = not_delivered_by_file(&stdout);
    assert!(detected > 0, "{}", tail(&stdout));
    assert_eq!(distinct(&lines), lines.len(), "no alert written twice");
    assert_eq!(
        lines.len() as u64 + lost,
        detected,
        "alerts in the file + not delivered vs detected\nstdout: {}\nstderr: {}",
        tail(&stdout),
        tail(&stderr)
    );
    let expected_status = if lost > 0 { 3 } else { 0 };
    assert_eq!(
        out.status.code(),
        Some(expected_status),
        "{}",
        tail(&stderr)
    );
}

#[test]
fn sigterm_mid_replay_accounts_for_every_detected_alert() {
    check_sigterm_mid_run(false);
}

#[test]
fn sigterm_mid_replay_with_keep_alive_accounts_for_every_detected_alert() {
    check_sigterm_mid_run(true);
}

/// Renames the alert file to the next rotated name, as logrotate's default (move, then tell
/// the program to reopen) does.
fn rotate(current: &Path, n: usize) {
    let rotated = current.with_extension(format!("txt.{n}"));
    // The file may not exist yet again since the last rotation: nothing written meanwhile.
    let _ = std::fs::rename(current, rotated);
}

fn check_sigusr1_storm(keep_alive: bool) {
    let run = Run::new();
    let mut child = run.start(keep_alive);
    run.wait_for_alerts(&mut child);
    let mut rotations = 0;
    for n in 1..=200 {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        rotate(&run.alerts, n);
        signal(child.id(), "USR1");
        rotations += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        rotations >= 20,
        "the storm ran during the replay: {rotations}"
    );
    let out = wait_at_most(child, Duration::from_secs(300));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let detected = detected(&stdout);
    let lines = run.alert_lines();
    assert!(detected > 100_000, "{}", tail(&stdout));
    assert_eq!(distinct(&lines), lines.len(), "no alert written twice");
    assert_eq!(
        lines.len() as u64,
        detected,
        "alerts in the rotated and current files vs detected\nstdout: {}\nstderr: {}",
        tail(&stdout),
        tail(&stderr)
    );
    assert!(
        !stdout.contains("Alerts not delivered"),
        "{}",
        tail(&stdout)
    );
    assert!(out.status.success(), "{:?}: {}", out.status, tail(&stderr));
}

#[test]
fn sigusr1_storm_with_rotation_loses_nothing() {
    check_sigusr1_storm(false);
}

#[test]
fn sigusr1_storm_with_rotation_and_keep_alive_loses_nothing() {
    check_sigusr1_storm(true);
}

/// An HTTP endpoint that accepts connections, reads the requests and never answers.
fn silent_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut reader = stream.try_clone().expect("clone");
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
            });
            held.push(stream);
        }
    });
    format!("http://{addr}/alerts")
}

/// An http output stuck in a request that never gets an answer holds the replay back; SIGTERM
/// ends the run, the healthy file output still gets every detected alert, and every one of the
/// http output's is listed as not delivered (the one stuck in its request included).
#[test]
fn sigterm_with_a_stuck_output_reports_exactly_what_it_lost() {
    let run = Run::new();
    let extra = [
        "-o".to_string(),
        "http_output.enabled=true".to_string(),
        "-o".to_string(),
        format!("http_output.url={}", silent_endpoint()),
        "-o".to_string(),
        "http_output.timeout_ms=600000".to_string(),
        "-o".to_string(),
        "outputs_queue.capacity=64".to_string(),
    ];
    let mut child = run.start_with(true, &extra);
    // The http queue fills at once and holds the replay back: wait for its first alerts only.
    let until = Instant::now() + Duration::from_secs(60);
    while run.alert_lines().len() < 64 {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "falco ended early"
        );
        assert!(Instant::now() < until, "no alerts written within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(child.id(), "TERM");
    let out = wait_at_most(child, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let detected = detected(&stdout);
    let lines = run.alert_lines();
    assert!(detected >= 64, "{}", tail(&stdout));
    assert_eq!(
        (lines.len() as u64, not_delivered_by_file(&stdout)),
        (detected, 0),
        "file: every detected alert in the file, none lost to the stuck http output\nstdout: {}\nstderr: {}",
        tail(&stdout),
        tail(&stderr)
    );
    assert_eq!(distinct(&lines), lines.len(), "no alert written twice");
    assert_eq!(
        not_delivered_by(&stdout, "http"),
        detected,
        "http: not delivered vs detected (it delivered none)\nstdout: {}\nstderr: {}",
        tail(&stdout),
        tail(&stderr)
    );
    assert_eq!(out.status.code(), Some(3), "{}", tail(&stderr));
}
