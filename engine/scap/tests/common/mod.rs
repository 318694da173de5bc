//! Shared test data: every reference capture, by path relative to this crate.
#![allow(dead_code)]

use std::path::PathBuf;

/// Root of the shared reference folder.
pub fn reference() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference"
    ))
}

/// Every capture under the reference folder: (name, path, events stored in the file).
pub fn captures() -> Vec<(&'static str, PathBuf, u64)> {
    let r = reference();
    vec![
        (
            "busy_server",
            r.join("captures/busy_server.scap.gz"),
            902_831,
        ),
        (
            "container_shell",
            r.join("captures/container_shell.scap.gz"),
            21_682,
        ),
        (
            "file_mutations",
            r.join("captures/file_mutations.scap.gz"),
            21_917,
        ),
        ("network", r.join("captures/network.scap.gz"), 41_375),
        (
            "sensitive_reads",
            r.join("captures/sensitive_reads.scap.gz"),
            13_484,
        ),
        ("curl_google", r.join("scap/libs/curl_google.scap"), 1_536),
        (
            "curl_google_comments",
            r.join("scap/libs/curl_google_comments.scap"),
            1_536,
        ),
        ("sample", r.join("scap/libs/sample.scap"), 572),
        (
            "single_ipv6_conn",
            r.join("scap/libs/single_ipv6_conn.scap"),
            1_728,
        ),
        (
            "test_ipv6_client",
            r.join("scap/libs/test_ipv6_client.scap"),
            326,
        ),
    ]
}

/// The small captures only (everything but busy_server), for slower tests.
pub fn small_captures() -> Vec<(&'static str, PathBuf, u64)> {
    captures()
        .into_iter()
        .filter(|(n, _, _)| *n != "busy_server")
        .collect()
}
