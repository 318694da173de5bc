//! Updates of an earlier item: the `override` key (which keys are appended to, which are
//! replaced), the legacy `append: true`, and their application to a rule.

use std::collections::BTreeSet;

use super::decode::{
    decode_bool, decode_opt_u64, decode_priority, decode_scalar, decode_seq, decode_str,
};
use super::exceptions::{append_exceptions, validate_exception, ExceptionInfo};
use super::{fail, Collector, Ctx, SourcedText, R};
use crate::diag::ErrorCode;
use crate::priority::Priority;
use crate::yaml::{Node, NodeKind};

/// Falco's warning for the legacy `append: true`.
pub(super) const WARNING_APPEND: &str =
    "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
/// Falco's error for an item with both `override` and `append: true`.
pub(super) const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const ERROR_NO_PREVIOUS_RULE_APPEND: &str =
    "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
const ERROR_NO_PREVIOUS_RULE_REPLACE: &str =
    "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";
/// The rule keys an `override` may append to.
pub(super) const RULE_APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
/// The rule keys an `override` may replace.
pub(super) const RULE_REPLACEABLE: &[&str] = &[
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

impl Collector {
    /// Applies a rule item's `override`: first the keys to append, then the keys to replace;
    /// every overridable key the item has must be named under `override`.
    pub(super) fn override_rule(
        &mut self,
        item: &Node,
        name: &str,
        ov_append: &BTreeSet<String>,
        ov_replace: &BTreeSet<String>,
        ctx: &Ctx,
    ) -> R<()> {
        let mut expected: BTreeSet<&str> = RULE_APPENDABLE
            .iter()
            .chain(RULE_REPLACEABLE.iter())
            .copied()
            .filter(|k| item.get(k).is_some())
            .collect();
        for (set, kind, is_append) in [(ov_append, "append", true), (ov_replace, "replace", false)]
        {
            if set.is_empty() {
                continue;
            }
            let mut upd = RuleUpdate::default();
            for key in set.iter() {
                if !expected.remove(key.as_str()) {
                    return fail(
                        ErrorCode::YamlValidate,
                        format!("An {kind} override for '{key}' was specified but '{key}' is not defined"),
                        ctx,
                    );
                }
                // A replaced exception must be whole (`fields` given); only an appended one may
                // name just its values (Falco's `read_rule_exceptions(..., append)`).
                self.decode_update_key(item, key, ctx, &mut upd, is_append)?;
            }
            if is_append {
                self.append_rule(name, upd, ctx)?;
            } else {
                self.replace_rule(name, upd, ctx)?;
            }
        }
        if let Some(key) = expected.into_iter().next() {
            let pos = item.get(key).map(|n| n.pos).unwrap_or(item.pos);
            let kctx = ctx.child("overrides", key, pos);
            return fail(
                ErrorCode::YamlValidate,
                format!(
                    "Unexpected key '{key}': no corresponding entry under 'override' is defined."
                ),
                &kctx,
            );
        }
        Ok(())
    }

    /// Applies a rule item with the legacy `append: true`: its condition and exceptions are
    /// appended to the earlier rule's.
    pub(super) fn append_rule_legacy(&mut self, item: &Node, name: &str, ctx: &Ctx) -> R<()> {
        let mut upd = RuleUpdate::default();
        if item.get("condition").is_some() {
            self.decode_update_key(item, "condition", ctx, &mut upd, true)?;
        }
        if item.get("exceptions").is_some() {
            self.decode_update_key(item, "exceptions", ctx, &mut upd, true)?;
        }
        self.append_rule(name, upd, ctx)
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
            "priority" => upd.priority = Some(decode_priority(item, key, ctx)?),
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
        self.cur_index += 1;
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
            append_exceptions(&mut prev.exceptions, exs)?;
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
}

/// The keys an item's `override` appends to and those it replaces, each checked against
/// what the item's kind allows (`appendable`, `replaceable`).
pub(super) fn decode_overrides(
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
