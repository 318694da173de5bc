//! Typed values read from an item's keys (strings, booleans, numbers, sequences, a priority),
//! failing with Falco's messages and the position of the offending value.

use super::{fail, Ctx, R};
use crate::diag::ErrorCode;
use crate::priority::Priority;
use crate::yaml::{Node, NodeKind};

/// The non-empty scalar under `key`, with its node (for positions into the file).
pub(super) fn decode_scalar<'a>(item: &'a Node, key: &str, ctx: &Ctx) -> R<(String, &'a Node)> {
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

pub(super) fn decode_str(item: &Node, key: &str, ctx: &Ctx) -> R<String> {
    decode_scalar(item, key, ctx).map(|(s, _)| s)
}

pub(super) fn decode_opt_str(item: &Node, key: &str, ctx: &Ctx) -> R<Option<String>> {
    if item.get(key).is_none() {
        return Ok(None);
    }
    decode_str(item, key, ctx).map(Some)
}

pub(super) fn decode_bool(item: &Node, key: &str, ctx: &Ctx) -> R<bool> {
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

pub(super) fn decode_opt_bool(item: &Node, key: &str, ctx: &Ctx) -> R<Option<bool>> {
    if item.get(key).is_none() {
        return Ok(None);
    }
    decode_bool(item, key, ctx).map(Some)
}

pub(super) fn decode_opt_u64(item: &Node, key: &str, ctx: &Ctx) -> R<Option<u64>> {
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

/// The sequence of scalars under `key`; `None` when it is absent and `optional`.
pub(super) fn decode_seq(
    item: &Node,
    key: &str,
    ctx: &Ctx,
    optional: bool,
) -> R<Option<Vec<String>>> {
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

/// The priority under `key` (a rule's `priority`).
pub(super) fn decode_priority(item: &Node, key: &str, ctx: &Ctx) -> R<Priority> {
    let text = decode_str(item, key, ctx)?;
    let prictx = ctx.child(
        "rule priority",
        "",
        item.get(key).map(|n| n.pos).unwrap_or(item.pos),
    );
    Priority::parse(&text).ok_or_else(|| {
        (
            ErrorCode::YamlValidate,
            "Invalid priority".to_string(),
            prictx,
        )
    })
}
