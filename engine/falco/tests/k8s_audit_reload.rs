//! A SIGHUP reload with changed k8s audit rules applies to the next audit events without
//! losing any: batches keep arriving at the webhook while the rules are rewritten and
//! reloaded; every accepted event alerts exactly once, under the old rule before the reload
//! and the new one after.

mod k8s_audit_common;

use k8s_audit_common::{alerts, config, event_list, post, reference, trace_events, Falco};
use std::process::Command;
use std::time::Duration;

const RULE: &str = "- rule: {name}\n  desc: d\n  condition: ka.verb = create and ka.target.resource = pods\n  output: \"{name} %ka.auditid\"\n  priority: WARNING\n  source: k8s_audit\n";

#[test]
fn sighup_with_changed_k8s_rules_applies_to_the_next_events_losing_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("k8s.yaml");
    std::fs::write(&rules, RULE.replace("{name}", "Before")).expect("rules");
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        config(
            "http://127.0.0.1:0/k8s-audit",
            "watch_config_files: false\n",
        ),
    )
    .expect("config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falco"));
    cmd.arg("-c")
        .arg(&cfg)
        .args(["--enable-source", "k8s_audit", "-r"])
        .arg(&rules);
    let mut f = Falco::spawn(cmd);
    let addr = f.webhook_addr();
    let template = trace_events(&reference().join("traces/create_nginx_pod_privileged.json"))
        .pop()
        .expect("one event");
    let sender = std::thread::spawn(move || {
        let mut accepted = Vec::new();
        for i in 0..300 {
            let mut ev = template.clone();
            ev["auditID"] = format!("id-{i}").into();
            let (status, body) = post(
                addr,
                "/k8s-audit",
                "application/json",
                event_list(&[ev]).as_bytes(),
            );
            assert_eq!(status, 200, "{body}");
            accepted.push(i);
            std::thread::sleep(Duration::from_millis(5));
        }
        accepted
    });
    assert!(
        f.until(Duration::from_secs(20), |seen| alerts(seen).len() >= 20),
        "alerts before the reload: {:#?}",
        f.seen
    );
    std::fs::write(&rules, RULE.replace("{name}", "After")).expect("rules");
    f.signal(libc::SIGHUP);
    f.wait_for("reloaded:", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no reload: {:#?}", f.seen));
    let accepted = sender.join().expect("sender");
    let n = accepted.len();
    assert!(
        f.until(Duration::from_secs(20), |seen| alerts(seen).len() >= n),
        "{} alerts for {n} events",
        alerts(&f.seen).len()
    );
    let (status, lines) = f.stop();
    assert!(status.success(), "{lines:#?}");
    let got = alerts(&lines);
    assert_eq!(got.len(), n, "one alert per event: {got:#?}");
    // In event order, every alert says its event's id; the rule switches once, for good.
    let mut switched = None;
    for (k, (rule, output)) in got.iter().enumerate() {
        assert!(output.ends_with(&format!(" id-{k}")), "{k}: {output}");
        match (rule.as_str(), switched) {
            ("Before", None) => {}
            ("After", None) => switched = Some(k),
            ("After", Some(_)) => {}
            other => panic!("alert {k} under {other:?} after the switch at {switched:?}"),
        }
    }
    let at = switched.expect("the new rule alerted");
    assert!(at >= 20 && at < n, "switched at {at}");
}
