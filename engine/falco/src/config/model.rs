//! The validated configuration the engine runs on, read from the YAML tree with a diagnostic
//! for every problem: unknown keys are warnings with their position, wrong types are errors
//! with file:line:column.

use super::yaml::{Node, Pos, Value};
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// A configuration problem at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigDiag {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

impl ConfigDiag {
    /// A diagnostic at `node`'s position.
    pub fn at(node: &crate::config::yaml::Node, message: String) -> ConfigDiag {
        ConfigDiag {
            pos: node.pos.clone(),
            message,
        }
    }
}

impl std::fmt::Display for ConfigDiag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

pub use falco_rules::priority::Priority;

/// `rule_matching`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleMatching {
    /// Stop at the first matching rule (default).
    First,
    /// Every matching rule alerts.
    All,
}

/// `engine.kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// The kernel module.
    Kmod,
    /// The modern eBPF driver (CO-RE programs on the running kernel's BTF).
    ModernEbpf,
    /// Replay of a capture file.
    Replay,
}

/// One entry of the `rules:` selection list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSelection {
    /// Enable rules by name (wildcards allowed) or tag.
    Enable(RuleMatcher),
    /// Disable rules by name (wildcards allowed) or tag.
    Disable(RuleMatcher),
}

/// What a selection entry names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleMatcher {
    /// `rule: NAME` (`*` wildcards allowed).
    Rule(String),
    /// `tag: TAG`.
    Tag(String),
}

/// `syscall_event_drops.actions` entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropAction {
    /// Do nothing.
    Ignore,
    /// Log the drop.
    Log,
    /// Emit an internal alert.
    Alert,
    /// Exit.
    Exit,
}

/// `syscall_event_drops`.
#[derive(Clone, Debug, PartialEq)]
pub struct DropsConfig {
    /// Actions taken when drops exceed the threshold.
    pub actions: Vec<DropAction>,
    /// Token-bucket rate of notifications per second.
    pub rate: f64,
    /// Token-bucket burst.
    pub max_burst: u64,
    /// Fraction of dropped events that triggers the actions.
    pub threshold: f64,
    /// `simulate_drops`: every check counts one more drop and the threshold is 0, as in
    /// Falco (for testing the actions).
    pub simulate_drops: bool,
}

/// `base_syscalls`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseSyscalls {
    /// Syscalls always enabled (`!name` removes).
    pub custom_set: Vec<String>,
    /// Add the syscalls the state tables need to the rules' own.
    pub repair: bool,
    /// Enable every syscall.
    pub all: bool,
}

/// `metrics`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsConfig {
    /// Whether periodic stats are emitted.
    pub enabled: bool,
    /// Interval in seconds.
    pub interval_secs: u64,
    /// Emit as an internal alert rule.
    pub output_rule: bool,
    /// Also append to this file (one JSON object a line).
    pub output_file: Option<PathBuf>,
    /// `rules_counters_enabled`: matches per rule.
    pub rules_counters: bool,
    /// `resource_utilization_enabled`: CPU, memory, host load.
    pub resource_utilization: bool,
    /// `state_counters_enabled`: thread and fd table sizes.
    pub state_counters: bool,
    /// `kernel_event_counters_enabled`: driver events and drops by category.
    pub kernel_event_counters: bool,
    /// `kernel_event_counters_per_cpu_enabled`: the same per CPU.
    pub kernel_event_counters_per_cpu: bool,
    /// `convert_memory_to_mb`: memory in MB rather than KB in the snapshot's fields.
    pub convert_memory_to_mb: bool,
    /// `include_empty_values`: keep zero and empty values in the snapshot's fields.
    pub include_empty_values: bool,
}

/// `webserver`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebserverConfig {
    /// `webserver.enabled`.
    pub enabled: bool,
    /// `webserver.threadiness`: worker threads (0: one per CPU).
    pub threadiness: usize,
    /// `webserver.listen_port`.
    pub listen_port: u16,
    /// `webserver.listen_address`.
    pub listen_address: String,
    /// `webserver.k8s_healthz_endpoint`.
    pub k8s_healthz_endpoint: String,
    /// `webserver.prometheus_metrics_enabled` (with `metrics.enabled`: `/metrics` is served).
    pub prometheus_metrics_enabled: bool,
    /// `webserver.ssl_enabled`.
    pub ssl_enabled: bool,
    /// `webserver.ssl_certificate`: one PEM file with the private key and the certificate chain.
    pub ssl_certificate: PathBuf,
    /// `webserver.ui`: the built-in web UI.
    pub ui: WebUiConfig,
}

/// `webserver.ui`: the alerts UI served at `/ui/` (`pipeline/web/ui.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebUiConfig {
    /// `webserver.ui.enabled` (with `webserver.enabled`).
    pub enabled: bool,
    /// `webserver.ui.max_alerts`: the most recent alerts kept in memory.
    pub max_alerts: usize,
    /// `webserver.ui.load_file_output`: fill the store at start from `file_output`'s file (its
    /// JSON lines), so the history survives a restart.
    pub load_file_output: bool,
    /// `webserver.ui.token`: a bearer token the UI's API requires (empty: none).
    pub token: String,
    /// `webserver.ui.basic_auth.username` and `.password` (empty: none).
    pub basic_auth: Option<(String, String)>,
}

/// Default `webserver.ui.max_alerts`.
pub const DEFAULT_UI_MAX_ALERTS: u64 = 10_000;
/// Most `webserver.ui.max_alerts` accepts.
pub const MAX_UI_ALERTS: u64 = 1_000_000;

/// Most `webserver.threadiness` accepts.
pub const MAX_THREADINESS: u64 = 256;

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Rules files and directories, in order.
    pub rules_files: Vec<PathBuf>,
    /// `rules:` enable/disable list, in order.
    pub rules_selection: Vec<RuleSelection>,
    /// `json_output`.
    pub json_output: bool,
    /// `json_include_output_property`.
    pub json_include_output_property: bool,
    /// `json_include_tags_property`.
    pub json_include_tags_property: bool,
    /// `json_include_message_property`.
    pub json_include_message_property: bool,
    /// `json_include_output_fields_property`.
    pub json_include_output_fields_property: bool,
    /// `time_format_iso_8601`.
    pub time_format_iso_8601: bool,
    /// `priority`: minimum rule priority loaded.
    pub priority: Priority,
    /// `rule_matching`.
    pub rule_matching: RuleMatching,
    /// `buffered_outputs`.
    pub buffered_outputs: bool,
    /// `outputs_queue.capacity` (0 = default bound).
    pub outputs_queue_capacity: u64,
    /// The output sections (`stdout_output`, `file_output`, `syslog_output`, `program_output`,
    /// `http_output`, the chat outputs, plus `buffered_outputs`, `json_output`, `outputs_queue`), as a YAML
    /// value for the outputs crate to deserialise.
    pub outputs: serde_yaml::Value,
    /// `log_level`.
    pub log_level: log::LevelFilter,
    /// `log_stderr`.
    pub log_stderr: bool,
    /// `log_syslog`.
    pub log_syslog: bool,
    /// `syscall_event_drops`.
    pub syscall_event_drops: DropsConfig,
    /// `engine.kind`.
    pub engine_kind: EngineKind,
    /// `engine.kmod.buf_size_preset`.
    pub kmod_buf_size_preset: u64,
    /// `engine.kmod.drop_failed_exit`.
    pub kmod_drop_failed_exit: bool,
    /// `engine.modern_ebpf.cpus_for_each_buffer` (0: one buffer for every CPU).
    pub modern_ebpf_cpus_for_each_buffer: u64,
    /// `engine.modern_ebpf.buf_size_preset`.
    pub modern_ebpf_buf_size_preset: u64,
    /// `engine.modern_ebpf.drop_failed_exit`.
    pub modern_ebpf_drop_failed_exit: bool,
    /// `engine.replay.capture_file`.
    pub replay_capture_file: Option<PathBuf>,
    /// `engine.evaluators`: threads evaluating rules (1 to [`MAX_EVALUATORS`]).
    pub evaluators: usize,
    /// `base_syscalls`.
    pub base_syscalls: BaseSyscalls,
    /// `metrics`.
    pub metrics: MetricsConfig,
    /// `webserver`.
    pub webserver: WebserverConfig,
    /// Event sources enabled (`--enable-source`/`--disable-source` applied later by `app`).
    pub enabled_sources: Vec<String>,
    /// `watch_config_files`.
    pub watch_config_files: bool,
    /// The container runtimes to ask (`plugins: [{name: container, ...}]`,
    /// `container_engines`).
    pub container_engines: falco_containers::EnginesConfig,
    /// `append_output`, in order.
    pub append_output: Vec<super::containers::AppendOutput>,
    /// The loaded `k8saudit` plugin entry, served by the built-in `k8s_audit` source.
    pub k8saudit: Option<super::plugins::K8sAuditConfig>,
    /// `falco_libs.thread_table_size`: most threads the state keeps.
    pub thread_table_size: usize,
    /// `falco_libs.snaplen`: bytes of a buffer parameter the driver copies (0: the driver's
    /// default, [`ringbuf_abi::ioctl::DEFAULT_SNAPLEN`]).
    pub snaplen: u32,
}

/// `falco_libs.thread_table_size` when not set (libsinsp's default).
pub const DEFAULT_THREAD_TABLE_SIZE: u64 = 262_144;
/// Largest `falco_libs.thread_table_size`.
pub const MAX_THREAD_TABLE_SIZE: u64 = 1 << 24;

/// Evaluator threads when `engine.evaluators` is not set.
pub const DEFAULT_EVALUATORS: usize = 2;
/// Most evaluator threads `engine.evaluators` accepts.
pub const MAX_EVALUATORS: usize = 64;
const MAX_EVALUATORS_U64: u64 = MAX_EVALUATORS as u64;

/// Largest `outputs_queue.capacity`: each output preallocates its queue.
pub const MAX_QUEUE_CAPACITY: u64 = 1 << 20;
/// Longest `metrics.interval`, in seconds (a year).
pub const MAX_INTERVAL_SECS: u64 = 366 * 86400;
/// Largest `syscall_event_drops.max_burst`.
pub const MAX_BURST: u64 = 1_000_000;
/// Longest output timeout in milliseconds (an hour).
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;

/// The `metrics.*_enabled` toggles of categories this engine has nothing to report in: no
/// libbpf statistics (aya reads no kernel BPF stats), no plugins, no jemalloc. Accepted; turning
/// them on adds nothing.
const METRICS_EMPTY_TOGGLES: &[&str] = &[
    "libbpf_stats_enabled",
    "plugins_metrics_enabled",
    "jemalloc_stats_enabled",
];

/// Top-level keys Falco documents; anything else is warned as unknown.
const KNOWN_TOP_LEVEL: &[&str] = &[
    "config_files",
    "watch_config_files",
    "rules_files",
    "rules_file",
    "rules",
    "engine",
    "load_plugins",
    "plugins",
    "time_format_iso_8601",
    "buffer_format_base64",
    "priority",
    "json_output",
    "json_include_output_property",
    "json_include_message_property",
    "json_include_output_fields_property",
    "json_include_tags_property",
    "buffered_outputs",
    "rule_matching",
    "outputs_queue",
    "append_output",
    "static_fields",
    "stdout_output",
    "syslog_output",
    "file_output",
    "http_output",
    "program_output",
    "slack_output",
    "teams_output",
    "googlechat_output",
    "webhook_output",
    "grpc_output",
    "grpc",
    "webserver",
    "log_stderr",
    "log_syslog",
    "log_level",
    "libs_logger",
    "output_timeout",
    "syscall_event_timeouts",
    "syscall_event_drops",
    "metrics",
    "base_syscalls",
    "falco_libs",
    "container_engines",
    "capture",
    "plugins_hostinfo",
    "outputs",
    "modern_bpf",
    "syscall_buf_size_preset",
    "syscall_drop_failed_exit",
    "config_files_strategy",
];

/// The output sections of falco.yaml, as the outputs crate reads them.
const OUTPUT_KEYS: [&str; 14] = [
    "stdout_output",
    "file_output",
    "syslog_output",
    "program_output",
    "http_output",
    "outputs_queue",
    "buffered_outputs",
    "json_output",
    "log_syslog",
    "output_timeout",
    "slack_output",
    "teams_output",
    "googlechat_output",
    "webhook_output",
];

fn outputs_config(v: serde_yaml::Value) -> Result<falco_outputs::OutputsConfig, String> {
    serde_yaml::from_value(v).map_err(|e| e.to_string())
}

/// The innermost node of the output sections whose value alone makes the outputs crate fail
/// with `err`, and its dotted path: the value read as a key path `{a: {b: value}}` fails with
/// the same message exactly when it is the culprit (serde's messages name no path).
fn locate_outputs_error<'n>(root: &'n Node, err: &str) -> Option<(&'n Node, String)> {
    fn wrap(path: &[&str], v: serde_yaml::Value) -> serde_yaml::Value {
        path.iter().rev().fold(v, |v, k| {
            let mut m = serde_yaml::Mapping::new();
            m.insert(serde_yaml::Value::String((*k).to_string()), v);
            serde_yaml::Value::Mapping(m)
        })
    }
    let fails_alone = |path: &[&str], node: &Node| {
        outputs_config(wrap(path, node.to_serde())).err().as_deref() == Some(err)
    };
    let (key, mut node) = OUTPUT_KEYS
        .iter()
        .filter_map(|k| root.get(k).map(|n| (*k, n)))
        .find(|(k, n)| fails_alone(&[k], n))?;
    let mut path = vec![key];
    // Bounded by the depth of the tree, which the YAML reader limits.
    'descend: loop {
        if let Value::Map(entries) = &node.value {
            for (k, child, _) in entries {
                let mut p = path.clone();
                p.push(k.as_str());
                if fails_alone(&p, child) {
                    path = p;
                    node = child;
                    continue 'descend;
                }
            }
        }
        return Some((node, path.join(".")));
    }
}

/// Reads typed values out of the tree, collecting diagnostics.
struct Reader<'a> {
    root: &'a Node,
    errors: Vec<ConfigDiag>,
    warnings: Vec<ConfigDiag>,
}

impl<'a> Reader<'a> {
    fn node(&self, path: &str) -> Option<&'a Node> {
        let mut cur = self.root;
        for key in path.split('.') {
            cur = cur.get(key)?;
        }
        if cur.is_null() {
            None
        } else {
            Some(cur)
        }
    }

    /// A key this engine accepts but does not act on: a start-up warning at its position,
    /// never silence.
    fn unsupported(&mut self, path: &str, why: &str) {
        if let Some(node) = self.node(path) {
            self.warnings.push(ConfigDiag {
                pos: node.pos.clone(),
                message: format!("`{path}` is not supported and has no effect: {why}"),
            });
        }
    }

    fn error(&mut self, node: &Node, message: String) {
        self.errors.push(ConfigDiag {
            pos: node.pos.clone(),
            message,
        });
    }

    fn scalar(&mut self, path: &str, what: &str) -> Option<(&'a Node, &'a str)> {
        let node = self.node(path)?;
        match &node.value {
            Value::Scalar { text, .. } => Some((node, text.as_str())),
            _ => {
                self.error(
                    node,
                    format!("`{path}` must be {what}, found {}", node.kind()),
                );
                None
            }
        }
    }

    fn bool(&mut self, path: &str, default: bool) -> bool {
        let Some((node, text)) = self.scalar(path, "a boolean") else {
            return default;
        };
        match text {
            "true" | "True" | "TRUE" => true,
            "false" | "False" | "FALSE" => false,
            _ => {
                self.error(
                    node,
                    format!("`{path}` must be a boolean (true or false), found `{text}`"),
                );
                default
            }
        }
    }

    fn uint(&mut self, path: &str, default: u64) -> u64 {
        let Some((node, text)) = self.scalar(path, "a non-negative integer") else {
            return default;
        };
        match text.parse() {
            Ok(v) => v,
            Err(_) => {
                self.error(
                    node,
                    format!("`{path}` must be a non-negative integer, found `{text}`"),
                );
                default
            }
        }
    }

    /// [`Reader::uint`] within `range`: a value outside it is an error at its position.
    fn uint_in(&mut self, path: &str, default: u64, range: RangeInclusive<u64>) -> u64 {
        let v = self.uint(path, default);
        self.within(path, v, default, range)
    }

    /// [`Reader::float`], finite and within `range`: anything else is an error at its position.
    fn float_in(&mut self, path: &str, default: f64, range: RangeInclusive<f64>) -> f64 {
        let v = self.float(path, default);
        self.within(path, v, default, range)
    }

    /// `v` when `range` holds it (NaN never does); otherwise an error at `path` and `default`.
    fn within<T: PartialOrd + std::fmt::Display>(
        &mut self,
        path: &str,
        v: T,
        default: T,
        range: RangeInclusive<T>,
    ) -> T {
        if range.contains(&v) {
            return v;
        }
        if let Some(node) = self.node(path) {
            self.error(
                node,
                format!(
                    "`{path}` must be between {} and {}, found `{v}`",
                    range.start(),
                    range.end()
                ),
            );
        }
        default
    }

    fn float(&mut self, path: &str, default: f64) -> f64 {
        let Some((node, text)) = self.scalar(path, "a number") else {
            return default;
        };
        match text.parse() {
            Ok(v) => v,
            Err(_) => {
                self.error(node, format!("`{path}` must be a number, found `{text}`"));
                default
            }
        }
    }

    fn string(&mut self, path: &str) -> Option<(&'a Node, String)> {
        self.scalar(path, "a string")
            .map(|(n, t)| (n, t.to_string()))
    }

    fn string_list(&mut self, path: &str) -> Vec<String> {
        let Some(node) = self.node(path) else {
            return Vec::new();
        };
        match &node.value {
            Value::Scalar { text, .. } => vec![text.clone()],
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Scalar { text, .. } => out.push(text.clone()),
                        _ => self.error(
                            item,
                            format!("`{path}` entries must be strings, found {}", item.kind()),
                        ),
                    }
                }
                out
            }
            Value::Map(_) => {
                self.error(
                    node,
                    format!("`{path}` must be a list of strings, found a mapping"),
                );
                Vec::new()
            }
        }
    }
}

impl Config {
    /// Reads the configuration from a merged YAML tree. Returns the config and its warnings,
    /// or every error found.
    pub fn from_tree(root: &Node) -> Result<(Config, Vec<ConfigDiag>), Vec<ConfigDiag>> {
        let mut r = Reader {
            root,
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        match &root.value {
            Value::Map(entries) => {
                for (key, _, pos) in entries {
                    if !KNOWN_TOP_LEVEL.contains(&key.as_str()) {
                        r.warnings.push(ConfigDiag {
                            pos: pos.clone(),
                            message: format!("unknown configuration key `{key}`"),
                        });
                    }
                }
            }
            _ => {
                return Err(vec![ConfigDiag {
                    pos: root.pos.clone(),
                    message: format!("the configuration must be a mapping, found {}", root.kind()),
                }])
            }
        }

        let mut rules_files: Vec<PathBuf> = r
            .string_list("rules_files")
            .into_iter()
            .map(PathBuf::from)
            .collect();
        let legacy_key = match &root.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _, _)| k == "rules_file")
                .map(|(_, _, p)| p.clone()),
            _ => None,
        };
        if let Some(pos) = legacy_key {
            r.warnings.push(ConfigDiag {
                pos,
                message: "`rules_file` is deprecated: use `rules_files`".into(),
            });
            rules_files.extend(r.string_list("rules_file").into_iter().map(PathBuf::from));
        }

        let rules_selection = read_rules_selection(&mut r);

        let priority = match r.string("priority") {
            None => Priority::Debug,
            Some((node, text)) => Priority::parse(&text).unwrap_or_else(|| {
                r.error(node, format!("`priority` must be one of emergency, alert, critical, error, warning, notice, informational, debug; found `{text}`"));
                Priority::Debug
            }),
        };
        let rule_matching = match r.string("rule_matching") {
            None => RuleMatching::First,
            Some((_, t)) if t.eq_ignore_ascii_case("first") => RuleMatching::First,
            Some((_, t)) if t.eq_ignore_ascii_case("all") => RuleMatching::All,
            Some((node, t)) => {
                r.error(
                    node,
                    format!("`rule_matching` must be `first` or `all`, found `{t}`"),
                );
                RuleMatching::First
            }
        };
        let log_level = match r.string("log_level") {
            None => log::LevelFilter::Info,
            Some((node, t)) => match t.to_ascii_lowercase().as_str() {
                "emergency" | "alert" | "critical" | "error" => log::LevelFilter::Error,
                "warning" => log::LevelFilter::Warn,
                "notice" | "info" | "informational" => log::LevelFilter::Info,
                "debug" => log::LevelFilter::Debug,
                _ => {
                    r.error(
                        node,
                        format!("`log_level` must be a priority name, found `{t}`"),
                    );
                    log::LevelFilter::Info
                }
            },
        };
        let engine_kind = match r.string("engine.kind") {
            None => EngineKind::Kmod,
            Some((_, t)) if t == "kmod" => EngineKind::Kmod,
            Some((_, t)) if t == "replay" => EngineKind::Replay,
            Some((_, t)) if t == "modern_ebpf" => EngineKind::ModernEbpf,
            // The Helm chart's `driver.kind: auto`: the kernel module where the host has it
            // loaded (its first device exists), the modern eBPF driver otherwise.
            Some((_, t)) if t == "auto" => {
                if std::path::Path::new(AUTO_MODULE_DEVICE).exists() {
                    EngineKind::Kmod
                } else {
                    EngineKind::ModernEbpf
                }
            }
            Some((node, t)) if t == "ebpf" => {
                r.error(node, "`engine.kind: ebpf` (Falco's legacy probe) is not provided: use `modern_ebpf`, which needs no probe file".to_string());
                EngineKind::ModernEbpf
            }
            Some((node, t)) => {
                r.error(
                    node,
                    format!("`engine.kind` must be `kmod`, `modern_ebpf` or `replay`, found `{t}`"),
                );
                EngineKind::Kmod
            }
        };
        let evaluators = match r.uint("engine.evaluators", DEFAULT_EVALUATORS as u64) {
            n @ 1..=MAX_EVALUATORS_U64 => n as usize,
            n => {
                let node = r.node("engine.evaluators").unwrap_or(root);
                r.error(
                    node,
                    format!(
                        "`engine.evaluators` must be between 1 and {MAX_EVALUATORS}, found `{n}`"
                    ),
                );
                DEFAULT_EVALUATORS
            }
        };
        let replay_capture_file = r
            .string("engine.replay.capture_file")
            .map(|(_, t)| PathBuf::from(t));
        let mut actions = Vec::new();
        for a in r.string_list("syscall_event_drops.actions") {
            match a.as_str() {
                "ignore" => actions.push(DropAction::Ignore),
                "log" => actions.push(DropAction::Log),
                "alert" => actions.push(DropAction::Alert),
                "exit" => actions.push(DropAction::Exit),
                other => {
                    let node = r.node("syscall_event_drops.actions").unwrap_or(root);
                    r.error(node, format!("unknown `syscall_event_drops` action `{other}` (ignore, log, alert, exit)"));
                }
            }
        }
        // Falco's check: `ignore` contradicts the actions that report.
        if actions.contains(&DropAction::Ignore) {
            if let Some(a) = actions
                .iter()
                .find(|a| matches!(a, DropAction::Log | DropAction::Alert))
            {
                let name = if *a == DropAction::Log {
                    "log"
                } else {
                    "alert"
                };
                let node = r.node("syscall_event_drops.actions").unwrap_or(root);
                r.error(
                    node,
                    format!("syscall event drop action \"{name}\" does not make sense with the \"ignore\" action"),
                );
            }
        }
        if actions.is_empty() {
            actions = vec![DropAction::Log, DropAction::Alert];
        }
        let syscall_event_drops = DropsConfig {
            actions,
            rate: r.float_in("syscall_event_drops.rate", 0.03333, 0.0..=1e6),
            max_burst: r.uint_in("syscall_event_drops.max_burst", 1, 0..=MAX_BURST),
            threshold: r.float_in("syscall_event_drops.threshold", 0.1, 0.0..=1.0),
            simulate_drops: r.bool("syscall_event_drops.simulate_drops", false),
        };
        let base_syscalls = BaseSyscalls {
            custom_set: r.string_list("base_syscalls.custom_set"),
            repair: r.bool("base_syscalls.repair", false),
            all: r.bool("base_syscalls.all", false),
        };
        let interval_secs = match r.string("metrics.interval") {
            None => 3600,
            Some((node, t)) => match parse_duration_secs(&t) {
                Some(secs) if secs <= MAX_INTERVAL_SECS => secs,
                Some(_) => {
                    r.error(
                        node,
                        format!("`metrics.interval` must be at most {MAX_INTERVAL_SECS} seconds (a year), found `{t}`"),
                    );
                    3600
                }
                None => {
                    r.error(
                        node,
                        format!(
                            "`metrics.interval` must be a duration like 15m or 1h, found `{t}`"
                        ),
                    );
                    3600
                }
            },
        };
        let metrics = MetricsConfig {
            enabled: r.bool("metrics.enabled", false),
            interval_secs,
            output_rule: r.bool("metrics.output_rule", true),
            output_file: r
                .string("metrics.output_file")
                .map(|(_, t)| PathBuf::from(t))
                .filter(|p| !p.as_os_str().is_empty()),
            rules_counters: r.bool("metrics.rules_counters_enabled", true),
            resource_utilization: r.bool("metrics.resource_utilization_enabled", true),
            state_counters: r.bool("metrics.state_counters_enabled", true),
            kernel_event_counters: r.bool("metrics.kernel_event_counters_enabled", true),
            kernel_event_counters_per_cpu: r
                .bool("metrics.kernel_event_counters_per_cpu_enabled", false),
            convert_memory_to_mb: r.bool("metrics.convert_memory_to_mb", true),
            include_empty_values: r.bool("metrics.include_empty_values", false),
        };
        for key in METRICS_EMPTY_TOGGLES {
            r.bool(&format!("metrics.{key}"), false);
        }
        let webserver = read_webserver(&mut r, metrics.enabled);

        // Accepted for compatibility, without an effect here: said at start-up, with the line.
        if r.bool("libs_logger.enabled", false) {
            r.unsupported(
                "libs_logger.enabled",
                "this engine has no libs log of its own; its messages follow `log_level`",
            );
        }

        let mut outputs = serde_yaml::Mapping::new();
        for key in OUTPUT_KEYS {
            if let Some(node) = root.get(key) {
                outputs.insert(serde_yaml::Value::String(key.into()), node.to_serde());
            }
        }
        for key in [
            "stdout_output",
            "file_output",
            "syslog_output",
            "program_output",
            "http_output",
        ] {
            if let Some(node) = r.node(key) {
                if !matches!(node.value, Value::Map(_)) {
                    r.error(
                        node,
                        format!("`{key}` must be a mapping, found {}", node.kind()),
                    );
                }
            }
        }
        for key in [
            "stdout_output.enabled",
            "file_output.enabled",
            "file_output.keep_alive",
            "syslog_output.enabled",
            "program_output.enabled",
            "program_output.keep_alive",
            "http_output.enabled",
            "http_output.insecure",
            "http_output.mtls",
            "http_output.compress_uploads",
            "http_output.keep_alive",
        ] {
            r.bool(key, false);
        }

        // Numbers the outputs crate reads itself: checked here, where positions are known.
        r.uint_in("output_timeout", 2000, 1..=MAX_TIMEOUT_MS);
        r.uint_in("http_output.timeout_ms", 5000, 1..=MAX_TIMEOUT_MS);
        r.uint_in("http_output.connect_timeout_ms", 2000, 1..=MAX_TIMEOUT_MS);
        r.uint_in("http_output.max_consecutive_timeouts", 5, 0..=255);

        let container_engines =
            super::containers::read_engines(root, &mut r.warnings, &mut r.errors);
        let append_output =
            super::containers::read_append_output(root, &mut r.warnings, &mut r.errors);
        let k8saudit = super::plugins::read_k8saudit(root, &mut r.warnings, &mut r.errors);
        let config = Config {
            k8saudit,
            container_engines,
            append_output,
            rules_files,
            rules_selection,
            json_output: r.bool("json_output", false),
            json_include_output_property: r.bool("json_include_output_property", true),
            json_include_tags_property: r.bool("json_include_tags_property", true),
            json_include_message_property: r.bool("json_include_message_property", false),
            json_include_output_fields_property: r
                .bool("json_include_output_fields_property", true),
            time_format_iso_8601: r.bool("time_format_iso_8601", false),
            priority,
            rule_matching,
            buffered_outputs: r.bool("buffered_outputs", false),
            outputs_queue_capacity: r.uint_in("outputs_queue.capacity", 0, 0..=MAX_QUEUE_CAPACITY),
            outputs: serde_yaml::Value::Mapping(outputs),
            log_level,
            log_stderr: r.bool("log_stderr", true),
            log_syslog: r.bool("log_syslog", false),
            syscall_event_drops,
            engine_kind,
            kmod_buf_size_preset: r.uint_in("engine.kmod.buf_size_preset", 4, 0..=10),
            kmod_drop_failed_exit: r.bool("engine.kmod.drop_failed_exit", false),
            modern_ebpf_cpus_for_each_buffer: r.uint_in(
                "engine.modern_ebpf.cpus_for_each_buffer",
                2,
                0..=4096,
            ),
            modern_ebpf_buf_size_preset: r.uint_in("engine.modern_ebpf.buf_size_preset", 4, 0..=10),
            modern_ebpf_drop_failed_exit: r.bool("engine.modern_ebpf.drop_failed_exit", false),
            replay_capture_file,
            evaluators,
            base_syscalls,
            metrics,
            webserver,
            enabled_sources: vec![SYSCALL_SOURCE.to_string()],
            watch_config_files: r.bool("watch_config_files", true),
            thread_table_size: r.uint_in(
                "falco_libs.thread_table_size",
                DEFAULT_THREAD_TABLE_SIZE,
                1..=MAX_THREAD_TABLE_SIZE,
            ) as usize,
            snaplen: r.uint_in(
                "falco_libs.snaplen",
                0,
                0..=u64::from(ringbuf_abi::ioctl::MAX_SNAPLEN),
            ) as u32,
        };
        // The output sections as the outputs crate will read them, so that a wrong value is
        // reported with its position, before any rules are loaded, not when the outputs start;
        // unless a check above already reported one of them.
        let outputs_reported = r.errors.iter().any(|e| {
            OUTPUT_KEYS
                .iter()
                .any(|k| e.message.starts_with(&format!("`{k}")))
        });
        if !outputs_reported {
            if let Err(e) = outputs_config(config.outputs.clone()) {
                match locate_outputs_error(root, &e) {
                    Some((node, path)) => r.error(node, format!("`{path}`: {e}")),
                    None => r.error(root, format!("output configuration: {e}")),
                }
            }
        }
        if r.errors.is_empty() {
            Ok((config, r.warnings))
        } else {
            Err(r.errors)
        }
    }
}

/// The device whose presence makes `engine.kind: auto` pick the kernel module.
pub const AUTO_MODULE_DEVICE: &str = "/dev/falco0";

/// The one event source this engine captures; rules of other sources are loaded but not run.
pub const SYSCALL_SOURCE: &str = "syscall";

/// `webserver.*`, checked where positions are known: a port out of range, an empty address or
/// an endpoint that is not a path are errors here, not at start-up.
fn read_webserver(r: &mut Reader<'_>, metrics_enabled: bool) -> WebserverConfig {
    let listen_port = r.uint_in("webserver.listen_port", 8765, 1..=65535) as u16;
    let listen_address = match r.string("webserver.listen_address") {
        None => "0.0.0.0".to_string(),
        Some((node, t)) if t.trim().is_empty() => {
            r.error(node, "`webserver.listen_address` must not be empty".into());
            "0.0.0.0".to_string()
        }
        Some((_, t)) => t,
    };
    let k8s_healthz_endpoint = match r.string("webserver.k8s_healthz_endpoint") {
        None => "/healthz".to_string(),
        Some((node, t)) if !t.starts_with('/') => {
            r.error(
                node,
                format!("`webserver.k8s_healthz_endpoint` must be a path starting with `/`, found `{t}`"),
            );
            "/healthz".to_string()
        }
        Some((_, t)) => t,
    };
    let prometheus_metrics_enabled = r.bool("webserver.prometheus_metrics_enabled", false);
    if prometheus_metrics_enabled && !metrics_enabled {
        if let Some(node) = r.node("webserver.prometheus_metrics_enabled") {
            r.warnings.push(ConfigDiag {
                pos: node.pos.clone(),
                message: "`webserver.prometheus_metrics_enabled` needs `metrics.enabled: true`: /metrics is not served".into(),
            });
        }
    }
    let enabled = r.bool("webserver.enabled", false);
    let ui = read_webui(r, enabled, &listen_address);
    WebserverConfig {
        enabled,
        threadiness: r.uint_in("webserver.threadiness", 0, 0..=MAX_THREADINESS) as usize,
        listen_port,
        listen_address,
        k8s_healthz_endpoint,
        prometheus_metrics_enabled: prometheus_metrics_enabled && metrics_enabled,
        ssl_enabled: r.bool("webserver.ssl_enabled", false),
        ssl_certificate: r
            .string("webserver.ssl_certificate")
            .map(|(_, t)| PathBuf::from(t))
            .unwrap_or_else(|| PathBuf::from("/etc/falco/falco.pem")),
        ui,
    }
}

/// `webserver.ui.*`. The UI on an address other hosts can reach without credentials is an
/// error naming the keys: alerts describe the host and must not be readable by anyone.
fn read_webui(r: &mut Reader<'_>, webserver: bool, listen_address: &str) -> WebUiConfig {
    let enabled = r.bool("webserver.ui.enabled", false);
    if enabled && !webserver {
        if let Some(node) = r.node("webserver.ui.enabled") {
            r.warnings.push(ConfigDiag {
                pos: node.pos.clone(),
                message:
                    "`webserver.ui.enabled` needs `webserver.enabled: true`: the UI is not served"
                        .into(),
            });
        }
    }
    let max_alerts = r.uint_in(
        "webserver.ui.max_alerts",
        DEFAULT_UI_MAX_ALERTS,
        1..=MAX_UI_ALERTS,
    ) as usize;
    let load_file_output = r.bool("webserver.ui.load_file_output", false);
    let token = r
        .string("webserver.ui.token")
        .map(|(_, t)| t)
        .unwrap_or_default();
    let user = r.string("webserver.ui.basic_auth.username");
    let password = r.string("webserver.ui.basic_auth.password");
    let basic_auth = match (user, password) {
        (None, None) => None,
        (Some((_, u)), Some((_, p))) if !u.is_empty() && !p.is_empty() => {
            if u.contains(':') {
                if let Some(node) = r.node("webserver.ui.basic_auth.username") {
                    r.error(
                        node,
                        "`webserver.ui.basic_auth.username` must not contain `:`".into(),
                    );
                }
            }
            Some((u, p))
        }
        (Some((node, _)), _) | (_, Some((node, _))) => {
            r.error(
                node,
                "`webserver.ui.basic_auth` needs both a non-empty `username` and `password`".into(),
            );
            None
        }
    };
    let loopback = is_loopback(listen_address);
    if webserver && enabled && !loopback && token.is_empty() && basic_auth.is_none() {
        if let Some(node) = r.node("webserver.ui.enabled") {
            r.error(
                node,
                format!(
                    "`webserver.ui.enabled` on the non-loopback address `{listen_address}` (`webserver.listen_address`) needs credentials: set `webserver.ui.token` or `webserver.ui.basic_auth.username` and `webserver.ui.basic_auth.password`, or listen on 127.0.0.1"
                ),
            );
        }
    }
    WebUiConfig {
        enabled,
        max_alerts,
        load_file_output,
        token,
        basic_auth,
    }
}

/// Whether `address` (an IP or `localhost`) only accepts connections from this host.
pub fn is_loopback(address: &str) -> bool {
    let a = address.trim().trim_start_matches('[').trim_end_matches(']');
    a.eq_ignore_ascii_case("localhost")
        || a.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn read_rules_selection(r: &mut Reader<'_>) -> Vec<RuleSelection> {
    let mut out = Vec::new();
    let Some(node) = r.node("rules") else {
        return out;
    };
    let Value::Seq(items) = &node.value else {
        r.error(
            node,
            format!(
                "`rules` must be a list of enable/disable entries, found {}",
                node.kind()
            ),
        );
        return out;
    };
    for item in items {
        let (action, inner) = match (item.get("enable"), item.get("disable")) {
            (Some(n), None) => (true, n),
            (None, Some(n)) => (false, n),
            _ => {
                r.error(
                    item,
                    "each `rules` entry must have exactly one of `enable` or `disable`".into(),
                );
                continue;
            }
        };
        let matcher = match (inner.get("rule"), inner.get("tag")) {
            (
                Some(Node {
                    value: Value::Scalar { text, .. },
                    ..
                }),
                None,
            ) => RuleMatcher::Rule(text.clone()),
            (
                None,
                Some(Node {
                    value: Value::Scalar { text, .. },
                    ..
                }),
            ) => RuleMatcher::Tag(text.clone()),
            _ => {
                r.error(
                    inner,
                    "a `rules` entry must name exactly one `rule` or `tag` (a string)".into(),
                );
                continue;
            }
        };
        out.push(if action {
            RuleSelection::Enable(matcher)
        } else {
            RuleSelection::Disable(matcher)
        });
    }
    out
}

/// Parses `30s`, `15m`, `1h`, `2d`, or a bare number of seconds (saturating: a duration too
/// long for a `u64` of seconds is `u64::MAX`, for the range check to refuse).
fn parse_duration_secs(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().ok()?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        "ms" => return Some((n / 1000).max(1)),
        _ => return None,
    };
    Some(n.saturating_mul(mult))
}
