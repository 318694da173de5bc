//! The container plugin's configuration (`plugins: [{name: container, init_config:
//! {engines: ...}}]`, the legacy `container_engines`) and `append_output`, read from the
//! YAML tree with positioned diagnostics.

use std::path::PathBuf;

use super::model::ConfigDiag;
use super::yaml::{Node, Value};
use falco_containers::{EngineKind, EnginesConfig};

const KINDS: [EngineKind; 4] = [
    EngineKind::Docker,
    EngineKind::Podman,
    EngineKind::Containerd,
    EngineKind::Cri,
];

/// `container_engines` keys of Falco 0.40 that have an engine here.
fn legacy_kind(key: &str) -> Option<EngineKind> {
    match key {
        "docker" => Some(EngineKind::Docker),
        "podman" => Some(EngineKind::Podman),
        "containerd" => Some(EngineKind::Containerd),
        "cri" => Some(EngineKind::Cri),
        _ => None,
    }
}

fn boolean(n: &Node, path: &str, errors: &mut Vec<ConfigDiag>) -> Option<bool> {
    match n.scalar() {
        Some("true" | "True" | "TRUE") => Some(true),
        Some("false" | "False" | "FALSE") => Some(false),
        _ => {
            errors.push(ConfigDiag::at(
                n,
                format!("`{path}` must be a boolean (true or false)"),
            ));
            None
        }
    }
}

fn strings(n: &Node, path: &str, errors: &mut Vec<ConfigDiag>) -> Vec<String> {
    match &n.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| match i.scalar() {
                Some(s) => Some(s.to_string()),
                None => {
                    errors.push(ConfigDiag::at(
                        i,
                        format!("`{path}` entries must be strings"),
                    ));
                    None
                }
            })
            .collect(),
        Value::Scalar { text, .. } if !n.is_null() => vec![text.clone()],
        _ if n.is_null() => Vec::new(),
        _ => {
            errors.push(ConfigDiag::at(
                n,
                format!("`{path}` must be a list of strings"),
            ));
            Vec::new()
        }
    }
}

/// Applies one `{enabled, sockets}` mapping to the engine `kind`.
fn apply_engine(
    cfg: &mut EnginesConfig,
    kind: EngineKind,
    n: &Node,
    path: &str,
    errors: &mut Vec<ConfigDiag>,
) {
    let e = cfg.engine_mut(kind);
    if let Some(v) = n.get("enabled") {
        if let Some(b) = boolean(v, &format!("{path}.enabled"), errors) {
            e.enabled = b;
        }
    }
    if let Some(v) = n.get("sockets") {
        e.sockets = strings(v, &format!("{path}.sockets"), errors)
            .into_iter()
            .map(PathBuf::from)
            .collect();
    }
}

/// The runtimes to ask: the container plugin's `init_config.engines` when `plugins` has
/// an entry named `container` (disabled altogether when `load_plugins` lists other plugins
/// but not it), then the legacy `container_engines` key, warned as such.
pub fn read_engines(
    root: &Node,
    warnings: &mut Vec<ConfigDiag>,
    errors: &mut Vec<ConfigDiag>,
) -> EnginesConfig {
    let mut cfg = EnginesConfig::default();
    if let Some(lp) = root.get("load_plugins").filter(|n| !n.is_null()) {
        let names = strings(lp, "load_plugins", errors);
        if !names.is_empty() && !names.iter().any(|n| n == "container") {
            return EnginesConfig::none();
        }
    }
    if let Some(Value::Seq(plugins)) = root.get("plugins").map(|n| &n.value) {
        for p in plugins {
            if p.get("name").and_then(Node::scalar) != Some("container") {
                continue;
            }
            let Some(engines) = p.get("init_config").and_then(|i| i.get("engines")) else {
                continue;
            };
            for kind in KINDS {
                if let Some(n) = engines.get(kind.key()) {
                    let path = format!("plugins.container.init_config.engines.{}", kind.key());
                    apply_engine(&mut cfg, kind, n, &path, errors);
                }
            }
        }
    }
    if let Some(legacy) = root.get("container_engines").filter(|n| !n.is_null()) {
        warnings.push(ConfigDiag::at(
            legacy,
            "`container_engines` is deprecated: configure the container plugin (`plugins: [{name: container, init_config: {engines: ...}}]`)".into(),
        ));
        if let Value::Map(entries) = &legacy.value {
            for (key, n, _) in entries {
                match legacy_kind(key) {
                    Some(kind) => apply_engine(
                        &mut cfg,
                        kind,
                        n,
                        &format!("container_engines.{key}"),
                        errors,
                    ),
                    None => warnings.push(ConfigDiag::at(
                        n,
                        format!("`container_engines.{key}` is not supported and has no effect"),
                    )),
                }
            }
        }
    }
    cfg
}

/// One `append_output` entry: what it adds to the rules it matches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppendOutput {
    /// `match.source` (any when `None`).
    pub source: Option<String>,
    /// `match.tags`: a rule matches when it has every one.
    pub tags: Vec<String>,
    /// `match.rule`: the rule's name.
    pub rule: Option<String>,
    /// `extra_output`: text appended to the output, after a space.
    pub extra_output: String,
    /// `suggested_output`: the fields the container plugin suggests, as `name=%field`.
    pub suggested_output: bool,
}

/// `append_output`.
pub fn read_append_output(
    root: &Node,
    warnings: &mut Vec<ConfigDiag>,
    errors: &mut Vec<ConfigDiag>,
) -> Vec<AppendOutput> {
    let Some(node) = root.get("append_output").filter(|n| !n.is_null()) else {
        return Vec::new();
    };
    let Value::Seq(items) = &node.value else {
        errors.push(ConfigDiag::at(
            node,
            "`append_output` must be a list".into(),
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        if !matches!(item.value, Value::Map(_)) {
            errors.push(ConfigDiag::at(
                item,
                "`append_output` entries must be mappings".into(),
            ));
            continue;
        }
        let mut a = AppendOutput::default();
        if let Some(m) = item.get("match") {
            a.source = m.get("source").and_then(Node::scalar).map(str::to_string);
            a.rule = m.get("rule").and_then(Node::scalar).map(str::to_string);
            if let Some(t) = m.get("tags") {
                a.tags = strings(t, "append_output.match.tags", errors);
            }
        }
        if let Some(e) = item.get("extra_output") {
            a.extra_output = e.scalar().unwrap_or("").to_string();
        }
        if let Some(s) = item.get("suggested_output") {
            a.suggested_output =
                boolean(s, "append_output.suggested_output", errors).unwrap_or(false);
        }
        if let Some(f) = item.get("extra_fields") {
            warnings.push(ConfigDiag::at(
                f,
                "`append_output.extra_fields` is not supported and has no effect: use `extra_output`".into(),
            ));
        }
        out.push(a);
    }
    out
}
