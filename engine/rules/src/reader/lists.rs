//! List items: a new list, a redefinition, or items appended to an earlier one.

use super::decode::{decode_opt_bool, decode_seq, decode_str};
use super::overrides::{decode_overrides, ERROR_OVERRIDE_APPEND, WARNING_APPEND};
use super::{fail, Collector, Ctx, ListInfo, R};
use crate::diag::{ErrorCode, WarningCode};
use crate::yaml::Node;

const ERROR_NO_PREVIOUS_LIST: &str =
    "List uses 'append' or 'override.items: append' but no list by that name already exists";
const RGX_BARESTR: &str = "([^()\"'[:space:]=,]+)";
const LIST_KEYS: &[&str] = &["list", "items", "append", "override"];

impl Collector {
    /// Reads a list item: a new list, a redefinition (in the first one's place) or an append.
    pub(super) fn read_list(&mut self, item: &Node, parent: &Ctx) -> R<()> {
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
}

/// Whether `s` matches [`RGX_BARESTR`] whole (checked without a regex).
fn full_match_barestr(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| "()\"'=,".contains(c) || c.is_whitespace())
}
