//! A rule's `exceptions`: read from the item, checked and normalised (the comparison operator
//! of each field, libs' defaults), and merged into an earlier rule's on append.

use super::decode::decode_str;
use super::{fail, Collector, Ctx, R};
use crate::diag::{ErrorCode, WarningCode};
use crate::yaml::{Node, NodeKind};

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

impl Collector {
    pub(super) fn read_exceptions(
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

/// Checks the exceptions of a new rule: each has `fields` (all are checked before any is
/// normalised, so the first such error wins), then each is validated and normalised.
pub(super) fn validate_new_exceptions(exceptions: &mut [ExceptionInfo]) -> R<()> {
    for ex in exceptions.iter() {
        if ex.fields.is_none() {
            return fail(
                ErrorCode::Validate,
                "Rule exception item must have fields property with a list of fields",
                &ex.ctx,
            );
        }
    }
    for ex in exceptions.iter_mut() {
        validate_exception(ex)?;
    }
    Ok(())
}

/// Appends `exs` to an earlier rule's exceptions `prev`: the values of an exception already
/// there are added to it; a new exception must be complete.
pub(super) fn append_exceptions(prev: &mut Vec<ExceptionInfo>, exs: Vec<ExceptionInfo>) -> R<()> {
    for mut ex in exs {
        if let Some(pe) = prev.iter_mut().find(|e| e.name == ex.name) {
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
            prev.push(ex);
        }
    }
    Ok(())
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

pub(super) fn validate_exception(ex: &mut ExceptionInfo) -> R<()> {
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
