//! Issue #21, items 14, 15 and 17: configuration keys do what they say (or are warned as not
//! supported, with their position), the CLI details Falco users meet, and the configuration
//! checks of Falco's own regression suite.

use clap::Parser;
use falco::cli::Cli;
use falco::config;
use std::process::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const CAPTURE: &str = "tests/captures/sensitive_reads.scap.gz";

/// Runs falco from the repository root; returns (exit code, stdout, stderr).
fn falco(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .current_dir(REPO)
        .env("TZ", "UTC")
        .env("FALCO_HOSTNAME", "vm")
        .args(args)
        .output()
        .expect("falco runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A replay of the sensitive-reads capture (one alert with the default rules) with `extra`.
fn replay(extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["-c", "falco.yaml", "-e", CAPTURE];
    args.extend_from_slice(extra);
    falco(&args)
}

// ---- item 14: keys accepted and then ignored ----

#[test]
fn output_timeout_reaches_the_outputs() {
    let loaded = config::load_str("t.yaml", "output_timeout: 150\n", &[]).expect("valid");
    let outputs: falco_outputs::OutputsConfig =
        serde_yaml::from_value(loaded.config.outputs).expect("outputs config");
    assert_eq!(outputs.output_timeout, 150);
}

#[test]
fn json_include_message_property_adds_the_message() {
    let (code, out, err) = replay(&[
        "-o",
        "json_output=true",
        "-o",
        "json_include_message_property=true",
    ]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().next().expect("one alert");
    let alert: serde_json::Value = serde_json::from_str(line).expect("JSON alert");
    let output = alert["output"].as_str().expect("output");
    let message = alert["message"].as_str().expect("a message property");
    // Falco's `message`: the rule's output without the time and priority prefix.
    assert!(
        message.starts_with("Sensitive file opened for reading"),
        "{message}"
    );
    assert!(output.ends_with(&format!("Warning {message}")), "{output}");

    let (_, out, _) = replay(&["-o", "json_output=true"]);
    let alert: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("one alert")).expect("JSON");
    assert!(alert.get("message").is_none(), "off by default: {alert}");
}

#[test]
fn thread_table_size_limits_the_state() {
    let (code, out, err) = replay(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Events detected: 8"), "{out}");
    // One thread kept: the reading process is not known, so its rule cannot match.
    let (code, out, err) = replay(&["-o", "falco_libs.thread_table_size=1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Events detected: 0"), "{out}");
    let (code, _, err) = falco(&[
        "-c",
        "falco.yaml",
        "-o",
        "falco_libs.thread_table_size=0",
        "--dry-run",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("-o falco_libs.thread_table_size=0:1:1: `falco_libs.thread_table_size` must be between 1 and"),
        "{err}"
    );
}

#[test]
fn snaplen_is_read_and_bounded() {
    let loaded = config::load_str("t.yaml", "falco_libs:\n  snaplen: 4096\n", &[]).expect("valid");
    assert_eq!(loaded.config.snaplen, 4096);
    let max = ringbuf_abi::ioctl::MAX_SNAPLEN;
    let too_big = format!("falco_libs:\n  snaplen: {}\n", max + 1);
    let err = config::load_str("t.yaml", &too_big, &[])
        .expect_err("past the driver's limit")
        .to_string();
    assert!(
        err.contains(&format!(
            "t.yaml:2:12: `falco_libs.snaplen` must be between 0 and {max}"
        )),
        "{err}"
    );
}

#[test]
fn unsupported_keys_are_warned_with_their_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("falco.yaml");
    std::fs::write(
        &path,
        format!(
            "rules_files: [{REPO}/rules/falco_rules.yaml]\n\
             libs_logger:\n  enabled: true\n  severity: debug\n\
             metrics:\n  enabled: false\n  output_file: /tmp/metrics.json\n  \
             state_counters_enabled: false\n"
        ),
    )
    .expect("write");
    let p = path.display().to_string();
    let (code, _, err) = falco(&["-c", &p, "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let want = format!("{p}:3:12: `libs_logger.enabled` is not supported and has no effect");
    assert!(err.contains(&want), "{want}\nin\n{err}");
    // The metrics keys are honoured now (issue #18): no warning for them.
    for key in ["metrics.output_file", "metrics.state_counters_enabled"] {
        assert!(!err.contains(&format!("`{key}`")), "{key} warned:\n{err}");
    }
}

// ---- item 15: CLI details ----

#[test]
fn override_keys_escape_dots() {
    let loaded = config::load_str("t.yaml", "{}", &[r"a\.b=1".to_string()]).expect("valid");
    let names: Vec<String> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
    assert!(
        names.contains(&"unknown configuration key `a.b`".to_string()),
        "{names:?}"
    );
    let loaded = config::load_str(
        "t.yaml",
        "{}",
        &[
            r"stdout_output.enabled=false".to_string(),
            r"x.y\.z.w=1".to_string(),
        ],
    )
    .expect("valid");
    let names: Vec<String> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
    assert_eq!(names, vec!["unknown configuration key `x`".to_string()]);
}

#[test]
fn no_pid_file_unless_asked() {
    let cli = Cli::parse_from(["falco"]);
    assert_eq!(cli.pidfile, None);
    let cli = Cli::parse_from(["falco", "--pidfile", "/run/f.pid"]);
    assert_eq!(
        cli.pidfile.as_deref(),
        Some(std::path::Path::new("/run/f.pid"))
    );
}

/// Whatever reads a pid file (the package's unit, the README, the test scripts) must have
/// asked for one: every file naming `falco.pid` passes `--pidfile`.
#[test]
fn every_pid_file_user_passes_pidfile() {
    let unit = std::fs::read_to_string(format!("{REPO}/packaging/debian/falco.service"))
        .expect("the unit");
    assert!(unit.contains("--pidfile /var/run/falco.pid"), "{unit}");
    for rel in [
        "README.md",
        "tests/kmod/tests.sh",
        "tests/kmod/bench.sh",
        "tests/scenarios/guest.sh",
    ] {
        let text = std::fs::read_to_string(format!("{REPO}/{rel}")).expect(rel);
        if text.contains("falco.pid") {
            assert!(
                text.contains("--pidfile"),
                "{rel} reads falco.pid without --pidfile"
            );
        }
    }
}

// ---- item 17: Falco's regression checks ----

#[test]
fn drop_settings_falco_refuses() {
    let cases: &[(&str, &str)] = &[
        (
            "syscall_event_drops.actions=[ignore, log]",
            "syscall event drop action \"log\" does not make sense with the \"ignore\" action",
        ),
        (
            "syscall_event_drops.actions=[ignore, alert]",
            "syscall event drop action \"alert\" does not make sense with the \"ignore\" action",
        ),
        (
            "syscall_event_drops.threshold=-1",
            "`syscall_event_drops.threshold` must be between 0 and 1",
        ),
        (
            "syscall_event_drops.threshold=1.5",
            "`syscall_event_drops.threshold` must be between 0 and 1",
        ),
    ];
    for (o, want) in cases {
        let (code, _, err) = falco(&["-c", "falco.yaml", "-o", o, "--dry-run"]);
        assert_eq!(code, 1, "{o}: {err}");
        assert!(err.contains(&format!("-o {o}:1:1: {want}")), "{o}: {err}");
    }
}

#[test]
fn simulated_drops_with_exit_end_the_run_with_1() {
    let (code, _, err) = replay(&[
        "-o",
        "syscall_event_drops.simulate_drops=true",
        "-o",
        "syscall_event_drops.actions=[exit]",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("Falco internal: syscall event drop. 1 system calls dropped"),
        "{err}"
    );
    // Without simulation a replay has no drops.
    let (code, _, err) = replay(&["-o", "syscall_event_drops.actions=[exit]"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn override_value_that_is_not_yaml_is_a_string() {
    let loaded = config::load_str(
        "t.yaml",
        "{}",
        &["file_output.filename=\"+name".to_string()],
    )
    .expect("taken as a string");
    let outputs: falco_outputs::OutputsConfig =
        serde_yaml::from_value(loaded.config.outputs).expect("outputs config");
    assert_eq!(outputs.file_output.filename, "\"+name");
    let (code, _, err) = falco(&[
        "-c",
        "falco.yaml",
        "-o",
        "file_output.filename=\"+name",
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn list_and_describe_rules_in_json_with_json_output() {
    let (code, out, err) = falco(&["-c", "falco.yaml", "-o", "json_output=true", "-L"]);
    assert_eq!(code, 0, "{err}");
    let all: serde_json::Value = serde_json::from_str(&out).expect("-L prints JSON");
    let rules = all["rules"].as_array().expect("rules");
    let rule = rules
        .iter()
        .find(|r| r["info"]["name"] == "Read sensitive file by untrusted program")
        .expect("the rule listed");
    assert_eq!(rule["info"]["priority"], "Warning");
    assert_eq!(rule["info"]["enabled"], true);
    assert!(rule["info"]["condition"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    assert!(all["macros"].as_array().is_some_and(|m| !m.is_empty()));
    assert!(all["lists"].as_array().is_some_and(|l| !l.is_empty()));

    let (code, out, err) = falco(&[
        "-c",
        "falco.yaml",
        "-o",
        "json_output=true",
        "-l",
        "Read sensitive file by untrusted program",
    ]);
    assert_eq!(code, 0, "{err}");
    let one: serde_json::Value = serde_json::from_str(&out).expect("-l prints JSON");
    assert_eq!(
        one["rules"][0]["info"]["name"],
        "Read sensitive file by untrusted program"
    );
    assert_eq!(one["rules"].as_array().map(Vec::len), Some(1));

    // Without json_output, the text table.
    let (_, out, _) = falco(&["-c", "falco.yaml", "-L"]);
    assert!(out.starts_with("Rule"), "{out}");
}

// ---- issue 18: the Helm chart's driver.kind auto ----

#[test]
fn engine_kind_auto_picks_the_module_only_where_it_is_loaded() {
    use falco::config::EngineKind;
    let loaded = config::load_str("t.yaml", "engine:\n  kind: auto\n", &[]).expect("valid");
    let want = if std::path::Path::new(falco::config::model::AUTO_MODULE_DEVICE).exists() {
        EngineKind::Kmod
    } else {
        EngineKind::ModernEbpf
    };
    assert_eq!(loaded.config.engine_kind, want);
}
