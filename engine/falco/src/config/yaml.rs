//! A YAML document tree that remembers where every node came from, so configuration errors
//! and warnings can point at file:line:column. Built from yaml-rust2's marked events because
//! serde_yaml does not expose node positions; duplicate mapping keys are detected here.

use std::sync::Arc;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

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

/// Parses one YAML document. An empty document yields an empty mapping.
pub fn parse(file: &str, text: &str) -> Result<Node, YamlError> {
    let file: Arc<str> = Arc::from(file);
    let mut builder = Builder {
        file: file.clone(),
        stack: Vec::new(),
        root: None,
        error: None,
        anchors: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, false) {
        let m = e.marker();
        return Err(YamlError {
            pos: Pos {
                file,
                line: m.line(),
                col: m.col() + 1,
            },
            message: e.info().to_string(),
        });
    }
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.root.unwrap_or(Node {
        value: Value::Map(Vec::new()),
        pos: Pos {
            file,
            line: 1,
            col: 1,
        },
    }))
}

enum Frame {
    Seq(Node, usize),
    Map(Node, Option<(String, Pos)>, usize),
}

struct Builder {
    file: Arc<str>,
    stack: Vec<Frame>,
    root: Option<Node>,
    error: Option<YamlError>,
    anchors: Vec<(usize, Node)>,
}

impl Builder {
    fn pos(&self, m: &Marker) -> Pos {
        Pos {
            file: self.file.clone(),
            line: m.line(),
            col: m.col() + 1,
        }
    }

    fn attach(&mut self, node: Node) {
        if self.error.is_some() {
            return;
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq(seq, _)) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some(Frame::Map(map, pending, _)) => match pending.take() {
                None => {
                    let key = match &node.value {
                        Value::Scalar { text, .. } => text.clone(),
                        _ => {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: "mapping keys must be scalars".into(),
                            });
                            return;
                        }
                    };
                    if let Value::Map(entries) = &map.value {
                        if let Some((_, _, first)) = entries.iter().find(|(k, _, _)| *k == key) {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: format!(
                                    "duplicate key `{key}` (first defined at line {})",
                                    first.line
                                ),
                            });
                            return;
                        }
                    }
                    *pending = Some((key, node.pos));
                }
                Some((key, kpos)) => {
                    if let Value::Map(entries) = &mut map.value {
                        entries.push((key, node, kpos));
                    }
                }
            },
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.push((anchor, node.clone()));
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = self.pos(&mark);
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let quoted = matches!(
                    style,
                    TScalarStyle::SingleQuoted
                        | TScalarStyle::DoubleQuoted
                        | TScalarStyle::Literal
                        | TScalarStyle::Folded
                );
                let node = Node {
                    value: Value::Scalar { text, quoted },
                    pos,
                };
                self.remember(anchor, &node);
                self.attach(node);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(
                Node {
                    value: Value::Seq(Vec::new()),
                    pos,
                },
                anchor,
            )),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map(
                Node {
                    value: Value::Map(Vec::new()),
                    pos,
                },
                None,
                anchor,
            )),
            Event::SequenceEnd | Event::MappingEnd => {
                let (mut node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq(n, a)) | Some(Frame::Map(n, _, a)) => (n, a),
                    None => return,
                };
                // Block mappings are marked after their first key; the first key is where
                // users look.
                if let Value::Map(entries) = &node.value {
                    if let Some((_, _, first)) = entries.first() {
                        node.pos = first.clone();
                    }
                }
                self.remember(anchor, &node);
                self.attach(node);
            }
            Event::Alias(id) => {
                let found = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone());
                match found {
                    Some(n) => self.attach(n),
                    None => {
                        if self.error.is_none() {
                            self.error = Some(YamlError {
                                pos,
                                message: "unknown alias".into(),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
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
    fn syntax_errors_have_positions() {
        let e = parse("f.yaml", "a: [1, 2\nb: 3\n").expect_err("bad");
        assert_eq!(&*e.pos.file, "f.yaml");
        assert!(e.pos.line >= 1);
    }
}
