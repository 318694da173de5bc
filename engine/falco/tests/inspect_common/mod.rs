//! Shared helpers of the falco-inspect tests: the reference captures, running the tool and
//! running real sysdig.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Root of the shared reference folder.
pub fn reference() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference"
    ))
}

/// Every reference capture by name.
pub fn captures() -> Vec<(&'static str, PathBuf)> {
    let r = reference();
    vec![
        ("busy_server", r.join("captures/busy_server.scap.gz")),
        (
            "container_shell",
            r.join("captures/container_shell.scap.gz"),
        ),
        ("file_mutations", r.join("captures/file_mutations.scap.gz")),
        ("network", r.join("captures/network.scap.gz")),
        (
            "sensitive_reads",
            r.join("captures/sensitive_reads.scap.gz"),
        ),
        ("curl_google", r.join("scap/libs/curl_google.scap")),
        (
            "curl_google_comments",
            r.join("scap/libs/curl_google_comments.scap"),
        ),
        ("sample", r.join("scap/libs/sample.scap")),
        (
            "single_ipv6_conn",
            r.join("scap/libs/single_ipv6_conn.scap"),
        ),
        (
            "test_ipv6_client",
            r.join("scap/libs/test_ipv6_client.scap"),
        ),
    ]
}

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
