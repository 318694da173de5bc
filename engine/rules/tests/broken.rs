//! The broken-rules corpus: every file in tests/broken/ fails to load, and what the user sees
//! (each diagnostic with file:line:col, message and snippet) is snapshotted.

mod common;

use std::path::PathBuf;

use falco_rules::load::{load, LoadOptions, RulesFile};

#[test]
fn broken_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/broken")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "corpus has {} files", names.len());
    for path in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let content = std::fs::read_to_string(&path).expect("read");
        let files = [RulesFile {
            name: name.clone(),
            content,
        }];
        let (_, res) = load(&files, &common::PermissiveCatalog, &LoadOptions::default());
        assert!(!res.successful(), "{name} loaded without errors");
        let mut shown = String::new();
        for d in res.errors.iter().chain(res.warnings.iter()) {
            shown.push_str(&d.short());
            shown.push('\n');
            shown.push_str(&d.snippet);
        }
        insta::assert_snapshot!(name.trim_end_matches(".yaml").to_string(), shown);
    }
}
