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
