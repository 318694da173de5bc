//! The `falco` binary's engine-side command line: what users see for each case.

use std::process::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Runs falco from the repository root with `args`; returns (exit code, stdout, stderr).
fn falco(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .current_dir(REPO)
        .env("TZ", "UTC")
        .args(args)
        .output()
        .expect("falco runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn engine_cli_cases() {
    // (args, exit code, text that must be in stdout, text that must be in stderr)
    let cases: &[(&[&str], i32, &str, &str)] = &[
        (&["--version"], 0, "Falco version: ", ""),
        (
            &["-c", "falco.yaml", "--support"],
            0,
            "\"rules_files\":[{\"content\":",
            "",
        ),
        (
            &[
                "-c",
                "falco.yaml",
                "-e",
                "tests/captures/sensitive_reads.scap.gz",
            ],
            0,
            "Warning Sensitive file opened for reading by untrusted program (file=/etc/shadow",
            "-e is deprecated: use -o engine.kind=replay",
        ),
        (
            &["-c", "falco.yaml", "-A", "--dry-run"],
            0,
            "",
            "-A is deprecated",
        ),
        (
            &["-c", "falco.yaml", "-e", "/nonexistent.scap"],
            1,
            "",
            "Error: /nonexistent.scap:",
        ),
        (
            &["-c", "falco.yaml", "-o", "engine.kind=replay"],
            1,
            "",
            "engine.replay.capture_file is not set",
        ),
        (
            &["-c", "falco.yaml", "-o", "json_output=maybe", "--dry-run"],
            1,
            "",
            "`json_output` must be a boolean",
        ),
        (
            &["-c", "/nonexistent/falco.yaml"],
            1,
            "",
            "cannot read configuration file /nonexistent/falco.yaml",
        ),
        (
            &[
                "-c",
                "falco.yaml",
                "-e",
                "tests/captures/sensitive_reads.scap.gz",
                "-D",
                "Read sensitive",
            ],
            0,
            "Events detected: 0",
            "",
        ),
        (
            &[
                "-c",
                "falco.yaml",
                "-e",
                "tests/captures/sensitive_reads.scap.gz",
                "-T",
                "mitre_credential_access",
            ],
            0,
            "Events detected: 0",
            "",
        ),
        (
            &[
                "-c",
                "falco.yaml",
                "-e",
                "tests/captures/sensitive_reads.scap.gz",
                "-o",
                "priority=error",
            ],
            0,
            "Events detected: 0",
            "",
        ),
        (
            &[
                "-c",
                "falco.yaml",
                "-e",
                "tests/captures/sensitive_reads.scap.gz",
                "-t",
                "network",
            ],
            0,
            "Events detected: 0",
            "",
        ),
        (
            &[
                "-c",
                "falco.yaml",
                "-e",
                "tests/captures/sensitive_reads.scap.gz",
                "-t",
                "filesystem",
            ],
            0,
            "Events detected: 8",
            "",
        ),
        (
            &[
                "-c",
                "falco.yaml",
                "-e",
                "tests/captures/sensitive_reads.scap.gz",
                "-o",
                "priority=warning",
            ],
            0,
            "Events detected: 8",
            "",
        ),
    ];
    for (args, code, out, err) in cases {
        let (c, o, e) = falco(args);
        assert_eq!(c, *code, "{args:?}\nstdout: {o}\nstderr: {e}");
        assert!(o.contains(out), "{args:?}: stdout lacks `{out}`:\n{o}");
        assert!(e.contains(err), "{args:?}: stderr lacks `{err}`:\n{e}");
    }
}

/// Without the module (the test hosts cannot load modules), the live engine says what to run.
#[test]
fn missing_module_message() {
    let (c, _, e) = falco(&["-c", "falco.yaml", "--pidfile", "/tmp/falco-test.pid"]);
    assert_eq!(c, 1, "{e}");
    assert!(
        e.contains("the kernel module is not loaded. Run `modprobe falco`"),
        "{e}"
    );
    assert!(e.contains("dkms status falco"), "{e}");
}
