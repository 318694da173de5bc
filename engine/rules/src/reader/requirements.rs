//! The requirements a rules file states: the engine version it needs and the plugins it
//! needs (the container, k8saudit and json plugins are built in; no other plugin is loaded).

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
            // The plugins whose fields and sources are built in, at the version they match;
            // other plugins are not loaded.
            let satisfied = |n: &str, v: &str| {
                n == "container"
                    || BUILTIN_PLUGINS.iter().any(|(bn, bv)| {
                        *bn == n
                            && match (parse_version(v), parse_version(bv)) {
                                (Some(want), Some(have)) => want.0 == have.0 && want <= have,
                                _ => false,
                            }
                    })
            };
            if !satisfied(&name, &version) {
                let alt_ok = p.get("alternatives").map(|a| match &a.kind {
                    NodeKind::Seq(v) => v.iter().any(|x| {
                        match (
                            x.get("name").and_then(|n| n.as_str()),
                            x.get("version").and_then(|n| n.as_str()),
                        ) {
                            (Some(n), Some(v)) => satisfied(n, v),
                            (Some(n), None) => satisfied(n, "0.0.0"),
                            _ => false,
                        }
                    }),
                    _ => false,
                });
                if alt_ok != Some(true) {
                    let have = BUILTIN_PLUGINS.iter().find(|(bn, _)| *bn == name);
                    let msg = match have {
                        Some((_, bv)) => format!("Plugin '{name}' version '{bv}' is not compatible with required plugin version '{version}'"),
                        None => format!("Plugin '{name}' is not loaded: required version {version} is not satisfied"),
                    };
                    return fail(ErrorCode::Validate, msg, &pctx);
                }
            }
            self.required_plugins.push((name, version));
        }
        Ok(())
    }
}

/// The plugins built into this engine, besides the container plugin's fields (any version),
/// and the version of each whose fields and behaviour it provides: the k8saudit plugin's
/// `k8s_audit` source and fields, the json plugin's fields.
pub const BUILTIN_PLUGINS: &[(&str, &str)] = &[("k8saudit", "0.18.0"), ("json", "0.7.4")];

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
