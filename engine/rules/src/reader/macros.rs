//! Macro items: a new macro, a redefinition, or a condition appended to an earlier one.

use super::decode::{decode_opt_bool, decode_scalar, decode_str};
use super::overrides::{decode_overrides, ERROR_OVERRIDE_APPEND, WARNING_APPEND};
use super::{fail, Collector, Ctx, MacroInfo, SourcedText, R};
use crate::diag::{ErrorCode, WarningCode};
use crate::yaml::Node;

const ERROR_NO_PREVIOUS_MACRO: &str =
    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
const RGX_IDENTIFIER: &str = "([a-zA-Z]+[a-zA-Z0-9_]*)";
const MACRO_KEYS: &[&str] = &["macro", "condition", "append", "override"];

impl Collector {
    /// Reads a macro item: a new macro, a redefinition (in the first one's place) or an append.
    pub(super) fn read_macro(&mut self, item: &Node, parent: &Ctx) -> R<()> {
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
}

/// Whether `s` matches [`RGX_IDENTIFIER`] whole (checked without a regex).
fn full_match_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
