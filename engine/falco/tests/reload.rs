//! Hot reload (SIGHUP) while events keep arriving: a capture is fed through a FIFO in three
//! parts; between them the rules file is replaced with a valid edit, then with a broken one.
//! Nothing is lost: every event is evaluated by exactly one ruleset, the process stays the same,
//! and a failed reload keeps the running rules.

mod replay_common;

use replay_common::{fifo, lines_of, wait_for};

use falco_scap::flate2::read::GzDecoder;
use falco_scap::CaptureReader;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;

const SHADOW_RULE: &str = "- rule: shadow read\n  desc: d\n  condition: evt.type in (open, openat) and fd.name = /etc/shadow\n  output: SHADOW %proc.name\n  priority: WARNING\n";
const SUDOERS_RULE: &str = "- rule: sudoers read\n  desc: d\n  condition: evt.type in (open, openat) and fd.name = /etc/sudoers\n  output: SUDOERS %proc.name\n  priority: WARNING\n";

/// The decompressed capture and the stream offsets of its event blocks with their timestamps.
fn capture() -> (Vec<u8>, Vec<(u64, u64)>) {
    let mut plain = Vec::new();
    GzDecoder::new(
        std::fs::File::open(falco_testdata::capture("sensitive_reads")).expect("capture"),
    )
    .read_to_end(&mut plain)
    .expect("gunzip");
    let mut reader =
        CaptureReader::from_reader(std::io::Cursor::new(plain.clone())).expect("reads");
    let mut events = Vec::new();
    while let Some(ev) = reader.next_event().expect("event") {
        events.push((ev.offset, ev.record.ts()));
    }
    (plain, events)
}

fn write_config(dir: &Path, rules: &Path, extra: &str) -> std::path::PathBuf {
    let cfg = dir.join("falco.yaml");
    let text = format!(
        "rules_files: [{}]\nstdout_output: {{enabled: true}}\n{extra}",
        rules.display()
    );
    std::fs::write(&cfg, text).expect("config");
    cfg
}

fn spawn_falco(cfg: &Path, capture: &Path) -> std::process::Child {
    replay_common::replay(cfg, capture)
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco starts")
}

/// `HH:MM:SS.nnnnnnnnn` at the start of an alert line, in ns since midnight (UTC).
fn time_of_day_ns(line: &str) -> u64 {
    let t = &line[..18];
    let h: u64 = t[0..2].parse().expect("hours");
    let m: u64 = t[3..5].parse().expect("minutes");
    let s: u64 = t[6..8].parse().expect("seconds");
    let ns: u64 = t[9..18].parse().expect("nanoseconds");
    ((h * 60 + m) * 60 + s) * 1_000_000_000 + ns
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

#[test]
fn sighup_reload_loses_nothing_and_a_failed_reload_keeps_the_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.yaml");
    let (plain, events) = capture();

    // Baseline: both rules over the whole capture, no reload.
    std::fs::write(&rules, format!("{SHADOW_RULE}\n{SUDOERS_RULE}")).expect("rules");
    // File watching off: this test drives reloads with SIGHUP only.
    let cfg = write_config(dir.path(), &rules, "watch_config_files: false\n");
    let full = dir.path().join("full.scap");
    std::fs::write(&full, &plain).expect("plain capture");
    let out = spawn_falco(&cfg, &full).wait_with_output().expect("runs");
    let baseline = String::from_utf8_lossy(&out.stdout).to_string();
    let base_lines: Vec<String> = baseline.lines().map(str::to_string).collect();
    let shadow_total = count(&base_lines, "SHADOW ");
    assert!(shadow_total >= 4, "{baseline}");
    let sudoers_total = count(&base_lines, "SUDOERS ");
    assert!(sudoers_total >= 1, "{baseline}");

    // Split after the first shadow read (part 1 holds it) and after the first sudoers read
    // (part 2 holds it); later shadow and sudoers reads fall in part 3.
    let split_after = |needle: &str| -> usize {
        let line = base_lines
            .iter()
            .find(|l| l.contains(needle))
            .expect("alert");
        let tod = time_of_day_ns(line);
        let at = events
            .iter()
            .find(|(_, ts)| ts % 86_400_000_000_000 > tod)
            .expect("a later event");
        at.0 as usize
    };
    let split1 = split_after("SHADOW ");
    let split2 = split_after("SUDOERS ");
    assert!(split1 < split2);

    // Start with the shadow rule only.
    std::fs::write(&rules, SHADOW_RULE).expect("rules");
    let fifo = fifo(dir.path(), "capture.fifo");
    let mut child = spawn_falco(&cfg, &fifo);
    let pid = child.id() as libc::pid_t;
    let stdout = lines_of(child.stdout.take().expect("stdout"));
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    let mut writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open fifo");
    writer.write_all(&plain[..split1]).expect("part 1");
    writer.flush().expect("flush");

    // Valid edit: add the sudoers rule, reload.
    let mut errs = Vec::new();
    std::fs::write(&rules, format!("{SHADOW_RULE}\n{SUDOERS_RULE}")).expect("rules");
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    wait_for(&stderr, "reloaded", &mut errs);
    writer.write_all(&plain[split1..split2]).expect("part 2");
    writer.flush().expect("flush");

    // Broken edit: the reload fails, the running rules stay.
    std::fs::write(&rules, "- rule: broken\n  condition: evt.type = \n").expect("rules");
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    wait_for(&stderr, "reload failed", &mut errs);
    writer.write_all(&plain[split2..]).expect("part 3");
    drop(writer);

    let status = child.wait().expect("exits");
    assert!(status.success(), "{errs:#?}");
    let got: Vec<String> = stdout.iter().collect();
    // Every shadow read alerted exactly once across both reloads: nothing lost or doubled.
    assert_eq!(count(&got, "SHADOW "), shadow_total, "{got:#?}");
    // Every sudoers read came after the valid reload; the failed reload kept that rule.
    assert_eq!(count(&got, "SUDOERS "), sudoers_total, "{got:#?}");
    // The failed reload raised an internal alert on the outputs.
    assert_eq!(
        count(&got, "reload failed, keeping the running rules"),
        1,
        "{got:#?}"
    );
    // Same process throughout: the summary counts every event of the capture once.
    let summary = got
        .iter()
        .find(|l| l.starts_with("Events processed:"))
        .expect("summary");
    let base_summary = base_lines
        .iter()
        .find(|l| l.starts_with("Events processed:"))
        .expect("baseline summary");
    let events_of = |l: &str| l.split_whitespace().nth(2).unwrap_or("").to_string();
    assert_eq!(events_of(summary), events_of(base_summary));
}

/// `watch_config_files`: editing the rules file reloads without a signal; periodic metrics
/// arrive as internal alerts while the source is idle.
#[test]
fn rules_file_change_reloads_and_metrics_are_emitted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.yaml");
    let (plain, events) = capture();
    std::fs::write(&rules, SHADOW_RULE).expect("rules");
    let cfg = write_config(
        dir.path(),
        &rules,
        "watch_config_files: true\nmetrics: {enabled: true, interval: 1s, output_rule: true}\n",
    );
    let fifo = fifo(dir.path(), "capture.fifo");
    let mut child = spawn_falco(&cfg, &fifo);
    let stdout = lines_of(child.stdout.take().expect("stdout"));
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    let mut writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open fifo");
    // The header blocks and the first event (the reader needs one to finish its metadata):
    // the engine is running and idle.
    let first_event = events[1].0 as usize;
    writer.write_all(&plain[..first_event]).expect("header");
    writer.flush().expect("flush");
    let mut seen = Vec::new();
    wait_for(&stdout, "Falco metrics snapshot", &mut seen);
    let metrics = seen.last().expect("line").clone();
    // Falco's text line: the fields travel only in the JSON form (`output_fields`, checked by
    // tests/metrics_prometheus.rs).
    assert!(
        metrics.ends_with(": Informational Falco metrics snapshot"),
        "{metrics}"
    );
    let mut errs = Vec::new();
    std::fs::write(&rules, format!("{SHADOW_RULE}\n{SUDOERS_RULE}")).expect("rules");
    wait_for(&stderr, "reloaded", &mut errs);
    writer.write_all(&plain[first_event..]).expect("events");
    drop(writer);
    assert!(child.wait().expect("exits").success());
    let got: Vec<String> = seen.into_iter().chain(stdout.iter()).collect();
    assert!(count(&got, "SUDOERS ") >= 1, "{got:#?}");
}

/// A slow reload (a rules file that takes seconds to compile) loads beside the event loop:
/// the events written after the SIGHUP are evaluated under the running rules, and alert, while
/// the new ones load; the capture ends and the engine with it before the load has finished
/// (on main the loop loaded first: "reloaded" came before part 2 was read).
#[test]
fn events_keep_flowing_during_a_slow_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.yaml");
    let (plain, _) = capture();
    std::fs::write(&rules, SHADOW_RULE).expect("rules");
    let cfg = write_config(dir.path(), &rules, "watch_config_files: false\n");
    let full = dir.path().join("full.scap");
    std::fs::write(&full, &plain).expect("plain capture");
    let out = spawn_falco(&cfg, &full).wait_with_output().expect("runs");
    let baseline = String::from_utf8_lossy(&out.stdout).to_string();
    let base_lines: Vec<String> = baseline.lines().map(str::to_string).collect();
    let shadow_total = count(&base_lines, "SHADOW ");
    assert!(shadow_total >= 4, "{baseline}");

    // The same rule, plus a condition of two million list values: seconds to compile.
    let items: Vec<String> = (0..1000).map(|i| format!("/usr/bin/p{i}")).collect();
    let uses = vec!["proc.exe in (big)"; 2000].join(" or ");
    let slow = format!(
        "{SHADOW_RULE}\n- list: big\n  items: [{}]\n- macro: uses\n  condition: {uses}\n- rule: filler\n  desc: d\n  condition: evt.type = open and uses\n  output: FILLER %proc.name\n  priority: WARNING\n",
        items.join(", ")
    );

    let fifo = fifo(dir.path(), "capture.fifo");
    let mut child = spawn_falco(&cfg, &fifo);
    let pid = child.id() as libc::pid_t;
    let stdout = lines_of(child.stdout.take().expect("stdout"));
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    let mut writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open fifo");
    let half = plain.len() / 2;
    writer.write_all(&plain[..half]).expect("part 1");
    writer.flush().expect("flush");
    let mut errs = Vec::new();
    std::fs::write(&rules, slow).expect("rules");
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    wait_for(&stderr, "reload: loading", &mut errs);
    writer.write_all(&plain[half..]).expect("part 2");
    drop(writer);

    let status = child.wait().expect("exits");
    errs.extend(stderr.iter());
    assert!(status.success(), "{errs:#?}");
    assert!(
        !errs
            .iter()
            .any(|l| l.contains("reloaded") || l.contains("reload failed")),
        "the reload ended before the capture did: {errs:#?}"
    );
    // Every event was evaluated, by the running rules: every shadow read alerted once.
    let got: Vec<String> = stdout.iter().collect();
    assert_eq!(count(&got, "SHADOW "), shadow_total, "{got:#?}");
}
