//! What scraping `/metrics` every 100 ms costs a replay: the `falco` binary replays
//! busy_server.scap.gz with the webserver and Prometheus metrics on, alternately without and
//! with a client fetching `/metrics` every 100 ms; events/s of the event loop (the summary's
//! figure) and the process's CPU time (user + system, every thread, from getrusage of the
//! reaped child) per event.
//!
//! `cargo bench -p falco --bench metrics_scrape` (figures in BENCHMARKS.md).
//! `SCRAPE_BENCH_RUNS` sets the runs per mode (default 5).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Run {
    events: f64,
    loop_secs: f64,
    cpu_secs: f64,
    scrapes: usize,
    scrape_ms: Vec<f64>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn scrape(port: u16) -> Option<usize> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    buf.starts_with(b"HTTP/1.1 200").then_some(buf.len())
}

/// The official 3.0.1 rules, all three files: a replay long enough (seconds) for tens of
/// scrapes.
fn official_rules() -> String {
    [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| {
        falco_testdata::reference_path(format!("rules/3.0.1/{f}"))
            .display()
            .to_string()
    })
    .collect::<Vec<_>>()
    .join(", ")
}

fn run_once(with_scrapes: bool) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let capture = falco_testdata::capture("busy_server");
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rules_files: [{}]\n\
             stdout_output: {{enabled: false}}\n\
             file_output: {{enabled: true, filename: {}}}\n\
             engine: {{kind: replay, replay: {{capture_file: {}}}}}\n\
             metrics: {{enabled: true, interval: 1h, output_rule: false}}\n\
             webserver: {{enabled: true, listen_address: 127.0.0.1, listen_port: {port}, \
             threadiness: 1, prometheus_metrics_enabled: true}}\n",
            official_rules(),
            dir.path().join("alerts.txt").display(),
            capture.display()
        ),
    )
    .expect("config");
    let out_path = dir.path().join("out.txt");
    let cpu_before = children_cpu_secs();
    let mut child = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&cfg)
        .stdout(std::fs::File::create(&out_path).expect("out"))
        .stderr(Stdio::null())
        .spawn()
        .expect("falco");
    let stop = Arc::new(AtomicBool::new(false));
    let scraper = with_scrapes.then(|| {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut times = Vec::new();
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                if scrape(port).is_some() {
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                next += Duration::from_millis(100);
                if let Some(d) = next.checked_duration_since(Instant::now()) {
                    std::thread::sleep(d);
                }
            }
            times
        })
    });
    let status = child.wait().expect("wait for falco");
    assert!(status.success(), "falco failed: {status}");
    let cpu_secs = children_cpu_secs() - cpu_before;
    stop.store(true, Ordering::Relaxed);
    let scrape_ms = scraper
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    // "Events processed: N (X s, R events/s)"
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("Events processed: "))
        .unwrap_or_else(|| panic!("no summary in {out}"));
    let mut parts = line.split([' ', '(']);
    let events: f64 = parts.next().and_then(|v| v.parse().ok()).expect("events");
    let loop_secs: f64 = parts
        .find(|p| !p.is_empty())
        .and_then(|v| v.parse().ok())
        .expect("seconds");
    Run {
        events,
        loop_secs,
        cpu_secs,
        scrapes: scrape_ms.len(),
        scrape_ms,
    }
}

/// User + system CPU seconds of this process's reaped children (one run's falco is the only
/// child reaped between two readings).
fn children_cpu_secs() -> f64 {
    // SAFETY: rusage is plain old data filled by the call.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU seconds (user + system, all threads) `pid` has used, from /proc/PID/stat.
fn proc_cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces), from `state` on: utime is the
    // 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    f.iter().sum::<f64>() / hz
}

/// The CPU one scrape costs the engine: an idle replay (its FIFO held open) scraped `n` times
/// back to back, the process's CPU time before and after.
fn idle_scrape_cost(n: usize) -> (f64, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let fifo = dir.path().join("capture.fifo");
    let st = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(st.success());
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rules_files: [{}]\n\
             stdout_output: {{enabled: false}}\n\
             engine: {{kind: replay, replay: {{capture_file: {}}}}}\n\
             metrics: {{enabled: true, interval: 1h, output_rule: false}}\n\
             webserver: {{enabled: true, listen_address: 127.0.0.1, listen_port: {port}, \
             threadiness: 1, prometheus_metrics_enabled: true}}\n",
            official_rules(),
            fifo.display()
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("falco");
    let mut data = Vec::new();
    falco_scap::flate2::read::GzDecoder::new(
        std::fs::File::open(falco_testdata::capture("sensitive_reads")).expect("capture"),
    )
    .read_to_end(&mut data)
    .expect("gunzip");
    let mut writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open fifo");
    writer.write_all(&data).expect("feed");
    let mut bytes = 0;
    for _ in 0..200 {
        if let Some(b) = scrape(port) {
            bytes = b;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let before = proc_cpu_secs(child.id());
    for _ in 0..n {
        scrape(port).expect("scrape");
    }
    let cost = (proc_cpu_secs(child.id()) - before) / n as f64;
    drop(writer);
    let _ = child.kill();
    let _ = child.wait();
    (cost, bytes)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let runs: usize = std::env::var("SCRAPE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let n = 2000;
    let (cost, bytes) = idle_scrape_cost(n);
    println!(
        "one scrape ({bytes} bytes of exposition) costs the engine {:.3} ms CPU ({n} scrapes of an idle engine); \
         every 100 ms that is {:.3} % of one core",
        cost * 1000.0,
        cost * 10.0 * 100.0
    );
    let (mut plain, mut scraped) = (Vec::new(), Vec::new());
    // Interleaved, so a change in the machine's load hits both modes alike.
    for i in 0..runs {
        for with in [false, true] {
            let r = run_once(with);
            println!(
                "run {i} {:>13}: {:.0} events in {:.3} s = {:.0} events/s; CPU {:.3} s = {:.0} events/CPU-s; {} scrapes",
                if with { "scraped/100ms" } else { "no scrapes" },
                r.events,
                r.loop_secs,
                r.events / r.loop_secs,
                r.cpu_secs,
                r.events / r.cpu_secs,
                r.scrapes
            );
            if with { &mut scraped } else { &mut plain }.push(r);
        }
    }
    let rate = |v: &[Run]| median(v.iter().map(|r| r.events / r.loop_secs).collect());
    let cpu_rate = |v: &[Run]| median(v.iter().map(|r| r.events / r.cpu_secs).collect());
    let (a, b) = (rate(&plain), rate(&scraped));
    let (ca, cb) = (cpu_rate(&plain), cpu_rate(&scraped));
    let all_ms: Vec<f64> = scraped.iter().flat_map(|r| r.scrape_ms.clone()).collect();
    let scrapes: usize = scraped.iter().map(|r| r.scrapes).sum();
    println!(
        "median events/s (event loop): no scrapes {a:.0}, scraped every 100 ms {b:.0}: {:+.2} %",
        (b - a) / a * 100.0
    );
    println!("median events per CPU-second (whole process): no scrapes {ca:.0}, scraped {cb:.0}: {:+.2} %", (cb - ca) / ca * 100.0);
    println!("scrapes: {scrapes} in {} runs, median response time {:.2} ms (client side, whole exchange)", scraped.len(), median(all_ms));
}
