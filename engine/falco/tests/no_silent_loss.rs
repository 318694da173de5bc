//! A replay sheds nothing: with a catch-all rule it delivers exactly as many alerts as it
//! detects, behind a queue of one alert, with stdout in a regular file and with a consumer that
//! pauses. A stop during back-pressure still ends the run, and a run that lost alerts says so in
//! its summary and exits with status 3 (README, "No alert is lost silently").

mod replay_common;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every event of the capture raises one alert, marked so that alert lines are easy to count.
const CATCH_ALL: &str = r#"- rule: every event
  desc: one alert per event
  condition: evt.num > 0
  output: "LOSSTEST %evt.num %evt.type %proc.name"
  priority: WARNING
"#;

/// The largest shared capture: about half a million alerts with the catch-all rule.
const BUSY: &str = "busy_server";

struct Run {
    _dir: tempfile::TempDir,
    rules: PathBuf,
}

impl Run {
    fn new() -> Run {
        let dir = tempfile::tempdir().expect("tempdir");
        let rules = dir.path().join("catch_all.yaml");
        std::fs::write(&rules, CATCH_ALL).expect("rules written");
        Run { _dir: dir, rules }
    }

    fn command(&self, capture: &str, extra: &[&str]) -> Command {
        let mut cmd = replay_common::replay(
            replay_common::REPO_CONFIG,
            &falco_testdata::capture(capture),
        );
        cmd.arg("-r").arg(&self.rules).args(extra);
        cmd
    }
}

/// The alert lines in `stdout` and the summary's "Events detected" count.
fn delivered_and_detected(stdout: &str) -> (u64, u64) {
    let delivered = stdout.lines().filter(|l| l.contains("LOSSTEST ")).count() as u64;
    let detected = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Events detected: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no summary in the output: {}", tail(stdout)));
    (delivered, detected)
}

fn tail(s: &str) -> &str {
    &s[s.len().saturating_sub(2000)..]
}

fn assert_every_alert_delivered(status: std::process::ExitStatus, stdout: &str, stderr: &str) {
    let (delivered, detected) = delivered_and_detected(stdout);
    assert!(detected > 1000, "the capture raises alerts: {detected}");
    assert_eq!(
        delivered,
        detected,
        "alerts delivered vs detected; stderr: {}",
        tail(stderr)
    );
    assert!(!stdout.contains("Alerts not delivered"), "{}", tail(stdout));
    assert!(status.success(), "{status:?}: {}", tail(stderr));
}

#[test]
fn replay_with_a_queue_of_one_delivers_every_alert() {
    let run = Run::new();
    let out = run
        .command(BUSY, &["-o", "outputs_queue.capacity=1"])
        .output()
        .expect("falco runs");
    assert_every_alert_delivered(
        out.status,
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    );
}

#[test]
fn replay_into_a_regular_file_delivers_every_alert() {
    let run = Run::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stdout.txt");
    let file = std::fs::File::create(&path).expect("stdout file");
    let out = run
        .command(BUSY, &[])
        .stdout(file)
        .output()
        .expect("falco runs");
    let stdout = std::fs::read_to_string(&path).expect("stdout file read");
    assert_every_alert_delivered(out.status, &stdout, &String::from_utf8_lossy(&out.stderr));
}

#[test]
fn replay_into_a_paused_consumer_delivers_every_alert() {
    let run = Run::new();
    let mut child = run
        .command(BUSY, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco starts");
    // The consumer reads nothing for 3 s: the pipe and then the output queue fill up.
    std::thread::sleep(Duration::from_secs(3));
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut stdout)
        .expect("stdout read");
    let out = child.wait_with_output().expect("falco ends");
    assert_every_alert_delivered(out.status, &stdout, &String::from_utf8_lossy(&out.stderr));
}

/// A program output that never reads holds the replay back; SIGTERM still ends the run within
/// the stop grace and the shutdown deadline, and the alerts it could not deliver are reported.
#[test]
fn stop_during_back_pressure_ends_the_run_and_reports_the_loss() {
    let run = Run::new();
    let mut child = run
        .command(
            BUSY,
            &[
                "-o",
                "stdout_output.enabled=false",
                "-o",
                "program_output.enabled=true",
                "-o",
                "program_output.keep_alive=true",
                "-o",
                "program_output.program=sleep 600",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco starts");
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the replay is held back by the program, not finished"
    );
    let stopped = Instant::now();
    terminate(child.id());
    let out = wait_at_most(child, Duration::from_secs(30));
    assert!(stopped.elapsed() < Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{}", tail(&stderr));
    assert!(
        stdout.contains("Alerts not delivered: "),
        "{}",
        tail(&stdout)
    );
    assert!(stdout.contains("   program: "), "{}", tail(&stdout));
    assert!(
        stderr.contains("alerts were not delivered"),
        "{}",
        tail(&stderr)
    );
}

fn terminate(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Waits for `child`, killing it (and failing) after `limit`.
fn wait_at_most(mut child: std::process::Child, limit: Duration) -> std::process::Output {
    let until = Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() >= until {
            let _ = child.kill();
            panic!("falco did not end within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}
