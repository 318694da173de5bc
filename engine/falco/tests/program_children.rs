//! What a `program_output` program leaves running (here a background `sleep`) is gone once the
//! engine has exited, with and without `keep_alive`, and when a stop ends a replay held back by
//! a program that never reads.

mod replay_common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A few alerts: the first events of the capture.
const FEW_ALERTS: &str = r#"- rule: first events
  desc: a few alerts
  condition: evt.num > 0 and evt.num < 4
  output: "CHILDTEST %evt.num"
  priority: WARNING
"#;

/// Every event raises an alert.
const CATCH_ALL: &str = r#"- rule: every event
  desc: one alert per event
  condition: evt.num > 0
  output: "CHILDTEST %evt.num"
  priority: WARNING
"#;

/// Whether `pid` is a process that has not exited (a zombie waiting for its reaper has).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
        Err(_) => false,
    }
}

/// The pids the programs wrote, one a line.
fn pids(path: &Path) -> Vec<i32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn command(dir: &Path, rules: &str, capture: &str, program: &str, keep_alive: bool) -> Command {
    let rules_path = dir.join("rules.yaml");
    std::fs::write(&rules_path, rules).expect("rules written");
    let mut cmd = replay_common::replay(
        replay_common::REPO_CONFIG,
        &falco_testdata::capture(capture),
    );
    cmd.arg("-r")
        .arg(&rules_path)
        .args([
            "-o",
            "stdout_output.enabled=false",
            "-o",
            "program_output.enabled=true",
            "-o",
        ])
        .arg(format!("program_output.keep_alive={keep_alive}"))
        .arg("-o")
        .arg(format!("program_output.program={program}"));
    cmd
}

/// A program that starts a long `sleep` in the background, notes its pid, then reads its input.
fn leaving_a_child(pids: &Path) -> String {
    format!(
        "sleep 300 >/dev/null 2>&1 & echo $! >> '{}'; cat > /dev/null",
        pids.display()
    )
}

fn assert_children_gone(pids_file: &Path) {
    let pids = pids(pids_file);
    assert!(!pids.is_empty(), "the programs ran");
    // Ended at shutdown: allow the kernel a moment to finish the exits.
    let until = Instant::now() + Duration::from_secs(2);
    while pids.iter().any(|&p| running(p)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let alive: Vec<i32> = pids.iter().copied().filter(|&p| running(p)).collect();
    for &p in &alive {
        let _ = Command::new("kill").args(["-9", &p.to_string()]).status();
    }
    assert!(
        alive.is_empty(),
        "still running after the engine exited: {alive:?}"
    );
}

#[test]
fn children_of_a_kept_alive_program_end_with_the_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pids_file = dir.path().join("pids");
    let out = command(
        dir.path(),
        FEW_ALERTS,
        "sensitive_reads",
        &leaving_a_child(&pids_file),
        true,
    )
    .output()
    .expect("falco runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_children_gone(&pids_file);
}

#[test]
fn children_of_one_program_per_alert_end_with_the_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pids_file = dir.path().join("pids");
    let out = command(
        dir.path(),
        FEW_ALERTS,
        "sensitive_reads",
        &leaving_a_child(&pids_file),
        false,
    )
    .output()
    .expect("falco runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(pids(&pids_file).len(), 3, "one program per alert");
    assert_children_gone(&pids_file);
}

#[test]
fn a_program_that_never_reads_is_ended_by_a_stop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pids_file = dir.path().join("pids");
    let program = format!("echo $$ >> '{}'; exec sleep 600", pids_file.display());
    let mut child = command(dir.path(), CATCH_ALL, "busy_server", &program, true)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("falco starts");
    std::thread::sleep(Duration::from_secs(2));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let until = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() >= until {
            let _ = child.kill();
            panic!("falco did not end after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_children_gone(&pids_file);
}
