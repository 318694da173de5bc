//! Falco's own legacy k8s-audit regression cases (`../shared/reference/k8s_audit/cases.yaml`),
//! each run through the `falco` binary exactly as upstream runs them:
//! `falco -c <config loading k8saudit and json> --enable-source k8s_audit -r <rules...>
//! -o plugins[0].open_params=<trace> -o json_output=true`, then the alerts counted per rule
//! and their priority checked.
//!
//! The counts were written for the k8saudit rules of 2023; [`KNOWN_DIFFERENCES`] lists the
//! cases today's official rules (`rules/k8s_audit_rules.yaml`) answer differently, with the
//! rule text that explains it. A listed case that starts to pass fails the test, so the list
//! stays true.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The configuration upstream's k8s-audit tests use: the two plugins, stdout.
pub const CONFIG: &str = "\
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: \"\"
    open_params: \"http://:9765/k8s-audit\"
  - name: json
    library_path: libjson.so
    init_config: \"\"
load_plugins: [k8saudit, json]
stdout_output:
  enabled: true
";

/// The appends of `rules/trust_nginx_container.yaml` name lists today's rules renamed.
const TRUST_LISTS_RENAMED: &str = "rules/trust_nginx_container.yaml appends nginx to \
    `falco_sensitive_mount_images`, `falco_privileged_images` and `falco_hostnetwork_images`; \
    today's k8s_audit_rules.yaml defines them as `- list: k8s_audit_sensitive_mount_images` \
    (line 98), `- list: k8s_audit_privileged_images` (124) and `- list: \
    k8s_audit_hostnetwork_images` (272), so the append is a load error (LOAD_ERR_VALIDATE: \
    List uses 'append' ... but no list by that name already exists), as in Falco";

/// Cases whose expected counts today's rules do not give, and why (the rule text), with a
/// text the run must show (stdout or stderr) so the difference is the one explained.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "compat_engine_v4_create_hostnetwork_trusted_pod",
        TRUST_LISTS_RENAMED,
        "no list by that name already exists",
    ),
    (
        "compat_engine_v4_create_privileged_trusted_pod",
        TRUST_LISTS_RENAMED,
        "no list by that name already exists",
    ),
    (
        "create_hostnetwork_trusted_pod",
        TRUST_LISTS_RENAMED,
        "no list by that name already exists",
    ),
    (
        "create_privileged_trusted_pod",
        TRUST_LISTS_RENAMED,
        "no list by that name already exists",
    ),
    (
        "create_unprivileged_trusted_pod",
        TRUST_LISTS_RENAMED,
        "no list by that name already exists",
    ),
    (
        "delete_clusterrolebinding",
        "the rule expected, `K8s Role/Clusterrolebinding Deleted`, is today's \
         `- rule: K8s ClusterRoleBinding Deleted` (k8s_audit_rules.yaml line 708), with the \
         same condition: the one alert comes under the new name",
        "\"rule\":\"K8s ClusterRoleBinding Deleted\"",
    ),
];

#[derive(Debug, serde::Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Debug, serde::Deserialize)]
struct Case {
    name: String,
    rules: Vec<String>,
    trace: String,
    enable_source: String,
    #[serde(default)]
    expect: Option<BTreeMap<String, u64>>,
    #[serde(default)]
    detect_level: Option<String>,
    #[serde(default)]
    stderr_contains: Option<String>,
}

/// Falco's priority spelling of a test's `detect_level`.
fn level(l: &str) -> String {
    match l.to_ascii_uppercase().as_str() {
        "INFO" | "INFORMATIONAL" => "Informational".into(),
        other => {
            let mut c = other.to_ascii_lowercase();
            if let Some(f) = c.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            c
        }
    }
}

/// What one run gave: alerts per rule, the priorities seen, stderr.
struct Outcome {
    stdout: String,
    counts: BTreeMap<String, u64>,
    priorities: Vec<String>,
    stderr: String,
    ok: bool,
}

fn run(dir: &Path, config: &Path, case: &Case) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falco"));
    cmd.arg("-c")
        .arg(config)
        .args(["--enable-source", &case.enable_source]);
    for r in &case.rules {
        cmd.arg("-r").arg(dir.join(r));
    }
    let out = cmd
        .arg("-o")
        .arg(format!(
            "plugins[0].open_params={}",
            dir.join(&case.trace).display()
        ))
        .args(["-o", "json_output=true"])
        .output()
        .expect("run falco");
    let mut counts = BTreeMap::new();
    let mut priorities = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(rule), Some(p)) = (v["rule"].as_str(), v["priority"].as_str()) else {
            continue;
        };
        assert_eq!(v["source"], "k8s_audit", "{}: {line}", case.name);
        *counts.entry(rule.to_string()).or_insert(0) += 1;
        priorities.push(p.to_string());
    }
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        counts,
        priorities,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        ok: out.status.success(),
    }
}

/// Why `case` did not give what it expects; `None` when it did.
fn check(case: &Case, o: &Outcome) -> Option<String> {
    if let Some(text) = &case.stderr_contains {
        return (!o.stderr.contains(text.as_str()))
            .then(|| format!("stderr lacks {text:?}:\n{}", o.stderr));
    }
    if !o.ok {
        return Some(format!("falco failed:\n{}", o.stderr));
    }
    let want = case.expect.clone().unwrap_or_default();
    if o.counts != want {
        return Some(format!("alerts {:?}, expected {want:?}", o.counts));
    }
    if let Some(l) = &case.detect_level {
        let l = level(l);
        if let Some(p) = o.priorities.iter().find(|p| **p != l) {
            return Some(format!("priority {p}, expected {l}"));
        }
    }
    None
}

#[test]
fn upstream_k8s_audit_cases() {
    let dir: PathBuf = falco_testdata::reference_path("k8s_audit");
    let text = std::fs::read_to_string(dir.join("cases.yaml")).expect("cases.yaml");
    let cases: Cases = serde_yaml::from_str(&text).expect("cases.yaml parses");
    assert!(cases.cases.len() >= 30, "{} cases", cases.cases.len());
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("k8s_audit.yaml");
    std::fs::write(&config, CONFIG).expect("config");
    let mut failures = Vec::new();
    let mut passing_known = Vec::new();
    for case in &cases.cases {
        let o = run(&dir, &config, case);
        let known = KNOWN_DIFFERENCES.iter().find(|(n, _, _)| *n == case.name);
        match (check(case, &o), known) {
            (Some(why), None) => failures.push(format!("{}: {why}", case.name)),
            (None, Some(_)) => passing_known.push(case.name.clone()),
            (Some(why), Some((_, reason, shows))) => {
                if !o.stdout.contains(shows) && !o.stderr.contains(shows) {
                    failures.push(format!(
                        "{}: differs otherwise than explained ({reason}): {why}",
                        case.name
                    ));
                }
            }
            (None, None) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.cases.len(),
        failures.join("\n")
    );
    assert!(
        passing_known.is_empty(),
        "listed as known differences but now pass: {passing_known:?}"
    );
}
