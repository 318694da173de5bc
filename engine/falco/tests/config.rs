//! falco.yaml loading: values, overrides, includes, and the exact diagnostics users see.

use falco::config::{self, ConfigError, EngineKind, Priority, RuleMatching};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Loads `text` with `overrides` and returns every error rendered as users see it.
fn errors_of(text: &str, overrides: &[&str]) -> Vec<String> {
    let dir = tempdir();
    let p = write(dir.path(), "falco.yaml", text);
    let ovr: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match config::load(&p, &ovr) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid(diags)) => diags
            .iter()
            .map(|d| format!("{}:{}: {}", d.pos.line, d.pos.col, d.message))
            .collect(),
        Err(e) => vec![e.to_string()],
    }
}

#[test]
fn the_shipped_falco_yaml_loads_cleanly() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../falco.yaml");
    let loaded = config::load(&p, &[]).expect("loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    assert_eq!(c.rules_files.len(), 3);
    assert_eq!(c.priority, Priority::Debug);
    assert_eq!(c.rule_matching, RuleMatching::First);
    assert_eq!(c.engine_kind, EngineKind::Kmod);
    assert_eq!(c.evaluators, 2);
    assert!(c.json_include_output_property && c.json_include_tags_property && !c.json_output);
}

#[test]
fn modern_ebpf_takes_falcos_keys() {
    let dir = tempdir();
    let p = dir.path().join("falco.yaml");
    std::fs::write(
        &p,
        "engine:\n  kind: modern_ebpf\n  modern_ebpf:\n    cpus_for_each_buffer: 0\n    buf_size_preset: 6\n    drop_failed_exit: true\n",
    )
    .expect("write");
    let loaded = config::load(&p, &[]).expect("loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    assert_eq!(c.engine_kind, EngineKind::ModernEbpf);
    assert_eq!(c.modern_ebpf_cpus_for_each_buffer, 0);
    assert_eq!(c.modern_ebpf_buf_size_preset, 6);
    assert!(c.modern_ebpf_drop_failed_exit);
    // Falco's defaults when the section is absent.
    std::fs::write(&p, "engine:\n  kind: modern_ebpf\n").expect("write");
    let c = config::load(&p, &[]).expect("loads").config;
    assert_eq!(c.modern_ebpf_cpus_for_each_buffer, 2);
    assert_eq!(c.modern_ebpf_buf_size_preset, 4);
    assert!(!c.modern_ebpf_drop_failed_exit);
}

#[test]
fn errors_point_at_line_and_column() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("json_output: maybe\n", &[], &["1:14: `json_output` must be a boolean (true or false), found `maybe`"]),
        ("a: 1\njson_output: true\njson_output: false\n", &[], &["3:1: duplicate key `json_output` (first defined at line 2)"]),
        ("priority: loud\n", &[], &["1:11: `priority` must be one of emergency, alert, critical, error, warning, notice, informational, debug; found `loud`"]),
        ("rule_matching: some\n", &[], &["1:16: `rule_matching` must be `first` or `all`, found `some`"]),
        ("outputs_queue:\n  capacity: -3\n", &[], &["2:13: `outputs_queue.capacity` must be a non-negative integer, found `-3`"]),
        ("stdout_output: yes\n", &[], &["1:16: `stdout_output` must be a mapping, found a scalar"]),
        ("engine:\n  kind: ebpf\n", &[], &["2:9: `engine.kind: ebpf` (Falco's legacy probe) is not provided: use `modern_ebpf`, which needs no probe file"]),
        ("engine:\n  kind: gvisor\n", &[], &["2:9: `engine.kind` must be `kmod`, `modern_ebpf` or `replay`, found `gvisor`"]),
        ("engine:\n  modern_ebpf:\n    buf_size_preset: 11\n", &[], &["3:22: `engine.modern_ebpf.buf_size_preset` must be between 0 and 10, found `11`"]),
        ("engine:\n  modern_ebpf:\n    drop_failed_exit: sometimes\n", &[], &["3:23: `engine.modern_ebpf.drop_failed_exit` must be a boolean (true or false), found `sometimes`"]),
        ("engine:\n  evaluators: 0\n", &[], &["2:15: `engine.evaluators` must be between 1 and 64, found `0`"]),
        ("engine:\n  evaluators: two\n", &[], &["2:15: `engine.evaluators` must be a non-negative integer, found `two`"]),
        ("rules:\n  - enable: {rule: a}\n    disable: {rule: b}\n", &[], &["2:5: each `rules` entry must have exactly one of `enable` or `disable`"]),
        ("json_output: false\n", &["json_output=perhaps"], &["1:1: `json_output` must be a boolean (true or false), found `perhaps`"]),
        ("json_output: true\nlog_stderr: x\npriority: y\n", &[], &[
            "2:13: `log_stderr` must be a boolean (true or false), found `x`",
            "3:11: `priority` must be one of emergency, alert, critical, error, warning, notice, informational, debug; found `y`",
        ]),
    ];
    for (text, overrides, want) in cases {
        let mut got = errors_of(text, overrides);
        got.sort();
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "config:\n{text}");
    }
}

#[test]
fn unknown_keys_and_legacy_spellings_are_warnings_with_positions() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "falco.yaml",
        "json_output: true\nfrobnicate: 3\nrules_file:\n  - /etc/falco/r.yaml\n",
    );
    let loaded = config::load(&p, &[]).expect("loads");
    let got: Vec<String> = loaded
        .warnings
        .iter()
        .map(|d| format!("{}:{}: {}", d.pos.line, d.pos.col, d.message))
        .collect();
    assert_eq!(
        got,
        vec![
            "2:1: unknown configuration key `frobnicate`",
            "3:1: `rules_file` is deprecated: use `rules_files`"
        ]
    );
    assert_eq!(
        loaded.config.rules_files,
        vec![PathBuf::from("/etc/falco/r.yaml")]
    );
}

#[test]
fn overrides_and_included_files_merge_in_order() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("config.d")).expect("mkdir");
    write(
        &dir.path().join("config.d"),
        "10-a.yaml",
        "rules_files: [b.yaml]\njson_output: true\n",
    );
    write(
        &dir.path().join("config.d"),
        "20-b.yml",
        "priority: warning\n",
    );
    write(
        &dir.path().join("config.d"),
        "ignored.txt",
        "priority: error\n",
    );
    let p = write(
        dir.path(),
        "falco.yaml",
        "config_files: [config.d]\nrules_files: [a.yaml]\n",
    );
    let ovr = vec![
        "rules_files[]=c.yaml".to_string(),
        "engine.kind=replay".into(),
        "engine.replay.capture_file=x.scap".into(),
    ];
    let loaded = config::load(&p, &ovr).expect("loads");
    let c = loaded.config;
    assert_eq!(
        c.rules_files,
        vec![PathBuf::from("a.yaml"), "b.yaml".into(), "c.yaml".into()]
    );
    assert!(c.json_output);
    assert_eq!(c.priority, Priority::Warning);
    assert_eq!(c.engine_kind, EngineKind::Replay);
    assert_eq!(c.replay_capture_file, Some(PathBuf::from("x.scap")));
    assert_eq!(loaded.files.len(), 3);
}

#[test]
fn override_strategies() {
    let dir = tempdir();
    write(
        dir.path(),
        "o.yaml",
        "rules_files: [z.yaml]\npriority: error\n",
    );
    write(
        dir.path(),
        "a.yaml",
        "rules_files: [y.yaml]\npriority: notice\n",
    );
    let p = write(
        dir.path(),
        "falco.yaml",
        "config_files:\n  - path: o.yaml\n    strategy: override\n  - path: a.yaml\n    strategy: add-only\nrules_files: [a.yaml]\n",
    );
    let c = config::load(&p, &[]).expect("loads").config;
    assert_eq!(c.rules_files, vec![PathBuf::from("z.yaml")]);
    assert_eq!(c.priority, Priority::Error);
}

#[test]
fn rules_selection_is_read_in_order() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "falco.yaml",
        "rules:\n  - disable: {tag: network}\n  - enable: {rule: 'Read sensitive*'}\n",
    );
    let c = config::load(&p, &[]).expect("loads").config;
    use config::{RuleMatcher::*, RuleSelection::*};
    assert_eq!(
        c.rules_selection,
        vec![
            Disable(Tag("network".into())),
            Enable(Rule("Read sensitive*".into()))
        ]
    );
}
