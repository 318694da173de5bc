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
