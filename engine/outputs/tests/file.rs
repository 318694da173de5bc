//! file_output: text and JSON lines, keep_alive or not, buffered or not, and log rotation by
//! rename + reopen (the engine's SIGUSR1 path).

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use common::{alert, ids_in, quiet_config, read_or_empty, wait_for};
use falco_outputs::{Outputs, OutputsConfig, Priority};

fn file_config(path: &Path, keep_alive: bool, buffered: bool) -> OutputsConfig {
    let mut config = quiet_config();
    config.file_output.enabled = true;
    config.file_output.filename = path.display().to_string();
    config.file_output.keep_alive = keep_alive;
    config.buffered_outputs = buffered;
    config
}

#[test]
fn every_alert_is_one_line_in_every_mode() {
    for keep_alive in [false, true] {
        for buffered in [false, true] {
            for json in [false, true] {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join("events.txt");
                let outputs =
                    Outputs::new(&file_config(&path, keep_alive, buffered)).expect("outputs");
                let n = 500;
                for i in 0..n {
                    outputs.send(alert(i, Priority::ALL[i % 8], json));
                }
                let report = outputs.shutdown(Duration::from_secs(10));
                let file = report.stats.get("file").expect("file").clone();
                assert_eq!((file.delivered, file.failed), (n as u64, 0), "{file:?}");
                let text = read_or_empty(&path);
                let expected: String = (0..n)
                    .map(|i| alert(i, Priority::ALL[i % 8], json).line + "\n")
                    .collect();
                assert_eq!(
                    text, expected,
                    "keep_alive={keep_alive} buffered={buffered} json={json}"
                );
                if json {
                    for line in text.lines() {
                        serde_json::from_str::<serde_json::Value>(line)
                            .expect("one JSON object per line");
                    }
                }
            }
        }
    }
}

#[test]
fn appends_to_an_existing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.txt");
    fs::write(&path, "earlier\n").expect("write");
    let outputs = Outputs::new(&file_config(&path, true, false)).expect("outputs");
    outputs.send(alert(1, Priority::Notice, false));
    outputs.shutdown(Duration::from_secs(10));
    assert_eq!(
        read_or_empty(&path),
        format!("earlier\n{}\n", alert(1, Priority::Notice, false).line)
    );
}

/// logrotate's way: rename the file, then signal; alerts continue in a new file, none lost.
#[test]
fn rename_then_reopen_continues_in_a_new_file_with_none_lost() {
    for buffered in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.txt");
        let rotated = dir.path().join("events.txt.1");
        let outputs = Outputs::new(&file_config(&path, true, buffered)).expect("outputs");
        let delivered = |outputs: &Outputs| outputs.stats().get("file").map_or(0, |s| s.delivered);

        for i in 0..500 {
            outputs.send(alert(i, Priority::Warning, true));
        }
        wait_for(
            "the first 500 alerts in the file",
            Duration::from_secs(10),
            || delivered(&outputs) == 500,
        );
        fs::rename(&path, &rotated).expect("rename");
        // Still open: these may land in the renamed file, as with Falco before the signal.
        for i in 500..750 {
            outputs.send(alert(i, Priority::Warning, true));
        }
        outputs.reopen();
        for i in 750..1000 {
            outputs.send(alert(i, Priority::Warning, true));
        }
        let report = outputs.shutdown(Duration::from_secs(10));
        let file = report.stats.get("file").expect("file");
        assert_eq!(
            (file.delivered, file.failed, file.reopens),
            (1000, 0, 1),
            "{file:?}"
        );

        let old = ids_in(&read_or_empty(&rotated));
        let new = ids_in(&read_or_empty(&path));
        assert!(
            (0..500).all(|i| old.get(&i) == Some(&1)),
            "the first 500 are in the rotated file"
        );
        assert!(
            (750..1000).all(|i| new.get(&i) == Some(&1)),
            "alerts sent after reopen() are in the new file"
        );
        for i in 0..1000 {
            let copies = old.get(&i).unwrap_or(&0) + new.get(&i).unwrap_or(&0);
            assert_eq!(
                copies, 1,
                "alert {i} must be in exactly one of the files (buffered={buffered})"
            );
        }
    }
}

#[test]
fn without_keep_alive_a_renamed_file_is_replaced_at_the_next_alert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.txt");
    let outputs = Outputs::new(&file_config(&path, false, false)).expect("outputs");
    outputs.send(alert(0, Priority::Error, false));
    wait_for("the first alert", Duration::from_secs(10), || {
        outputs
            .stats()
            .get("file")
            .is_some_and(|s| s.delivered == 1)
    });
    fs::rename(&path, dir.path().join("old")).expect("rename");
    outputs.send(alert(1, Priority::Error, false));
    outputs.shutdown(Duration::from_secs(10));
    assert_eq!(
        ids_in(&read_or_empty(&path))
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        [1]
    );
}
