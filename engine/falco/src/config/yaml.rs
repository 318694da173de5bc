//! A YAML document tree that remembers where every node came from, so configuration errors
//! and warnings can point at file:line:column. The positioned parse is the rules crate's
//! (`falco_rules::yaml`, built on yaml-rust2's marked events because serde_yaml does not expose
//! node positions); this module turns its tree into the configuration's own (file names in
//! positions, keys as strings, mutable for `-o` overrides) and rejects duplicate keys.

use falco_rules::yaml::{self as rules_yaml, NodeKind, ScalarStyle};
use std::sync::Arc;

/// Where a node starts: file, 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pos {
    /// File name, or a pseudo-name such as `-o json_output=true`.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it starts.
    pub pos: Pos,
}

/// A YAML value. Scalars keep their text; typing happens when the config reads them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar; `quoted` is true for single- or double-quoted scalars (never null/bool/int).
    Scalar {
        /// The text.
        text: String,
        /// Whether it was quoted.
        quoted: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with keys in document order (duplicates rejected at parse time).
    Map(Vec<(String, Node, Pos)>),
}

impl Node {
    /// True for `~`, `null`, an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, quoted: false } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }
    /// The text of a scalar node (`None` for a mapping or a sequence).
    pub fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }
    /// Looks up a key of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, v, _)| v),
            _ => None,
        }
    }
    /// A short name of the node's kind for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } if self.is_null() => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
    /// Converts to a serde_yaml value (for typed deserialisation of sub-trees).
    pub fn to_serde(&self) -> serde_yaml::Value {
        match &self.value {
            Value::Scalar { text, quoted: true } => serde_yaml::Value::String(text.clone()),
            Value::Scalar {
                text,
                quoted: false,
            } => serde_yaml::from_str::<serde_yaml::Value>(text)
                .unwrap_or_else(|_| serde_yaml::Value::String(text.clone())),
            Value::Seq(items) => {
                serde_yaml::Value::Sequence(items.iter().map(Node::to_serde).collect())
            }
            Value::Map(entries) => {
                let mut m = serde_yaml::Mapping::new();
                for (k, v, _) in entries {
                    m.insert(serde_yaml::Value::String(k.clone()), v.to_serde());
                }
                serde_yaml::Value::Mapping(m)
            }
        }
    }
}

/// A YAML syntax or structure error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

/// Parses the first YAML document of `text` (from `file`). An empty document yields an empty
/// mapping.
///
/// # Errors
/// A syntax error, a duplicate mapping key or a mapping key that is not a scalar, with its
/// position.
pub fn parse(file: &str, text: &str) -> Result<Node, YamlError> {
    let file: Arc<str> = Arc::from(file);
    let docs = rules_yaml::parse(text).map_err(|e| YamlError {
        pos: position(&file, e.pos),
        message: e.message,
    })?;
    match docs.docs.into_iter().next() {
        Some(root) => convert(&file, root),
        None => Ok(Node {
            value: Value::Map(Vec::new()),
            pos: Pos {
                file,
                line: 1,
                col: 1,
            },
        }),
    }
}

fn position(file: &Arc<str>, p: rules_yaml::Pos) -> Pos {
    Pos {
        file: file.clone(),
        line: p.line,
        col: p.col,
    }
}

/// The configuration's node for a parsed one: scalars keep their text and whether they were
/// quoted (any style but plain); a block mapping is placed at its first key, where users look.
fn convert(file: &Arc<str>, node: rules_yaml::Node) -> Result<Node, YamlError> {
    let pos = position(file, node.pos);
    let value = match node.kind {
        NodeKind::Null => Value::Scalar {
            text: String::new(),
            quoted: false,
        },
        NodeKind::Scalar(text, style) => Value::Scalar {
            text,
            quoted: style != ScalarStyle::Plain,
        },
        NodeKind::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|n| convert(file, n))
                .collect::<Result<_, _>>()?,
        ),
        NodeKind::Map(pairs) => {
            let mut entries: Vec<(String, Node, Pos)> = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                let kpos = position(file, k.pos);
                let key = match k.kind {
                    NodeKind::Scalar(text, _) => text,
                    NodeKind::Null => String::new(),
                    NodeKind::Seq(_) | NodeKind::Map(_) => {
                        return Err(YamlError {
                            pos: kpos,
                            message: "mapping keys must be scalars".into(),
                        })
                    }
                };
                if let Some((_, _, first)) = entries.iter().find(|(k, _, _)| *k == key) {
                    return Err(YamlError {
                        message: format!(
                            "duplicate key `{key}` (first defined at line {})",
                            first.line
                        ),
                        pos: kpos,
                    });
                }
                entries.push((key, convert(file, v)?, kpos));
            }
            return Ok(Node {
                pos: entries.first().map_or(pos, |(_, _, p)| p.clone()),
                value: Value::Map(entries),
            });
        }
    };
    Ok(Node { value, pos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let n = parse("f.yaml", "a: 1\nb:\n  c: [x, y]\n").expect("parses");
        let a = n.get("a").expect("a");
        assert_eq!((a.pos.line, a.pos.col), (1, 4));
        let c = n.get("b").and_then(|b| b.get("c")).expect("c");
        assert_eq!((c.pos.line, c.pos.col), (3, 6));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = parse("f.yaml", "a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert_eq!((e.pos.line, e.pos.col), (3, 1));
        assert!(e.message.contains("duplicate key `a`"), "{}", e.message);
    }

    #[test]
    fn scalars_keep_their_text_and_quoting() {
        let n = parse("f.yaml", "a: 'x'\nb: y\nc: ~\nd: |\n  z\ne: [1, \"2\"]\n").expect("parses");
        let scalar = |k: &str| match &n.get(k).expect(k).value {
            Value::Scalar { text, quoted } => (text.clone(), *quoted),
            other => panic!("{k}: {other:?}"),
        };
        assert_eq!(scalar("a"), ("x".into(), true));
        assert_eq!(scalar("b"), ("y".into(), false));
        assert!(n.get("c").expect("c").is_null());
        assert_eq!(scalar("d"), ("z\n".into(), true));
        assert_eq!(n.get("e").expect("e").kind(), "a list");
        assert_eq!(parse("f.yaml", "").expect("empty").kind(), "a mapping");
        let e = parse("f.yaml", "? [a]\n: 1\n").expect_err("a list as a key");
        assert!(
            e.message.contains("mapping keys must be scalars"),
            "{}",
            e.message
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("f.yaml", "a: [1, 2\nb: 3\n").expect_err("bad");
        assert_eq!(&*e.pos.file, "f.yaml");
        assert!(e.pos.line >= 1);
    }
}
