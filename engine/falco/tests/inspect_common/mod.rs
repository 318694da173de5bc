//! Shared helpers of the falco-inspect tests: running the tool and running real sysdig (the
//! reference captures come from `falco_testdata`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs falco-inspect with `args`.
pub fn inspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_falco-inspect"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run falco-inspect: {e}"))
}

/// Runs falco-inspect and returns its stdout, failing the test on a non-zero exit.
pub fn inspect_ok(args: &[&str]) -> String {
    let out = inspect(args);
    assert!(
        out.status.success(),
        "falco-inspect {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs real sysdig on `file` with `format`. A missing sysdig fails the test: these tests
/// exist to compare with it.
pub fn sysdig(file: &Path, format: &str) -> Output {
    Command::new("sysdig")
        .arg("-r")
        .arg(file)
        .arg("-p")
        .arg(format)
        .output()
        .unwrap_or_else(|e| {
            panic!("sysdig is required for this test (apt-get install sysdig): {e}")
        })
}

/// sysdig's stdout, failing the test on a non-zero exit.
pub fn sysdig_ok(file: &Path, format: &str) -> String {
    let out = sysdig(file, format);
    assert!(
        out.status.success(),
        "sysdig -r {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A scratch directory unique to one test, removed and recreated.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("falco-inspect-tests-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
    d
}
