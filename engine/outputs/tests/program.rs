//! program_output: alerts to the stdin of `sh -c PROGRAM`, with and without keep_alive, and a
//! program killed mid-stream.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{alert, ids_in, quiet_config, read_or_empty, wait_for};
use falco_outputs::{Outputs, OutputsConfig, Priority};

fn program_config(program: String, keep_alive: bool, buffered: bool) -> OutputsConfig {
    let mut config = quiet_config();
    config.program_output.enabled = true;
    config.program_output.program = program;
    config.program_output.keep_alive = keep_alive;
    config.buffered_outputs = buffered;
    config
}

fn pids(path: &Path) -> Vec<i32> {
    read_or_empty(path)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[test]
fn keep_alive_every_alert_reaches_one_programs_stdin() {
    for buffered in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let pid_file = dir.path().join("pids");
        let program = format!(
            "echo $$ >> '{}'; cat > '{}'",
            pid_file.display(),
            out.display()
        );
        let outputs = Outputs::new(&program_config(program, true, buffered)).expect("outputs");
        let n = 2000;
        for i in 0..n {
            outputs.send(alert(i, Priority::ALL[i % 8], true));
        }
        let report = outputs.shutdown(Duration::from_secs(30));
        let program = report.stats.get("program").expect("program").clone();
        assert_eq!(
            (program.delivered, program.failed, program.respawns),
            (n as u64, 0, 0),
            "{program:?}"
        );
        let expected: String = (0..n)
            .map(|i| alert(i, Priority::ALL[i % 8], true).line + "\n")
            .collect();
        assert_eq!(read_or_empty(&out), expected, "buffered={buffered}");
        assert_eq!(pids(&pid_file).len(), 1, "one program for all alerts");
    }
}

#[test]
fn without_keep_alive_one_program_per_alert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let pid_file = dir.path().join("pids");
    let program = format!(
        "echo $$ >> '{}'; cat >> '{}'",
        pid_file.display(),
        out.display()
    );
    let outputs = Outputs::new(&program_config(program, false, false)).expect("outputs");
    let n = 40;
    for i in 0..n {
        outputs.send(alert(i, Priority::Notice, false));
    }
    let report = outputs.shutdown(Duration::from_secs(30));
    assert_eq!(
        report.stats.get("program").map(|p| (p.delivered, p.failed)),
        Some((n as u64, 0))
    );
    let expected: String = (0..n)
        .map(|i| alert(i, Priority::Notice, false).line + "\n")
        .collect();
    assert_eq!(read_or_empty(&out), expected);
    assert_eq!(pids(&pid_file).len(), n);
}

/// The program is SIGKILLed while alerts stream into it. The output notices, respawns it and
/// writes again every alert the dead program had not read a byte of. Bounded loss: the alert
/// the program had read part of (counted in `lost_after_write`, or `failed` if its write had
/// not completed), and the one line the shell had read completely but not yet written out
/// (invisible to a writer). Nothing arrives twice.
#[test]
fn killed_program_is_respawned_and_loses_at_most_the_line_in_flight() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let pid_file = dir.path().join("pids");
    let program = format!(
        "echo $$ >> '{pids}'; while IFS= read -r line; do printf '%s\\n' \"$line\" >> '{out}'; done",
        pids = pid_file.display(),
        out = out.display()
    );
    let mut config = program_config(program, true, false);
    config.outputs_queue.capacity = 10_000;
    let outputs = Outputs::new(&config).expect("outputs");
    let n = 3000;
    for i in 0..n {
        outputs.send(alert(i, Priority::Warning, true));
    }
    wait_for(
        "the program to have written 300 alerts",
        Duration::from_secs(60),
        || read_or_empty(&out).lines().count() >= 300,
    );
    let first = pids(&pid_file)[0];
    // SAFETY: kill has no memory effects; `first` is the shell the output started.
    assert_eq!(unsafe { libc::kill(first, libc::SIGKILL) }, 0);
    wait_for(
        "every alert to be written to a program",
        Duration::from_secs(120),
        || {
            outputs
                .stats()
                .get("program")
                .is_some_and(|p| p.delivered + p.failed == n as u64)
        },
    );
    let report = outputs.shutdown(Duration::from_secs(60));
    assert!(report.unfinished.is_empty());
    let program = report.stats.get("program").expect("program").clone();

    let received = ids_in(&read_or_empty(&out));
    let duplicates: Vec<_> = received
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    let missing = (0..n).filter(|i| !received.contains_key(i)).count() as u64;
    println!(
        "killed program: sent {n}, received {}, missing {missing}, respawns {}, resent {}, lost_after_write {}, failed {}",
        received.len(),
        program.respawns,
        program.resent,
        program.lost_after_write,
        program.failed
    );
    assert_eq!(program.respawns, 1, "{program:?}");
    assert_eq!(pids(&pid_file).len(), 2);
    assert!(
        duplicates.is_empty(),
        "alerts received twice: {duplicates:?}"
    );
    assert!(
        program.lost_after_write + program.failed <= 1,
        "only the alert being read can be cut: {program:?}"
    );
    assert!(
        missing <= program.lost_after_write + program.failed + 1,
        "lost more than the line in flight: {missing} ({program:?})"
    );
}

#[test]
fn reopen_restarts_the_program() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let pid_file = dir.path().join("pids");
    let program = format!(
        "echo $$ >> '{}'; cat >> '{}'",
        pid_file.display(),
        out.display()
    );
    let outputs = Outputs::new(&program_config(program, true, false)).expect("outputs");
    outputs.send(alert(0, Priority::Notice, false));
    wait_for("the first alert", Duration::from_secs(10), || {
        read_or_empty(&out).lines().count() == 1
    });
    outputs.reopen();
    outputs.send(alert(1, Priority::Notice, false));
    let report = outputs.shutdown(Duration::from_secs(10));
    assert_eq!(
        report
            .stats
            .get("program")
            .map(|p| (p.delivered, p.reopens)),
        Some((2, 1))
    );
    assert_eq!(ids_in(&read_or_empty(&out)).len(), 2);
    assert_eq!(pids(&pid_file).len(), 2);
}
