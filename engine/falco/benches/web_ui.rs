//! The web UI's store under a flood, and the page's load time when it is full.
//!
//! The `falco` binary replays file_mutations.scap.gz with ten rules that match every event
//! (`rule_matching: all`: ten alerts per event), the capture fed through a FIFO held open so
//! the process stays up once the replay is done. Once the alerts file stops growing, the
//! process's VmRSS and VmHWM are read from /proc, for the UI off and for `max_alerts` 1,000,
//! 10,000 and 100,000: the store's cap, not the flood, sets the memory. With 10,000 alerts
//! kept, `/ui/api/alerts` is timed and a headless Chromium loads `/ui/` five times (navigation
//! to the list rendered with every alert).
//!
//! `cargo bench -p falco --bench web_ui` (figures in BENCHMARKS.md; needs `chromium`).

#[path = "../tests/browser/mod.rs"]
mod browser;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RULES: usize = 10;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn get(port: u16, path: &str) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    buf.starts_with(b"HTTP/1.1 200").then_some(buf)
}

fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

struct Figures {
    alerts: u64,
    rss_kb: u64,
    hwm_kb: u64,
    api_ms: Option<f64>,
    api_bytes: usize,
    load_ms: Vec<f64>,
}

fn run(dir: &Path, capture: &[u8], max_alerts: Option<usize>, browser: bool) -> Figures {
    let port = free_port();
    let rules = dir.join("flood.yaml");
    let mut text = String::new();
    for i in 0..RULES {
        text.push_str(&format!(
            "- rule: Flood {i}\n  desc: every event\n  condition: evt.num > 0\n  output: \"flood {i} (evt=%evt.type proc=%proc.name fd=%fd.name num=%evt.num)\"\n  priority: {}\n  tags: [flood]\n",
            ["NOTICE", "WARNING", "ERROR", "CRITICAL", "INFO"][i % 5]
        ));
    }
    std::fs::write(&rules, text).expect("rules");
    let fifo = dir.join("capture.fifo");
    let _ = std::fs::remove_file(&fifo);
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    let alerts = dir.join("alerts.json");
    let _ = std::fs::remove_file(&alerts);
    let ui = match max_alerts {
        Some(n) => format!("  ui: {{enabled: true, max_alerts: {n}}}\n"),
        None => String::new(),
    };
    let cfg = format!(
        "rules_files: [{}]\njson_output: true\nrule_matching: all\nstdout_output: {{enabled: false}}\n\
         file_output: {{enabled: true, filename: {}}}\nengine: {{kind: replay, replay: {{capture_file: {}}}}}\n\
         webserver:\n  enabled: true\n  listen_address: 127.0.0.1\n  listen_port: {port}\n  threadiness: 1\n{ui}",
        rules.display(),
        alerts.display(),
        fifo.display()
    );
    std::fs::write(dir.join("falco.yaml"), cfg).expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_falco"))
        .arg("-c")
        .arg(dir.join("falco.yaml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("falco");
    let (close, closed) = std::sync::mpsc::channel::<()>();
    let data = capture.to_vec();
    let fifo2 = fifo.clone();
    let writer = std::thread::spawn(move || {
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&fifo2) {
            let _ = f.write_all(&data);
            let _ = closed.recv();
        }
    });
    // Done when the alerts file has not grown for two seconds.
    let (mut size, mut still) = (0, Instant::now());
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = std::fs::metadata(&alerts).map_or(0, |m| m.len());
        if now != size {
            size = now;
            still = Instant::now();
        } else if size > 0 && still.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    let count =
        std::fs::read(&alerts).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64);
    let pid = child.id();
    let mut f = Figures {
        alerts: count,
        rss_kb: status_kb(pid, "VmRSS:"),
        hwm_kb: status_kb(pid, "VmHWM:"),
        api_ms: None,
        api_bytes: 0,
        load_ms: Vec::new(),
    };
    if max_alerts.is_some() {
        let t = Instant::now();
        let body = get(port, "/ui/api/alerts").expect("/ui/api/alerts");
        f.api_ms = Some(t.elapsed().as_secs_f64() * 1e3);
        f.api_bytes = body.len();
    }
    if browser {
        let want = max_alerts.unwrap_or(0).min(count as usize);
        let mut b = browser::Browser::start(dir);
        for _ in 0..5 {
            b.open("about:blank");
            let t = Instant::now();
            b.call(
                "Page.navigate",
                serde_json::json!({"url": format!("http://127.0.0.1:{port}/ui/")}),
            );
            b.wait_true(
                &format!("document.body && document.body.dataset.loaded === 'true' && Number(document.body.dataset.total) === {want} && document.querySelectorAll('#time-chart rect.bar').length > 0"),
                Duration::from_secs(60),
            )
            .expect("the page loads");
            f.load_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    drop(close);
    let _ = child.kill();
    let _ = child.wait();
    let _ = writer.join();
    let _ = std::fs::remove_file(&alerts);
    f
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let path = falco_testdata::capture("file_mutations");
    let mut capture = Vec::new();
    falco_scap::flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("capture"))
        .read_to_end(&mut capture)
        .expect("gunzip");
    let dir = tempfile::Builder::new()
        .prefix("web-ui-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir");
    println!("| store | alerts sent | VmRSS MiB | VmHWM MiB | /ui/api/alerts |");
    println!("|---|---|---|---|---|");
    for (cap, browser) in [
        (None, false),
        (Some(1_000), false),
        (Some(10_000), true),
        (Some(100_000), false),
    ] {
        let f = run(dir.path(), &capture, cap, browser);
        let api = match f.api_ms {
            Some(ms) => format!("{ms:.1} ms, {:.1} MiB", f.api_bytes as f64 / 1048576.0),
            None => "-".into(),
        };
        println!(
            "| {} | {} | {:.1} | {:.1} | {api} |",
            cap.map_or("UI off".to_string(), |c| format!("max_alerts {c}")),
            f.alerts,
            f.rss_kb as f64 / 1024.0,
            f.hwm_kb as f64 / 1024.0,
        );
        if !f.load_ms.is_empty() {
            let mut l = f.load_ms.clone();
            l.sort_by(f64::total_cmp);
            eprintln!(
                "page load with {} alerts kept, 5 loads: median {:.0} ms (min {:.0}, max {:.0})",
                cap.unwrap_or(0),
                l[l.len() / 2],
                l[0],
                l[l.len() - 1]
            );
        }
    }
}
