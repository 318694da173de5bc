//! Running the `falco` binary on a capture with the replay engine, for the tests that check
//! what it prints or raises.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

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
