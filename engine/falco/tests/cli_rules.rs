//! What `falco` prints for the rules actions, from the real binary: `-V` on good and broken
//! files (text and `json_output`, one and several files), `-L`, `-l RULE`, `--list`,
//! `--list=syscall -N`, `--format markdown|json` and `--dry-run`. Snapshots (insta) of
//! stdout and the exit code.

use std::path::{Path, PathBuf};
use std::process::Command;

const GOOD: &str = "\
- list: shells
  items: [bash, sh, zsh]

- list: unused_list
  items: [a, b]

- macro: spawned
  condition: evt.type = execve

- rule: Shell started
  desc: >
    A shell was started. This description is long enough to be wrapped by the rule listing
    exactly as Falco wraps it, at one hundred and ten columns with an indent of fifty-one.
  condition: spawned and proc.name in (shells)
  output: shell %proc.name (%container.info)
  priority: WARNING
  tags: [shell]

- rule: Passwd read
  desc: Someone read /etc/passwd.
  condition: evt.type in (open, openat) and fd.name = /etc/passwd
  output: passwd read by %proc.name
  priority: NOTICE
";

const SECOND: &str = "\
- rule: Uses first file
  desc: Uses a list of the first file.
  condition: evt.type = execve and proc.name in (shells)
  output: x %proc.name
  priority: INFO
";

fn broken(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rules/tests/broken")
        .join(name)
}

struct Run {
    code: i32,
    stdout: String,
}

/// Runs falco in `dir` with an empty configuration (so paths in the output are relative).
fn falco(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .current_dir(dir)
        .args(["-c", "falco.yaml"])
        .args(args)
        .output()
        .expect("falco runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("falco.yaml"), "rules_files: [good.yaml]\n").expect("config");
    std::fs::write(dir.path().join("good.yaml"), GOOD).expect("good");
    std::fs::write(dir.path().join("second.yaml"), SECOND).expect("second");
    dir
}

fn copy_broken(dir: &Path, name: &str) {
    std::fs::copy(broken(name), dir.join(name)).expect("copy broken file");
}

fn shown(r: &Run) -> String {
    format!("exit code: {}\n{}", r.code, r.stdout)
}

#[test]
fn validate_text() {
    let dir = workdir();
    let d = dir.path();
    for b in ["05_op_type_mismatch.yaml", "36_multiple_errors.yaml"] {
        copy_broken(d, b);
    }
    let r = falco(d, &["-V", "good.yaml"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("validate_good", shown(&r));
    let r = falco(d, &["-V", "good.yaml", "-V", "second.yaml"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("validate_two_files", shown(&r));
    let r = falco(d, &["-V", "05_op_type_mismatch.yaml"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("validate_broken", shown(&r));
    let r = falco(d, &["-V", "good.yaml", "-V", "36_multiple_errors.yaml"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("validate_good_then_broken", shown(&r));
    let r = falco(d, &["-V", "falco.yaml"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("validate_config_file_hint", shown(&r));
}

#[test]
fn validate_json() {
    let dir = workdir();
    let d = dir.path();
    copy_broken(d, "07_undefined_macro.yaml");
    for (name, args, code) in [
        ("validate_json_good", &["-V", "good.yaml"][..], 0),
        (
            "validate_json_two_files",
            &["-V", "good.yaml", "-V", "second.yaml"][..],
            0,
        ),
        (
            "validate_json_broken",
            &["-V", "second.yaml", "-V", "07_undefined_macro.yaml"][..],
            1,
        ),
    ] {
        let mut all = vec!["-o", "json_output=true"];
        all.extend_from_slice(args);
        let r = falco(d, &all);
        assert_eq!(r.code, code, "{name}: {}", r.stdout);
        // One line of JSON, as Falco prints it; pretty-printed for the snapshot.
        assert_eq!(r.stdout.lines().count(), 1, "{name}: {}", r.stdout);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
        insta::assert_snapshot!(name, serde_json::to_string_pretty(&v).expect("pretty JSON"));
    }
}

#[test]
fn list_and_describe_rules() {
    let dir = workdir();
    let d = dir.path();
    let r = falco(d, &["-L"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("list_rules", shown(&r));
    let r = falco(d, &["-l", "Passwd read"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("describe_rule", shown(&r));
    let r = falco(d, &["--dry-run"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("dry_run", shown(&r));
}

/// The start of a long listing: the field catalog changes as fields are added, its layout
/// should not.
fn head(s: &str, lines: usize) -> String {
    s.lines().take(lines).collect::<Vec<_>>().join("\n")
}

#[test]
fn list_fields() {
    let dir = workdir();
    let d = dir.path();
    let r = falco(d, &["--list"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("list_fields_text_head", head(&r.stdout, 12));
    let r = falco(d, &["--list=syscall", "-N"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.lines().all(|l| !l.contains(' ')), "names only");
    assert!(r.stdout.lines().any(|l| l == "proc.name"));
    insta::assert_snapshot!("list_fields_names_head", head(&r.stdout, 10));
    let r = falco(d, &["--list", "--format", "markdown"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("list_fields_markdown_head", head(&r.stdout, 10));
    let r = falco(d, &["--list", "--format", "json"]);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let first = &v[0];
    let shape = serde_json::json!({
        "keys": first.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        "field_keys": first["fields"][0].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        "first_field": first["fields"][0],
    });
    insta::assert_snapshot!(
        "list_fields_json_shape",
        serde_json::to_string_pretty(&shape).expect("JSON")
    );
}
