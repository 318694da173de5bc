//! falco.yaml: load the file and the files it includes (`config_files`), apply `-o`
//! overrides, and validate once into [`Config`]. Reload goes through the same function.

pub mod containers;
pub mod model;
pub mod overrides;
pub mod plugins;
pub mod yaml;

pub use model::{
    Config, ConfigDiag, EngineKind, Priority, RuleMatcher, RuleMatching, RuleSelection,
};
use std::path::{Path, PathBuf};
use yaml::{Node, Pos, Value};

/// Why the configuration cannot be used.
#[derive(Debug)]
pub enum ConfigError {
    /// A file cannot be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// YAML syntax or structure (duplicate keys), or invalid values: every problem found.
    Invalid(Vec<ConfigDiag>),
    /// A malformed `-o` override.
    Override(overrides::OverrideError),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Io { path, source } => write!(
                f,
                "cannot read configuration file {}: {source}",
                path.display()
            ),
            ConfigError::Invalid(diags) => {
                let lines: Vec<String> = diags.iter().map(ToString::to_string).collect();
                write!(f, "invalid configuration:\n{}", lines.join("\n"))
            }
            ConfigError::Override(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A loaded configuration and what it came from.
#[derive(Debug)]
pub struct Loaded {
    /// The validated configuration.
    pub config: Config,
    /// Non-fatal problems (unknown keys, deprecated spellings).
    pub warnings: Vec<ConfigDiag>,
    /// Every file read, main file first (watched when `watch_config_files` is set).
    pub files: Vec<PathBuf>,
}

fn read_yaml(path: &Path) -> Result<Node, ConfigError> {
    let text = falco_rules::file::read_text(path).map_err(|source| {
        match falco_rules::file::InvalidUtf8::of(&source) {
            Some(bad) => ConfigError::Invalid(vec![ConfigDiag {
                pos: yaml::Pos {
                    file: path.display().to_string().into(),
                    line: bad.line,
                    col: bad.col,
                },
                message: "invalid UTF-8".into(),
            }]),
            None => ConfigError::Io {
                path: path.to_path_buf(),
                source,
            },
        }
    })?;
    yaml::parse(&path.display().to_string(), &text).map_err(|e| {
        ConfigError::Invalid(vec![ConfigDiag {
            pos: e.pos,
            message: e.message,
        }])
    })
}

/// How an included file merges into what was loaded before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    /// Lists are appended, mappings merged, scalars replaced (Falco's default).
    Append,
    /// Top-level keys are replaced.
    Override,
    /// Only keys not yet present are added.
    AddOnly,
}

fn merge(base: &mut Node, extra: Node, strategy: Strategy) {
    let (Value::Map(base_entries), Value::Map(extra_entries)) = (&mut base.value, extra.value)
    else {
        return;
    };
    for (key, node, pos) in extra_entries {
        if key == "config_files" {
            continue;
        }
        match base_entries.iter_mut().find(|(k, _, _)| *k == key) {
            None => base_entries.push((key, node, pos)),
            Some(_) if strategy == Strategy::AddOnly => {}
            Some(slot) if strategy == Strategy::Override => *slot = (key, node, pos),
            Some(slot) => match (&mut slot.1.value, node.value) {
                (Value::Seq(items), Value::Seq(more)) => items.extend(more),
                (Value::Map(_), Value::Map(more)) => merge(
                    &mut slot.1,
                    Node {
                        value: Value::Map(more),
                        pos: node.pos,
                    },
                    Strategy::Append,
                ),
                (_, value) => {
                    *slot = (
                        key,
                        Node {
                            value,
                            pos: node.pos,
                        },
                        pos,
                    )
                }
            },
        }
    }
}

/// The files named by `config_files` (files, or directories whose .yaml/.yml files are read in
/// name order), with their merge strategy.
fn included_files(root: &Node, main: &Path) -> Result<Vec<(PathBuf, Strategy, Pos)>, ConfigError> {
    let mut out = Vec::new();
    let Some(list) = root.get("config_files") else {
        return Ok(out);
    };
    let items: Vec<&Node> = match &list.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Scalar { .. } if list.is_null() => Vec::new(),
        _ => vec![list],
    };
    let base = main.parent().unwrap_or(Path::new("."));
    for item in items {
        let (path, strategy) = match &item.value {
            Value::Scalar { text, .. } => (text.clone(), Strategy::Append),
            Value::Map(_) => {
                let path = match item.get("path").map(|n| &n.value) {
                    Some(Value::Scalar { text, .. }) => text.clone(),
                    _ => return Err(invalid(&item.pos, "a `config_files` entry needs a `path`")),
                };
                let strategy = match item.get("strategy").map(|n| &n.value) {
                    None => Strategy::Append,
                    Some(Value::Scalar { text, .. }) if text == "append" => Strategy::Append,
                    Some(Value::Scalar { text, .. }) if text == "override" => Strategy::Override,
                    Some(Value::Scalar { text, .. }) if text == "add-only" => Strategy::AddOnly,
                    _ => {
                        return Err(invalid(
                            &item.pos,
                            "`strategy` must be append, override or add-only",
                        ))
                    }
                };
                (path, strategy)
            }
            Value::Seq(_) => {
                return Err(invalid(
                    &item.pos,
                    "a `config_files` entry must be a path or a mapping",
                ))
            }
        };
        let path = base.join(path);
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|source| ConfigError::Io {
                    path: path.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                })
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| (f, strategy, item.pos.clone())));
        } else if path.exists() {
            out.push((path, strategy, item.pos.clone()));
        }
    }
    Ok(out)
}

fn invalid(pos: &Pos, message: &str) -> ConfigError {
    ConfigError::Invalid(vec![ConfigDiag {
        pos: pos.clone(),
        message: message.into(),
    }])
}

/// Loads `main`, merges its `config_files`, applies `overrides` (`key.path=value`) and
/// validates. The same path serves startup and reload.
pub fn load(main: &Path, overrides: &[String]) -> Result<Loaded, ConfigError> {
    let mut root = read_yaml(main)?;
    if !matches!(root.value, Value::Map(_)) && !root.is_null() {
        return Err(invalid(&root.pos, "the configuration must be a mapping"));
    }
    if root.is_null() {
        root.value = Value::Map(Vec::new());
    }
    let mut files = vec![main.to_path_buf()];
    for (path, strategy, _) in included_files(&root, main)? {
        let extra = read_yaml(&path)?;
        merge(&mut root, extra, strategy);
        files.push(path);
    }
    load_tree(root, overrides, files)
}

/// Validates a configuration given as text (no file), e.g. the built-in defaults.
pub fn load_str(name: &str, text: &str, overrides: &[String]) -> Result<Loaded, ConfigError> {
    let root = yaml::parse(name, text).map_err(|e| {
        ConfigError::Invalid(vec![ConfigDiag {
            pos: e.pos,
            message: e.message,
        }])
    })?;
    load_tree(root, overrides, Vec::new())
}

fn load_tree(
    mut root: Node,
    overrides: &[String],
    files: Vec<PathBuf>,
) -> Result<Loaded, ConfigError> {
    for o in overrides {
        overrides::apply(&mut root, o).map_err(ConfigError::Override)?;
    }
    let (config, warnings) = Config::from_tree(&root).map_err(ConfigError::Invalid)?;
    Ok(Loaded {
        config,
        warnings,
        files,
    })
}
