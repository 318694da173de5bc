//! Running the `falco` binary on a capture with the replay engine, for the tests that check
//! what it prints or raises.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The repository's falco.yaml (default configuration; its rules paths are relative to the
/// repository root).
pub const REPO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../falco.yaml");

/// `falco -c <config>` set to replay `capture` (`engine.kind=replay`); the caller adds the
/// rules, other `-o` options, the working directory and the environment.
pub fn replay(config: impl AsRef<Path>, capture: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falco"));
    cmd.arg("-c")
        .arg(config.as_ref())
        .args(["-o", "engine.kind=replay", "-o"])
        .arg(format!("engine.replay.capture_file={}", capture.display()));
    cmd
}

/// A FIFO `name` in `dir`, for feeding a capture (or a rules file) to a running engine.
pub fn fifo(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let status = Command::new("mkfifo").arg(&p).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", p.display());
    p
}

/// Lines of a child's pipe, delivered through a channel so the test can wait with a deadline.
pub fn lines_of(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits up to 30 s for a line containing `needle`, keeping every line seen in `seen`.
pub fn wait_for(rx: &mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let hit = line.contains(needle);
            seen.push(line);
            if hit {
                return;
            }
        }
    }
    panic!("no `{needle}` within 30 s; saw: {seen:#?}");
}
