//! Scale: `FCT_SCALE_N` (default 1000) short-lived containers started and removed on a real
//! dockerd while the cache is asked for each (as the first event of each container asks):
//! prints the cache's peak and final size, the lookups queued, dropped, resolved and
//! removed, and how long the event path's calls took. With the engine built
//! (`cargo build --release -p falco`), `falco` runs live on the eBPF driver with the default
//! rules and the same dockerd during the churn (root), and its driver drop counters are
//! printed. The figures are written into BENCHMARKS.md (between the `scale figures` markers);
//! nothing here asserts a time.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use falco_containers::EnginesConfig;
use falco_sinsp::state::container::ContainerMetadata;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// `falco` on the live eBPF driver with the default rules, asking the bench's dockerd; its
/// stderr lines arrive on the channel. None when the binary is not built.
fn start_falco(dir: &Path, sock: &Path) -> Option<(Child, mpsc::Receiver<String>)> {
    let bin = PathBuf::from(REPO).join("target/release/falco");
    if !bin.exists() {
        println!(
            "{} not built: no live engine in this run (cargo build --release -p falco)",
            bin.display()
        );
        return None;
    }
    let cfg = dir.join("falco.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rules_files: [{REPO}/rules/falco_rules.yaml]\njson_output: true\n\
             stdout_output: {{enabled: true}}\nlog_stderr: true\nlog_level: info\n\
             engine: {{kind: modern_ebpf}}\nwatch_config_files: false\n\
             load_plugins: [container]\nplugins:\n  - name: container\n    library_path: libcontainer.so\n\
             \x20   init_config:\n      engines:\n        docker: {{enabled: true, sockets: [{}]}}\n\
             \x20       podman: {{enabled: false}}\n        containerd: {{enabled: false}}\n\
             \x20       cri: {{enabled: false}}\nappend_output:\n  - suggested_output: true\n",
            sock.display()
        ),
    )
    .expect("falco.yaml");
    let mut child = Command::new(&bin)
        .arg("-c")
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco");
    // Both streams on one channel: the summary is on stdout, the driver counters on stderr.
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().expect("stderr");
    let out = child.stdout.take().expect("stdout");
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx2.send(l).is_err() {
                return;
            }
        }
    });
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    let end = Instant::now() + Duration::from_secs(60);
    while Instant::now() < end {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            if l.contains("capturing live events") {
                return Some((child, rx));
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("falco did not start capturing within 60 s");
}

/// Replaces the text between the scale markers of BENCHMARKS.md with `figures`.
fn write_figures(figures: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    const BEGIN: &str = "<!-- scale figures: written by benches/scale.rs -->";
    const END: &str = "<!-- end of scale figures -->";
    let block = format!("{BEGIN}\n{figures}{END}");
    let new = match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if e > b => format!("{}{block}{}", &text[..b], &text[e + END.len()..]),
        _ => format!("{text}\n{block}\n"),
    };
    std::fs::write(&path, new).expect("BENCHMARKS.md");
    println!("figures written to {}", path.display());
}

fn main() {
    require(&["dockerd", "docker", "tar"]);
    let n: usize = std::env::var("FCT_SCALE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let batch = 10;
    let s = Scratch::new("scale");
    let d = Docker::start(&s.0);
    d.import(&rootfs(&s.0), "localhost/fdock:1.0");
    let mut cfg = EnginesConfig::none();
    cfg.host_root = None;
    cfg.docker.enabled = true;
    cfg.docker.sockets = vec![d.sock.clone()];
    let col = falco_containers::start(cfg).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let floor = col.cache.len();
    let falco = start_falco(&s.0, &d.sock);

    let start = Instant::now();
    let mut peak = 0;
    let mut ask_ns: Vec<u64> = Vec::new();
    let mut done = 0;
    while done < n {
        let k = batch.min(n - done);
        let children: Vec<_> = (0..k)
            .map(|i| {
                d.cli()
                    .args(["run", "-d", "--label", "scale=1", "--name"])
                    .arg(format!("fct-s{}", done + i))
                    .arg("localhost/fdock:1.0")
                    .output()
                    .expect("docker run")
            })
            .collect();
        let ids: Vec<String> = children
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|id| id.len() >= 12)
            .collect();
        for id in &ids {
            // The first event of the container: never waits.
            let t = Instant::now();
            let _ = col.cache.get_or_request(&id[..12], "docker");
            ask_ns.push(t.elapsed().as_nanos() as u64);
        }
        peak = peak.max(col.cache.len());
        let mut rm = d.cli();
        rm.args(["rm", "-f"]).args(&ids);
        let _ = rm.output();
        done += k;
        peak = peak.max(col.cache.len());
    }
    let churn = start.elapsed();
    let settle = Instant::now();
    while (col.cache.len() > floor || col.cache.figures().pending > 0)
        && settle.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let f = col.cache.figures();
    ask_ns.sort_unstable();
    let p = |q: f64| ask_ns[((ask_ns.len() as f64 * q).ceil() as usize).clamp(1, ask_ns.len()) - 1];
    let mut out = String::new();
    out.push_str("| figure | value |\n|---|---|\n");
    out.push_str(&format!(
        "| containers started and removed | {n} in {:.1} s (batches of {batch}, dockerd's pace) |\n",
        churn.as_secs_f64()
    ));
    out.push_str(&format!(
        "| cache entries: floor / peak / after the run | {floor} / {peak} / {} ({:.1} s after the last removal) |\n",
        f.entries,
        settle.elapsed().as_secs_f64()
    ));
    out.push_str(&format!(
        "| lookups queued by the event path / dropped on a full queue | {} / {} |\n",
        f.requested, f.request_queue_full
    ));
    out.push_str(&format!(
        "| inspects answered / failed | {} / {} |\n| entries removed on exit / evicted | {} / {} |\n| lookups pending at the end (backlog) | {} |\n",
        f.resolved, f.failed, f.removed, f.evicted, f.pending
    ));
    out.push_str(&format!(
        "| event-path `get_or_request`: p50 / p99 / max | {} ns / {} ns / {} ns |\n",
        p(0.5),
        p(0.99),
        ask_ns.last().copied().unwrap_or(0)
    ));
    if let Some((mut child, rx)) = falco {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let _ = child.wait();
        // The reader threads end with the pipes; give them a moment to hand over the tail.
        let mut lines: Vec<String> = Vec::new();
        while let Ok(l) = rx.recv_timeout(Duration::from_secs(2)) {
            lines.push(l);
        }
        let alerts = lines.iter().filter(|l| l.starts_with('{')).count();
        let pick = |needle: &str| {
            lines
                .iter()
                .rev()
                .find(|l| l.contains(needle))
                .map(|l| l.trim().to_string())
                .unwrap_or_else(|| format!("(no `{needle}` line)"))
        };
        out.push_str(&format!(
            "| live `falco` (eBPF, default rules, the whole host) during the churn: driver | {} |\n",
            pick("events produced")
        ));
        out.push_str(&format!(
            "| live `falco`: events processed; alerts | {}; {alerts} |\n",
            pick("Events processed")
        ));
    }
    print!("{out}");
    write_figures(&out);
}
