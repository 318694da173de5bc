//! Loading rules files: read (YAML → collector), expand (lists, macros, exceptions), compile,
//! and collect every diagnostic.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::ast::{Expr, Op, Rhs};
use crate::compile::Compiler;
use crate::diag::{snippet, Code, Diagnostic, ErrorCode, LoadResult, Location, WarningCode};
use crate::evttype::event_types;
use crate::expand::{quote_item, ListTable, MacroTable, MACRO_SPAN_STRIDE};
use crate::field::FieldCatalog;
use crate::output::compile_output;
use crate::parser::parse;
use crate::reader::{Collector, Ctx, Entry, ExceptionInfo, MacroInfo, RawDiag, SourcedText};
use crate::ruleset::{ListDescription, MacroDescription, Rule, RuleSet};

/// One rules file's name and content.
#[derive(Clone, Debug)]
pub struct RulesFile {
    /// Name used in diagnostics (usually the path).
    pub name: String,
    /// YAML text.
    pub content: String,
}

/// What the engine offers to the rules.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Event sources loaded; rules for other sources are skipped with a warning.
    pub sources: Vec<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            sources: vec!["syscall".to_string()],
        }
    }
}

/// The field catalog of each event source: `primary` for the rules of any source not listed
/// in `others` (the syscall source).
#[derive(Clone, Copy)]
pub struct Catalogs<'a> {
    /// The catalog of the default source.
    pub primary: &'a dyn FieldCatalog,
    /// Other sources and their catalogs.
    pub others: &'a [(&'a str, &'a dyn FieldCatalog)],
}

impl<'a> Catalogs<'a> {
    /// One catalog for every source.
    pub fn single(primary: &'a dyn FieldCatalog) -> Self {
        Catalogs {
            primary,
            others: &[],
        }
    }

    /// The catalog for the rules of `source`.
    pub fn for_source(&self, source: &str) -> &'a dyn FieldCatalog {
        self.others
            .iter()
            .find(|(s, _)| *s == source)
            .map_or(self.primary, |(_, c)| *c)
    }

    /// `msg` (an unknown-field error of a rule of `source`), with the sources that do have
    /// the field when there are some: `...nonexistent field proc.name: a field of the
    /// syscall source, not of this rule's source k8s_audit`.
    fn explain_unknown(&self, msg: String, source: &str) -> String {
        const UNKNOWN: &str = "nonexistent field ";
        let Some(at) = msg.find(UNKNOWN) else {
            return msg;
        };
        let name = msg[at + UNKNOWN.len()..]
            .split(|c: char| c.is_whitespace() || c == '[')
            .next()
            .unwrap_or("");
        let owners = self.owners_of(name, source);
        if owners.is_empty() {
            return msg;
        }
        format!(
            "{msg}: a field of the {} source, not of this rule's source {source}",
            owners.join(", ")
        )
    }

    /// The sources, other than `source`, whose catalog knows field `name`: said next to a
    /// field a rule's source does not have.
    fn owners_of(&self, name: &str, source: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |s: &str, c: &dyn FieldCatalog| {
            if s != source && c.resolve(name, None).is_ok() {
                out.push(s.to_string());
            }
        };
        if self.others.iter().all(|(s, _)| *s != "syscall") {
            check("syscall", self.primary);
        }
        for (s, c) in self.others {
            check(s, *c);
        }
        out
    }
}

/// Reads files and directories (sorted, `.yaml`/`.yml` only), in the order given.
/// Unreadable paths become `LOAD_ERR_FILE_READ` diagnostics.
pub fn read_paths(paths: &[PathBuf]) -> (Vec<RulesFile>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        let mut list = Vec::new();
        if p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(rd) => {
                    let mut v: Vec<PathBuf> = rd
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|x| {
                            x.is_file()
                                && matches!(
                                    x.extension().and_then(|e| e.to_str()),
                                    Some("yaml" | "yml")
                                )
                        })
                        .collect();
                    v.sort();
                    list.extend(v);
                }
                Err(e) => errors.push(read_error(p, &e.to_string())),
            }
        } else {
            list.push(p.clone());
        }
        for f in list {
            match crate::file::read_text(&f) {
                Ok(content) => files.push(RulesFile {
                    name: f.display().to_string(),
                    content,
                }),
                Err(e) => errors.push(match crate::file::InvalidUtf8::of(&e) {
                    Some(bad) => utf8_error(&f, bad),
                    None => read_error(&f, &e.to_string()),
                }),
            }
        }
    }
    (files, errors)
}

/// A file that is not UTF-8 text: the message names the file, line and column.
fn utf8_error(p: &Path, bad: crate::file::InvalidUtf8) -> Diagnostic {
    let name = p.display().to_string();
    let mut d = read_error(
        p,
        &format!("{name}:{}:{}: invalid UTF-8", bad.line, bad.col),
    );
    d.locations[0].pos = crate::yaml::Pos {
        offset: bad.offset,
        line: bad.line,
        col: bad.col,
    };
    d
}

fn read_error(p: &Path, msg: &str) -> Diagnostic {
    let name = p.display().to_string();
    Diagnostic {
        code: Code::Error(ErrorCode::FileRead),
        message: format!("Could not read file {name}: {msg}"),
        file: name,
        locations: vec![Location {
            item_type: "rules content",
            item_name: String::new(),
            pos: Default::default(),
        }],
        snippet: String::new(),
    }
}

/// Loads paths (files and directories) with a catalog.
pub fn load_paths(
    paths: &[PathBuf],
    catalog: &dyn FieldCatalog,
    opts: &LoadOptions,
) -> (RuleSet, LoadResult) {
    load_paths_sources(paths, Catalogs::single(catalog), opts)
}

/// Loads paths (files and directories), each rule compiled with its source's catalog.
pub fn load_paths_sources(
    paths: &[PathBuf],
    catalogs: Catalogs<'_>,
    opts: &LoadOptions,
) -> (RuleSet, LoadResult) {
    let (files, errors) = read_paths(paths);
    let (rs, res, _) = load_marked(&files, catalogs, opts);
    let mut res = res;
    res.errors.splice(0..0, errors);
    (rs, res)
}

/// Loads rules files, in order, into a [`RuleSet`] and a [`LoadResult`] with every diagnostic.
pub fn load(
    files: &[RulesFile],
    catalog: &dyn FieldCatalog,
    opts: &LoadOptions,
) -> (RuleSet, LoadResult) {
    let (rs, res, _) = load_marked(files, Catalogs::single(catalog), opts);
    (rs, res)
}

/// Falco's `--validate` over several files: each file is loaded after the previous ones into
/// the same rules (so it sees their lists and macros), and its result holds what reading
/// that file found plus everything compiling all the rules loaded so far found (unused lists
/// and macros of earlier files included). A file that does not read (bad YAML or structure)
/// is not compiled.
pub fn load_each(
    files: &[RulesFile],
    catalog: &dyn FieldCatalog,
    opts: &LoadOptions,
) -> Vec<LoadResult> {
    load_each_sources(files, Catalogs::single(catalog), opts)
}

/// [`load_each`], each rule compiled with its source's catalog.
pub fn load_each_sources(
    files: &[RulesFile],
    catalogs: Catalogs<'_>,
    opts: &LoadOptions,
) -> Vec<LoadResult> {
    (0..files.len())
        .map(|i| {
            let (_, res, read) = load_marked(&files[..=i], catalogs, opts);
            let name = files[i].name.clone();
            let own_read = |d: &Diagnostic| d.file == name;
            let (read_diags, compiled): (Vec<_>, Vec<_>) = res
                .errors
                .into_iter()
                .chain(res.warnings)
                .enumerate()
                .partition(|(k, _)| read.contains(k));
            let read_diags: Vec<Diagnostic> = read_diags
                .into_iter()
                .map(|(_, d)| d)
                .filter(own_read)
                .collect();
            let read_failed = read_diags.iter().any(|d| matches!(d.code, Code::Error(_)));
            let all = read_diags.into_iter().chain(
                compiled
                    .into_iter()
                    .map(|(_, d)| d)
                    .filter(|_| !read_failed),
            );
            let mut out = LoadResult {
                name,
                ..Default::default()
            };
            for d in all {
                match d.code {
                    Code::Error(_) => out.errors.push(d),
                    Code::Warning(_) => out.warnings.push(d),
                }
            }
            out
        })
        .collect()
}

/// True when one of the YAML documents of `content` is a mapping: Falco's hint that a
/// configuration file was given to `--validate`.
pub fn has_mapping_root(content: &str) -> bool {
    crate::yaml::parse(content).is_ok_and(|d| d.docs.iter().any(|n| n.is_map()))
}

/// [`load`], plus the indexes (errors first, then warnings) of the diagnostics found while
/// reading the files, before compiling.
fn load_marked(
    files: &[RulesFile],
    catalogs: Catalogs<'_>,
    opts: &LoadOptions,
) -> (RuleSet, LoadResult, BTreeSet<usize>) {
    let mut col = Collector::default();
    let texts: Vec<&str> = files.iter().map(|f| f.content.as_str()).collect();
    for (i, f) in files.iter().enumerate() {
        match crate::yaml::parse(&f.content) {
            Err(e) => {
                let ctx = Ctx {
                    file: i,
                    locs: Vec::new(),
                }
                .child("rules content", "", e.pos);
                col.error(ErrorCode::YamlParse, e.message, &ctx);
            }
            Ok(docs) => {
                for d in &docs.duplicates {
                    let ctx = Ctx {
                        file: i,
                        locs: Vec::new(),
                    }
                    .child("rules content", "", d.pos);
                    col.error(ErrorCode::YamlValidate, d.message.clone(), &ctx);
                }
                col.read_docs(i, &docs.docs, &opts.sources);
            }
        }
    }
    let read_count = col.diags.len();
    let mut b = Builder {
        col: &mut col,
        texts: &texts,
        catalogs,
        list_used: HashMap::new(),
        lines: vec![None; texts.len()],
        lists: None,
        macro_infos: Rc::from(Vec::new()),
        expanded_size: 0,
    };
    let rs = b.build();
    let name = files
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut res = LoadResult {
        name,
        ..Default::default()
    };
    // Diagnostics are split into errors then warnings below; remember where the reading
    // ones land.
    let diags = std::mem::take(&mut col.diags);
    let n_errors = diags
        .iter()
        .filter(|d| matches!(d.code, Code::Error(_)))
        .count();
    let mut read = BTreeSet::new();
    let (mut e_i, mut w_i) = (0, n_errors);
    for (k, d) in diags.iter().enumerate() {
        let slot = if matches!(d.code, Code::Error(_)) {
            e_i += 1;
            e_i - 1
        } else {
            w_i += 1;
            w_i - 1
        };
        if k < read_count {
            read.insert(slot);
        }
    }
    for d in diags {
        let file = files
            .get(d.file)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let pos = d.locations.last().map(|l| l.pos).unwrap_or_default();
        let snip = texts
            .get(d.file)
            .map(|t| snippet(t, pos))
            .unwrap_or_default();
        let diag = Diagnostic {
            code: d.code,
            message: d.message,
            file,
            locations: d.locations,
            snippet: snip,
        };
        match d.code {
            Code::Error(_) => res.errors.push(diag),
            Code::Warning(_) => res.warnings.push(diag),
        }
    }
    (rs, res, read)
}

struct Builder<'a> {
    col: &'a mut Collector,
    texts: &'a [&'a str],
    catalogs: Catalogs<'a>,
    list_used: HashMap<String, bool>,
    /// Line starts of each file, built when a diagnostic needs them.
    lines: Vec<Option<crate::yaml::LineIndex>>,
    lists: Option<ListTable>,
    /// The macros, taken from the collector by [`Builder::build`].
    macro_infos: Rc<[MacroInfo]>,
    /// Nodes and list values of the rules' expanded conditions so far.
    expanded_size: usize,
}

fn entry_str(e: &Entry) -> String {
    match e {
        Entry::Item(s) => s.clone(),
        Entry::List(l) => l.iter().map(entry_str).collect::<Vec<_>>().join(", "),
    }
}

/// Falco's `build_rule_exception_infos`: `(cond) and not (...) and not (...)`.
fn build_exceptions(
    cond: &str,
    exceptions: &[ExceptionInfo],
    fields_out: &mut BTreeSet<String>,
) -> Result<String, (String, usize)> {
    let mut out = format!("({cond})");
    for (k, ex) in exceptions.iter().enumerate() {
        let mut icond = String::new();
        match (&ex.fields, &ex.comps) {
            (Some(Entry::Item(field)), comp) => {
                let comp = comp.as_ref().map(entry_str).unwrap_or_else(|| "in".into());
                for v in &ex.values {
                    let Entry::Item(item) = v else {
                        return Err((
                            "Expected values array to contain a list of strings".into(),
                            k,
                        ));
                    };
                    icond.push_str(if icond.is_empty() { "" } else { ", " });
                    if icond.is_empty() {
                        icond = format!("({field} {comp} (");
                    }
                    fields_out.insert(field.clone());
                    icond.push_str(&quote_item(item));
                }
                if !icond.is_empty() {
                    icond.push_str("))");
                }
            }
            (Some(Entry::List(fields)), comps) => {
                let comps: Vec<String> = match comps {
                    Some(Entry::List(c)) => c.iter().map(entry_str).collect(),
                    _ => vec!["=".to_string(); fields.len()],
                };
                icond.push('(');
                for values in &ex.values {
                    let items: Vec<&Entry> = match values {
                        Entry::List(l) => l.iter().collect(),
                        Entry::Item(_) => vec![values],
                    };
                    if items.len() != fields.len() {
                        return Err(("Fields and values lists must have equal length".into(), k));
                    }
                    if icond != "(" {
                        icond.push_str(" or ");
                    }
                    icond.push('(');
                    for (i, field) in fields.iter().enumerate() {
                        let field = entry_str(field);
                        let comp = comps.get(i).cloned().unwrap_or_else(|| "=".into());
                        if i > 0 {
                            icond.push_str(" and");
                        }
                        let value = match items[i] {
                            Entry::List(l) => format!(
                                "({})",
                                l.iter()
                                    .map(|v| quote_item(&entry_str(v)))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            Entry::Item(s) => {
                                let op =
                                    comp.split_whitespace().next().and_then(Op::from_str_exact);
                                if op.is_some_and(|o| o.is_list_op()) || comp.contains(' ') {
                                    if s.starts_with('(') {
                                        s.clone()
                                    } else {
                                        format!("({s})")
                                    }
                                } else {
                                    quote_item(s)
                                }
                            }
                        };
                        icond.push_str(&format!(" {field} {comp} {value}"));
                        fields_out.insert(field);
                    }
                    icond.push(')');
                }
                icond.push(')');
                if icond == "()" {
                    icond.clear();
                }
            }
            (None, _) => {}
        }
        if !icond.is_empty() {
            out.push_str(" and not ");
            out.push_str(&icond);
        }
    }
    Ok(out)
}

impl Builder<'_> {
    fn diag_at(
        &mut self,
        code: Code,
        msg: String,
        ctx: &Ctx,
        text: &SourcedText,
        offset: Option<usize>,
    ) {
        let mut locs = ctx.locs.clone();
        let mut file = ctx.file;
        if let Some((f, at)) = offset.and_then(|o| text.locate(self.texts, o)) {
            file = f;
            let pos = match at {
                Ok(i) => self.line_pos(f, i),
                Err(p) => p,
            };
            locs.push(Location {
                item_type: "condition expression",
                item_name: String::new(),
                pos,
            });
        }
        self.col.diags.push(RawDiag {
            code,
            message: msg,
            file,
            locations: locs,
        });
    }

    /// Line and column of byte `offset` of file `f`.
    fn line_pos(&mut self, f: usize, offset: usize) -> crate::yaml::Pos {
        let text = self.texts.get(f).copied().unwrap_or("");
        self.lines[f]
            .get_or_insert_with(|| crate::yaml::LineIndex::new(text))
            .pos(text, offset)
    }

    /// The offset in `written` (a condition before list substitution) that `offset` in its
    /// substituted text comes from; an inserted list points at the list's name.
    fn written_offset(&mut self, written: &str, offset: usize) -> usize {
        let mut s = written.to_string();
        let mut origins: Vec<usize> = (0..=written.len()).collect();
        self.list_table().substitute(&mut s, Some(&mut origins));
        origins
            .get(offset)
            .copied()
            .unwrap_or(written.len())
            .min(written.len())
    }

    /// Reports `msg` at `offset` of the substituted text of `cond` itself (a macro).
    fn report(
        &mut self,
        code: Code,
        msg: String,
        ctx: &Ctx,
        cond: &SourcedText,
        shift: usize,
        offset: usize,
    ) {
        let written = cond.text.clone();
        self.report_in(code, msg, ctx, cond, &written, shift, offset);
    }

    /// Reports `msg` at `offset` of a condition compiled from `written` (the text of `cond`,
    /// wrapped in `(...)` with exceptions appended when `shift` is 1), after list
    /// substitution and macro expansion: offsets inside an expanded macro point into that
    /// macro's text, offsets in the exceptions at the condition itself.
    #[allow(clippy::too_many_arguments)]
    fn report_in(
        &mut self,
        code: Code,
        msg: String,
        ctx: &Ctx,
        cond: &SourcedText,
        written: &str,
        shift: usize,
        offset: usize,
    ) {
        if offset >= MACRO_SPAN_STRIDE {
            let k = offset / MACRO_SPAN_STRIDE - 1;
            if let Some(m) = self.macro_infos.get(k).cloned() {
                let at = self.written_offset(&m.cond.text, offset % MACRO_SPAN_STRIDE);
                let mut ctx = ctx.clone();
                if let Some(l) = m.ctx.locs.last() {
                    ctx.locs.push(Location {
                        item_type: "macro",
                        item_name: m.name.clone(),
                        pos: l.pos,
                    });
                }
                self.diag_at(code, msg, &ctx, &m.cond, Some(at));
                return;
            }
            self.diag_at(code, msg, ctx, cond, None);
            return;
        }
        let at = self.written_offset(written, offset);
        let inside = at >= shift && at - shift <= cond.text.len();
        let at = inside.then(|| at - shift);
        self.diag_at(code, msg, ctx, cond, at);
    }

    /// The lists, with referenced lists expanded, built on first use.
    fn list_table(&mut self) -> &ListTable {
        let col = &*self.col;
        self.lists.get_or_insert_with(|| {
            ListTable::new(
                col.lists
                    .items
                    .iter()
                    .map(|l| (l.name.clone(), compiled_items(col, l)))
                    .collect(),
            )
        })
    }

    fn substitute_lists(&mut self, text: &str) -> String {
        let mut s = text.to_string();
        let used = self.list_table().substitute(&mut s, None);
        for i in used {
            let name = self.list_table().name(i).to_string();
            self.list_used.insert(name, true);
        }
        s
    }

    fn build(&mut self) -> RuleSet {
        // Macros: parse each after list substitution; errors reported per macro.
        // Taken, not copied (a 10 MB file has tens of thousands): diagnostics inside expanded
        // macros find them in `self.macro_infos`.
        let macros: Rc<[MacroInfo]> = std::mem::take(&mut self.col.macros.items).into();
        self.macro_infos = macros.clone();
        let mut bodies = Vec::with_capacity(macros.len());
        for m in macros.iter() {
            let text = self.substitute_lists(&m.cond.text);
            match parse(&text) {
                Ok(e) => bodies.push(Some(e)),
                Err(e) => {
                    bodies.push(None);
                    self.report(
                        Code::Error(ErrorCode::CompileCondition),
                        e.message,
                        &m.cond_ctx,
                        &m.cond,
                        0,
                        e.offset,
                    )
                }
            }
        }
        let mut table = MacroTable::new(
            self.col.macros.by_name.clone(),
            bodies,
            macros.iter().map(|m| m.index).collect(),
        );
        for (k, m) in macros.iter().enumerate() {
            let Some(body) = table.body(k).cloned() else {
                continue;
            };
            // As Falco: the path starts empty, a macro sees itself only when redefined.
            let mut size = 0;
            if let Err((msg, off)) = table.check(&body, 0, 0, m.visibility, &mut size) {
                self.report(
                    Code::Error(ErrorCode::Validate),
                    msg,
                    &m.cond_ctx,
                    &m.cond,
                    0,
                    off,
                );
            }
        }

        let mut rules = Vec::new();
        // Subtree ids across every rule, for share_subtrees below.
        let mut subtree_keys = Some(crate::compile::SubtreeKeys::default());
        let infos = std::mem::take(&mut self.col.rules.items);
        // By value: each rule's reading is freed once it is compiled.
        for r in infos.into_iter().filter(|r| !r.unknown_source) {
            let catalog = self.catalogs.for_source(&r.source);
            let mut exception_fields = BTreeSet::new();
            let cond_text = if r.exceptions.is_empty() {
                r.cond.text.clone()
            } else {
                match build_exceptions(&r.cond.text, &r.exceptions, &mut exception_fields) {
                    Ok(c) => c,
                    Err((msg, k)) => {
                        let ctx = r
                            .exceptions
                            .get(k)
                            .map(|e| e.ctx.clone())
                            .unwrap_or_else(|| r.ctx.clone());
                        self.col.error(ErrorCode::Validate, msg, &ctx);
                        continue;
                    }
                }
            };
            let shift = if r.exceptions.is_empty() { 0 } else { 1 };
            for ex in &r.exceptions {
                if let Some(f) = &ex.fields {
                    let names: Vec<String> = match f {
                        Entry::Item(s) => vec![s.clone()],
                        Entry::List(l) => l.iter().map(entry_str).collect(),
                    };
                    for n in names {
                        let fr = crate::ast::FieldRef {
                            name: n.clone(),
                            arg: None,
                            span: Default::default(),
                        };
                        let parsed_field = parse(&format!("{n} exists"));
                        let ok = match parsed_field {
                            Ok(Expr::Check(c)) => {
                                Compiler::new(catalog).compile(&Expr::Check(c)).is_ok()
                            }
                            _ => Compiler::new(catalog).resolve(&fr).is_ok(),
                        };
                        if !ok && !r.skip_if_unknown_filter {
                            self.col.error(
                                ErrorCode::Validate,
                                format!("'{n}' is not a supported filter field"),
                                &ex.ctx,
                            );
                        }
                    }
                }
            }
            let text = self.substitute_lists(&cond_text);
            let ast = match parse(&text) {
                Ok(a) => a,
                Err(e) => {
                    let (ctx, cond) = (&r.cond_ctx, &r.cond);
                    self.report_in(
                        Code::Error(ErrorCode::CompileCondition),
                        e.message,
                        ctx,
                        cond,
                        &cond_text,
                        shift,
                        e.offset,
                    );
                    continue;
                }
            };
            let checked = table.check(&ast, 0, 0, usize::MAX, &mut self.expanded_size);
            let ast = match checked {
                Ok(()) => table.expand(&ast, 0),
                Err((msg, off)) => {
                    self.report_in(
                        Code::Error(ErrorCode::Validate),
                        msg,
                        &r.cond_ctx,
                        &r.cond,
                        &cond_text,
                        shift,
                        off,
                    );
                    continue;
                }
            };
            // Output.
            let mut output = r.output.text.clone();
            if output.contains("%container.info") {
                self.col.warn(
                    WarningCode::DeprecatedItem,
                    "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.",
                    &r.ctx,
                );
                // With built-in container fields (no container plugin) the id and name take its
                // place, as in Falco 0.40.
                output = output.replace(
                    "%container.info",
                    "container_id=%container.id container_name=%container.name",
                );
            }
            let output_format = match compile_output(&output, catalog) {
                Ok(s) => Some(s),
                Err((off, msg)) => {
                    let explained = self.catalogs.explain_unknown(msg.clone(), &r.source);
                    // A field of another source: the condition is still compiled, so its
                    // own such fields are reported too (the rule is dropped below).
                    let other_source = explained != msg;
                    let msg = explained;
                    if r.skip_if_unknown_filter {
                        self.col
                            .warn(WarningCode::UnknownFilter, msg, &r.output_ctx);
                    } else {
                        let o = if output == r.output.text {
                            Some(off)
                        } else {
                            None
                        };
                        self.diag_at(
                            Code::Error(ErrorCode::CompileOutput),
                            msg,
                            &r.output_ctx,
                            &r.output,
                            o,
                        );
                    }
                    if !other_source {
                        continue;
                    }
                    None
                }
            };
            deprecated_output_warnings(self, &output, &r);
            unsafe_na_warnings(self, &ast, &r);
            deprecated_field_warnings(self, &ast, &r);
            let mut compiler = Compiler::sharing(catalog, subtree_keys.take().unwrap_or_default());
            let compiled = compiler.compile(&ast);
            let warnings = std::mem::take(&mut compiler.warnings);
            subtree_keys = Some(compiler.into_keys());
            let filter = match compiled {
                Ok(f) => f,
                Err(mut e) => {
                    e.message = self.catalogs.explain_unknown(e.message, &r.source);
                    if r.skip_if_unknown_filter && e.message.contains("nonexistent field") {
                        self.col
                            .warn(WarningCode::UnknownFilter, e.message, &r.cond_ctx);
                    } else {
                        self.report_in(
                            Code::Error(ErrorCode::CompileCondition),
                            e.message,
                            &r.cond_ctx,
                            &r.cond,
                            &cond_text,
                            shift,
                            e.offset,
                        );
                    }
                    continue;
                }
            };
            let Some(output_format) = output_format else {
                continue;
            };
            for w in warnings {
                self.col
                    .warn(WarningCode::CompileCondition, w.message, &r.cond_ctx);
            }
            // An empty set means the condition can never be true (`never_true`, `evt.type = open
            // and evt.type = close`), not that it matches too many event types (Falco #3883).
            // Rules of other sources match their own events, never a syscall's.
            let evt = if r.source == "syscall" {
                event_types(&ast)
            } else {
                crate::evttype::EventSet::none()
            };
            if r.source == "syscall" && r.warn_evttypes && evt.len() > 100 {
                self.col.warn(
                    WarningCode::NoEvttype,
                    "Rule matches too many evt.type values. This has a significant performance penalty.",
                    &r.ctx,
                );
            }
            rules.push(Rule {
                name: r.name.clone(),
                desc: r.desc.clone(),
                priority: r.priority,
                tags: r.tags.clone(),
                source: r.source.clone(),
                condition_text: r.cond.text.clone(),
                condition: ast,
                output,
                output_format,
                filter,
                evttypes: evt.ids(),
                enabled: r.enabled,
                exception_fields,
                capture: r.capture,
                capture_duration: r.capture_duration,
            });
        }

        for (k, m) in macros.iter().enumerate() {
            if !table.used[k] {
                self.col.warn(
                    WarningCode::UnusedMacro,
                    "Macro not referred to by any other rule/macro",
                    &m.ctx,
                );
            }
        }
        // A list named among the items of a later list counts as used (Falco's
        // `compile_list_infos`), even when that later list is itself unused.
        let n_lists = self.col.lists.items.len();
        for i in 0..n_lists {
            let l = &self.col.lists.items[i];
            let named: Vec<String> = l
                .items
                .iter()
                .filter_map(|item| self.col.lists.get(item))
                .filter(|r| r.index < l.visibility && r.name != l.name)
                .map(|r| r.name.clone())
                .collect();
            for name in named {
                self.list_used.insert(name, true);
            }
        }
        let mut list_desc = Vec::with_capacity(n_lists);
        for i in 0..n_lists {
            let l = &self.col.lists.items[i];
            let used = self.list_used.get(&l.name).copied().unwrap_or(false);
            let desc = ListDescription {
                name: l.name.clone(),
                items: compiled_items(self.col, l),
                used,
            };
            if !used {
                let ctx = l.ctx.clone();
                self.col.warn(
                    WarningCode::UnusedList,
                    "List not referred to by any other rule/macro",
                    &ctx,
                );
            }
            list_desc.push(desc);
        }
        let macro_desc = macros
            .iter()
            .enumerate()
            .map(|(k, m)| MacroDescription {
                name: m.name.clone(),
                condition: m.cond.text.clone(),
                used: table.used[k],
            })
            .collect();
        // Macros that several rules use are evaluated once per event.
        crate::compile::share_subtrees(rules.iter_mut().map(|r: &mut Rule| &mut r.filter));
        RuleSet::new(rules, list_desc, macro_desc)
    }
}

/// A list's items with earlier-visible referenced lists expanded (Falco's `compile_list_infos`).
fn compiled_items(col: &Collector, l: &crate::reader::ListInfo) -> Vec<String> {
    let mut out = Vec::new();
    for item in &l.items {
        match col.lists.get(item) {
            Some(r) if r.index < l.visibility && r.name != l.name => {
                out.extend(r.items.iter().cloned())
            }
            _ => out.push(item.clone()),
        }
    }
    out
}

fn unsafe_na_warnings(b: &mut Builder<'_>, ast: &Expr, r: &crate::reader::RuleInfo) {
    let mut found = false;
    ast.walk(&mut |e| {
        if let Expr::Check(c) = e {
            let unsafe_field = matches!(&c.lhs, crate::ast::Operand::Field(f) if f.name.starts_with("ka.") || f.name.starts_with("jevt."));
            let eq = matches!(c.op, Op::Eq | Op::EqEq | Op::Ne | Op::In | Op::Intersects | Op::PMatch);
            if unsafe_field && eq {
                match &c.rhs {
                    Some(Rhs::Value(v, _)) if v == "<NA>" => found = true,
                    Some(Rhs::List(l, _)) if l.iter().any(|v| v == "<NA>") => found = true,
                    _ => {}
                }
            }
        }
    });
    if found {
        b.col.warn(
            WarningCode::UnsafeNaCheck,
            "comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.",
            &r.cond_ctx,
        );
    }
}

/// Fields Falco flags as deprecated (enter events are dropped), in Falco's order, with the
/// text its condition warning carries.
const DEPRECATED_FIELDS: &[(&str, &str)] = &[
    ("evt.dir", "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'"),
    ("evt.latency", LATENCY_GONE),
    ("evt.latency.s", LATENCY_GONE),
    ("evt.latency.ns", LATENCY_GONE),
    ("evt.latency.human", LATENCY_GONE),
    ("evt.wait_latency", LATENCY_GONE),
];

const LATENCY_GONE: &str = "field is not available due to the drop of enter events.";

/// Falco's `filter_warning_resolver`: one warning per deprecated field used anywhere in the
/// expanded condition, at the condition.
fn deprecated_field_warnings(b: &mut Builder<'_>, ast: &Expr, r: &crate::reader::RuleInfo) {
    let mut seen = BTreeSet::new();
    let mut note = |name: &str| {
        if let Some(i) = DEPRECATED_FIELDS.iter().position(|(f, _)| *f == name) {
            seen.insert(i);
        }
    };
    ast.walk(&mut |e| {
        if let Expr::Check(c) = e {
            if let crate::ast::Operand::Field(f) = &c.lhs {
                note(&f.name);
            }
            if let Some(Rhs::Field(f)) = &c.rhs {
                note(&f.name);
            }
        }
    });
    for i in seen {
        if let Some((_, desc)) = DEPRECATED_FIELDS.get(i) {
            b.col
                .warn(WarningCode::DeprecatedItem, desc.to_string(), &r.cond_ctx);
        }
    }
}

/// Falco's `check_deprecated_fields_in_output`: a plain substring search of each deprecated
/// field name in the output format.
fn deprecated_output_warnings(b: &mut Builder<'_>, output: &str, r: &crate::reader::RuleInfo) {
    for (f, _) in DEPRECATED_FIELDS {
        if output.contains(f) {
            b.col.warn(
                WarningCode::DeprecatedItem,
                format!("usage of deprecated field '{f}' has been detected in the rule output"),
                &r.output_ctx,
            );
        }
    }
}
