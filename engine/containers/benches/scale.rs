//! Scale: `FCT_SCALE_N` (default 1000) short-lived containers started and removed on a real
//! dockerd while the cache is asked for each (as the first event of each container asks):
//! prints the cache's peak and final size, the lookups queued, dropped, resolved and
//! removed, and how long the event path's calls took. Figures go to BENCHMARKS.md by hand;
//! nothing here asserts a time.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use falco_containers::EnginesConfig;
use falco_sinsp::state::container::ContainerMetadata;

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
    println!(
        "containers started and removed: {n} in {:.1} s (batches of {batch})",
        churn.as_secs_f64()
    );
    println!(
        "cache: floor {floor}, peak {peak}, final {} after {:.1} s",
        f.entries,
        settle.elapsed().as_secs_f64()
    );
    println!(
        "lookups: requested {}, queue full (dropped, retried later) {}, resolved {}, failed {}, removed {}, evicted {}, pending at the end {}",
        f.requested, f.request_queue_full, f.resolved, f.failed, f.removed, f.evicted, f.pending
    );
    println!(
        "event-path get_or_request: p50 {} ns, p99 {} ns, max {} ns",
        p(0.5),
        p(0.99),
        ask_ns.last().copied().unwrap_or(0)
    );
}
