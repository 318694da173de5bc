//! What a chat output costs its neighbours: the file output's time to deliver N alerts, and
//! `Outputs::send`'s cost per call, with no chat output, with a Slack output to a healthy
//! receiver, to one answering 429 with `Retry-After`, and to one that never answers.
//!
//! `cargo bench -p falco-outputs --bench chat_neighbours`; figures in `BENCHMARKS.md`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{alert, quiet_config, read_or_empty, wait_for, Behaviour, HttpReceiver};
use falco_outputs::{ChatOutputConfig, Outputs, Priority};

const ALERTS: usize = 20_000;

fn run(name: &str, receiver: Option<&HttpReceiver>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("events.txt");
    let mut config = quiet_config();
    config.outputs_queue.capacity = ALERTS + 1;
    config.file_output.enabled = true;
    config.file_output.keep_alive = true;
    config.file_output.filename = file.display().to_string();
    if let Some(receiver) = receiver {
        config.slack_output = ChatOutputConfig {
            enabled: true,
            webhook_url: receiver.url.clone(),
            timeout_ms: 1000,
            ..ChatOutputConfig::default()
        };
    }
    let batch: Vec<_> = (0..ALERTS)
        .map(|i| alert(i, Priority::ALL[i % 8], true))
        .collect();
    let outputs = Outputs::new(&config).expect("outputs");
    let started = Instant::now();
    for a in batch {
        outputs.send(a);
    }
    let send_ns = started.elapsed().as_nanos() as f64 / ALERTS as f64;
    wait_for("the file output", Duration::from_secs(60), || {
        outputs
            .stats()
            .get("file")
            .is_some_and(|s| s.delivered == ALERTS as u64)
    });
    let file_s = started.elapsed().as_secs_f64();
    let stats = outputs.stats();
    let slack = stats.get("slack").cloned();
    let report = outputs.shutdown(Duration::from_millis(200));
    assert_eq!(read_or_empty(&file).lines().count(), ALERTS);
    let file_stats = report.stats.get("file").expect("file");
    assert_eq!((file_stats.shed, file_stats.failed), (0, 0));
    println!(
        "| {name} | {ALERTS} | {file_s:.3} | {:.0} | {send_ns:.0} | {} |",
        ALERTS as f64 / file_s,
        slack.map_or("-".to_string(), |s| format!(
            "{} delivered in {} messages, {} retries",
            s.delivered, s.messages, s.retries
        ))
    );
}

fn main() {
    println!("| slack output | alerts | file s | file alerts/s | send ns/call | slack at the file's end |");
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    run("none", None);
    let healthy = HttpReceiver::start(Behaviour::Answer(200));
    run("healthy receiver", Some(&healthy));
    let throttling = HttpReceiver::start(Behaviour::FailFirst {
        status: 429,
        retry_after: Some(1),
        times: usize::MAX,
    });
    run("429 with Retry-After: 1", Some(&throttling));
    let silent = HttpReceiver::start(Behaviour::Hang);
    run("never answers", Some(&silent));
    silent.release();
}
