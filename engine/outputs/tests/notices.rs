//! Shedding, failures and blocked outputs are logged by the monitor at most once per interval
//! per output, never per alert. One test in its own binary: the logger is process-wide.

mod common;

use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use common::{alert, quiet_config, wait_for, Behaviour, HttpReceiver};
use falco_outputs::{Outputs, Priority};

static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut records) = RECORDS.lock() {
            records.push((record.level(), record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

fn count(level: log::Level, needle: &str) -> usize {
    RECORDS
        .lock()
        .map(|r| {
            r.iter()
                .filter(|(l, m)| *l == level && m.contains(needle))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn notices_are_rate_limited_per_interval() {
    log::set_logger(&Capture).expect("logger");
    log::set_max_level(log::LevelFilter::Trace);
    let interval = Duration::from_millis(300);
    let receiver = HttpReceiver::start(Behaviour::Hang);
    let mut config = quiet_config();
    config.http_output.enabled = true;
    config.http_output.url = receiver.url.clone();
    config.http_output.timeout_ms = 120_000;
    config.outputs_queue.capacity = 8;
    config.output_timeout = 50;
    config.notice_interval = interval;
    let outputs = Outputs::new(&config).expect("outputs");
    let started = Instant::now();
    outputs.send(alert(0, Priority::Error, true));
    wait_for(
        "the endpoint to hold the first request",
        Duration::from_secs(10),
        || receiver.held() == 1,
    );
    // About a second of alerts, all shed by the stuck output.
    for round in 0..20 {
        for i in 0..50 {
            outputs.send(alert(1 + round * 50 + i, Priority::Error, true));
        }
        thread::sleep(Duration::from_millis(50));
    }
    wait_for("a shed notice", Duration::from_secs(10), || {
        count(log::Level::Warn, "http output: ") >= 1
    });
    wait_for("a blocked notice", Duration::from_secs(10), || {
        count(log::Level::Error, "http output blocked for") >= 1
    });
    let shed = outputs.stats().get("http").map_or(0, |s| s.shed);
    let elapsed = started.elapsed();
    let allowed = (elapsed.as_millis() / interval.as_millis()) as usize + 1;
    let shed_notices = count(log::Level::Warn, "alerts shed since the last notice");
    let blocked_notices = count(log::Level::Error, "http output blocked for");
    println!("{shed} alerts shed over {elapsed:?}: {shed_notices} shed notices, {blocked_notices} blocked notices");
    assert_eq!(shed, 1000 - 8);
    assert!(
        shed_notices >= 1 && shed_notices <= allowed,
        "{shed_notices} shed notices in {elapsed:?}"
    );
    assert!(
        blocked_notices >= 1 && blocked_notices <= allowed,
        "{blocked_notices} blocked notices in {elapsed:?}"
    );

    // The held request and the queued ones fail once the endpoint lets go: one failure notice.
    receiver.release();
    wait_for(
        "the failures to be counted",
        Duration::from_secs(30),
        || outputs.stats().get("http").is_some_and(|s| s.failed == 9),
    );
    // Each failure notice tells how many failed since the previous one: together, all 9.
    let failures_noticed = || -> u64 {
        RECORDS
            .lock()
            .map(|r| {
                r.iter()
                    .filter_map(|(_, m)| m.strip_prefix("http output: "))
                    .filter_map(|m| m.split_once(" alerts failed since the last notice"))
                    .filter_map(|(n, _)| n.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0)
    };
    wait_for(
        "failure notices covering all 9",
        Duration::from_secs(10),
        || failures_noticed() == 9,
    );
    let report = outputs.shutdown(Duration::from_secs(10));
    assert!(report.unfinished.is_empty());
}
