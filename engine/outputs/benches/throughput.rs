//! Alerts per second each output sustains, against the same local receivers the tests use.
//!
//! `cargo bench -p falco-outputs --bench throughput` (root: the syslog case runs a private
//! rsyslogd in a private mount namespace). Each case enables one output, queues N JSON alerts
//! (~340 bytes) in a queue large enough that nothing is shed, and times until every alert is
//! delivered. A last case times `Outputs::send` itself with three outputs enabled.

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use common::{alert, quiet_config, Behaviour, HttpReceiver, Rsyslog, TestPki};
use falco_outputs::{Alert, Outputs, OutputsConfig, Priority};

struct Case {
    name: String,
    alerts: usize,
    delivered: u64,
    seconds: f64,
}

fn alerts(n: usize) -> Vec<Alert> {
    (0..n)
        .map(|i| alert(i, Priority::ALL[i % 8], true))
        .collect()
}

/// Sends `n` alerts to a hub built from `config` (one output enabled) and times delivery.
fn run(name: &str, output: &str, mut config: OutputsConfig, n: usize) -> Case {
    config.outputs_queue.capacity = n + 1;
    let batch = alerts(n);
    let outputs = Outputs::new(&config).expect("outputs");
    let started = Instant::now();
    for a in batch {
        outputs.send(a);
    }
    loop {
        let stats = outputs.stats();
        let s = stats.get(output).expect("output stats");
        if s.delivered + s.failed >= n as u64 {
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    let report = outputs.shutdown(Duration::from_secs(60));
    let seconds = started.elapsed().as_secs_f64();
    let delivered = report.stats.get(output).map_or(0, |s| s.delivered);
    Case {
        name: name.to_string(),
        alerts: n,
        delivered,
        seconds,
    }
}

/// Runs `f` with fd 1 pointing at /dev/null.
fn with_stdout_to_null<T>(f: impl FnOnce() -> T) -> T {
    let null = OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .expect("/dev/null");
    // SAFETY: dup/dup2 on descriptors we own or on fd 1; restored below.
    let saved = unsafe { libc::dup(1) };
    assert!(saved >= 0);
    // SAFETY: as above.
    unsafe { libc::dup2(null.as_raw_fd(), 1) };
    let result = f();
    // SAFETY: as above.
    unsafe {
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    result
}

fn main() {
    let mut cases = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");

    for buffered in [false, true] {
        let mut config = quiet_config();
        config.stdout_output.enabled = true;
        config.buffered_outputs = buffered;
        let name = format!("stdout (to /dev/null), buffered_outputs={buffered}");
        cases.push(with_stdout_to_null(|| {
            run(&name, "stdout", config, 200_000)
        }));
    }

    for (keep_alive, buffered, n) in [
        (true, false, 200_000),
        (true, true, 200_000),
        (false, false, 20_000),
    ] {
        let mut config = quiet_config();
        config.file_output.enabled = true;
        config.file_output.keep_alive = keep_alive;
        config.file_output.filename = dir
            .path()
            .join(format!("events-{keep_alive}-{buffered}.txt"))
            .display()
            .to_string();
        config.buffered_outputs = buffered;
        cases.push(run(
            &format!("file keep_alive={keep_alive} buffered_outputs={buffered}"),
            "file",
            config,
            n,
        ));
    }

    if let Some(case) = syslog_case(50_000) {
        cases.push(case);
    }

    for (keep_alive, buffered, n) in [
        (true, false, 200_000),
        (true, true, 200_000),
        (false, false, 500),
    ] {
        let mut config = quiet_config();
        config.program_output.enabled = true;
        config.program_output.keep_alive = keep_alive;
        config.program_output.program = "cat > /dev/null".into();
        config.buffered_outputs = buffered;
        cases.push(run(
            &format!(
                "program `cat > /dev/null` keep_alive={keep_alive} buffered_outputs={buffered}"
            ),
            "program",
            config,
            n,
        ));
    }

    let pki = TestPki::generate();
    for (tls, keep_alive, gzip, n) in [
        (false, true, false, 20_000),
        (false, false, false, 5_000),
        (false, true, true, 20_000),
        (true, true, false, 20_000),
        (true, false, false, 2_000),
    ] {
        let receiver = if tls {
            HttpReceiver::start_tls(Behaviour::Answer(200), pki.server_config(false))
        } else {
            HttpReceiver::start(Behaviour::Answer(200))
        };
        let mut config = quiet_config();
        config.http_output.enabled = true;
        config.http_output.url = receiver.url.clone();
        config.http_output.keep_alive = keep_alive;
        config.http_output.compress_uploads = gzip;
        config.http_output.ca_cert = pki.ca_pem.display().to_string();
        let scheme = if tls { "https" } else { "http" };
        let case = run(
            &format!("{scheme} keep_alive={keep_alive} compress_uploads={gzip}"),
            "http",
            config,
            n,
        );
        assert_eq!(receiver.count(), n, "the receiver got every alert");
        cases.push(case);
    }

    println!(
        "{:<70} {:>8} {:>10} {:>12}",
        "output", "alerts", "seconds", "alerts/s"
    );
    for case in &cases {
        assert_eq!(
            case.delivered, case.alerts as u64,
            "{}: every alert delivered",
            case.name
        );
        println!(
            "{:<70} {:>8} {:>10.3} {:>12.0}",
            case.name,
            case.alerts,
            case.seconds,
            case.delivered as f64 / case.seconds
        );
    }
    send_cost();
}

/// syslog(3) into a private rsyslogd through a private /dev/log.
fn syslog_case(n: usize) -> Option<Case> {
    // SAFETY: geteuid has no effects.
    if unsafe { libc::geteuid() } != 0 || !Path::new("/usr/sbin/rsyslogd").exists() {
        println!("syslog: skipped (needs root and rsyslogd)");
        return None;
    }
    let rsyslog = Rsyslog::start();
    let dev = rsyslog.dev.clone();
    let case = thread::spawn(move || {
        common::private_mount_namespace();
        common::bind_mount(&dev, Path::new("/dev"));
        let mut config = quiet_config();
        config.syslog_output.enabled = true;
        run(
            "syslog (libc syslog(3) to a private rsyslogd)",
            "syslog",
            config,
            n,
        )
    })
    .join()
    .expect("syslog thread");
    let deadline = Instant::now() + Duration::from_secs(60);
    while rsyslog.lines().len() < n && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    println!(
        "syslog: rsyslogd wrote {} of {n} alerts",
        rsyslog.lines().len()
    );
    Some(case)
}

/// The cost of `send` to the caller with file, program and HTTP outputs enabled.
fn send_cost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = HttpReceiver::start(Behaviour::Answer(200));
    let mut config = quiet_config();
    config.file_output.enabled = true;
    config.file_output.keep_alive = true;
    config.file_output.filename = dir.path().join("events.txt").display().to_string();
    config.program_output.enabled = true;
    config.program_output.keep_alive = true;
    config.program_output.program = "cat > /dev/null".into();
    config.http_output.enabled = true;
    config.http_output.keep_alive = true;
    config.http_output.url = receiver.url.clone();
    config.outputs_queue.capacity = 1024;
    let n = 200_000;
    let batch = alerts(n);
    let outputs = Outputs::new(&config).expect("outputs");
    let mut worst = Duration::ZERO;
    let started = Instant::now();
    for a in batch {
        let t = Instant::now();
        outputs.send(a);
        worst = worst.max(t.elapsed());
    }
    let total = started.elapsed();
    let stats = outputs.stats();
    let _ = outputs.shutdown(Duration::from_secs(60));
    println!(
        "send() with file+program+http enabled, queues of 1024: {n} calls, {:.0} ns/call mean, {:?} worst; shed: file {} program {} http {}",
        total.as_nanos() as f64 / n as f64,
        worst,
        stats.get("file").map_or(0, |s| s.shed),
        stats.get("program").map_or(0, |s| s.shed),
        stats.get("http").map_or(0, |s| s.shed),
    );
}
