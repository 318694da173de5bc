//! The requirements a rules file states: the engine version it needs and the plugins it
//! needs (the container plugin's fields are built in; no other plugin is loaded).

use super::decode::decode_str;
use super::{fail, Collector, Ctx, R};
use crate::diag::ErrorCode;
use crate::yaml::{Node, NodeKind};

/// The version of the rules language this engine implements (`required_engine_version`).
const ENGINE_VERSION: (u64, u64, u64) = (0, 59, 0);

/// Checks an item's `required_engine_version`: the same major version, and not newer than
/// [`ENGINE_VERSION`].
pub(super) fn check_engine_version(item: &Node, parent: &Ctx) -> R<()> {
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
    Ok(())
}

impl Collector {
    /// Reads `required_plugin_versions` (the value `req`) into `required_plugins`, failing on a
    /// plugin this engine does not provide.
    pub(super) fn read_required_plugins(&mut self, req: &Node, parent: &Ctx) -> R<()> {
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
        Ok(())
    }
}

/// Parses `x.y.z` (or a bare integer, meaning `0.x.0` as Falco does).
fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
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
