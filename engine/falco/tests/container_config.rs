//! The container plugin's configuration and `append_output`: what falco.yaml turns into,
//! the legacy key's warning, and the outputs rules get.

use falco::config;
use falco::config::containers::AppendOutput;
use falco_containers::EngineKind;
use falco_rules::load::{load_paths, LoadOptions};
use falco_sinsp::fields::SyscallCatalog;
use std::path::PathBuf;

fn load(text: &str) -> config::Loaded {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("falco.yaml");
    std::fs::write(&p, text).unwrap();
    config::load(&p, &[]).expect("loads")
}

#[test]
fn plugin_engines_are_read_as_falco_0_44_writes_them() {
    let l = load(
        "load_plugins: [container]\nplugins:\n  - name: container\n    library_path: libcontainer.so\n    init_config:\n      engines:\n        docker: {enabled: true, sockets: [/run/a.sock, /run/b.sock]}\n        podman: {enabled: false}\n        cri: {enabled: true, sockets: [/run/crio/crio.sock]}\n",
    );
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let mut c = l.config.container_engines;
    c.host_root = None;
    let e = c.endpoints();
    let want: Vec<(EngineKind, PathBuf)> = vec![
        (EngineKind::Docker, "/run/a.sock".into()),
        (EngineKind::Docker, "/run/b.sock".into()),
        (
            EngineKind::Containerd,
            "/run/containerd/containerd.sock".into(),
        ),
        (EngineKind::Cri, "/run/crio/crio.sock".into()),
    ];
    assert_eq!(e, want);
}

#[test]
fn load_plugins_without_container_turns_every_engine_off() {
    let l = load("load_plugins: [k8smeta]\n");
    assert!(l.config.container_engines.endpoints().is_empty());
}

#[test]
fn legacy_container_engines_apply_with_a_positioned_deprecation_warning() {
    let l = load("json_output: true\ncontainer_engines:\n  docker: {enabled: false}\n  cri: {sockets: [/x/cri.sock]}\n  lxc: {enabled: true}\n");
    let w: Vec<String> = l.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|m| m.contains(":3:") && m.contains("`container_engines` is deprecated")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|m| m.contains("`container_engines.lxc` is not supported")),
        "{w:?}"
    );
    let c = &l.config.container_engines;
    assert!(!c.docker.enabled);
    assert_eq!(c.cri.sockets, vec![PathBuf::from("/x/cri.sock")]);
}

#[test]
fn bad_engine_values_are_errors_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("falco.yaml");
    std::fs::write(
        &p,
        "plugins:\n  - name: container\n    init_config:\n      engines:\n        docker: {enabled: maybe}\n",
    )
    .unwrap();
    let err = match config::load(&p, &[]) {
        Ok(_) => panic!("a non-boolean `enabled` loaded"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(":5:") && err.contains("engines.docker.enabled` must be a boolean"),
        "{err}"
    );
}

const RULES: &str = "\
- rule: Shadow read
  desc: d
  condition: evt.type = openat and fd.name = /etc/shadow
  output: shadow read (process=%proc.name container_id=%container.id)
  priority: WARNING
  tags: [filesystem]
- rule: Exec
  desc: d
  condition: evt.type = execve
  output: exec (process=%proc.name)
  priority: NOTICE
  tags: [process]
";

fn outputs(appends: &[AppendOutput]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.yaml");
    std::fs::write(&p, RULES).unwrap();
    let catalog = SyscallCatalog::new();
    let (mut rs, res) = load_paths(&[p], &catalog, &LoadOptions::default());
    assert!(res.successful(), "{}", res.to_text());
    falco::load::append_outputs(&mut rs, appends, &catalog).expect("appends compile");
    rs.rules().iter().map(|r| r.output.clone()).collect()
}

#[test]
fn suggested_output_appends_the_container_and_pod_fields_not_already_printed() {
    let got = outputs(&[AppendOutput {
        suggested_output: true,
        ..Default::default()
    }]);
    assert_eq!(
        got,
        vec![
            "shadow read (process=%proc.name container_id=%container.id) container_name=%container.name container_image_repository=%container.image.repository container_image_tag=%container.image.tag k8s_pod_name=%k8s.pod.name k8s_ns_name=%k8s.ns.name",
            "exec (process=%proc.name) container_id=%container.id container_name=%container.name container_image_repository=%container.image.repository container_image_tag=%container.image.tag k8s_pod_name=%k8s.pod.name k8s_ns_name=%k8s.ns.name",
        ]
    );
}

#[test]
fn extra_output_follows_its_match() {
    let got = outputs(&[AppendOutput {
        tags: vec!["process".into()],
        extra_output: "type=%container.type".into(),
        ..Default::default()
    }]);
    assert_eq!(
        got[0],
        "shadow read (process=%proc.name container_id=%container.id)"
    );
    assert_eq!(got[1], "exec (process=%proc.name) type=%container.type");
    let by_name = outputs(&[AppendOutput {
        rule: Some("Shadow read".into()),
        extra_output: "x=%user.name".into(),
        ..Default::default()
    }]);
    assert!(by_name[0].ends_with(" x=%user.name") && !by_name[1].contains("x="));
}

#[test]
fn append_output_is_read_from_the_config() {
    let l = load("append_output:\n  - suggested_output: true\n  - match: {source: syscall, tags: [a, b], rule: R}\n    extra_output: \"u=%user.name\"\n");
    assert_eq!(
        l.config.append_output,
        vec![
            AppendOutput {
                suggested_output: true,
                ..Default::default()
            },
            AppendOutput {
                source: Some("syscall".into()),
                tags: vec!["a".into(), "b".into()],
                rule: Some("R".into()),
                extra_output: "u=%user.name".into(),
                suggested_output: false,
            },
        ]
    );
}
