//! Waiting for room instead of shedding ([`Outputs::wait_for_room`]): behind a slow program
//! and a queue of one alert, a waiting `send` loses nothing, while the default `send` sheds and
//! counts every alert it sheds; a set stop flag ends the wait after its grace.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{alert, quiet_config};
use falco_outputs::{Outputs, OutputsConfig, Priority};

const ALERTS: usize = 3000;

/// A program output that starts reading after `pause`, writing what it reads to `out`, behind
/// a queue of one alert.
fn slow_program(out: &Path, pause: &str) -> OutputsConfig {
    let mut config = quiet_config();
    config.outputs_queue.capacity = 1;
    config.program_output.enabled = true;
    config.program_output.keep_alive = true;
    config.program_output.program = format!("sleep {pause}; cat > '{}'", out.display());
    config
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .count()
}

#[test]
fn waiting_send_never_sheds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("program.out");
    let mut outputs = Outputs::new(&slow_program(&out, "1")).expect("outputs start");
    outputs.wait_for_room(Arc::new(AtomicBool::new(false)), Duration::from_secs(1));
    for i in 0..ALERTS {
        outputs.send(alert(i, Priority::Warning, false));
    }
    let report = outputs.shutdown(Duration::from_secs(20));
    let stats = report.stats.get("program").expect("program stats").clone();
    assert_eq!(stats.shed, 0, "{stats:?}");
    assert_eq!(stats.enqueued, ALERTS as u64, "{stats:?}");
    assert_eq!(stats.delivered, ALERTS as u64, "{stats:?}");
    assert_eq!(report.stats.total_lost(), 0, "{stats:?}");
    assert_eq!(lines(&out), ALERTS);
}

#[test]
fn default_send_counts_what_it_sheds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("program.out");
    let outputs = Outputs::new(&slow_program(&out, "1")).expect("outputs start");
    let started = Instant::now();
    for i in 0..ALERTS {
        outputs.send(alert(i, Priority::Warning, false));
    }
    // Never waits for the program, which sleeps a whole second before reading.
    assert!(started.elapsed() < Duration::from_millis(900));
    let report = outputs.shutdown(Duration::from_secs(20));
    let stats = report.stats.get("program").expect("program stats").clone();
    assert!(stats.shed > 0, "{stats:?}");
    assert_eq!(stats.enqueued + stats.shed, ALERTS as u64, "{stats:?}");
    assert_eq!(stats.delivered, stats.enqueued, "{stats:?}");
    assert_eq!(report.stats.total_lost(), stats.shed);
    assert_eq!(lines(&out) as u64, stats.delivered);
}

#[test]
fn stop_ends_the_wait_after_its_grace() {
    // A program that does not read for a minute: its pipe fills, then the queue.
    let mut outputs =
        Outputs::new(&slow_program(Path::new("/dev/null"), "60")).expect("outputs start");
    let stop = Arc::new(AtomicBool::new(false));
    outputs.wait_for_room(stop.clone(), Duration::from_millis(300));
    let stopper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            stop.store(true, SeqCst);
        })
    };
    let started = Instant::now();
    for i in 0..ALERTS {
        outputs.send(alert(i, Priority::Warning, false));
    }
    let waited = started.elapsed();
    stopper.join().expect("stopper");
    assert!(
        waited >= Duration::from_millis(700),
        "gave up early: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    let report = outputs.shutdown(Duration::from_millis(200));
    let stats = report.stats.get("program").expect("program stats").clone();
    assert!(stats.shed > 0, "{stats:?}");
    assert_eq!(stats.enqueued + stats.shed, ALERTS as u64, "{stats:?}");
    assert!(report.stats.total_lost() >= stats.shed);
}
