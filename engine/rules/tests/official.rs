//! The official rules files load with zero errors (permissive catalog; the real catalog runs in
//! falco-sinsp's tests/rules_official.rs).

mod common;

use falco_rules::load::{load_paths, LoadOptions};

use falco_testdata::rules_dir;

#[test]
fn official_files_load_without_errors() {
    for set in [
        vec![
            "falco_rules.yaml",
            "falco-incubating_rules.yaml",
            "falco-sandbox_rules.yaml",
        ],
        vec![
            "3.0.1/falco_rules.yaml",
            "3.0.1/falco-incubating_rules.yaml",
            "3.0.1/falco-sandbox_rules.yaml",
        ],
    ] {
        for f in &set {
            let (rs, res) = load_paths(
                &[rules_dir().join(f)],
                &common::PermissiveCatalog,
                &LoadOptions::default(),
            );
            assert!(res.errors.is_empty(), "{f}: {}", res.to_text());
            assert!(!rs.rules().is_empty(), "{f}: no rules");
            eprintln!(
                "{f}: {} rules, {} warnings",
                rs.rules().len(),
                res.warnings.len()
            );
            for w in &res.warnings {
                eprintln!("  {}", w.short());
            }
        }
    }
}
