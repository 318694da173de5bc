//! Metrics end to end: a real Prometheus server (Debian's `prometheus`) started here on
//! 127.0.0.1 with a private configuration and data directory scrapes `/metrics` during a
//! slowed replay; the `metrics.*` toggles shape the snapshot written to `metrics.output_file`
//! and the internal alert; `--enable-source`/`--disable-source` as the Helm chart passes them.
//! The live test (root: the eBPF driver) scrapes a live run of the test's own workload.

mod ebpf_common;
mod web_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use web_common::*;

/// A Prometheus server on a private port and data directory, killed when dropped.
struct Prometheus {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn prometheus_binary() -> PathBuf {
    let p = PathBuf::from("/usr/bin/prometheus");
    assert!(
        p.exists(),
        "this test needs the Prometheus server: install the Debian package `prometheus` \
         (scripts/test-deps does)"
    );
    p
}

impl Prometheus {
    fn start(dir: &Path, target_port: u16) -> Prometheus {
        let port = free_port();
        let cfg = dir.join("prometheus.yml");
        std::fs::write(
            &cfg,
            format!(
                "global:\n  scrape_interval: 250ms\n  scrape_timeout: 200ms\n\
                 scrape_configs:\n  - job_name: falco\n    static_configs:\n      \
                 - targets: ['127.0.0.1:{target_port}']\n"
            ),
        )
        .expect("prometheus.yml");
        let log = dir.join("prometheus.log");
        let child = Command::new(prometheus_binary())
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("start prometheus");
        let p = Prometheus { child, port, log };
        let ready = wait_for(Duration::from_secs(30), || {
            get(p.port, "/-/ready").ok().filter(|(s, _)| *s == 200)
        });
        assert!(ready.is_some(), "prometheus not ready: {}", p.log());
        p
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The result list of an instant query.
    fn query(&self, q: &str) -> Vec<serde_json::Value> {
        let enc: String = q
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let Ok((200, body)) = get(self.port, &format!("/api/v1/query?query={enc}")) else {
            return Vec::new();
        };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// The single value of an instant query, if there is one.
    fn value(&self, q: &str) -> Option<f64> {
        let r = self.query(q);
        r.first()?["value"][1].as_str()?.parse().ok()
    }
}

#[test]
fn prometheus_scrapes_a_slowed_replay() {
    let dir = tempdir();
    let port = free_port();
    let prom = Prometheus::start(dir.path(), port);
    let fifo = dir.path().join("capture.fifo");
    let alerts = dir.path().join("alerts.json");
    // About 6 s of replay in 30 steps: many scrapes see the counters grow. The capture is
    // fed once Prometheus scrapes the target (its discovery takes a few seconds to start).
    let (go, gate) = std::sync::mpsc::channel();
    let mut feed = Feed::gated(
        &fifo,
        chunks(&capture_bytes("sensitive_reads"), 30),
        Duration::from_millis(200),
        Some(gate),
    );
    let mut falco = Falco::start(
        dir.path(),
        &replay_config(
            &fifo,
            &alerts,
            port,
            "metrics:\n  enabled: true\n  interval: 1h\n  output_rule: false\n",
        ),
        &[],
    );
    let up = wait_for(Duration::from_secs(30), || {
        prom.value("up{job=\"falco\"}").filter(|v| *v == 1.0)
    });
    assert!(
        up.is_some(),
        "target never up\nfalco: {}\nprometheus: {}",
        falco.err(),
        prom.log()
    );
    go.send(()).expect("start feeding");
    // The event counter as Prometheus sees it, while the capture is being fed.
    let mut seen = Vec::new();
    while feed.written.try_recv().is_err() {
        if let Some(v) = prom.value("falcosecurity_scap_n_evts_total{job=\"falco\"}") {
            if seen.last() != Some(&v) {
                seen.push(v);
            }
        }
        std::thread::sleep(Duration::from_millis(250));
        assert!(
            falco.child.try_wait().ok().flatten().is_none(),
            "falco ended: {}",
            falco.err()
        );
    }
    assert!(
        seen.len() >= 3 && seen.windows(2).all(|w| w[0] < w[1]),
        "the event counter did not grow scrape after scrape: {seen:?}"
    );
    // Everything fed: wait until the engine has taken it all in and Prometheus scraped that.
    let total = wait_for(Duration::from_secs(30), || {
        let (_, text) = get(port, "/metrics").ok()?;
        let a = sample(&text, "falcosecurity_scap_n_evts_total")?;
        std::thread::sleep(Duration::from_millis(600));
        let (_, text) = get(port, "/metrics").ok()?;
        let b = sample(&text, "falcosecurity_scap_n_evts_total")?;
        (a == b && b > 0.0).then_some(b)
    })
    .expect("the event counter never settled");
    let scraped = wait_for(Duration::from_secs(10), || {
        prom.value("falcosecurity_scap_n_evts_total{job=\"falco\"}")
            .filter(|v| *v == total)
    });
    assert!(scraped.is_some(), "Prometheus never saw {total} events");
    // The per-rule counters Prometheus holds equal the alerts the file output wrote.
    let written = alerts_by_rule(&alerts);
    assert!(!written.is_empty(), "no alerts written");
    let matches = wait_for(Duration::from_secs(10), || {
        let m: BTreeMap<String, u64> = prom
            .query("falcosecurity_falco_rules_matches_total{job=\"falco\"}")
            .iter()
            .filter_map(|r| {
                Some((
                    r["metric"]["rule_name"].as_str()?.to_string(),
                    r["value"][1].as_str()?.parse::<f64>().ok()? as u64,
                ))
            })
            .collect();
        (m == written).then_some(m)
    });
    assert!(
        matches.is_some(),
        "per-rule counters {:?} differ from the alerts written {written:?}",
        prom.query("falcosecurity_falco_rules_matches_total")
    );
    // Labels as Falco 0.44 gives them.
    let r = prom.query("falcosecurity_falco_rules_matches_total{rule_name=\"Read sensitive file by untrusted program\"}");
    let labels = &r.first().expect("the sensitive-file rule matched")["metric"];
    assert_eq!(labels["priority"], "4", "{labels}");
    assert_eq!(labels["source"], "syscall", "{labels}");
    assert_eq!(labels["tag_filesystem"], "true", "{labels}");
    for name in [
        "falcosecurity_falco_version_info",
        "falcosecurity_scap_engine_name_info",
        "falcosecurity_falco_memory_rss_bytes",
        "falcosecurity_falco_cpu_usage_ratio",
        "falcosecurity_scap_n_threads_total",
        "falcosecurity_scap_n_fds_total",
        "falcosecurity_falco_outputs_queue_num_drops_total",
        "falcosecurity_falco_duration_seconds_total",
    ] {
        assert!(!prom.query(name).is_empty(), "{name} not scraped");
    }
    // The end of the capture ends the replay normally. The reader hands over its last,
    // partial batch only at the end of the capture, so the summary may count a few more.
    feed.finish();
    let code = falco.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{}", falco.err());
    let summary_events = falco.out().lines().find_map(|l| {
        l.strip_prefix("Events processed: ")?
            .split(' ')
            .next()?
            .parse::<f64>()
            .ok()
    });
    assert!(
        summary_events.is_some_and(|n| n >= total),
        "summary {summary_events:?} < {total} scraped: {}",
        falco.out()
    );
}

/// Runs a slowed replay with `metrics` settings (interval 1 s, output to a file and to the
/// alerts); returns the snapshots of the file, the metrics alerts and the last /metrics text.
fn snapshots(metrics: &str) -> (Vec<serde_json::Value>, Vec<serde_json::Value>, String) {
    let dir = tempdir();
    let port = free_port();
    let fifo = dir.path().join("capture.fifo");
    let alerts = dir.path().join("alerts.json");
    let file = dir.path().join("metrics.jsonl");
    let mut feed = Feed::start(
        &fifo,
        chunks(&capture_bytes("sensitive_reads"), 10),
        Duration::from_millis(300),
    );
    let mut falco = Falco::start(
        dir.path(),
        &replay_config(
            &fifo,
            &alerts,
            port,
            &format!(
                "metrics:\n  enabled: true\n  interval: 1s\n  output_rule: true\n  output_file: {}\n{metrics}",
                file.display()
            ),
        ),
        &[],
    );
    let _ = feed.written.recv_timeout(Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(1200));
    let text = get(port, "/metrics").map(|(_, t)| t).unwrap_or_default();
    feed.finish();
    assert_eq!(
        falco.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        falco.err()
    );
    let lines = |p: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let from_file = lines(&file);
    let from_alerts: Vec<serde_json::Value> = lines(&alerts)
        .into_iter()
        .filter(|a| a["rule"] == "Falco internal: metrics snapshot")
        .collect();
    (from_file, from_alerts, text)
}

#[test]
fn the_metrics_toggles_shape_every_view() {
    // Defaults: every category, memory in MB, zero values left out.
    let (file, alerts, text) = snapshots("");
    assert!(file.len() >= 2, "{} snapshots in the file", file.len());
    assert_eq!(
        file.len(),
        alerts.len(),
        "the file and the alerts get the same snapshots"
    );
    let last = &file[file.len() - 1]["output_fields"];
    for key in [
        "falco.version",
        "falco.num_evts",
        "falco.memory_rss_mb",
        "falco.cpu_usage_perc",
        "falco.n_threads",
        "falco.n_fds",
        "falco.rules.matches_total",
        "falco.rules.Read_sensitive_file_by_untrusted_program",
        "falco.sha256_rules_file.falco_rules",
        "scap.engine_name",
    ] {
        assert!(!last[key].is_null(), "{key} missing: {last}");
    }
    assert!(
        last["falco.outputs_queue_num_drops"].is_null(),
        "a zero value included: {last}"
    );
    let alert_fields = &alerts[alerts.len() - 1]["output_fields"];
    assert_eq!(
        alert_fields["scap.engine_name"], "savefile",
        "{alert_fields}"
    );
    assert!(
        alert_fields["falco.num_evts"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{alert_fields}"
    );
    assert!(
        text.contains("falcosecurity_falco_memory_rss_bytes "),
        "{text}"
    );
    assert!(
        text.contains("falcosecurity_scap_n_threads_total "),
        "{text}"
    );
    assert!(
        text.contains("falcosecurity_falco_rules_matches_total{"),
        "{text}"
    );

    // Categories off, memory in KB, empty values included.
    let (file, _, text) = snapshots(
        "  rules_counters_enabled: false\n  resource_utilization_enabled: false\n  \
         state_counters_enabled: false\n  kernel_event_counters_enabled: false\n  \
         convert_memory_to_mb: false\n  include_empty_values: true\n",
    );
    let last = &file.last().expect("a snapshot")["output_fields"];
    for key in [
        "falco.memory_rss_mb",
        "falco.memory_rss_kb",
        "falco.n_threads",
        "falco.rules.matches_total",
    ] {
        assert!(last[key].is_null(), "{key} present though disabled: {last}");
    }
    assert_eq!(
        last["falco.outputs_queue_num_drops"], 0,
        "include_empty_values: {last}"
    );
    for name in [
        "falcosecurity_falco_memory_rss_bytes",
        "falcosecurity_scap_n_threads_total",
        "falcosecurity_falco_rules_matches_total",
        "falcosecurity_scap_n_evts_total",
    ] {
        assert!(!text.contains(name), "{name} exposed though disabled");
    }
    assert!(text.contains("falcosecurity_falco_version_info{"), "{text}");

    // Memory in KB when asked.
    let (file, _, _) = snapshots("  convert_memory_to_mb: false\n");
    let last = &file.last().expect("a snapshot")["output_fields"];
    assert!(
        last["falco.memory_rss_kb"]
            .as_f64()
            .is_some_and(|v| v > 100.0),
        "{last}"
    );
    assert!(last["falco.memory_rss_mb"].is_null(), "{last}");
}

fn falco_cmd(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .args(args)
        .output()
        .expect("run falco");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn enable_and_disable_source_as_the_chart_passes_them() {
    let rules = format!("{REPO}/rules/falco_rules.yaml");
    let base = ["-r", rules.as_str(), "--dry-run"];
    let cases: &[(&[&str], i32, &str)] = &[
        (&["--enable-source", "syscall"], 0, ""),
        (
            &["--disable-source", "syscall"],
            1,
            "Error: Must enable at least one event source",
        ),
        (
            &["--enable-source", "k8s_audit"],
            1,
            "Error: Attempted enabling an unknown event source: k8s_audit",
        ),
        (
            &["--disable-source", "nope"],
            1,
            "Error: Attempted disabling an unknown event source: nope",
        ),
        (
            &["--enable-source", "syscall", "--disable-source", "syscall"],
            1,
            "Error: You can not mix --enable-source and --disable-source",
        ),
    ];
    for (args, code, want) in cases {
        let mut all: Vec<&str> = base.to_vec();
        all.extend_from_slice(args);
        let (got, err) = falco_cmd(&all);
        assert_eq!(got, *code, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: want {want:?} in\n{err}");
    }
}

#[test]
fn prometheus_scrapes_a_live_ebpf_run() {
    const RULE: &str = "Read sensitive file by untrusted program";
    ebpf_common::require_root("prometheus_scrapes_a_live_ebpf_run");
    let dir = tempdir();
    let port = free_port();
    let prom = Prometheus::start(dir.path(), port);
    let mut sh = ebpf_common::Workload::start(Path::new("/"));
    let listen = format!("webserver.listen_port={port}");
    let mut falco = ebpf_common::LiveFalco::start(
        sh.pid(),
        &[
            "-o",
            "webserver.enabled=true",
            "-o",
            "webserver.listen_address=127.0.0.1",
            "-o",
            &listen,
            "-o",
            "webserver.prometheus_metrics_enabled=true",
            "-o",
            "metrics.enabled=true",
            "-o",
            "metrics.output_rule=false",
        ],
    );
    let up = wait_for(Duration::from_secs(30), || {
        prom.value("up{job=\"falco\"}").filter(|v| *v == 1.0)
    });
    assert!(up.is_some(), "target never up: {}", prom.log());
    let engine = prom.query("falcosecurity_scap_engine_name_info");
    assert_eq!(
        engine.first().map(|e| e["metric"]["engine_name"].clone()),
        Some("modern_ebpf".into())
    );
    let before = wait_for(Duration::from_secs(10), || {
        prom.value("falcosecurity_scap_n_evts_total{job=\"falco\"}")
    })
    .expect("an event counter");
    let reads = 5;
    for _ in 0..reads {
        let (rc, out) = sh.run("/bin/cat /etc/shadow > /dev/null");
        assert_eq!(rc, 0, "{out:?}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let n = |f: &ebpf_common::LiveFalco| f.alerts().iter().filter(|a| a["rule"] == RULE).count();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while n(&falco) < reads && std::time::Instant::now() < deadline {
        falco.wait_for(|_| false, Duration::from_millis(200));
    }
    assert_eq!(n(&falco), reads, "one alert per read");
    let grown = wait_for(Duration::from_secs(10), || {
        prom.value("falcosecurity_scap_n_evts_total{job=\"falco\"}")
            .filter(|v| *v > before)
    });
    assert!(
        grown.is_some(),
        "the driver's event counter did not grow past {before}"
    );
    // Every rule's counter as Prometheus scraped it equals the alerts the engine wrote.
    let matches = wait_for(Duration::from_secs(15), || {
        falco.wait_for(|_| false, Duration::from_millis(100));
        let mut written: BTreeMap<String, u64> = BTreeMap::new();
        for a in falco.alerts() {
            if a["source"] != "internal" {
                if let Some(r) = a["rule"].as_str() {
                    *written.entry(r.to_string()).or_default() += 1;
                }
            }
        }
        let scraped: BTreeMap<String, u64> = prom
            .query("falcosecurity_falco_rules_matches_total{job=\"falco\"}")
            .iter()
            .filter_map(|r| {
                Some((
                    r["metric"]["rule_name"].as_str()?.to_string(),
                    r["value"][1].as_str()?.parse::<f64>().ok()? as u64,
                ))
            })
            .collect();
        (scraped == written).then_some(scraped)
    });
    assert!(
        matches
            .as_ref()
            .is_some_and(|m| m.get(RULE) == Some(&(reads as u64))),
        "per-rule counters {:?} differ from the alerts written {:?}",
        prom.query("falcosecurity_falco_rules_matches_total"),
        falco.alerts()
    );
    assert!(!prom
        .query("falcosecurity_scap_n_drops_buffer_total")
        .is_empty());
    let (status, _) = falco.stop();
    assert!(status.success(), "{status}");
    assert!(sh.finish().success());
}
