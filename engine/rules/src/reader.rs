//! Reading rules files: YAML items into the collector (lists, macros, rules with their
//! appends and overrides), as Falco's `rule_loader::reader` and `collector` do, but collecting
//! every error instead of stopping at the first.

use std::collections::{BTreeSet, HashMap};

use crate::diag::{Code, ErrorCode, Location, WarningCode};
use crate::priority::Priority;
use crate::yaml::{Node, NodeKind, Pos};

/// Falco's warning for the legacy `append: true`.
pub const WARNING_APPEND: &str =
    "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
/// Falco's warning for a rule item with only `enabled`.
pub const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const ERROR_NO_PREVIOUS_MACRO: &str =
    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
const ERROR_NO_PREVIOUS_LIST: &str =
    "List uses 'append' or 'override.items: append' but no list by that name already exists";
const ERROR_NO_PREVIOUS_RULE_APPEND: &str =
    "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
const ERROR_NO_PREVIOUS_RULE_REPLACE: &str =
    "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";
const RGX_IDENTIFIER: &str = "([a-zA-Z]+[a-zA-Z0-9_]*)";
const RGX_BARESTR: &str = "([^()\"'[:space:]=,]+)";

/// The version of the rules language this engine implements (`required_engine_version`).
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 59, 0);

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

    /// The file and position of `offset` in `text`, when it falls in a known piece.
    pub fn locate(&self, texts: &[String], offset: usize) -> Option<(usize, Pos)> {
        let (start, file, node) = self.pieces.iter().rev().find(|(o, _, _)| *o <= offset)?;
        let content = texts.get(*file)?;
        Some((*file, crate::yaml::value_pos(content, node, offset - start)))
    }
}

/// An exception entry: a string or a (nested) list of strings.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Entry {
    Item(String),
    List(Vec<Entry>),
}

#[derive(Clone, Debug)]
pub(crate) struct ExceptionInfo {
    pub name: String,
    pub fields: Option<Entry>,
    pub comps: Option<Entry>,
    pub values: Vec<Entry>,
    pub ctx: Ctx,
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

/// The optional values of a rule update (append or selective replace).
#[derive(Default)]
struct RuleUpdate {
    cond: Option<SourcedText>,
    output: Option<SourcedText>,
    desc: Option<String>,
    tags: Option<BTreeSet<String>>,
    exceptions: Option<Vec<ExceptionInfo>>,
    priority: Option<Priority>,
    enabled: Option<bool>,
    warn_evttypes: Option<bool>,
    skip_if_unknown_filter: Option<bool>,
    capture: Option<bool>,
    capture_duration: Option<u64>,
}

impl RuleUpdate {
    fn has_any_value(&self) -> bool {
        self.cond.is_some()
            || self.output.is_some()
            || self.desc.is_some()
            || self.tags.is_some()
            || self.exceptions.is_some()
            || self.priority.is_some()
            || self.enabled.is_some()
            || self.warn_evttypes.is_some()
            || self.skip_if_unknown_filter.is_some()
            || self.capture.is_some()
            || self.capture_duration.is_some()
    }
}

/// A failure that aborts the current item: (code, message, context).
type Fail = (ErrorCode, String, Ctx);
type R<T> = Result<T, Fail>;

fn fail<T>(code: ErrorCode, msg: impl Into<String>, ctx: &Ctx) -> R<T> {
    Err((code, msg.into(), ctx.clone()))
}

const RULE_KEYS: &[&str] = &[
    "rule",
    "desc",
    "condition",
    "output",
    "priority",
    "tags",
    "enabled",
    "source",
    "exceptions",
    "append",
    "override",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];
const MACRO_KEYS: &[&str] = &["macro", "condition", "append", "override"];
const LIST_KEYS: &[&str] = &["list", "items", "append", "override"];

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

    fn unknown_keys(&mut self, item: &Node, allowed: &[&str], ctx: &Ctx) {
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
            let ctx = parent.child("required_engine_version", "", item.pos);
            let v = decode_str(item, "required_engine_version", &ctx)?;
            let ver = parse_version(&v).ok_or_else(|| {
                (
                    ErrorCode::YamlValidate,
                    format!("Unable to parse engine version '{v}' as a semver string. Expected \"x.y.z\" semver format."),
                    ctx.clone(),
                )
            })?;
            if ver.0 != ENGINE_VERSION.0 || ver > ENGINE_VERSION {
                let (a, b, c) = ENGINE_VERSION;
                return fail(
                    ErrorCode::Validate,
                    format!(
                        "Rules require engine version {}.{}.{}, but engine version is {a}.{b}.{c}",
                        ver.0, ver.1, ver.2
                    ),
                    &ctx,
                );
            }
        } else if let Some(req) = item.get("required_plugin_versions") {
            let ctx = parent.child("required plugin versions", "", req.pos);
            let NodeKind::Seq(plugins) = &req.kind else {
                return fail(
                    ErrorCode::YamlValidate,
                    "Value of required_plugin_versions must be a sequence",
                    &ctx,
                );
            };
            for p in plugins {
                let tmp = ctx.child("required plugin versions entry", "", p.pos);
                if !p.is_map() {
                    return fail(
                        ErrorCode::YamlValidate,
                        "Plugin version must be a mapping",
                        &tmp,
                    );
                }
                let name = decode_str(p, "name", &tmp)?;
                let pctx = ctx.child("required plugin versions entry", &name, p.pos);
                let version = decode_str(p, "version", &pctx)?;
                if parse_version(&version).is_none() {
                    return fail(
                        ErrorCode::Validate,
                        format!("Invalid required version '{version}' for plugin '{name}'"),
                        &pctx,
                    );
                }
                // The container plugin's fields are built in; other plugins are not loaded.
                if name != "container" {
                    let alt_ok = p.get("alternatives").map(|a| match &a.kind {
                        NodeKind::Seq(v) => v
                            .iter()
                            .any(|x| x.get("name").and_then(|n| n.as_str()) == Some("container")),
                        _ => false,
                    });
                    if alt_ok != Some(true) {
                        return fail(ErrorCode::Validate, format!("Plugin '{name}' is not loaded: required version {version} is not satisfied"), &pctx);
                    }
                }
                self.required_plugins.push((name, version));
            }
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

    fn read_list(&mut self, item: &Node, parent: &Ctx) -> R<()> {
        let tmp = parent.child("list", "", item.pos);
        let name = decode_str(item, "list", &tmp)?;
        let ctx = parent.child("list", &name, item.pos);
        if !full_match_barestr(&name) {
            self.warn(
                WarningCode::InvalidListName,
                format!("List has an invalid name. List names should match a regular expression: {RGX_BARESTR}"),
                &ctx,
            );
        }
        self.unknown_keys(item, LIST_KEYS, &ctx);
        let items = decode_seq(item, "items", &ctx, false)?.unwrap_or_default();
        let append = decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if append {
            self.warn(WarningCode::DeprecatedItem, WARNING_APPEND, &ctx);
        }
        let (ov_append, ov_replace) = decode_overrides(item, &["items"], &["items"], &ctx)?;
        if append && (!ov_append.is_empty() || !ov_replace.is_empty()) {
            return fail(ErrorCode::YamlValidate, ERROR_OVERRIDE_APPEND, &ctx);
        }
        let index = self.cur_index;
        self.cur_index += 1;
        if append || ov_append.contains("items") {
            let Some(prev) = self.lists.get_mut(&name) else {
                return fail(ErrorCode::Validate, ERROR_NO_PREVIOUS_LIST, &ctx);
            };
            prev.items.extend(items);
            prev.visibility = index;
        } else if let Some(prev) = self.lists.get_mut(&name) {
            prev.items = items;
            prev.ctx = ctx;
            prev.visibility = index;
        } else {
            self.lists
                .by_name
                .insert(name.clone(), self.lists.items.len());
            self.lists.items.push(ListInfo {
                name,
                items,
                ctx,
                index,
                visibility: index,
            });
        }
        Ok(())
    }

    fn read_macro(&mut self, item: &Node, parent: &Ctx) -> R<()> {
        let tmp = parent.child("macro", "", item.pos);
        let name = decode_str(item, "macro", &tmp)?;
        let ctx = parent.child("macro", &name, item.pos);
        if !full_match_identifier(&name) {
            self.warn(
                WarningCode::InvalidMacroName,
                format!("Macro has an invalid name. Macro names should match a regular expression: {RGX_IDENTIFIER}"),
                &ctx,
            );
        }
        self.unknown_keys(item, MACRO_KEYS, &ctx);
        let (cond_text, cond_node) = decode_scalar(item, "condition", &ctx)?;
        let cond = SourcedText::new(cond_text, ctx.file, cond_node);
        let cond_ctx = ctx.child("macro condition", "", cond_node.pos);
        let append = decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if append {
            self.warn(WarningCode::DeprecatedItem, WARNING_APPEND, &ctx);
        }
        let (ov_append, ov_replace) = decode_overrides(item, &["condition"], &["condition"], &ctx)?;
        if append && (!ov_append.is_empty() || !ov_replace.is_empty()) {
            return fail(ErrorCode::YamlValidate, ERROR_OVERRIDE_APPEND, &ctx);
        }
        let index = self.cur_index;
        self.cur_index += 1;
        if append || ov_append.contains("condition") {
            let Some(prev) = self.macros.get_mut(&name) else {
                return fail(ErrorCode::Validate, ERROR_NO_PREVIOUS_MACRO, &ctx);
            };
            prev.cond.append(&cond);
            prev.visibility = index;
        } else if let Some(prev) = self.macros.get_mut(&name) {
            prev.cond = cond;
            prev.ctx = ctx;
            prev.cond_ctx = cond_ctx;
            prev.visibility = index;
        } else {
            self.macros
                .by_name
                .insert(name.clone(), self.macros.items.len());
            self.macros.items.push(MacroInfo {
                name,
                cond,
                ctx,
                cond_ctx,
                index,
                visibility: index,
            });
        }
        Ok(())
    }

    fn read_rule(&mut self, item: &Node, parent: &Ctx, sources: &[String]) -> R<()> {
        let tmp = parent.child("rule", "", item.pos);
        let name = decode_str(item, "rule", &tmp)?;
        let ctx = parent.child("rule", &name, item.pos);
        self.unknown_keys(item, RULE_KEYS, &ctx);
        let has_append = decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if has_append {
            self.warn(WarningCode::DeprecatedItem, WARNING_APPEND, &ctx);
        }
        let appendable = ["condition", "output", "desc", "tags", "exceptions"];
        let replaceable = [
            "condition",
            "output",
            "desc",
            "priority",
            "tags",
            "exceptions",
            "enabled",
            "warn_evttypes",
            "skip-if-unknown-filter",
            "capture",
            "capture_duration",
        ];
        let (ov_append, ov_replace) = decode_overrides(item, &appendable, &replaceable, &ctx)?;
        let has_overrides = !ov_append.is_empty() || !ov_replace.is_empty();
        if has_append && has_overrides {
            return fail(ErrorCode::YamlValidate, ERROR_OVERRIDE_APPEND, &ctx);
        }
        if has_append || has_overrides {
            if let Some(src) = decode_opt_str(item, "source", &ctx)? {
                if self.rules.get(&name).is_some_and(|p| p.source != src) {
                    return fail(
                        ErrorCode::Validate,
                        "Rule has been re-defined with a different source",
                        &ctx,
                    );
                }
            }
        }
        if has_overrides {
            let mut expected: BTreeSet<&str> = appendable
                .iter()
                .chain(replaceable.iter())
                .copied()
                .filter(|k| item.get(k).is_some())
                .collect();
            for (set, kind, is_append) in [
                (&ov_append, "append", true),
                (&ov_replace, "replace", false),
            ] {
                if set.is_empty() {
                    continue;
                }
                let mut upd = RuleUpdate::default();
                for key in set.iter() {
                    if !expected.remove(key.as_str()) {
                        return fail(
                            ErrorCode::YamlValidate,
                            format!("An {kind} override for '{key}' was specified but '{key}' is not defined"),
                            &ctx,
                        );
                    }
                    self.decode_update_key(item, key, &ctx, &mut upd, true)?;
                }
                if is_append {
                    self.append_rule(&name, upd, &ctx)?;
                } else {
                    self.replace_rule(&name, upd, &ctx)?;
                }
            }
            if let Some(key) = expected.into_iter().next() {
                let pos = item.get(key).map(|n| n.pos).unwrap_or(item.pos);
                let kctx = ctx.child("overrides", key, pos);
                return fail(
                    ErrorCode::YamlValidate,
                    format!("Unexpected key '{key}': no corresponding entry under 'override' is defined."),
                    &kctx,
                );
            }
            return Ok(());
        }
        if has_append {
            let mut upd = RuleUpdate::default();
            if item.get("condition").is_some() {
                self.decode_update_key(item, "condition", &ctx, &mut upd, true)?;
            }
            if item.get("exceptions").is_some() {
                self.decode_update_key(item, "exceptions", &ctx, &mut upd, true)?;
            }
            return self.append_rule(&name, upd, &ctx);
        }
        if ["condition", "output", "desc", "priority"]
            .iter()
            .all(|k| item.get(k).is_none())
        {
            let enabled = decode_bool(item, "enabled", &ctx)?;
            self.warn(WarningCode::DeprecatedItem, WARNING_ENABLED, &ctx);
            let index = self.cur_index;
            let _ = index;
            let Some(prev) = self.rules.get_mut(&name) else {
                return fail(
                    ErrorCode::Validate,
                    "Rule has 'enabled' key but no rule by that name already exists",
                    &ctx,
                );
            };
            prev.enabled = enabled;
            return Ok(());
        }
        let (cond_text, cond_node) = decode_scalar(item, "condition", &ctx)?;
        let cond_ctx = ctx.child("rule condition", "", cond_node.pos);
        let (output_text, output_node) = decode_scalar(item, "output", &ctx)?;
        let output_ctx = ctx.child("rule output", "", output_node.pos);
        let desc = decode_str(item, "desc", &ctx)?;
        let prio_text = decode_str(item, "priority", &ctx)?;
        let prictx = ctx.child(
            "rule priority",
            "",
            item.get("priority").map(|n| n.pos).unwrap_or(item.pos),
        );
        let priority = Priority::parse(&prio_text).ok_or_else(|| {
            (
                ErrorCode::YamlValidate,
                "Invalid priority".to_string(),
                prictx.clone(),
            )
        })?;
        let source = decode_opt_str(item, "source", &ctx)?.unwrap_or_else(|| "syscall".to_string());
        let enabled = decode_opt_bool(item, "enabled", &ctx)?.unwrap_or(true);
        let warn_evttypes = decode_opt_bool(item, "warn_evttypes", &ctx)?.unwrap_or(true);
        let skip = decode_opt_bool(item, "skip-if-unknown-filter", &ctx)?.unwrap_or(false);
        let capture = decode_opt_bool(item, "capture", &ctx)?.unwrap_or(false);
        let capture_duration = decode_opt_u64(item, "capture_duration", &ctx)?.unwrap_or(0);
        let tags = decode_seq(item, "tags", &ctx, true)?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let exceptions = self.read_exceptions(item, &ctx, false)?;
        let trimmed = output_text.trim().to_string();
        let output = SourcedText::new(trimmed, ctx.file, output_node);

        let prev_source = self.rules.get(&name).map(|p| p.source.clone());
        if prev_source.as_ref().is_some_and(|s| *s != source) {
            return fail(
                ErrorCode::Validate,
                "Rule has been re-defined with a different source",
                &ctx,
            );
        }
        let unknown_source = !sources.contains(&source);
        if unknown_source {
            self.warn(
                WarningCode::UnknownSource,
                format!("Unknown source {source}, skipping"),
                &ctx,
            );
        }
        for ex in &exceptions {
            if ex.fields.is_none() {
                return fail(
                    ErrorCode::Validate,
                    "Rule exception item must have fields property with a list of fields",
                    &ex.ctx,
                );
            }
        }
        let mut exceptions = exceptions;
        for ex in exceptions.iter_mut() {
            validate_exception(ex)?;
        }
        let index = self.cur_index;
        self.cur_index += 1;
        let info = RuleInfo {
            name: name.clone(),
            ctx,
            cond: SourcedText::new(cond_text, tmp.file, cond_node),
            cond_ctx,
            output,
            output_ctx,
            desc,
            priority,
            source,
            tags,
            exceptions,
            enabled,
            warn_evttypes,
            skip_if_unknown_filter: skip,
            capture,
            capture_duration,
            unknown_source,
            index,
        };
        if let Some(prev) = self.rules.get_mut(&name) {
            let idx = prev.index;
            *prev = RuleInfo { index: idx, ..info };
        } else {
            self.rules.by_name.insert(name, self.rules.items.len());
            self.rules.items.push(info);
        }
        Ok(())
    }

    fn decode_update_key(
        &mut self,
        item: &Node,
        key: &str,
        ctx: &Ctx,
        upd: &mut RuleUpdate,
        append: bool,
    ) -> R<()> {
        match key {
            "condition" | "output" => {
                let (t, n) = decode_scalar(item, key, ctx)?;
                let st = SourcedText::new(
                    if key == "output" {
                        t.trim().to_string()
                    } else {
                        t
                    },
                    ctx.file,
                    n,
                );
                if key == "condition" {
                    upd.cond = Some(st);
                } else {
                    upd.output = Some(st);
                }
            }
            "desc" => upd.desc = Some(decode_str(item, key, ctx)?),
            "tags" => {
                upd.tags = Some(
                    decode_seq(item, key, ctx, true)?
                        .unwrap_or_default()
                        .into_iter()
                        .collect(),
                )
            }
            "exceptions" => upd.exceptions = Some(self.read_exceptions(item, ctx, append)?),
            "priority" => {
                let p = decode_str(item, key, ctx)?;
                let prictx = ctx.child(
                    "rule priority",
                    "",
                    item.get(key).map(|n| n.pos).unwrap_or(item.pos),
                );
                upd.priority = Some(Priority::parse(&p).ok_or_else(|| {
                    (
                        ErrorCode::YamlValidate,
                        "Invalid priority".to_string(),
                        prictx,
                    )
                })?);
            }
            "enabled" => upd.enabled = Some(decode_bool(item, key, ctx)?),
            "warn_evttypes" => upd.warn_evttypes = Some(decode_bool(item, key, ctx)?),
            "skip-if-unknown-filter" => {
                upd.skip_if_unknown_filter = Some(decode_bool(item, key, ctx)?)
            }
            "capture" => upd.capture = Some(decode_bool(item, key, ctx)?),
            "capture_duration" => upd.capture_duration = decode_opt_u64(item, key, ctx)?,
            _ => {}
        }
        Ok(())
    }

    fn append_rule(&mut self, name: &str, upd: RuleUpdate, ctx: &Ctx) -> R<()> {
        let index = self.cur_index;
        self.cur_index += 1;
        let _ = index;
        let Some(prev) = self.rules.get_mut(name) else {
            return fail(ErrorCode::Validate, ERROR_NO_PREVIOUS_RULE_APPEND, ctx);
        };
        if !upd.has_any_value() {
            return fail(
                ErrorCode::Validate,
                "Appended rule must have exceptions or condition property",
                ctx,
            );
        }
        if let Some(c) = upd.cond {
            prev.cond.append(&c);
        }
        if let Some(o) = upd.output {
            prev.output.append(&o);
        }
        if let Some(d) = upd.desc {
            if !d.is_empty() {
                prev.desc.push(' ');
                prev.desc.push_str(&d);
            }
        }
        if let Some(t) = upd.tags {
            prev.tags.extend(t);
        }
        if let Some(exs) = upd.exceptions {
            for mut ex in exs {
                if let Some(pe) = prev.exceptions.iter_mut().find(|e| e.name == ex.name) {
                    if ex.fields.is_some() {
                        return fail(
                            ErrorCode::Validate,
                            "Can not append exception fields to existing exception, only values",
                            &ex.ctx,
                        );
                    }
                    if ex.comps.is_some() {
                        return fail(
                            ErrorCode::Validate,
                            "Can not append exception comps to existing exception, only values",
                            &ex.ctx,
                        );
                    }
                    pe.values.extend(ex.values);
                } else {
                    if ex.fields.is_none() {
                        return fail(
                            ErrorCode::Validate,
                            "Rule exception must have fields property with a list of fields",
                            &ex.ctx,
                        );
                    }
                    if ex.values.is_empty() {
                        return fail(
                            ErrorCode::Validate,
                            "Rule exception must have values property with a list of values",
                            &ex.ctx,
                        );
                    }
                    validate_exception(&mut ex)?;
                    prev.exceptions.push(ex);
                }
            }
        }
        Ok(())
    }

    fn replace_rule(&mut self, name: &str, upd: RuleUpdate, ctx: &Ctx) -> R<()> {
        self.cur_index += 1;
        let Some(prev) = self.rules.get_mut(name) else {
            return fail(ErrorCode::Validate, ERROR_NO_PREVIOUS_RULE_REPLACE, ctx);
        };
        if !upd.has_any_value() {
            return fail(
                ErrorCode::Validate,
                "The rule must have at least one field that can be replaced",
                ctx,
            );
        }
        if let Some(c) = upd.cond {
            prev.cond = c;
        }
        if let Some(o) = upd.output {
            prev.output = o;
        }
        if let Some(d) = upd.desc {
            prev.desc = d;
        }
        if let Some(t) = upd.tags {
            prev.tags = t;
        }
        if let Some(mut e) = upd.exceptions {
            for ex in e.iter_mut() {
                validate_exception(ex)?;
            }
            prev.exceptions = e;
        }
        if let Some(p) = upd.priority {
            prev.priority = p;
        }
        if let Some(v) = upd.enabled {
            prev.enabled = v;
        }
        if let Some(v) = upd.warn_evttypes {
            prev.warn_evttypes = v;
        }
        if let Some(v) = upd.skip_if_unknown_filter {
            prev.skip_if_unknown_filter = v;
        }
        if let Some(v) = upd.capture {
            prev.capture = v;
        }
        if let Some(v) = upd.capture_duration {
            prev.capture_duration = v;
        }
        Ok(())
    }

    fn read_exceptions(
        &mut self,
        item: &Node,
        parent: &Ctx,
        append: bool,
    ) -> R<Vec<ExceptionInfo>> {
        let Some(exs) = item.get("exceptions") else {
            return Ok(Vec::new());
        };
        if matches!(exs.kind, NodeKind::Null) {
            return Ok(Vec::new());
        }
        let exes_ctx = parent.child("exceptions", "", exs.pos);
        let NodeKind::Seq(list) = &exs.kind else {
            return fail(
                ErrorCode::YamlValidate,
                "Rule exceptions must be a sequence",
                &exes_ctx,
            );
        };
        let mut out: Vec<ExceptionInfo> = Vec::new();
        for ex in list {
            let tmp = exes_ctx.child("exception", "", ex.pos);
            if !ex.is_map() {
                return fail(
                    ErrorCode::YamlValidate,
                    "Rule exception must be a mapping",
                    &tmp,
                );
            }
            let name = decode_str(ex, "name", &tmp)?;
            let ex_ctx = parent.child("exception", &name, ex.pos);
            if out.iter().any(|e| e.name == name) {
                self.warn(
                    WarningCode::ExceptionNameNotUnique,
                    "Multiple definitions of exception with the same name",
                    &ex_ctx,
                );
            }
            let fields = decode_entry(ex, "fields", &ex_ctx, append)?;
            let comps = decode_entry(ex, "comps", &ex_ctx, true)?;
            let mut values = Vec::new();
            if let Some(vals) = ex.get("values") {
                let vctx = ex_ctx.child("exception values", "", vals.pos);
                let NodeKind::Seq(vs) = &vals.kind else {
                    return fail(
                        ErrorCode::YamlValidate,
                        "Rule exception values must be a sequence",
                        &vctx,
                    );
                };
                for v in vs {
                    let ictx = vctx.child("exception value", "", v.pos);
                    values.push(node_entry(v, &ictx)?);
                }
            } else if append {
                self.warn(
                    WarningCode::AppendNoValues,
                    "Overriding/appending exception with no values",
                    &ex_ctx,
                );
            }
            out.push(ExceptionInfo {
                name,
                fields,
                comps,
                values,
                ctx: ex_ctx,
            });
        }
        Ok(out)
    }
}

/// Normalizes blanks in a comparison operator (`startswith   oneof`) and says whether it is
/// one the language has.
pub(crate) fn normalize_comp(comp: &str) -> Option<String> {
    let words: Vec<&str> = comp.split_whitespace().collect();
    match words.as_slice() {
        [op] => crate::ast::Op::from_str_exact(op).map(|_| op.to_string()),
        [op, m] => {
            let o = crate::ast::Op::from_str_exact(op)?;
            if o.accepts_modifier() && matches!(*m, "oneof" | "anyof" | "allof") {
                Some(format!("{op} {m}"))
            } else {
                None
            }
        }
        _ => None,
    }
}

fn validate_exception(ex: &mut ExceptionInfo) -> R<()> {
    match &ex.fields {
        Some(Entry::List(fields)) => {
            let n = fields.len();
            let comps = match ex.comps.take() {
                None => vec![Entry::Item("=".into()); n],
                Some(Entry::List(c)) => c,
                Some(Entry::Item(c)) => vec![Entry::Item(c)],
            };
            if comps.len() != n {
                return fail(
                    ErrorCode::Validate,
                    "Fields and comps lists must have equal length",
                    &ex.ctx,
                );
            }
            let mut norm = Vec::new();
            for c in comps {
                let text = match &c {
                    Entry::Item(s) => s.clone(),
                    Entry::List(_) => String::from("(list)"),
                };
                match normalize_comp(&text) {
                    Some(n) => norm.push(Entry::Item(n)),
                    None => {
                        return fail(
                            ErrorCode::Validate,
                            format!("'{text}' is not a supported comparison operator"),
                            &ex.ctx,
                        )
                    }
                }
            }
            ex.comps = Some(Entry::List(norm));
        }
        Some(Entry::Item(_)) => {
            let comp = match ex.comps.take() {
                None => "in".to_string(),
                Some(Entry::Item(c)) => c,
                Some(Entry::List(_)) => {
                    return fail(
                        ErrorCode::Validate,
                        "Fields and comps must both be strings",
                        &ex.ctx,
                    )
                }
            };
            let comp = comp.trim().to_string();
            if comp != "in" && comp != "pmatch" && comp != "intersects" {
                return fail(
                    ErrorCode::Validate,
                    "When fields is a single value, comps must be one of (in, pmatch, intersects)",
                    &ex.ctx,
                );
            }
            ex.comps = Some(Entry::Item(comp));
        }
        None => {}
    }
    Ok(())
}

fn node_entry(v: &Node, ctx: &Ctx) -> R<Entry> {
    match &v.kind {
        NodeKind::Scalar(s, _) => {
            if s.is_empty() {
                return fail(ErrorCode::YamlValidate, "Value must be non-empty", ctx);
            }
            Ok(Entry::Item(s.clone()))
        }
        NodeKind::Seq(items) => {
            let mut out = Vec::new();
            for i in items {
                let ictx = ctx.child("exception", "", i.pos);
                out.push(node_entry(i, &ictx)?);
            }
            Ok(Entry::List(out))
        }
        NodeKind::Null => fail(ErrorCode::YamlValidate, "Value must be non-empty", ctx),
        NodeKind::Map(_) => fail(ErrorCode::YamlValidate, "Value is not a scalar value", ctx),
    }
}

fn decode_entry(item: &Node, key: &str, ctx: &Ctx, optional: bool) -> R<Option<Entry>> {
    match item.get(key) {
        None if optional => Ok(None),
        None => fail(
            ErrorCode::YamlValidate,
            format!("Item has no mapping for key '{key}'"),
            ctx,
        ),
        Some(v) => {
            let vctx = ctx.child("value for", key, v.pos);
            node_entry(v, &vctx).map(Some)
        }
    }
}

fn decode_scalar<'a>(item: &'a Node, key: &str, ctx: &Ctx) -> R<(String, &'a Node)> {
    let Some(v) = item.get(key) else {
        return fail(
            ErrorCode::YamlValidate,
            format!("Item has no mapping for key '{key}'"),
            ctx,
        );
    };
    let vctx = ctx.child("value for", key, v.pos);
    match &v.kind {
        NodeKind::Null => fail(
            ErrorCode::YamlValidate,
            format!("Mapping for key '{key}' is empty"),
            &vctx,
        ),
        NodeKind::Scalar(s, _) if s.is_empty() => {
            fail(ErrorCode::YamlValidate, "Value must be non-empty", &vctx)
        }
        NodeKind::Scalar(s, _) => Ok((s.clone(), v)),
        _ => fail(
            ErrorCode::YamlValidate,
            "Value is not a scalar value",
            &vctx,
        ),
    }
}

fn decode_str(item: &Node, key: &str, ctx: &Ctx) -> R<String> {
    decode_scalar(item, key, ctx).map(|(s, _)| s)
}

fn decode_opt_str(item: &Node, key: &str, ctx: &Ctx) -> R<Option<String>> {
    if item.get(key).is_none() {
        return Ok(None);
    }
    decode_str(item, key, ctx).map(Some)
}

fn decode_bool(item: &Node, key: &str, ctx: &Ctx) -> R<bool> {
    let (_, n) = decode_scalar(item, key, ctx)?;
    let vctx = ctx.child("value for", key, n.pos);
    n.as_bool().ok_or_else(|| {
        (
            ErrorCode::YamlValidate,
            "Can't decode YAML scalar value".to_string(),
            vctx,
        )
    })
}

fn decode_opt_bool(item: &Node, key: &str, ctx: &Ctx) -> R<Option<bool>> {
    if item.get(key).is_none() {
        return Ok(None);
    }
    decode_bool(item, key, ctx).map(Some)
}

fn decode_opt_u64(item: &Node, key: &str, ctx: &Ctx) -> R<Option<u64>> {
    if item.get(key).is_none() {
        return Ok(None);
    }
    let (s, n) = decode_scalar(item, key, ctx)?;
    let vctx = ctx.child("value for", key, n.pos);
    s.trim().parse().map(Some).map_err(|_| {
        (
            ErrorCode::YamlValidate,
            "Can't decode YAML scalar value".to_string(),
            vctx,
        )
    })
}

fn decode_seq(item: &Node, key: &str, ctx: &Ctx, optional: bool) -> R<Option<Vec<String>>> {
    let Some(v) = item.get(key) else {
        if optional {
            return Ok(None);
        }
        return fail(
            ErrorCode::YamlValidate,
            format!("Item has no mapping for key '{key}'"),
            ctx,
        );
    };
    let vctx = ctx.child("value for", key, v.pos);
    let NodeKind::Seq(items) = &v.kind else {
        return fail(ErrorCode::YamlValidate, "Value is not a sequence", &vctx);
    };
    let mut out = Vec::new();
    for i in items {
        let ictx = vctx.child("list item", "", i.pos);
        match &i.kind {
            NodeKind::Scalar(s, _) => out.push(s.clone()),
            _ => {
                return fail(
                    ErrorCode::YamlValidate,
                    "sequence value is not scalar",
                    &ictx,
                )
            }
        }
    }
    Ok(Some(out))
}

fn decode_overrides(
    item: &Node,
    appendable: &[&str],
    replaceable: &[&str],
    ctx: &Ctx,
) -> R<(BTreeSet<String>, BTreeSet<String>)> {
    let mut ap = BTreeSet::new();
    let mut rp = BTreeSet::new();
    let Some(ov) = item.get("override") else {
        return Ok((ap, rp));
    };
    let octx = ctx.child("overrides", "", ov.pos);
    let NodeKind::Map(entries) = &ov.kind else {
        return fail(
            ErrorCode::YamlValidate,
            "Value of 'override' must be a mapping",
            &octx,
        );
    };
    for (k, v) in entries {
        let key = k.as_str().unwrap_or("").to_string();
        let op = v.as_str().unwrap_or("").to_string();
        let kctx = octx.child("overrides", &key, k.pos);
        match op.as_str() {
            "append" => {
                if !appendable.contains(&key.as_str()) {
                    return fail(
                        ErrorCode::YamlValidate,
                        format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                        &kctx,
                    );
                }
                ap.insert(key);
            }
            "replace" => {
                if !replaceable.contains(&key.as_str()) {
                    return fail(
                        ErrorCode::YamlValidate,
                        format!("Key '{key}' cannot be replaced"),
                        &kctx,
                    );
                }
                rp.insert(key);
            }
            _ => {
                let mut allowed = String::new();
                if appendable.contains(&key.as_str()) {
                    allowed.push_str("append ");
                }
                if replaceable.contains(&key.as_str()) {
                    allowed.push_str("replace ");
                }
                let vctx = octx.child("value for", &key, v.pos);
                return fail(
                    ErrorCode::YamlValidate,
                    format!("Invalid override operation for key '{key}': '{op}'. Allowed values are: {allowed}"),
                    &vctx,
                );
            }
        }
    }
    Ok((ap, rp))
}

/// Parses `x.y.z` (or a bare integer, meaning `0.x.0` as Falco does).
pub(crate) fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let v = v.trim();
    if let Ok(n) = v.parse::<u64>() {
        return Some((0, n, 0));
    }
    let mut parts = v.split('.');
    let a = parts.next()?.parse().ok()?;
    let b = parts.next()?.parse().ok()?;
    let c = parts.next()?.split(['-', '+']).next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((a, b, c))
}

fn full_match_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn full_match_barestr(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| "()\"'=,".contains(c) || c.is_whitespace())
}
