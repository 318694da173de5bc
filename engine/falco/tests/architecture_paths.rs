//! ARCHITECTURE.md is the map of the code: every file or directory it names in backticks must
//! exist. A name may be written relative to the repository or to the crate or module it is
//! discussed in (`pipeline/stage.rs`), so it must be the tail of some path in the repository.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file and directory of the repository, as `/`-joined relative paths (build output and
/// VCS data left out).
fn repo_paths(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(dir) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if rel.as_os_str().is_empty() && (name == "target" || name == ".git") {
                continue;
            }
            let path = rel.join(&name);
            let text = path.to_string_lossy().into_owned();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                out.push(format!("{text}/"));
                stack.push(path);
            } else {
                out.push(text);
            }
        }
    }
    out
}

/// Backticked words that name a file or directory of ours: a known extension or a trailing
/// `/`; install paths (`/etc/...`), placeholders (`<ver>`), globs and code are left out.
fn named_paths(doc: &str) -> BTreeSet<String> {
    const EXT: &[&str] = &[".rs", ".md", ".c", ".h", ".sh", ".yaml", ".toml", ".pest"];
    let mut out = BTreeSet::new();
    for (i, chunk) in doc.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        let word = chunk.trim();
        let pathlike = word.ends_with('/') || EXT.iter().any(|e| word.ends_with(e));
        let plain = !word.is_empty()
            && !word.starts_with('/')
            && !word.starts_with("../")
            && !word.contains(|c: char| c.is_whitespace() || "<>*{}$=:()".contains(c));
        if pathlike && plain {
            out.insert(word.trim_start_matches("./").to_string());
        }
    }
    out
}

#[test]
fn every_path_architecture_names_exists() {
    let root = repo_root();
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let paths = repo_paths(&root);
    let named = named_paths(&doc);
    assert!(
        named.len() > 40,
        "only {} paths found: the scan is broken",
        named.len()
    );
    let missing: Vec<&String> = named
        .iter()
        .filter(|n| {
            !paths
                .iter()
                .any(|p| p == *n || p.ends_with(&format!("/{n}")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

#[test]
fn the_scan_finds_paths_and_skips_code() {
    let doc = "`pipeline/stage.rs` and `kmod/` but not `/etc/falco/falco.yaml`, `<ver>.rs`, \
               `x.rs:12`, `falco -c falco.yaml` or `State::process`";
    let named: Vec<String> = named_paths(doc).into_iter().collect();
    assert_eq!(named, ["kmod/", "pipeline/stage.rs"]);
}
