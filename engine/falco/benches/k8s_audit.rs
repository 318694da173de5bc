//! The k8s_audit source's throughput, through the `falco` binary with the official k8s audit
//! rules: audit events/s read from a file (the summary's figure), audit events/s posted to
//! the webhook as EventList batches of 500 by two clients (from the first post until every
//! event was evaluated), and a replay's syscall events/s with the official syscall rules,
//! alone and while the webhook takes audit batches in a loop.
//!
//! `cargo bench -p falco --bench k8s_audit` (figures in BENCHMARKS.md). `K8S_BENCH_EVENTS`
//! sets the audit events per run (default 100000).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn reference() -> PathBuf {
    falco_testdata::reference_path("k8s_audit")
}

/// Every audit event of the reference traces.
fn events() -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(reference().join("traces"))
        .expect("traces")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("trace");
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if v["kind"] == "Event" && v.get("stageTimestamp").is_some() {
                out.push(v);
            }
        }
    }
    out
}

fn config(dir: &Path, open_params: &str, extra: &str) -> PathBuf {
    let p = dir.join("falco.yaml");
    std::fs::write(
        &p,
        format!(
            "plugins:\n  - name: k8saudit\n    library_path: libk8saudit.so\n    open_params: \"{open_params}\"\n  - name: json\n    library_path: libjson.so\nstdout_output:\n  enabled: true\njson_output: true\nwatch_config_files: false\n{extra}"
        ),
    )
    .expect("config");
    p
}

/// The summary's events and the audit events accepted, from falco's output.
fn figures(text: &str) -> (f64, f64, u64) {
    let line = text
        .lines()
        .find(|l| l.starts_with("Events processed:"))
        .unwrap_or_else(|| panic!("no summary: {text}"));
    // "Events processed: N (S s, R events/s)"
    let n: f64 = line
        .split_whitespace()
        .nth(2)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0.0);
    let secs: f64 = line
        .split('(')
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|x| x.parse().ok())
        .unwrap_or(0.0);
    let audit = text
        .lines()
        .find_map(|l| l.split("k8s_audit: ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    (n, secs, audit)
}

fn post(addr: SocketAddr, body: &[u8]) -> u16 {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return 0;
    };
    let head = format!(
        "POST /k8s-audit HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if s.write_all(head.as_bytes())
        .and_then(|_| s.write_all(body))
        .is_err()
    {
        return 0;
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn file_run(dir: &Path, evs: &[serde_json::Value], n: usize) -> (usize, f64) {
    let log = dir.join("audit.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&log).expect("log"));
    for i in 0..n {
        writeln!(f, "{}", evs[i % evs.len()]).expect("write");
    }
    drop(f);
    let cfg = config(dir, &log.display().to_string(), "");
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&cfg)
        .args(["--enable-source", "k8s_audit", "-r"])
        .arg(reference().join("rules/k8s_audit_rules.yaml"))
        .stderr(Stdio::null())
        .output()
        .expect("falco");
    let _ = std::fs::remove_file(&log);
    let (events, secs, _) = figures(&String::from_utf8_lossy(&out.stdout));
    (events as usize, secs)
}

/// Starts falco with the webhook (and `extra` args); returns the child and the address.
fn webhook_falco(
    dir: &Path,
    extra_cfg: &str,
    args: &[&str],
) -> (
    std::process::Child,
    SocketAddr,
    std::thread::JoinHandle<String>,
) {
    let cfg = config(dir, "http://127.0.0.1:0/k8s-audit", extra_cfg);
    let mut child = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&cfg)
        .args(args)
        .arg("-r")
        .arg(reference().join("rules/k8s_audit_rules.yaml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco");
    let mut err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let addr = loop {
        let mut line = String::new();
        use std::io::BufRead;
        if err.read_line(&mut line).expect("stderr") == 0 {
            panic!("falco ended before its webhook started");
        }
        if let Some(rest) = line.split("reading http://").nth(1) {
            break rest.split('/').next().expect("addr").parse().expect("addr");
        }
    };
    let rest = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    (child, addr, rest)
}

fn finish(mut child: std::process::Child) -> String {
    // SAFETY: kill on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        out = String::from_utf8_lossy(&buf).into_owned();
    }
    let _ = child.wait();
    out
}

fn webhook_run(dir: &Path, evs: &[serde_json::Value], n: usize) -> (usize, f64) {
    let (child, addr, _) = webhook_falco(dir, "", &["--enable-source", "k8s_audit"]);
    let batch: Vec<serde_json::Value> = (0..500).map(|i| evs[i % evs.len()].clone()).collect();
    let body = Arc::new(
        serde_json::json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": batch})
            .to_string()
            .into_bytes(),
    );
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (body, sent) = (body.clone(), sent.clone());
            std::thread::spawn(move || {
                while sent.load(Ordering::Relaxed) < n as u64 {
                    if post(addr, &body) == 200 {
                        sent.fetch_add(500, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client");
    }
    let out = finish(child);
    let secs = started.elapsed().as_secs_f64();
    let (events, _, _) = figures(&out);
    (events as usize, secs)
}

/// A replay of `capture` with the official syscall rules, with the webhook taking audit
/// batches in a loop when `traffic`; (syscall events, loop seconds, audit events).
fn replay_run(
    dir: &Path,
    evs: &[serde_json::Value],
    capture: &Path,
    traffic: bool,
) -> (f64, f64, u64) {
    let rules = falco_testdata::reference_path("rules/3.0.1/falco_rules.yaml");
    let extra = format!(
        "engine: {{kind: replay, replay: {{capture_file: {}}}}}\n",
        capture.display()
    );
    let args: Vec<String> = vec!["-r".into(), rules.display().to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (child, addr, stderr) = webhook_falco(dir, &extra, &args);
    let stop = Arc::new(AtomicBool::new(false));
    let client = traffic.then(|| {
        let batch: Vec<serde_json::Value> = (0..500).map(|i| evs[i % evs.len()].clone()).collect();
        let body = serde_json::json!({"kind": "EventList", "items": batch})
            .to_string()
            .into_bytes();
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if post(addr, &body) == 0 {
                    break;
                }
            }
        })
    });
    let mut child = child;
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        out = String::from_utf8_lossy(&buf).into_owned();
    }
    let _ = child.wait();
    stop.store(true, Ordering::Relaxed);
    if let Some(c) = client {
        let _ = c.join();
    }
    let (total, secs, _) = figures(&out);
    // The summary counts both sources; the audit input says how many were its own.
    let (_, _, audit) = figures(&format!(
        "Events processed: 0 (0 s, 0 events/s)\n{}",
        stderr.join().unwrap_or_default()
    ));
    (total - audit as f64, secs, audit)
}

fn main() {
    let n: usize = std::env::var("K8S_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let evs = events();
    println!(
        "k8s_audit bench: {} distinct reference events, {n} per run",
        evs.len()
    );
    for run in 1..=3 {
        let (events, secs) = file_run(dir.path(), &evs, n);
        println!(
            "file    run {run}: {events} audit events in {secs:.3} s: {:.0} events/s",
            events as f64 / secs.max(1e-9)
        );
    }
    for run in 1..=3 {
        let (events, secs) = webhook_run(dir.path(), &evs, n);
        println!(
            "webhook run {run}: {events} audit events in {secs:.3} s: {:.0} events/s",
            events as f64 / secs.max(1e-9)
        );
    }
    let capture = falco_testdata::capture("busy_server");
    for traffic in [false, true, false, true] {
        let (syscall, secs, audit) = replay_run(dir.path(), &evs, &capture, traffic);
        println!(
            "replay busy_server {}: {syscall} syscall events in {secs:.3} s: {:.0} syscall events/s ({audit} audit events meanwhile)",
            if traffic { "with audit traffic   " } else { "without audit traffic" },
            syscall / secs.max(1e-9)
        );
    }
}
