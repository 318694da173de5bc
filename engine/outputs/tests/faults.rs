//! Faulty receivers: an HTTP endpoint that refuses, hangs or is slow, a program that keeps
//! exiting, a file on a full tmpfs. In each, `send` never blocks, every other output receives
//! every alert, and the faulty output's losses are counted:
//! `sent == enqueued + shed` and `enqueued == delivered + failed + discarded`.

mod common;

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    alert, ids_in, mount_tmpfs, private_mount_namespace, quiet_config, read_or_empty, refused_url,
    wait_for, Behaviour, HttpReceiver,
};
use falco_outputs::{OutputStats, Outputs, OutputsConfig, OutputsStats, Priority};

/// Healthy outputs next to the faulty one: a file and a program writing to files in `dir`, and
/// (unless HTTP is the faulty one) an HTTP receiver.
struct Healthy {
    dir: tempfile::TempDir,
    http: Option<HttpReceiver>,
}

impl Healthy {
    fn new(with_http: bool) -> Self {
        Healthy {
            dir: tempfile::tempdir().expect("tempdir"),
            http: with_http.then(|| HttpReceiver::start(Behaviour::Answer(200))),
        }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("events.txt")
    }

    fn program_out(&self) -> PathBuf {
        self.dir.path().join("program.out")
    }

    fn configure(&self, config: &mut OutputsConfig, file: bool, program: bool) {
        if file {
            config.file_output.enabled = true;
            config.file_output.keep_alive = true;
            config.file_output.filename = self.file().display().to_string();
        }
        if program {
            config.program_output.enabled = true;
            config.program_output.keep_alive = true;
            config.program_output.program = format!("cat > '{}'", self.program_out().display());
        }
        if let Some(http) = &self.http {
            config.http_output.enabled = true;
            config.http_output.keep_alive = true;
            config.http_output.url = http.url.clone();
        }
    }

    /// Every healthy output delivered alerts 0..n, each exactly once.
    fn check(&self, stats: &OutputsStats, n: usize, file: bool, program: bool) {
        let all = |text: &str, what: &str| {
            let ids = ids_in(text);
            assert_eq!(ids.len(), n, "{what} received {} of {n} alerts", ids.len());
            assert!(ids.values().all(|c| *c == 1), "{what} received duplicates");
        };
        let mut names = Vec::new();
        if file {
            all(&read_or_empty(&self.file()), "file");
            names.push("file");
        }
        if program {
            all(&read_or_empty(&self.program_out()), "program");
            names.push("program");
        }
        if let Some(http) = &self.http {
            let bodies: String = http
                .received()
                .iter()
                .map(|r| String::from_utf8_lossy(&r.body).into_owned() + "\n")
                .collect();
            all(&bodies, "http");
            names.push("http");
        }
        for name in names {
            let s = stats.get(name).expect("stats");
            assert_eq!((s.shed, s.failed, s.delivered), (0, 0, n as u64), "{s:?}");
        }
    }
}

/// The faulty output's books balance.
fn balanced(s: &OutputStats, sent: usize) {
    assert_eq!(s.enqueued + s.shed, sent as u64, "{s:?}");
    assert_eq!(s.delivered + s.failed + s.discarded, s.enqueued, "{s:?}");
}

fn send_all(outputs: &Outputs, range: std::ops::Range<usize>) {
    for i in range {
        outputs.send(alert(i, Priority::ALL[i % 8], true));
    }
}

/// Sends `range` in chunks smaller than the queues, waiting after each chunk until the healthy
/// outputs have delivered it: the alert rate healthy outputs sustain, which a faulty one cannot.
fn send_paced(outputs: &Outputs, range: std::ops::Range<usize>, chunk: usize, healthy: &[&str]) {
    let mut start = range.start;
    while start < range.end {
        let end = (start + chunk).min(range.end);
        send_all(outputs, start..end);
        wait_for(
            "the healthy outputs to keep up",
            Duration::from_secs(30),
            || {
                let stats = outputs.stats();
                healthy
                    .iter()
                    .all(|o| stats.get(o).is_some_and(|s| s.delivered >= end as u64))
            },
        );
        start = end;
    }
}

#[test]
fn http_endpoint_refusing() {
    let healthy = Healthy::new(false);
    let mut config = quiet_config();
    healthy.configure(&mut config, true, true);
    config.http_output.enabled = true;
    config.http_output.url = refused_url();
    let outputs = Outputs::new(&config).expect("outputs");
    let n = 1000;
    send_all(&outputs, 0..n);
    let report = outputs.shutdown(Duration::from_secs(30));
    assert!(report.unfinished.is_empty());
    healthy.check(&report.stats, n, true, true);
    let http = report.stats.get("http").expect("http");
    balanced(http, n);
    assert_eq!(http.delivered, 0);
    assert!(http.failed > 0);
}

/// The endpoint accepts the first request and never answers. While the HTTP worker is stuck in
/// it, every send returns, the HTTP queue fills and sheds, the other outputs deliver all.
#[test]
fn http_endpoint_hanging() {
    let receiver = HttpReceiver::start(Behaviour::Hang);
    let healthy = Healthy::new(false);
    let mut config = quiet_config();
    healthy.configure(&mut config, true, true);
    config.http_output.enabled = true;
    config.http_output.url = receiver.url.clone();
    config.http_output.timeout_ms = 120_000;
    config.outputs_queue.capacity = 64;
    config.output_timeout = 100;
    let outputs = Outputs::new(&config).expect("outputs");
    let n = 5000;
    send_all(&outputs, 0..1);
    wait_for(
        "the endpoint to hold the first request",
        Duration::from_secs(10),
        || receiver.held() == 1,
    );
    send_paced(&outputs, 1..n, 50, &["file", "program"]);
    // The HTTP worker is still inside its first request: nothing waited for it.
    let http = outputs.stats().get("http").cloned().expect("http");
    assert_eq!((http.delivered, http.failed), (0, 0), "{http:?}");
    assert_eq!(
        http.enqueued, 65,
        "one in flight and a full queue: {http:?}"
    );
    assert_eq!(http.shed, n as u64 - 65);
    wait_for(
        "the HTTP output to be reported blocked",
        Duration::from_secs(10),
        || outputs.stats().get("http").is_some_and(|s| s.blocked),
    );
    // Let the endpoint drop its requests (closed unanswered): the queued alerts fail fast.
    receiver.release();
    let report = outputs.shutdown(Duration::from_secs(30));
    assert!(report.unfinished.is_empty());
    healthy.check(&report.stats, n, true, true);
    let http = report.stats.get("http").expect("http");
    balanced(http, n);
    assert_eq!(
        (http.delivered, http.failed, http.discarded),
        (0, 65, 0),
        "{http:?}"
    );
}

/// Shutdown with an endpoint that never answers: the deadline holds, the stuck output is named,
/// the others have delivered everything.
#[test]
fn shutdown_deadline_with_a_hung_endpoint() {
    let receiver = HttpReceiver::start(Behaviour::Hang);
    let healthy = Healthy::new(false);
    let mut config = quiet_config();
    healthy.configure(&mut config, true, true);
    config.http_output.enabled = true;
    config.http_output.url = receiver.url.clone();
    config.http_output.timeout_ms = 120_000;
    let outputs = Outputs::new(&config).expect("outputs");
    let n = 200;
    send_all(&outputs, 0..n);
    wait_for(
        "the endpoint to hold a request",
        Duration::from_secs(10),
        || receiver.held() == 1,
    );
    let started = Instant::now();
    let report = outputs.shutdown(Duration::from_millis(300));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "shutdown took {took:?}");
    assert_eq!(report.unfinished, ["http"]);
    healthy.check(&report.stats, n, true, true);
    let http = report.stats.get("http").expect("http");
    // What it held, queued behind the stuck request or in it, is counted as discarded.
    assert_eq!(
        (http.delivered, http.failed, http.queued, http.discarded),
        (0, 0, 0, n as u64),
        "{http:?}"
    );
    receiver.release();
}

#[test]
fn http_endpoint_slow() {
    let receiver = HttpReceiver::start(Behaviour::Slow(Duration::from_millis(10)));
    let healthy = Healthy::new(false);
    let mut config = quiet_config();
    healthy.configure(&mut config, true, true);
    config.http_output.enabled = true;
    config.http_output.keep_alive = true;
    config.http_output.url = receiver.url.clone();
    config.outputs_queue.capacity = 16;
    let outputs = Outputs::new(&config).expect("outputs");
    let n = 3000;
    send_paced(&outputs, 0..n, 10, &["file", "program"]);
    let report = outputs.shutdown(Duration::from_secs(30));
    assert!(report.unfinished.is_empty());
    healthy.check(&report.stats, n, true, true);
    let http = report.stats.get("http").expect("http");
    balanced(http, n);
    assert!(
        http.shed > 0,
        "a 10 ms endpoint cannot keep up with a burst: {http:?}"
    );
    assert_eq!((http.failed, http.discarded), (0, 0));
    assert_eq!(http.delivered as usize, receiver.count());
    for request in receiver.received() {
        serde_json::from_slice::<serde_json::Value>(&request.body).expect("well-formed JSON");
    }
}

/// A program that handles one alert and exits: respawned with backoff, its queue sheds the
/// burst, what was queued at the deadline is discarded, nothing is lost unnoticed.
#[test]
fn program_exiting_after_each_alert() {
    let healthy = Healthy::new(true);
    let out = healthy.dir.path().join("one-shot.out");
    let mut config = quiet_config();
    healthy.configure(&mut config, true, false);
    config.program_output.enabled = true;
    config.program_output.keep_alive = true;
    config.program_output.program = format!(
        "IFS= read -r line && printf '%s\\n' \"$line\" >> '{}'",
        out.display()
    );
    config.outputs_queue.capacity = 32;
    let outputs = Outputs::new(&config).expect("outputs");
    let n = 2000;
    send_paced(&outputs, 0..n, 20, &["file", "http"]);
    wait_for("a few respawns", Duration::from_secs(30), || {
        outputs
            .stats()
            .get("program")
            .is_some_and(|p| p.respawns >= 3)
    });
    let report = outputs.shutdown(Duration::from_millis(500));
    assert!(
        report.unfinished.is_empty(),
        "a backoff does not hold up shutdown"
    );
    healthy.check(&report.stats, n, true, false);
    let program = report.stats.get("program").expect("program");
    balanced(program, n);
    assert!(program.respawns >= 3 && program.shed > 0, "{program:?}");
    let received = ids_in(&read_or_empty(&out));
    assert!(received.values().all(|c| *c == 1));
    // Killed at the deadline, the last program may have read a whole line it had not written
    // yet: the one loss a writer cannot see.
    let accounted = program.delivered - program.lost_after_write;
    let got = received.len() as u64;
    assert!(
        got <= accounted && got + 1 >= accounted,
        "received {got}, {program:?}"
    );
}

/// The file lives on a 64 KiB tmpfs mounted by the test (in a private mount namespace, so
/// nothing outlives the test). Writes fail with ENOSPC and are counted; no partial line is left;
/// once space is freed the output writes again.
#[test]
fn file_on_a_full_tmpfs() {
    let healthy = Healthy::new(true);
    let mount = tempfile::tempdir().expect("tempdir");
    let mount_path = mount.path().to_path_buf();
    let program_out = healthy.program_out();
    let http_url = healthy
        .http
        .as_ref()
        .map(|h| h.url.clone())
        .unwrap_or_default();
    let (stats_full, stats_end, text) = thread::spawn(move || {
        private_mount_namespace();
        mount_tmpfs(&mount_path, 64 * 1024);
        let filler = mount_path.join("filler");
        std::fs::write(&filler, vec![b'x'; 32 * 1024]).expect("filler");
        let events = mount_path.join("events.txt");
        let mut config = quiet_config();
        config.file_output.enabled = true;
        config.file_output.keep_alive = true;
        config.file_output.filename = events.display().to_string();
        config.program_output.enabled = true;
        config.program_output.keep_alive = true;
        config.program_output.program = format!("cat > '{}'", program_out.display());
        config.http_output.enabled = true;
        config.http_output.keep_alive = true;
        config.http_output.url = http_url;
        config.outputs_queue.capacity = 10_000;
        let outputs = Outputs::new(&config).expect("outputs");
        let file_done = |outputs: &Outputs, n: u64| {
            outputs
                .stats()
                .get("file")
                .is_some_and(|f| f.delivered + f.failed == n)
        };
        send_all(&outputs, 0..1000);
        wait_for(
            "the file output to try every alert",
            Duration::from_secs(30),
            || file_done(&outputs, 1000),
        );
        let stats_full = outputs.stats();
        std::fs::remove_file(&filler).expect("free space");
        send_all(&outputs, 1000..1050);
        wait_for(
            "the file output to try the rest",
            Duration::from_secs(30),
            || file_done(&outputs, 1050),
        );
        let report = outputs.shutdown(Duration::from_secs(30));
        (stats_full, report.stats, read_or_empty(Path::new(&events)))
    })
    .join()
    .expect("tmpfs thread");
    healthy.check(&stats_end, 1050, false, true);
    let full = stats_full.get("file").expect("file");
    assert!(
        full.delivered > 0 && full.failed > 0,
        "the disk filled up part-way: {full:?}"
    );
    let end = stats_end.get("file").expect("file");
    balanced(end, 1050);
    assert_eq!(
        end.delivered,
        full.delivered + 50,
        "every alert after freeing space is written: {end:?}"
    );
    // Every line in the file is a whole alert: no partial line was left by a failed write.
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("only whole JSON lines");
    }
    assert_eq!(text.lines().count() as u64, end.delivered);
    let ids = ids_in(&text);
    assert!((1000..1050).all(|i| ids.contains_key(&i)));
}
