//! `plugins` and `load_plugins` as Falco users write them: the plugins this engine serves
//! natively (the container plugin, `containers.rs`; the k8saudit plugin's `k8s_audit` source;
//! the json plugin's fields) are accepted and select the built-in code; any other plugin, or a
//! `library_path` that names another library, is an error naming the plugin.

use super::model::ConfigDiag;
use super::yaml::{Node, Value};
use std::path::PathBuf;

/// The plugins served natively, by name.
pub const NATIVE_PLUGINS: [&str; 3] = ["container", "k8saudit", "json"];

/// The k8saudit plugin's defaults.
const DEFAULT_MAX_EVENT_SIZE: u64 = falco_k8saudit::DEFAULT_MAX_EVENT_SIZE as u64;
const DEFAULT_MAX_BATCH_SIZE: u64 = 12 * 1024 * 1024;
const DEFAULT_SSL_CERTIFICATE: &str = "/etc/falco/falco.pem";
/// Largest `maxEventSize` / `webhookMaxBatchSize` accepted (1 GiB).
const MAX_SIZE: u64 = 1 << 30;

/// The `k8saudit` plugin entry, served by the built-in `k8s_audit` source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct K8sAuditConfig {
    /// `open_params`: `http(s)://host:port/path` for the webhook, or a file or folder.
    pub open_params: String,
    /// `library_path` as written (for the start-up line).
    pub library_path: String,
    /// `init_config.maxEventSize`: bytes of one event.
    pub max_event_size: usize,
    /// `init_config.webhookMaxBatchSize`: bytes of one webhook body.
    pub webhook_max_batch_size: usize,
    /// `init_config.sslCertificate`: key and certificate (PEM) for an `https` webhook.
    pub ssl_certificate: PathBuf,
}

/// The names `load_plugins` lists; `None` when it is not set (every entry of `plugins` loads).
fn load_list(root: &Node) -> Option<Vec<String>> {
    let lp = root.get("load_plugins").filter(|n| !n.is_null())?;
    Some(match &lp.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| i.scalar().map(str::to_string))
            .collect(),
        Value::Scalar { text, .. } => vec![text.clone()],
        Value::Map(_) => Vec::new(),
    })
}

/// A size from `init_config` (a number, or its text in a JSON string `init_config`).
fn size(v: Option<&serde_json::Value>, default: u64) -> Result<u64, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(default),
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(x @ 1..=MAX_SIZE) => Ok(x),
            _ => Err(format!("must be between 1 and {MAX_SIZE}, found {n}")),
        },
        Some(serde_json::Value::String(s)) => match s.trim().parse::<u64>() {
            Ok(x @ 1..=MAX_SIZE) => Ok(x),
            _ => Err(format!("must be between 1 and {MAX_SIZE}, found {s:?}")),
        },
        Some(other) => Err(format!("must be a number, found {other}")),
    }
}

/// Checks the loaded `plugins` entries and returns the k8saudit one, if loaded.
pub fn read_k8saudit(
    root: &Node,
    _warnings: &mut [ConfigDiag],
    errors: &mut Vec<ConfigDiag>,
) -> Option<K8sAuditConfig> {
    let Some(Value::Seq(plugins)) = root.get("plugins").map(|n| &n.value) else {
        return None;
    };
    let loaded = load_list(root);
    let mut out = None;
    for p in plugins {
        let Some(name) = p.get("name").and_then(Node::scalar) else {
            errors.push(ConfigDiag::at(p, "a `plugins` entry needs a `name`".into()));
            continue;
        };
        if loaded
            .as_ref()
            .is_some_and(|l| !l.iter().any(|n| n == name))
        {
            continue;
        }
        if !NATIVE_PLUGINS.contains(&name) {
            errors.push(ConfigDiag::at(
                p,
                format!(
                    "plugin `{name}` cannot be loaded: this engine loads no plugin libraries; it serves {} natively",
                    NATIVE_PLUGINS.join(", ")
                ),
            ));
            continue;
        }
        let library = p.get("library_path").and_then(Node::scalar).unwrap_or("");
        let file = library.rsplit('/').next().unwrap_or("");
        if !library.is_empty() && file != format!("lib{name}.so") {
            errors.push(ConfigDiag::at(
                p.get("library_path").unwrap_or(p),
                format!(
                    "plugin `{name}`: library_path `{library}` is not served natively (the built-in `{name}` stands for lib{name}.so only)"
                ),
            ));
            continue;
        }
        if name != "k8saudit" {
            continue;
        }
        let open_params = match p.get("open_params") {
            None => String::new(),
            Some(n) if n.is_null() => String::new(),
            Some(n) => match n.scalar() {
                Some(s) => s.to_string(),
                None => {
                    errors.push(ConfigDiag::at(
                        n,
                        "`plugins.k8saudit.open_params` must be a string".into(),
                    ));
                    continue;
                }
            },
        };
        // Checked here when given; an empty one is refused only when the source starts.
        if let Err(e) = Some(&open_params)
            .filter(|o| !o.trim().is_empty())
            .map_or(Ok(()), |o| {
                falco_k8saudit::file::OpenParams::parse(o).map(drop)
            })
        {
            errors.push(ConfigDiag::at(
                p.get("open_params").unwrap_or(p),
                format!("plugin `k8saudit`: {e}"),
            ));
            continue;
        }
        let init = match p.get("init_config") {
            None => serde_json::Map::new(),
            Some(n) if n.is_null() => serde_json::Map::new(),
            Some(n) => {
                match (&n.value, n.to_serde()) {
                    (Value::Scalar { text, .. }, _) if text.trim().is_empty() => {
                        serde_json::Map::new()
                    }
                    (Value::Scalar { text, .. }, _) => {
                        match serde_json::from_str(text) {
                            Ok(serde_json::Value::Object(m)) => m,
                            _ => {
                                errors.push(ConfigDiag::at(n, "`plugins.k8saudit.init_config` must be a mapping or a JSON object".into()));
                                continue;
                            }
                        }
                    }
                    (_, yaml) => {
                        match serde_json::to_value(yaml) {
                            Ok(serde_json::Value::Object(m)) => m,
                            _ => {
                                errors.push(ConfigDiag::at(n, "`plugins.k8saudit.init_config` must be a mapping or a JSON object".into()));
                                continue;
                            }
                        }
                    }
                }
            }
        };
        let at = p.get("init_config").unwrap_or(p);
        let mut sized = |key: &str, default: u64| match size(init.get(key), default) {
            Ok(v) => v as usize,
            Err(e) => {
                errors.push(ConfigDiag::at(
                    at,
                    format!("`plugins.k8saudit.init_config.{key}` {e}"),
                ));
                default as usize
            }
        };
        let max_event_size = sized("maxEventSize", DEFAULT_MAX_EVENT_SIZE);
        let webhook_max_batch_size = sized("webhookMaxBatchSize", DEFAULT_MAX_BATCH_SIZE);
        let ssl_certificate = init
            .get("sslCertificate")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_SSL_CERTIFICATE)
            .into();
        out = Some(K8sAuditConfig {
            open_params,
            library_path: library.to_string(),
            max_event_size,
            webhook_max_batch_size,
            ssl_certificate,
        });
    }
    out
}
