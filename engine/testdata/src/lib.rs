//! Where tests and benches find the shared reference material: the captures, the official
//! rules files, libs' event table and case tables that live beside the repository, in
//! `<workspace>/../shared/reference`, and are not checked in.
//!
//! Every path goes through [`reference`], so the folder can be moved with one variable,
//! [`REFERENCE_ENV`], and a missing folder or file fails with a message that says where it was
//! looked for and how to point the tests elsewhere, instead of an `ENOENT` deep in a test.
//! The functions are `#[track_caller]`, so the panic names the test's line.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

/// The environment variable that overrides where the reference folder is.
pub const REFERENCE_ENV: &str = "FALCO_SHARED_REFERENCE";

/// The default location, beside the workspace root.
const DEFAULT_BESIDE_WORKSPACE: &str = "shared/reference";

/// The workspace root (the folder of the top-level `Cargo.toml`), fixed at compile time so that
/// the tests do not depend on the directory they are started from.
pub fn workspace_root() -> PathBuf {
    // This crate lives at `<workspace>/engine/testdata`; parents (not `..`) keep the paths in
    // messages short.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// The reference folder: `$FALCO_SHARED_REFERENCE` when set, else
/// `<workspace>/../shared/reference`.
///
/// # Panics
/// When the folder does not exist, naming the path, where it came from and the variable.
#[track_caller]
pub fn reference() -> PathBuf {
    let (dir, origin) = match std::env::var_os(REFERENCE_ENV) {
        Some(d) if !d.is_empty() => (PathBuf::from(d), format!("from ${REFERENCE_ENV}")),
        _ => {
            let root = workspace_root();
            let beside = root
                .parent()
                .unwrap_or(&root)
                .join(DEFAULT_BESIDE_WORKSPACE);
            let origin = format!(
                "the default, <workspace>/../{DEFAULT_BESIDE_WORKSPACE}; ${REFERENCE_ENV} is not set"
            );
            (beside, origin)
        }
    };
    if !dir.is_dir() {
        panic!(
            "the shared reference folder is missing: looked for {} ({origin}). It holds the \
             captures, the official rules and libs' tables these tests read; set \
             {REFERENCE_ENV}=/path/to/reference to use a copy elsewhere",
            dir.display()
        );
    }
    dir
}

/// `rel` inside the reference folder.
///
/// # Panics
/// When the folder or `rel` inside it does not exist, naming the full path looked for.
#[track_caller]
pub fn reference_path(rel: impl AsRef<Path>) -> PathBuf {
    let root = reference();
    let path = root.join(rel.as_ref());
    if !path.exists() {
        panic!(
            "{} is missing from the shared reference folder {} (looked for {}; set \
             {REFERENCE_ENV} to use another copy)",
            rel.as_ref().display(),
            root.display(),
            path.display()
        );
    }
    path
}

/// The official rules files: `rules/` (current release) and `rules/<version>/`.
#[track_caller]
pub fn rules_dir() -> PathBuf {
    reference_path("rules")
}

/// Every reference capture, by name and path relative to the reference folder: the workload
/// captures first, then libs' own test captures.
pub const CAPTURES: &[(&str, &str)] = &[
    ("busy_server", "captures/busy_server.scap.gz"),
    ("container_shell", "captures/container_shell.scap.gz"),
    ("file_mutations", "captures/file_mutations.scap.gz"),
    ("network", "captures/network.scap.gz"),
    ("sensitive_reads", "captures/sensitive_reads.scap.gz"),
    ("curl_google", "scap/libs/curl_google.scap"),
    (
        "curl_google_comments",
        "scap/libs/curl_google_comments.scap",
    ),
    ("sample", "scap/libs/sample.scap"),
    ("single_ipv6_conn", "scap/libs/single_ipv6_conn.scap"),
    ("test_ipv6_client", "scap/libs/test_ipv6_client.scap"),
];

/// The reference capture called `name` (one of [`CAPTURES`]).
///
/// # Panics
/// When `name` is not in [`CAPTURES`] or its file is missing.
#[track_caller]
pub fn capture(name: &str) -> PathBuf {
    // Not `unwrap_or_else`: a closure would hide the caller's line from `#[track_caller]`.
    match CAPTURES.iter().find(|(n, _)| *n == name) {
        Some((_, rel)) => reference_path(rel),
        None => panic!("no reference capture is called {name}"),
    }
}

/// Every reference capture ([`CAPTURES`]) by name, with its full path.
///
/// # Panics
/// When a capture is missing.
#[track_caller]
pub fn captures() -> Vec<(&'static str, PathBuf)> {
    let mut all = Vec::with_capacity(CAPTURES.len());
    for &(name, rel) in CAPTURES {
        all.push((name, reference_path(rel)));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compile-time root is the workspace's: its manifest lists this crate.
    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("\"engine/testdata\""), "{manifest}");
    }

    /// Every listed capture is in the reference folder, and names resolve to the listed file.
    #[test]
    fn every_listed_capture_exists() {
        assert_eq!(captures().len(), CAPTURES.len());
        assert!(capture("sample").ends_with("scap/libs/sample.scap"));
    }
}
