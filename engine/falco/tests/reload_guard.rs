//! A reload that would swap in a rules file caught mid-edit is refused (issue #21 item 11): a
//! file truncated to nothing enables no rule where rules ran, so the running rules stay, the
//! refusal is logged and raised as an internal alert, and no detection is lost.

mod replay_common;

use replay_common::{fifo, lines_of, wait_for};

use falco_scap::flate2::read::GzDecoder;
use std::io::{Read, Write};
use std::process::Stdio;

const SHADOW_RULE: &str = "- rule: shadow read\n  desc: d\n  condition: evt.type in (open, openat) and fd.name = /etc/shadow\n  output: SHADOW %proc.name\n  priority: WARNING\n";

#[test]
fn a_reload_to_no_enabled_rule_is_refused_and_the_rules_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, SHADOW_RULE).expect("rules");
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rules_files: [{}]\nstdout_output: {{enabled: true}}\nwatch_config_files: false\n",
            rules.display()
        ),
    )
    .expect("config");
    let mut plain = Vec::new();
    GzDecoder::new(
        std::fs::File::open(falco_testdata::capture("sensitive_reads")).expect("capture"),
    )
    .read_to_end(&mut plain)
    .expect("gunzip");

    // Every shadow read of the whole capture, without a reload.
    let full = dir.path().join("full.scap");
    std::fs::write(&full, &plain).expect("plain capture");
    let out = replay_common::replay(&cfg, &full).output().expect("runs");
    let baseline = String::from_utf8_lossy(&out.stdout).to_string();
    let total = baseline.lines().filter(|l| l.contains("SHADOW ")).count();
    assert!(total >= 4, "{baseline}");

    // The same capture through a FIFO; between its halves the rules file is truncated to
    // nothing (a YAML document with no items) and the engine told to reload.
    let fifo = fifo(dir.path(), "capture.fifo");
    let mut child = replay_common::replay(&cfg, &fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco starts");
    let pid = child.id() as libc::pid_t;
    let stdout = lines_of(child.stdout.take().expect("stdout"));
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    let mut writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open fifo");
    let half = plain.len() / 2;
    writer.write_all(&plain[..half]).expect("first half");
    writer.flush().expect("flush");
    std::fs::write(&rules, "").expect("truncate");
    let mut errs = Vec::new();
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    wait_for(&stderr, "reload failed", &mut errs);
    let refusal = errs.last().expect("line").clone();
    assert!(
        refusal.contains("enable no rule where 1 were enabled"),
        "{refusal}"
    );
    writer.write_all(&plain[half..]).expect("second half");
    drop(writer);
    let status = child.wait().expect("exits");
    assert!(status.success(), "{errs:#?}");
    let got: Vec<String> = stdout.iter().collect();
    // The running rule kept alerting: every shadow read of both halves.
    assert_eq!(
        got.iter().filter(|l| l.contains("SHADOW ")).count(),
        total,
        "{got:#?}"
    );
    assert_eq!(
        got.iter()
            .filter(|l| l.contains("reload failed, keeping the running rules"))
            .count(),
        1,
        "{got:#?}"
    );
}
