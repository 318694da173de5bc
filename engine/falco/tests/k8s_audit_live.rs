//! Both sources live in one process: the modern eBPF driver's syscall events and the k8s
//! audit webhook's, each evaluated against the rules of its source, alerts of both kinds
//! flowing while the other source is busy (a webhook flood does not hold up syscall alerts).
//!
//! Needs root (BPF); capture is limited to the test's workload shell
//! (FALCO_EBPF_ONLY_TREE_OF): the machine is shared.

mod ebpf_common;
mod k8s_audit_common;

use ebpf_common::{require_root, Workload};
use k8s_audit_common::{alerts, config, event_list, post, reference, trace_events, Falco};
use std::process::Command;
use std::time::Duration;

#[test]
fn syscall_and_audit_alerts_flow_together_through_the_ebpf_driver() {
    require_root("the two-source live test");
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("marker");
    std::fs::write(&marker, "x").expect("marker");
    let syscall_rules = dir.path().join("syscall.yaml");
    std::fs::write(
        &syscall_rules,
        format!(
            "- rule: Marker read\n  desc: d\n  condition: evt.type in (open, openat, openat2) and fd.name = {}\n  output: \"marker read by %proc.name\"\n  priority: WARNING\n",
            marker.display()
        ),
    )
    .expect("rules");
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        config(
            "http://127.0.0.1:0/k8s-audit",
            "engine: {kind: modern_ebpf}\nwatch_config_files: false\n",
        ),
    )
    .expect("config");
    let mut w = Workload::start(dir.path());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falco"));
    cmd.arg("-c")
        .arg(&cfg)
        .arg("-r")
        .arg(&syscall_rules)
        .arg("-r")
        .arg(reference().join("rules/k8s_audit_rules.yaml"))
        .env("FALCO_EBPF_ONLY_TREE_OF", w.pid().to_string());
    let mut f = Falco::spawn(cmd);
    let addr = f.webhook_addr();
    f.wait_for(
        "capturing live events from the modern eBPF driver",
        Duration::from_secs(60),
    )
    .unwrap_or_else(|| panic!("no capture: {:#?}", f.seen));
    let batch = event_list(&trace_events(
        &reference().join("traces/create_nginx_pod_privileged.json"),
    ));
    let count =
        |seen: &[String], rule: &str| alerts(seen).iter().filter(|(r, _)| r == rule).count();
    // Interleaved: each source's alert comes while the other's events flow.
    for i in 1..=5 {
        w.run(&format!("cat {} >/dev/null", marker.display()));
        let (s, b) = post(addr, "/k8s-audit", "application/json", batch.as_bytes());
        assert_eq!(s, 200, "{b}");
        assert!(
            f.until(Duration::from_secs(20), |seen| count(seen, "Marker read")
                >= i
                && count(seen, "Create Privileged Pod") >= i),
            "round {i}: {:#?}",
            f.seen
        );
    }
    // A webhook flood in the background (events every rule is evaluated on, none alerting, so
    // the outputs carry the syscall alerts); syscall alerts keep coming meanwhile.
    let flood = {
        let batch = event_list(&vec![
            trace_events(
                &reference().join("traces/create_nginx_pod_unprivileged.json")
            )[0]
            .clone();
            200
        ]);
        std::thread::spawn(move || {
            let mut ok = 0;
            for _ in 0..100 {
                if post(addr, "/k8s-audit", "application/json", batch.as_bytes()).0 == 200 {
                    ok += 1;
                }
            }
            ok
        })
    };
    for i in 6..=15 {
        w.run(&format!("cat {} >/dev/null", marker.display()));
        assert!(
            f.until(Duration::from_secs(20), |seen| count(seen, "Marker read")
                >= i),
            "syscall alert {i} during the flood: {:#?}",
            f.seen.len()
        );
    }
    let accepted = flood.join().expect("flood");
    assert!(accepted > 0);
    let (status, lines) = f.stop();
    assert!(
        status.success(),
        "{:#?}",
        &lines[lines.len().saturating_sub(30)..]
    );
    let all = alerts(&lines);
    assert_eq!(count(&lines, "Marker read"), 15);
    assert_eq!(count(&lines, "Create Privileged Pod"), 5);
    // Sources as Falco names them in each alert.
    for l in lines.iter().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(l).expect("json");
        let want = if v["rule"] == "Marker read" {
            "syscall"
        } else {
            "k8s_audit"
        };
        assert_eq!(v["source"], want, "{l}");
    }
    assert!(all.len() >= 20);
    // The flood was evaluated: the audit input counted its events.
    let text = lines.join("\n");
    let counted = text
        .split("k8s_audit: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    assert_eq!(counted, 5 + accepted * 200, "{text}");
    drop(w);
}
