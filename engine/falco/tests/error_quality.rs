//! Error quality (issue #21, item 16): a byte-order mark is accepted and bytes that are not
//! UTF-8 are reported at file:line:column, in a rules file and in falco.yaml; a wrong value in
//! an output section is reported at its position before any rules are read; `falco-inspect
//! -w` names its own output file when that is what fails; a diagnostic on a very long line
//! shows a bounded excerpt of it.

use std::path::Path;
use std::process::{Command, Output};

const FALCO: &str = env!("CARGO_BIN_EXE_falco");
const INSPECT: &str = env!("CARGO_BIN_EXE_falco-inspect");
const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/captures/sensitive_reads.scap.gz"
);

const RULE: &str =
    "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n";

fn run(program: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(program)
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("runs");
    let (out, err) = (
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    );
    assert!(!err.contains("panicked"), "{err}");
    (status.code(), out, err)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p.display().to_string()
}

#[test]
fn rules_file_with_byte_order_mark_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write(
        dir.path(),
        "bom.yaml",
        &[b"\xEF\xBB\xBF", RULE.as_bytes()].concat(),
    );
    let (code, out, err) = run(FALCO, &["-V", &rules]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("bom.yaml: Ok"), "{out}{err}");
}

#[test]
fn rules_file_not_utf8_is_reported_at_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write(
        dir.path(),
        "bad.yaml",
        b"- rule: r\n  desc: d \xFF\xFE\n  condition: evt.type = open\n  output: o\n  priority: INFO\n",
    );
    let (code, out, err) = run(FALCO, &["-V", &rules]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains(&format!("{rules}:2:11: invalid UTF-8")),
        "{out}{err}"
    );
    // At start-up too, with the position in the load result.
    let cfg = write(dir.path(), "falco.yaml", b"json_output: false\n");
    let (code, out, err) = run(FALCO, &["-c", &cfg, "-r", &rules, "--dry-run"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains(&format!("({rules}:2:11)")), "{out}{err}");
}

#[test]
fn config_with_byte_order_mark_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write(dir.path(), "r.yaml", RULE.as_bytes());
    let text = format!("\u{feff}rules_files: [{rules}]\njson_output: true\n");
    let cfg = write(dir.path(), "falco.yaml", text.as_bytes());
    let (code, out, err) = run(FALCO, &["-c", &cfg, "--dry-run"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(err.contains("Loaded 1 rules"), "{out}{err}");
}

#[test]
fn config_not_utf8_is_reported_at_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write(dir.path(), "r.yaml", RULE.as_bytes());
    let text = [
        format!("rules_files: [{rules}]\n").as_bytes(),
        b"# caf\xC3\xA9 \xFF\n",
    ]
    .concat();
    let cfg = write(dir.path(), "falco.yaml", &text);
    let (code, out, err) = run(FALCO, &["-c", &cfg, "--dry-run"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains(&format!("{cfg}:2:8: invalid UTF-8")),
        "{out}{err}"
    );
}

#[test]
fn output_section_error_is_positioned_and_comes_before_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A broken rules file: its error must not be what is reported.
    let rules = write(dir.path(), "broken.yaml", b"- rule: r\n  desc: [\n");
    let cfg = write(
        dir.path(),
        "falco.yaml",
        format!("rules_files: [{rules}]\nfile_output:\n  enabled: true\n  filename: [a, b]\n")
            .as_bytes(),
    );
    for extra in [
        &["--dry-run"][..],
        &[
            "-o",
            "engine.kind=replay",
            "-o",
            "engine.replay.capture_file=/nonexistent.scap",
        ][..],
    ] {
        let mut args = vec!["-c", cfg.as_str()];
        args.extend_from_slice(extra);
        let (code, out, err) = run(FALCO, &args);
        assert_eq!(code, Some(1), "{out}{err}");
        assert!(
            err.contains(&format!(
                "{cfg}:4:13: `file_output.filename`: invalid type: sequence, expected a string"
            )),
            "{out}{err}"
        );
        assert!(
            !err.contains("broken.yaml") && !out.contains("broken.yaml"),
            "{out}{err}"
        );
    }
    // From `-o`: the position names the option.
    let ok_rules = write(dir.path(), "r.yaml", RULE.as_bytes());
    let cfg = write(
        dir.path(),
        "plain.yaml",
        format!("rules_files: [{ok_rules}]\n").as_bytes(),
    );
    let (code, out, err) = run(
        FALCO,
        &["-c", &cfg, "-o", "http_output.url=[1]", "--dry-run"],
    );
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("`http_output.url`: invalid type: sequence"),
        "{out}{err}"
    );
    assert!(err.contains("-o http_output.url"), "{out}{err}");
}

#[test]
fn inspect_write_errors_name_the_output_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no/such/dir/out.scap");
    let missing = missing.display().to_string();
    let (code, out, err) = run(INSPECT, &["-r", CAPTURE, "-w", &missing]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains(&format!("can't open {missing}: No such file or directory")),
        "{err}"
    );
    assert!(!err.contains("read error"), "{err}");

    let as_dir = dir.path().display().to_string();
    let (code, _, err) = run(INSPECT, &["-r", CAPTURE, "-w", &as_dir]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("can't open {as_dir}: Is a directory")),
        "{err}"
    );

    let (code, _, err) = run(INSPECT, &["-r", CAPTURE, "-w", "/dev/full"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("error writing to /dev/full: No space left on device"),
        "{err}"
    );
    assert!(!err.contains("read error"), "{err}");
}

#[test]
fn long_line_diagnostic_shows_a_bounded_excerpt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alternatives: Vec<String> = (0..20_000).map(|i| format!("proc.name = a{i}")).collect();
    // The error (a missing value) at the end of a 430 KB line.
    let text = format!(
        "- rule: r\n  desc: d\n  condition: evt.type = open and ({}) and proc.name =\n  output: o\n  priority: INFO\n",
        alternatives.join(" or ")
    );
    let rules = write(dir.path(), "long.yaml", text.as_bytes());
    let (code, out, err) = run(FALCO, &["-V", &rules]);
    assert_eq!(code, Some(1), "{out}{err}");
    let all = format!("{out}{err}");
    assert!(all.len() < 4096, "{} bytes of diagnostic", all.len());
    assert!(all.contains("expected a string value"), "{all}");
    let excerpt = all
        .lines()
        .find(|l| l.starts_with("..."))
        .unwrap_or_else(|| panic!("no cut excerpt in {all}"));
    assert!(
        excerpt.ends_with("or proc.name = a19999) and proc.name ="),
        "{excerpt}"
    );
    assert!(excerpt.chars().count() <= 203, "{excerpt}");
}

#[test]
fn excerpt_is_cut_on_both_sides_around_the_column() {
    use falco_rules::diag::{snippet, SNIPPET_MAX_CHARS};
    use falco_rules::yaml::Pos;
    let line = format!("{}X{}", "a".repeat(100_000), "b".repeat(100_000));
    let text = format!("first\n{line}\nlast\n");
    let offset = text.find('X').expect("X");
    let s = snippet(
        &text,
        Pos {
            offset,
            line: 2,
            col: 100_001,
        },
    );
    let mut lines = s.lines();
    let (excerpt, caret) = (lines.next().expect("excerpt"), lines.next().expect("caret"));
    assert!(
        excerpt.starts_with("...a") && excerpt.ends_with("b..."),
        "{excerpt}"
    );
    assert_eq!(excerpt.chars().count(), SNIPPET_MAX_CHARS + 6);
    // The caret is under the X.
    assert_eq!(excerpt.chars().nth(caret.len() - 1), Some('X'), "{s}");
    // A short line is shown whole, caret under the column.
    let s = snippet(
        "ab\ncdef\n",
        Pos {
            offset: 5,
            line: 2,
            col: 3,
        },
    );
    assert_eq!(s, "cdef\n  ^\n");
}
