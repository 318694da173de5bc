//! Reading rules files: YAML items into the collector (lists, macros, rules with their
//! appends and overrides), as Falco's `rule_loader::reader` and `collector` do, but collecting
//! every error instead of stopping at the first.
//!
//! This module holds what is read (the collector and its item types) and the dispatch of each
//! top-level item; each kind of item is read in its own module:
//! - `requirements`: `required_engine_version` and `required_plugin_versions`;
//! - `lists`, `macros`, `rules`: the three kinds of definitions;
//! - `overrides`: updates of an earlier item (`override` and the legacy `append: true`);
//! - `exceptions`: a rule's `exceptions`, checked and normalised;
//! - `decode`: typed values read from an item's keys, with Falco's errors.

use std::collections::{BTreeSet, HashMap};

use crate::diag::{Code, ErrorCode, Location, WarningCode};
use crate::priority::Priority;
use crate::yaml::{Node, NodeKind, Pos};

mod decode;
mod exceptions;
mod lists;
mod macros;
mod overrides;
mod requirements;
mod rules;

pub(crate) use exceptions::{Entry, ExceptionInfo};
use requirements::check_engine_version;

/// A diagnostic before rendering: code, message, file index, context chain.
#[derive(Clone, Debug)]
pub(crate) struct RawDiag {
    pub code: Code,
    pub message: String,
    pub file: usize,
    pub locations: Vec<Location>,
}

/// Where an item is: the file and the chain of locations.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ctx {
    pub file: usize,
    pub locs: Vec<Location>,
}

impl Ctx {
    pub fn child(&self, item_type: &'static str, item_name: &str, pos: Pos) -> Ctx {
        let mut locs = self.locs.clone();
        locs.push(Location {
            item_type,
            item_name: item_name.to_string(),
            pos,
        });
        Ctx {
            file: self.file,
            locs,
        }
    }
}

/// Text assembled from one or more YAML scalars (a condition with appends), remembering which
/// scalar each part came from so offsets map back to files.
#[derive(Clone, Debug, Default)]
pub(crate) struct SourcedText {
    pub text: String,
    /// (offset in `text`, file, scalar node)
    pub pieces: Vec<(usize, usize, Node)>,
}

impl SourcedText {
    pub fn new(text: String, file: usize, node: &Node) -> Self {
        SourcedText {
            text,
            pieces: vec![(0, file, node.clone())],
        }
    }

    pub fn append(&mut self, other: &SourcedText) {
        if other.text.is_empty() {
            return;
        }
        self.text.push(' ');
        let base = self.text.len();
        self.text.push_str(&other.text);
        for (o, f, n) in &other.pieces {
            self.pieces.push((o + base, *f, n.clone()));
        }
    }

    /// The file of `offset` in `text`, when it falls in a known piece, and its byte offset
    /// in that file (or the position of the piece's node when it is not a scalar).
    pub fn locate(&self, texts: &[&str], offset: usize) -> Option<(usize, Result<usize, Pos>)> {
        let (start, file, node) = self.pieces.iter().rev().find(|(o, _, _)| *o <= offset)?;
        let content = *texts.get(*file)?;
        let at = crate::yaml::value_source_offset(content, node, offset - start).ok_or(node.pos);
        Some((*file, at))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ListInfo {
    pub name: String,
    pub items: Vec<String>,
    pub ctx: Ctx,
    pub index: usize,
    pub visibility: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct MacroInfo {
    pub name: String,
    pub cond: SourcedText,
    pub ctx: Ctx,
    pub cond_ctx: Ctx,
    pub index: usize,
    pub visibility: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct RuleInfo {
    pub name: String,
    pub ctx: Ctx,
    pub cond: SourcedText,
    pub cond_ctx: Ctx,
    pub output: SourcedText,
    pub output_ctx: Ctx,
    pub desc: String,
    pub priority: Priority,
    pub source: String,
    pub tags: BTreeSet<String>,
    pub exceptions: Vec<ExceptionInfo>,
    pub enabled: bool,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub capture: bool,
    pub capture_duration: u64,
    pub unknown_source: bool,
    pub index: usize,
}

/// Indexed by name, in definition order.
#[derive(Debug)]
pub(crate) struct Indexed<T> {
    pub items: Vec<T>,
    pub by_name: HashMap<String, usize>,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed {
            items: Vec::new(),
            by_name: HashMap::new(),
        }
    }
}

impl<T> Indexed<T> {
    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        let i = *self.by_name.get(name)?;
        self.items.get_mut(i)
    }
    pub fn get(&self, name: &str) -> Option<&T> {
        self.items.get(*self.by_name.get(name)?)
    }
}

/// Everything read from the files, before compilation.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    pub lists: Indexed<ListInfo>,
    pub macros: Indexed<MacroInfo>,
    pub rules: Indexed<RuleInfo>,
    pub required_plugins: Vec<(String, String)>,
    pub cur_index: usize,
    pub diags: Vec<RawDiag>,
}

/// A failure that aborts the current item: (code, message, context).
type Fail = (ErrorCode, String, Ctx);
type R<T> = Result<T, Fail>;

fn fail<T>(code: ErrorCode, msg: impl Into<String>, ctx: &Ctx) -> R<T> {
    Err((code, msg.into(), ctx.clone()))
}

impl Collector {
    pub fn warn(&mut self, code: WarningCode, msg: impl Into<String>, ctx: &Ctx) {
        self.diags.push(RawDiag {
            code: Code::Warning(code),
            message: msg.into(),
            file: ctx.file,
            locations: ctx.locs.clone(),
        });
    }

    pub fn error(&mut self, code: ErrorCode, msg: impl Into<String>, ctx: &Ctx) {
        self.diags.push(RawDiag {
            code: Code::Error(code),
            message: msg.into(),
            file: ctx.file,
            locations: ctx.locs.clone(),
        });
    }

    /// Reads one parsed file.
    pub fn read_docs(&mut self, file: usize, docs: &[Node], sources: &[String]) {
        let root = Ctx {
            file,
            locs: vec![Location {
                item_type: "rules content",
                item_name: String::new(),
                pos: Pos {
                    offset: 0,
                    line: 1,
                    col: 1,
                },
            }],
        };
        for doc in docs {
            match &doc.kind {
                NodeKind::Null => {}
                NodeKind::Seq(items) => {
                    for item in items {
                        if matches!(item.kind, NodeKind::Null) {
                            continue;
                        }
                        if let Err((code, msg, ctx)) = self.read_item(item, &root, sources) {
                            self.error(code, msg, &ctx);
                        }
                    }
                }
                NodeKind::Map(_) => self.error(
                    ErrorCode::YamlValidate,
                    "Rules content is not yaml array of objects",
                    &root,
                ),
                NodeKind::Scalar(..) => {
                    self.error(ErrorCode::YamlValidate, "Rules content is not yaml", &root)
                }
            }
        }
    }

    /// Warns about each key of `item` that is not in `allowed`.
    pub(super) fn unknown_keys(&mut self, item: &Node, allowed: &[&str], ctx: &Ctx) {
        if let NodeKind::Map(m) = &item.kind {
            for (k, _) in m {
                if let Some(name) = k.as_str() {
                    if !allowed.contains(&name) {
                        let kctx = ctx.child("value for", name, k.pos);
                        self.warn(
                            WarningCode::UnknownKey,
                            format!("Unknown key '{name}'. The key will be ignored."),
                            &kctx,
                        );
                    }
                }
            }
        }
    }

    /// Reads one top-level item, by the key that says what it is.
    fn read_item(&mut self, item: &Node, parent: &Ctx, sources: &[String]) -> R<()> {
        let tmp = parent.child("rules content item", "", item.pos);
        if !item.is_map() {
            return fail(
                ErrorCode::YamlValidate,
                "Unexpected element type. Each element should be a yaml associative array.",
                &tmp,
            );
        }
        if item.get("required_engine_version").is_some() {
            check_engine_version(item, parent)?;
        } else if let Some(req) = item.get("required_plugin_versions") {
            self.read_required_plugins(req, parent)?;
        } else if item.get("list").is_some() {
            self.read_list(item, parent)?;
        } else if item.get("macro").is_some() {
            self.read_macro(item, parent)?;
        } else if item.get("rule").is_some() {
            self.read_rule(item, parent, sources)?;
        } else {
            self.warn(WarningCode::UnknownItem, "Unknown top level item", &tmp);
        }
        Ok(())
    }
}
