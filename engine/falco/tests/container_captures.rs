//! Container metadata carried by captures: sysdig's 2019 capture of a privileged nginx
//! container (`tests/captures/falco-2019-privileged-nginx.scap`, one `container` event in
//! libsinsp's JSON) replays with that container's name, image and privilege, as sysdig itself
//! reads them; `falco-inspect` shows the same fields. The live half (a capture written during a
//! real container's run replays with the same container) is in `containers_live.rs`.

mod replay_common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures/falco-2019-privileged-nginx.scap")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fct-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const RULE: &str = "\
- rule: Privileged container described
  desc: A capture's container event describes a privileged container.
  condition: evt.type=container and container.privileged=true
  output: >
    Privileged container (name=%container.name image=%container.image
    repository=%container.image.repository tag=%container.image.tag id=%container.id
    type=%container.type maintainer=%container.label[maintainer])
  priority: INFO
";

#[test]
fn sysdigs_2019_container_event_replays_with_its_container() {
    let d = scratch("cap2019");
    let rules = d.join("rules.yaml");
    std::fs::write(&rules, RULE).unwrap();
    let cfg = d.join("falco.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rules_files: [{}]\nstdout_output: {{enabled: true}}\njson_output: true\n\
             json_include_output_property: true\n",
            rules.display()
        ),
    )
    .unwrap();
    let out = replay_common::replay(&cfg, &capture())
        .output()
        .expect("falco");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let f = &alerts[0]["output_fields"];
    assert_eq!(f["container.name"], "epic_cray");
    assert_eq!(f["container.image"], "nginx:latest");
    assert_eq!(f["container.image.repository"], "nginx");
    assert_eq!(f["container.image.tag"], "latest");
    assert_eq!(f["container.id"], "9dbcbd0c435f");
    assert_eq!(f["container.type"], "docker");
    assert_eq!(
        f["container.label[maintainer]"],
        "NGINX Docker Maintainers <docker-maint@nginx.com>"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn sysdig_and_falco_inspect_read_the_same_container() {
    let fmt = "%evt.num %container.id %container.name %container.image %container.privileged";
    let ours = Command::new(env!("CARGO_BIN_EXE_falco-inspect"))
        .arg("-r")
        .arg(capture())
        .args(["-p", fmt, "evt.type=container"])
        .output()
        .expect("falco-inspect");
    assert!(ours.status.success());
    let ours = String::from_utf8_lossy(&ours.stdout).trim().to_string();
    assert_eq!(ours, "1405 9dbcbd0c435f epic_cray nginx:latest true");
    // sysdig is the reference reader (Debian's package, in scripts/test-deps).
    let sysdig = Command::new("sysdig")
        .arg("-r")
        .arg(capture())
        .args(["-p", fmt, "evt.type=container"])
        .output()
        .expect("sysdig is installed (scripts/test-deps)");
    assert!(sysdig.status.success());
    assert_eq!(String::from_utf8_lossy(&sysdig.stdout).trim(), ours);
}

/// `capture` with one `container` event describing `info` written before its first event.
fn with_container_event(
    capture: &Path,
    info: &falco_sinsp::state::container::ContainerInfo,
    out: &Path,
) {
    let mut payload = falco_sinsp::state::container_json::to_json(info).into_bytes();
    payload.push(0);
    with_event(
        capture,
        ringbuf_abi::ids::PPME_CONTAINER_JSON_2_E,
        &[&payload],
        out,
    );
}

/// `capture` with one event `evtype` of `params` (tid -1) written before its first event.
fn with_event(capture: &Path, evtype: u16, params: &[&[u8]], out: &Path) {
    let mut r = falco_scap::CaptureReader::open(capture).expect("capture");
    let meta = r.metadata().clone();
    let mut w = falco_scap::CaptureWriter::create(out, false, &meta).expect("writer");
    let mut buf = vec![0u8; params.iter().map(|p| p.len()).sum::<usize>() + 64];
    let mut first = true;
    while let Some(e) = r.next_event().expect("event") {
        if first {
            let n = ringbuf_abi::encode_record(&mut buf, e.record.ts(), u64::MAX, evtype, params)
                .expect("fits");
            w.write_event(0, 0, &ringbuf_abi::Record::parse(&buf[..n]).unwrap())
                .expect("write");
            first = false;
        }
        w.write_event(e.cpu, e.flags, &e.record).expect("write");
    }
    w.close().expect("close");
}

/// Replays `capture` with the default configuration plus `extra_rules`; the JSON alerts.
fn replay_default(capture: &Path, extra_rules: Option<&Path>) -> Vec<serde_json::Value> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cmd = replay_common::replay(replay_common::REPO_CONFIG, capture);
    cmd.current_dir(&repo).args(["-o", "json_output=true"]);
    if let Some(r) = extra_rules {
        cmd.arg("-o").arg(format!("rules_files[]={}", r.display()));
    }
    let out = cmd.output().expect("falco");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The default rules name a container's pod from the metadata a capture carries, and an
/// image on an allow-list users extend is exempt.
#[test]
fn default_rules_name_the_pod_and_honour_the_image_allow_lists() {
    let d = scratch("allow");
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios/captures");
    let mut info = falco_sinsp::state::container::ContainerInfo {
        id: "5ce7a710c0ff".into(),
        full_id: "5ce7a710c0ffee00112233445566778899aabbccddeeff001122334455667788".into(),
        kind: "containerd".into(),
        name: "shop-web".into(),
        image: "registry.example/tools/debug:2.1".into(),
        image_repo: "registry.example/tools/debug".into(),
        image_tag: "2.1".into(),
        ..Default::default()
    };
    info.labels
        .insert("io.kubernetes.pod.name".into(), "web-7d9f".into());
    info.labels
        .insert("io.kubernetes.pod.namespace".into(), "shop".into());
    for (slug, rule, list) in [
        (
            "shell-in-container",
            "Shell spawned in container",
            "shell_allowed_container_images",
        ),
        (
            "package-manager-in-container",
            "Package management in container",
            "package_manager_allowed_container_images",
        ),
    ] {
        let cap = d.join(format!("{slug}.scap"));
        with_container_event(
            &scenarios.join(format!("{slug}.trigger.scap.gz")),
            &info,
            &cap,
        );
        let alerts = replay_default(&cap, None);
        let a = alerts
            .iter()
            .find(|a| a["rule"] == rule)
            .unwrap_or_else(|| panic!("no `{rule}` alert: {alerts:?}"));
        let text = a["output"].as_str().unwrap();
        assert!(
            text.contains("container_id=5ce7a710c0ff container_name=shop-web container_image_repository=registry.example/tools/debug k8s_pod_name=web-7d9f k8s_ns_name=shop"),
            "{text}"
        );
        // The image allowed: no alert of the rule.
        let local = d.join(format!("{slug}.local.yaml"));
        std::fs::write(
            &local,
            format!(
                "- list: {list}\n  items: [registry.example/tools/debug]\n  override:\n    items: append\n"
            ),
        )
        .unwrap();
        let alerts = replay_default(&cap, Some(&local));
        assert!(
            !alerts.iter().any(|a| a["rule"] == rule),
            "`{rule}` raised for an allowed image: {alerts:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// The oldest container event (`PPME_CONTAINER_E`: id, type, name, image) is upgraded as
/// libs' converter upgrades it, to a `container` JSON event without JSON, which Falco 0.44's
/// container plugin skips: like Falco 0.44, we name no container from it. sysdig 0.29, whose
/// libsinsp still parsed it, does. A known difference, checked both ways so a change shows.
#[test]
fn the_oldest_container_event_is_upgraded_as_falco_does() {
    let d = scratch("old-event");
    let trigger = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/scenarios/captures/shell-in-container.trigger.scap.gz");
    let cap = d.join("old.scap");
    with_event(
        &trigger,
        ringbuf_abi::ids::PPME_CONTAINER_E,
        &[
            b"5ce7a710c0ff\0",
            &0u32.to_le_bytes(),
            b"old-style\0",
            b"busybox:1\0",
        ],
        &cap,
    );
    let fmt = "%proc.name %container.id %container.name %container.image %container.type";
    let filter = "evt.type=execve and proc.name=sh";
    let read = |tool: &str| {
        let out = Command::new(tool)
            .arg("-r")
            .arg(&cap)
            .args(["-p", fmt, filter])
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(out.status.success(), "{tool}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(
        read(env!("CARGO_BIN_EXE_falco-inspect")),
        "sh 5ce7a710c0ff <NA> <NA> docker"
    );
    assert_eq!(read("sysdig"), "sh 5ce7a710c0ff old-style busybox:1 docker");
    let _ = std::fs::remove_dir_all(&d);
}

/// A container whose capture event says privileged raises the start rule at its first
/// process (pid 1 in the container); the same container unprivileged and without host mounts
/// (the benign twin) does not.
#[test]
fn a_privileged_container_start_is_reported_from_the_captured_metadata() {
    let d = scratch("priv");
    let trigger = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/scenarios/captures/shell-in-container.trigger.scap.gz");
    let rule = "Privileged or sensitive-mount container started";
    let mut info = falco_sinsp::state::container::ContainerInfo {
        id: "5ce7a710c0ff".into(),
        kind: "docker".into(),
        name: "fct-priv".into(),
        image: "localhost/tools:1".into(),
        image_repo: "localhost/tools".into(),
        image_tag: "1".into(),
        privileged: true,
        ..Default::default()
    };
    let cap = d.join("priv.scap");
    with_container_event(&trigger, &info, &cap);
    let alerts = replay_default(&cap, None);
    let a = alerts
        .iter()
        .find(|a| a["rule"] == rule)
        .unwrap_or_else(|| panic!("no `{rule}` alert: {alerts:?}"));
    let text = a["output"].as_str().unwrap();
    assert!(
        text.contains("(privileged=true mounts= user=root process=sh command=sh -c exit 0 container_id=5ce7a710c0ff container_name=fct-priv container_image_repository=localhost/tools container_image_tag=1"),
        "{text}"
    );
    assert_eq!(a["output_fields"]["container.name"], "fct-priv");
    info.privileged = false;
    let cap = d.join("plain.scap");
    with_container_event(&trigger, &info, &cap);
    let alerts = replay_default(&cap, None);
    assert!(
        !alerts.iter().any(|a| a["rule"] == rule),
        "an unprivileged container raised it: {alerts:?}"
    );
    let _ = std::fs::remove_dir_all(&d);
}
