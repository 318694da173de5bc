//! Rule items: a new rule or a redefinition, read and checked key by key; an item that
//! updates an earlier rule (`override`, `append: true`, a standalone `enabled`) is told apart
//! here and applied in `overrides`.

use super::decode::{
    decode_bool, decode_opt_bool, decode_opt_str, decode_opt_u64, decode_priority, decode_scalar,
    decode_seq, decode_str,
};
use super::exceptions::validate_new_exceptions;
use super::overrides::{
    decode_overrides, ERROR_OVERRIDE_APPEND, RULE_APPENDABLE, RULE_REPLACEABLE, WARNING_APPEND,
};
use super::{fail, Collector, Ctx, RuleInfo, SourcedText, R};
use crate::diag::{ErrorCode, WarningCode};
use crate::yaml::{Node, NodeKind};

/// Falco's warning for a rule item with only `enabled`.
const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_SOURCE_CHANGED: &str = "Rule has been re-defined with a different source";

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

impl Collector {
    /// Reads a rule item: an update of an earlier rule (`override`, the legacy `append: true`,
    /// a standalone `enabled`), or else a rule definition.
    pub(super) fn read_rule(&mut self, item: &Node, parent: &Ctx, sources: &[String]) -> R<()> {
        let tmp = parent.child("rule", "", item.pos);
        let name = decode_str(item, "rule", &tmp)?;
        let ctx = parent.child("rule", &name, item.pos);
        self.unknown_keys(item, RULE_KEYS, &ctx);
        let has_append = decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if has_append {
            self.warn(WarningCode::DeprecatedItem, WARNING_APPEND, &ctx);
        }
        let (ov_append, ov_replace) =
            decode_overrides(item, RULE_APPENDABLE, RULE_REPLACEABLE, &ctx)?;
        let has_overrides = !ov_append.is_empty() || !ov_replace.is_empty();
        if has_append && has_overrides {
            return fail(ErrorCode::YamlValidate, ERROR_OVERRIDE_APPEND, &ctx);
        }
        if has_append || has_overrides {
            self.check_update_source(item, &name, &ctx)?;
        }
        if has_overrides {
            return self.override_rule(item, &name, &ov_append, &ov_replace, &ctx);
        }
        if has_append {
            return self.append_rule_legacy(item, &name, &ctx);
        }
        if ["condition", "output", "desc", "priority"]
            .iter()
            .all(|k| item.get(k).is_none())
        {
            return self.enable_rule(item, &name, &ctx);
        }
        self.define_rule(item, name, ctx, sources)
    }

    /// An update may name its `source`, which must then be the earlier rule's. An empty one
    /// (`source:` or `source: ""`) counts as not named, as in Falco (`decode_optional_empty_val`).
    fn check_update_source(&self, item: &Node, name: &str, ctx: &Ctx) -> R<()> {
        let empty = item.get("source").is_some_and(|v| match &v.kind {
            NodeKind::Null => true,
            NodeKind::Scalar(s, _) => s.is_empty(),
            _ => false,
        });
        if empty {
            return Ok(());
        }
        if let Some(src) = decode_opt_str(item, "source", ctx)? {
            if self.rules.get(name).is_some_and(|p| p.source != src) {
                return fail(ErrorCode::Validate, ERROR_SOURCE_CHANGED, ctx);
            }
        }
        Ok(())
    }

    /// A rule item with only `enabled` (deprecated): enables or disables an earlier rule.
    fn enable_rule(&mut self, item: &Node, name: &str, ctx: &Ctx) -> R<()> {
        let enabled = decode_bool(item, "enabled", ctx)?;
        self.warn(WarningCode::DeprecatedItem, WARNING_ENABLED, ctx);
        let Some(prev) = self.rules.get_mut(name) else {
            return fail(
                ErrorCode::Validate,
                "Rule has 'enabled' key but no rule by that name already exists",
                ctx,
            );
        };
        prev.enabled = enabled;
        Ok(())
    }

    /// A rule definition: every key decoded with its default, the source and the exceptions
    /// checked, then stored as a new rule or in place of the earlier one of that name.
    fn define_rule(&mut self, item: &Node, name: String, ctx: Ctx, sources: &[String]) -> R<()> {
        let (cond_text, cond_node) = decode_scalar(item, "condition", &ctx)?;
        let cond_ctx = ctx.child("rule condition", "", cond_node.pos);
        let (output_text, output_node) = decode_scalar(item, "output", &ctx)?;
        let output_ctx = ctx.child("rule output", "", output_node.pos);
        let desc = decode_str(item, "desc", &ctx)?;
        let priority = decode_priority(item, "priority", &ctx)?;
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
        let mut exceptions = self.read_exceptions(item, &ctx, false)?;
        let trimmed = output_text.trim().to_string();
        let output = SourcedText::new(trimmed, ctx.file, output_node);

        if self.rules.get(&name).is_some_and(|p| p.source != source) {
            return fail(ErrorCode::Validate, ERROR_SOURCE_CHANGED, &ctx);
        }
        let unknown_source = !sources.contains(&source);
        if unknown_source {
            self.warn(
                WarningCode::UnknownSource,
                format!("Unknown source {source}, skipping"),
                &ctx,
            );
        }
        validate_new_exceptions(&mut exceptions)?;
        let index = self.cur_index;
        self.cur_index += 1;
        let cond = SourcedText::new(cond_text, ctx.file, cond_node);
        self.store_rule(RuleInfo {
            name,
            ctx,
            cond,
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
        });
        Ok(())
    }

    /// Stores a defined rule; a redefinition keeps the place (`index`) of the first one.
    fn store_rule(&mut self, info: RuleInfo) {
        if let Some(prev) = self.rules.get_mut(&info.name) {
            let idx = prev.index;
            *prev = RuleInfo { index: idx, ..info };
        } else {
            self.rules
                .by_name
                .insert(info.name.clone(), self.rules.items.len());
            self.rules.items.push(info);
        }
    }
}
