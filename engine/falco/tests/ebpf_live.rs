//! `falco -o engine.kind=modern_ebpf` with the default rules, live on this host's kernel: a
//! child of the test (its workload shell) reads /etc/shadow and the engine alerts with the
//! process, its command line, parent, user and the file; SIGTERM stops it with exit status 0.
//! Root only (BPF); only the workload shell's tree is captured.

mod ebpf_common;

use std::time::Duration;

use ebpf_common::{require_root, resolved, LiveFalco, Workload};

const RULE: &str = "Read sensitive file by untrusted program";

#[test]
fn cat_etc_shadow_alerts_through_ebpf() {
    require_root("ebpf_live");
    let mut sh = Workload::start(std::path::Path::new("/"));
    let mut falco = LiveFalco::start(sh.pid(), &[]);
    let (rc, out) = sh.run("/bin/cat /etc/shadow > /dev/null");
    assert_eq!(rc, 0, "cat /etc/shadow: {out:?}");
    let line = falco.wait_for(
        |l| l.contains(RULE) && l.contains("\"proc.name\":\"cat\""),
        Duration::from_secs(20),
    );
    let (status, lines) = falco.stop();
    assert!(sh.finish().success(), "the workload shell exits 0");
    let alerts = ebpf_common::alerts_in(&lines);
    assert!(
        line.is_some(),
        "no `{RULE}` alert for process cat; alerts: {alerts:#?}\nall output: {lines:#?}"
    );
    let shadow: Vec<&serde_json::Value> = alerts
        .iter()
        .filter(|a| a["rule"] == RULE && a["output_fields"]["proc.name"] == "cat")
        .collect();
    assert_eq!(
        shadow.len(),
        1,
        "exactly one alert for the one read: {shadow:#?}"
    );
    let a = shadow[0];
    let f = &a["output_fields"];
    let exe = resolved("/bin/cat");
    let want = [
        ("fd.name", "/etc/shadow"),
        ("evt.type", "openat"),
        ("proc.name", "cat"),
        ("proc.cmdline", "cat /etc/shadow"),
        ("proc.exepath", exe.as_str()),
        ("user.name", "root"),
        ("container.id", "host"),
    ];
    for (k, v) in want {
        assert_eq!(f[k], v, "{k} of the alert: {a:#}");
    }
    assert_eq!(f["user.uid"], 0, "user.uid of the alert: {a:#}");
    assert_eq!(f["proc.pname"], "sh", "proc.pname of the alert: {a:#}");
    let text = a["output"].as_str().unwrap_or_default();
    for part in [
        "file=/etc/shadow",
        "process=cat",
        "command=cat /etc/shadow",
        "user=root",
    ] {
        assert!(text.contains(part), "`{part}` in the alert text: {text}");
    }
    assert!(
        status.success(),
        "falco exits 0 on SIGTERM: {status}; output: {lines:#?}"
    );
    // Everything the driver produced was read: no drop of any category.
    let stats = lines
        .iter()
        .find(|l| l.contains("events produced"))
        .unwrap_or_else(|| panic!("no driver summary: {lines:#?}"));
    assert!(stats.ends_with(" 0 dropped"), "{stats}");
}
