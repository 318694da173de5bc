//! Shared test data: every reference capture with the number of events it stores.
#![allow(dead_code)]

use std::path::PathBuf;

/// Every reference capture ([`falco_testdata::CAPTURES`]): (name, path, events stored in the
/// file).
pub fn captures() -> Vec<(&'static str, PathBuf, u64)> {
    falco_testdata::captures()
        .into_iter()
        .map(|(name, path)| (name, path, events_in(name)))
        .collect()
}

/// Events stored in each reference capture; a capture added to the reference list needs its
/// count here.
fn events_in(capture: &str) -> u64 {
    match capture {
        "busy_server" => 902_831,
        "container_shell" => 21_682,
        "file_mutations" => 21_917,
        "network" => 41_375,
        "sensitive_reads" => 13_484,
        "curl_google" => 1_536,
        "curl_google_comments" => 1_536,
        "sample" => 572,
        "single_ipv6_conn" => 1_728,
        "test_ipv6_client" => 326,
        other => panic!("no event count for the reference capture {other}"),
    }
}

/// The small captures only (everything but busy_server), for slower tests.
pub fn small_captures() -> Vec<(&'static str, PathBuf, u64)> {
    captures()
        .into_iter()
        .filter(|(n, _, _)| *n != "busy_server")
        .collect()
}
