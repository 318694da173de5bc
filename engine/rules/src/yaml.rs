//! A YAML tree whose nodes remember where they are written.
//!
//! serde_yaml 0.9 reports positions only in its errors, not for the nodes of a successfully
//! parsed document, and every rules diagnostic must point at the item, key or condition it is
//! about. yaml-rust2's event parser gives a mark for every event, so the tree is built here
//! from those events.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in a file: byte offset and 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// Byte offset.
    pub offset: usize,
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub col: usize,
}

/// How a scalar is written (needed to map offsets inside it back to the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    /// Plain.
    Plain,
    /// `'...'`.
    SingleQuoted,
    /// `"..."`.
    DoubleQuoted,
    /// `|`.
    Literal,
    /// `>`.
    Folded,
}

/// A node's content.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar (strings, numbers and booleans alike: decoded on use).
    Scalar(String, ScalarStyle),
    /// A plain `null`, `~` or empty value.
    Null,
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in written order.
    Map(Vec<(Node, Node)>),
}

/// A YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Content.
    pub kind: NodeKind,
    /// Where the node starts.
    pub pos: Pos,
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// Looks a key up in a mapping (the last occurrence wins, as in yaml-cpp).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(m) => m
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Decodes a YAML boolean (`true`/`false` and yaml-cpp's other spellings).
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()?.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" => Some(true),
            "false" | "no" | "off" | "n" => Some(false),
            _ => None,
        }
    }

    /// True for mappings.
    pub fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    /// True for sequences.
    pub fn is_seq(&self) -> bool {
        matches!(self.kind, NodeKind::Seq(_))
    }
}

/// A YAML syntax error or a duplicate key.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub pos: Pos,
}

/// The documents of a file, plus non-fatal structural errors (duplicate keys).
#[derive(Debug, Default)]
pub struct Documents {
    /// Top-level nodes, one per document.
    pub docs: Vec<Node>,
    /// Duplicate mapping keys.
    pub duplicates: Vec<YamlError>,
}

/// Deepest nesting of sequences and mappings accepted: the tree is walked recursively (built,
/// converted, dropped), so its depth must be bounded; real files nest a few levels.
pub const MAX_NESTING: usize = 128;

/// Aliases may add at most this many bytes (plus [`ALIAS_BYTES_PER_INPUT_BYTE`] per byte of
/// input) to the tree: a few nested anchors otherwise expand a 1 KB file to gigabytes.
pub const ALIAS_BUDGET_FLOOR: usize = 16 << 20;

/// See [`ALIAS_BUDGET_FLOOR`].
pub const ALIAS_BYTES_PER_INPUT_BYTE: usize = 8;

/// What a node counts for in the alias budget: its scalars' bytes plus a node's size each.
fn weight(n: &Node) -> usize {
    const NODE: usize = std::mem::size_of::<Node>();
    match &n.kind {
        NodeKind::Scalar(s, _) => NODE + s.len(),
        NodeKind::Null => NODE,
        NodeKind::Seq(v) => v.iter().fold(NODE, |w, x| w.saturating_add(weight(x))),
        NodeKind::Map(m) => m.iter().fold(NODE, |w, (k, v)| {
            w.saturating_add(weight(k)).saturating_add(weight(v))
        }),
    }
}

enum Frame {
    Seq(Vec<Node>, Pos, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Pos, usize),
}

struct Builder<'a> {
    text: &'a str,
    /// Byte offset of each char index, built only for non-ASCII text.
    char_offsets: Option<Vec<usize>>,
    stack: Vec<Frame>,
    /// Anchored nodes and their [`weight`].
    anchors: HashMap<usize, (Node, usize)>,
    /// Anchors below this id belong to earlier documents, which aliases cannot name.
    doc_first_anchor: usize,
    /// Bytes aliases and anchors' copies have added so far, and the most they may add.
    expanded: usize,
    alias_budget: usize,
    /// The first error: parsing stops there.
    error: Option<YamlError>,
    out: Documents,
}

impl Builder<'_> {
    fn pos(&self, m: &Marker) -> Pos {
        let offset = match &self.char_offsets {
            Some(t) => t.get(m.index()).copied().unwrap_or(self.text.len()),
            None => m.index(),
        };
        Pos {
            offset,
            line: m.line(),
            col: m.col() + 1,
        }
    }

    /// Counts `w` bytes of copies against the alias budget; false (and the error) past it.
    fn spend(&mut self, w: usize, pos: Pos) -> bool {
        self.expanded = self.expanded.saturating_add(w);
        if self.expanded > self.alias_budget {
            self.fail(
                format!(
                    "aliases expand to more than {} bytes: refusing to expand further",
                    self.alias_budget
                ),
                pos,
            );
            return false;
        }
        true
    }

    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            // The anchor's copy counts too: nested anchors each copy what they hold.
            let w = weight(&node);
            if !self.spend(w, node.pos) {
                return;
            }
            self.anchors.insert(anchor, (node.clone(), w));
        }
        match self.stack.last_mut() {
            None => self.out.docs.push(node),
            Some(Frame::Seq(v, _, _)) => v.push(node),
            Some(Frame::Map(entries, key, _, _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if let Some(name) = k.as_str() {
                        if entries.iter().any(|(e, _)| e.as_str() == Some(name)) {
                            self.out.duplicates.push(YamlError {
                                message: format!("Duplicate key '{name}'"),
                                pos: k.pos,
                            });
                        }
                    }
                    entries.push((k, node));
                }
            },
        }
    }
}

impl Builder<'_> {
    fn fail(&mut self, message: String, pos: Pos) {
        if self.error.is_none() {
            self.error = Some(YamlError { message, pos });
        }
    }

    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = self.pos(&mark);
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    TScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                    TScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    TScalarStyle::Literal => ScalarStyle::Literal,
                    TScalarStyle::Folded => ScalarStyle::Folded,
                    _ => ScalarStyle::Plain,
                };
                let is_null = style == ScalarStyle::Plain
                    && tag.is_none()
                    && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let kind = if is_null {
                    NodeKind::Null
                } else {
                    NodeKind::Scalar(value, style)
                };
                self.push_node(Node { kind, pos }, anchor);
            }
            Event::SequenceStart(..) | Event::MappingStart(..)
                if self.stack.len() >= MAX_NESTING =>
            {
                self.fail(
                    format!("nesting exceeds the limit of {MAX_NESTING} levels"),
                    pos,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(Vec::new(), pos, anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(Vec::new(), None, pos, anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq(v, p, a)) => (
                        Node {
                            kind: NodeKind::Seq(v),
                            pos: p,
                        },
                        a,
                    ),
                    Some(Frame::Map(m, _, p, a)) => (
                        Node {
                            kind: NodeKind::Map(m),
                            pos: p,
                        },
                        a,
                    ),
                    None => return,
                };
                self.push_node(node, anchor);
            }
            Event::Alias(id) if id < self.doc_first_anchor => {
                self.fail("while parsing node, found unknown anchor".into(), pos);
            }
            Event::Alias(id) => {
                let (node, w) = self.anchors.get(&id).cloned().unwrap_or((
                    Node {
                        kind: NodeKind::Null,
                        pos,
                    },
                    0,
                ));
                if self.spend(w, pos) {
                    self.push_node(Node { pos, ..node }, 0);
                }
            }
            Event::DocumentStart => {
                self.doc_first_anchor = self.anchors.keys().max().map_or(0, |m| m + 1);
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
}

/// Parses every document of `text`.
///
/// yaml-cpp (Falco's parser) accepts a flow sequence whose closing `]` sits at the indentation
/// of its key, as the official rules files write it; yaml-rust2 does not. When the strict parse
/// fails on indentation, lines holding only closing brackets are indented and the text parsed
/// again, positions being mapped back by line and column.
///
/// # Errors
/// The first YAML syntax error, with its position; nesting deeper than [`MAX_NESTING`] and
/// aliases expanding beyond their budget ([`ALIAS_BUDGET_FLOOR`]) are errors too.
pub fn parse(text: &str) -> Result<Documents, YamlError> {
    match parse_strict(text) {
        Err(e) if e.message.contains("indentation") => {
            let lenient: String = text
                .split_inclusive('\n')
                .map(|l| {
                    let t = l.trim();
                    if !t.is_empty() && t.chars().all(|c| matches!(c, ']' | '}' | ',')) {
                        format!("        {l}")
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            let mut docs = parse_strict(&lenient).map_err(|_| e)?;
            let starts: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            let fix = |p: &mut Pos| {
                if let Some(s) = starts.get(p.line.saturating_sub(1)) {
                    p.offset = (s + p.col.saturating_sub(1)).min(text.len());
                }
            };
            fn walk(n: &mut Node, fix: &dyn Fn(&mut Pos)) {
                fix(&mut n.pos);
                match &mut n.kind {
                    NodeKind::Seq(v) => v.iter_mut().for_each(|x| walk(x, fix)),
                    NodeKind::Map(m) => m.iter_mut().for_each(|(k, v)| {
                        walk(k, fix);
                        walk(v, fix)
                    }),
                    _ => {}
                }
            }
            docs.docs.iter_mut().for_each(|d| walk(d, &fix));
            docs.duplicates.iter_mut().for_each(|d| fix(&mut d.pos));
            Ok(docs)
        }
        r => r,
    }
}

fn parse_strict(text: &str) -> Result<Documents, YamlError> {
    let char_offsets = if text.is_ascii() {
        None
    } else {
        Some(text.char_indices().map(|(i, _)| i).collect())
    };
    let mut b = Builder {
        text,
        char_offsets,
        stack: Vec::new(),
        anchors: HashMap::new(),
        doc_first_anchor: 0,
        expanded: 0,
        alias_budget: ALIAS_BUDGET_FLOOR
            .saturating_add(text.len().saturating_mul(ALIAS_BYTES_PER_INPUT_BYTE)),
        error: None,
        out: Documents::default(),
    };
    // Events are pulled one at a time rather than through `Parser::load`, which recurses once
    // per nesting level (deep block nesting overflowed the stack) and cannot stop early.
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = match parser.next_token() {
            Ok(x) => x,
            Err(e) => {
                let pos = b.pos(e.marker());
                return Err(YamlError {
                    message: e.info().to_string(),
                    pos,
                });
            }
        };
        let end = ev == Event::StreamEnd;
        b.on_event(ev, mark);
        if let Some(e) = b.error.take() {
            return Err(e);
        }
        if end {
            return Ok(b.out);
        }
    }
}

/// Maps a byte offset inside a scalar's value back to the file.
///
/// The value of a folded, block or multi-line scalar differs from its source text (indentation
/// and line breaks are folded), so the value is aligned with the source character by
/// character, skipping the source's extra blanks.
pub fn value_pos(text: &str, scalar: &Node, value_offset: usize) -> Pos {
    match value_source_offset(text, scalar, value_offset) {
        Some(i) => offset_pos(text, i),
        None => scalar.pos,
    }
}

/// [`value_pos`]'s byte offset in `text`; `None` when `scalar` is not a scalar.
pub fn value_source_offset(text: &str, scalar: &Node, value_offset: usize) -> Option<usize> {
    let (value, style) = match &scalar.kind {
        NodeKind::Scalar(v, s) => (v.as_str(), *s),
        _ => return None,
    };
    let src = text.as_bytes();
    let mut i = scalar.pos.offset.min(src.len());
    match style {
        // The parser may mark a block scalar at its indicator (`>`, `|`) or at its first
        // content line; only the former needs the header line skipped.
        ScalarStyle::Literal | ScalarStyle::Folded => {
            if matches!(src.get(i), Some(b'>' | b'|')) {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
            }
        }
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => i += 1,
        ScalarStyle::Plain => {}
    }
    let v = value.as_bytes();
    let target = value_offset.min(v.len());
    let mut j = 0;
    while j < target && i < src.len() {
        if src[i] == v[j] {
            i += 1;
            j += 1;
        } else if src[i].is_ascii_whitespace()
            || src[i] == b'\\'
            || src[i] == b'"'
            || src[i] == b'\''
        {
            i += 1;
        } else if v[j].is_ascii_whitespace() {
            j += 1;
        } else {
            i += 1;
            j += 1;
        }
    }
    while i < src.len()
        && (src[i] == b'\n' || src[i] == b' ')
        && j < v.len()
        && v[j] != b' '
        && v[j] != b'\n'
    {
        i += 1;
    }
    Some(i)
}

/// The line starts of a text, for [`offset_pos`] without counting lines from the start at
/// every call (a file with thousands of diagnostics took seconds).
#[derive(Clone, Debug)]
pub struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        LineIndex {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|&(_, c)| c == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// [`offset_pos`] of `offset` in `text`, the text this index was built from.
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let before = self.newlines.partition_point(|&n| n < offset);
        let line_start = match before {
            0 => 0,
            k => self.newlines[k - 1] + 1,
        };
        let col = text
            .get(line_start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - line_start)
            + 1;
        Pos {
            offset,
            line: before + 1,
            col,
        }
    }
}

/// The 1-based line and column of a byte offset.
pub fn offset_pos(text: &str, offset: usize) -> Pos {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map(|p| p + 1)
        .unwrap_or(0);
    let col = text
        .get(line_start..offset)
        .map(|s| s.chars().count())
        .unwrap_or(offset - line_start)
        + 1;
    Pos { offset, line, col }
}
