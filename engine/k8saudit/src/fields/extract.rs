//! Field extraction with the plugins' semantics: lists walk every element of the arrays on
//! their path (an index argument picks one), missing values are no value, non-string values
//! print as compact JSON.

use super::AuditFields;
use crate::json::Json;
use falco_rules::field::FieldArg;
use std::borrow::Cow;

type Values<'e> = Option<Vec<Cow<'e, str>>>;

/// The container lists of a pod spec that have the `ka.req.pod.<list>.*` fields.
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

fn one(v: &Json) -> Cow<'_, str> {
    match v {
        Json::Str(s) => Cow::Borrowed(s.as_str()),
        other => Cow::Owned(other.text()),
    }
}

/// The index argument, if any.
fn index(arg: Option<&FieldArg>) -> Option<usize> {
    match arg {
        Some(FieldArg::Index(i)) => usize::try_from(*i).ok().or(Some(usize::MAX)),
        _ => None,
    }
}

fn key(arg: Option<&FieldArg>) -> &str {
    match arg {
        Some(FieldArg::Key(k)) => k,
        _ => "",
    }
}

/// The plugin's `getValuesRecursive`: follows `keys`; an array met on the way is walked
/// element by element (an element lacking the rest of the path gives `None`), or, with an
/// index, only that element. `Err(())` when the path is not there.
#[allow(clippy::result_unit_err)]
pub fn walk<'e>(
    mut v: &'e Json,
    idx: Option<usize>,
    keys: &[&str],
) -> Result<Vec<Option<&'e Json>>, ()> {
    for (i, k) in keys.iter().enumerate() {
        if let Json::Array(items) = v {
            match idx {
                None => {
                    let mut out = Vec::new();
                    for item in items {
                        match walk(item, idx, &keys[i..]) {
                            Ok(vals) => out.extend(vals),
                            Err(()) => out.push(None),
                        }
                    }
                    return Ok(out);
                }
                Some(n) => v = items.get(n).ok_or(())?,
            }
        }
        if !k.is_empty() {
            v = v.get(k).ok_or(())?;
        }
    }
    Ok(vec![Some(v)])
}

/// The non-missing values as text (`arrayAsStringsSkipNil`).
fn texts<'e>(vals: Vec<Option<&'e Json>>) -> Vec<Cow<'e, str>> {
    vals.into_iter().flatten().map(one).collect()
}

/// The plugin's `extractFromKeys` for a scalar field.
fn scalar<'e>(ev: &'e Json, keys: &[&str]) -> Values<'e> {
    ev.path(keys).map(|v| vec![one(v)])
}

/// The plugin's `extractFromKeys` for a list field: the value must be an array.
fn list<'e>(ev: &'e Json, keys: &[&str]) -> Values<'e> {
    let items = ev.path(keys)?.as_array()?;
    Some(items.iter().map(one).collect())
}

/// Numeric generic fields.
pub fn number(f: &AuditFields<'_>, name: &str) -> Option<u64> {
    match name {
        "evt.num" => Some(f.num),
        "evt.rawtime" => Some(f.event.ts_ns),
        _ => None,
    }
}

/// The values of field `name` with argument `arg` for the event of `f`.
pub fn values<'e>(f: &AuditFields<'e>, name: &str, arg: Option<&FieldArg>) -> Values<'e> {
    let ev = &f.event.json;
    if let Some(rest) = name.strip_prefix("json.").or(name.strip_prefix("jevt.")) {
        return json_field(f, rest, arg);
    }
    if let Some(rest) = name.strip_prefix("evt.") {
        return evt_field(f, rest);
    }
    // The plugin ignores JSON that is not an audit event.
    ev.get("auditID")?;
    for list_name in CONTAINER_LISTS {
        if let Some(field) = name
            .strip_prefix("ka.req.pod.")
            .and_then(|r| r.strip_prefix(list_name))
            .and_then(|r| r.strip_prefix('.'))
        {
            return container_field(ev, list_name, field, index(arg));
        }
    }
    let idx = index(arg);
    match name {
        "ka.auditid" => scalar(ev, &["auditID"]),
        "ka.stage" => scalar(ev, &["stage"]),
        "ka.auth.decision" => scalar(ev, &["annotations", "authorization.k8s.io/decision"]),
        "ka.auth.reason" => scalar(ev, &["annotations", "authorization.k8s.io/reason"]),
        "ka.auth.openshift.decision" => {
            scalar(ev, &["annotations", "authentication.openshift.io/decision"])
        }
        "ka.auth.openshift.username" => {
            scalar(ev, &["annotations", "authentication.openshift.io/username"])
        }
        "ka.validations.admission.policy.failure" => scalar(
            ev,
            &[
                "annotations",
                "validation.policy.admission.k8s.io/validation_failure",
            ],
        ),
        "ka.security.pod.violations" => scalar(
            ev,
            &["annotations", "pod-security.kubernetes.io/audit-violations"],
        ),
        "ka.user.name" => scalar(ev, &["user", "username"]),
        "ka.user.groups" => list(ev, &["user", "groups"]),
        "ka.impuser.name" => scalar(ev, &["impersonatedUser", "username"]),
        "ka.verb" => scalar(ev, &["verb"]),
        "ka.uri" => scalar(ev, &["requestURI"]),
        "ka.uri.param" => {
            let uri = ev.get("requestURI")?.as_str()?;
            uri_param(uri, key(arg)).map(|v| vec![Cow::Owned(v)])
        }
        "ka.target.name" | "ka.req.configmap.name" => scalar(ev, &["objectRef", "name"]),
        "ka.target.namespace" => scalar(ev, &["objectRef", "namespace"]),
        "ka.target.resource" => scalar(ev, &["objectRef", "resource"]),
        "ka.target.subresource" => scalar(ev, &["objectRef", "subresource"]),
        "ka.target.pod.name" => {
            let r = ev.path(&["objectRef", "resource"]).and_then(Json::as_str);
            let sub = ev
                .path(&["objectRef", "subresource"])
                .and_then(Json::as_str)
                .unwrap_or("");
            if r == Some("pods") && sub.is_empty() {
                scalar(ev, &["responseObject", "metadata", "name"])
            } else {
                None
            }
        }
        "ka.req.binding.subjects" => list(ev, &["requestObject", "subjects"]),
        "ka.req.binding.subjects.user_names" => subject_names(ev, "User", false),
        "ka.req.binding.subjects.serviceaccount_names" => {
            subject_names(ev, "ServiceAccount", false)
        }
        "ka.req.binding.subjects.serviceaccount_ns_names" => {
            subject_names(ev, "ServiceAccount", true)
        }
        "ka.req.binding.subjects.group_names" => subject_names(ev, "Group", false),
        "ka.req.binding.role" => scalar(ev, &["requestObject", "roleRef", "name"]),
        // Documented as N/A, but the original implementation (and the plugin) say true.
        "ka.req.binding.subject.has_name" => Some(vec![Cow::Borrowed("true")]),
        "ka.req.configmap.obj" => scalar(ev, &["requestObject", "data"]),
        "ka.req.container.image" => {
            let images = container_field(ev, "containers", "image", Some(0))?;
            images.into_iter().next().map(|v| vec![v])
        }
        "ka.req.container.image.repository" => {
            let repos = container_field(ev, "containers", "image.repository", Some(0))?;
            repos.into_iter().next().map(|v| vec![v])
        }
        "ka.req.pod.host_ipc" => scalar(ev, &["requestObject", "spec", "hostIPC"]),
        "ka.req.pod.host_network" | "ka.req.container.host_network" => {
            scalar(ev, &["requestObject", "spec", "hostNetwork"])
        }
        "ka.req.pod.host_pid" => scalar(ev, &["requestObject", "spec", "hostPID"]),
        "ka.req.container.privileged" => {
            let vals = walk(
                ev,
                None,
                &[
                    "requestObject",
                    "spec",
                    "containers",
                    "securityContext",
                    "privileged",
                ],
            )
            .ok()?;
            let any = vals.into_iter().flatten().any(|v| *v == Json::Bool(true));
            Some(vec![Cow::Borrowed(if any { "true" } else { "false" })])
        }
        "ka.req.pod.run_as_user" => scalar(
            ev,
            &["requestObject", "spec", "securityContext", "runAsUser"],
        ),
        "ka.req.pod.run_as_group" => scalar(
            ev,
            &["requestObject", "spec", "securityContext", "runAsGroup"],
        ),
        "ka.req.role.rules" => list(ev, &["requestObject", "rules"]),
        "ka.req.role.rules.apiGroups" => rules_field(ev, idx, "apiGroups"),
        "ka.req.role.rules.nonResourceURLs" => rules_field(ev, idx, "nonResourceURLs"),
        "ka.req.role.rules.verbs" => rules_field(ev, idx, "verbs"),
        "ka.req.role.rules.resources" => rules_field(ev, idx, "resources"),
        "ka.req.pod.fs_group" => {
            scalar(ev, &["requestObject", "spec", "securityContext", "fsGroup"])
        }
        "ka.req.pod.supplemental_groups" => list(
            ev,
            &[
                "requestObject",
                "spec",
                "securityContext",
                "supplementalGroups",
            ],
        ),
        "ka.req.service.type" => scalar(ev, &["requestObject", "spec", "type"]),
        "ka.req.service.ports" => {
            let vals = walk(ev, idx, &["requestObject", "spec", "ports"]).ok()?;
            Some(texts(vals))
        }
        "ka.req.pod.volumes.hostpath" => {
            let vals = walk(
                ev,
                idx,
                &["requestObject", "spec", "volumes", "hostPath", "path"],
            )
            .ok()?;
            Some(texts(vals))
        }
        "ka.req.volume.hostpath" => {
            let vals = walk(
                ev,
                None,
                &["requestObject", "spec", "volumes", "hostPath", "path"],
            )
            .ok()?;
            let want = key(arg);
            let hit = texts(vals).iter().any(|p| match want.strip_suffix('*') {
                Some(prefix) => p.starts_with(prefix),
                None => p == want,
            });
            Some(vec![Cow::Borrowed(if hit { "true" } else { "false" })])
        }
        "ka.req.pod.volumes.flexvolume_driver" => {
            let vals = walk(
                ev,
                idx,
                &["requestObject", "spec", "volumes", "flexVolume", "driver"],
            )
            .ok()?;
            Some(texts(vals))
        }
        "ka.req.pod.volumes.volume_type" => {
            let vals = walk(ev, idx, &["requestObject", "spec", "volumes", ""]).ok()?;
            let mut out = Vec::new();
            for v in vals.into_iter().flatten() {
                if let Json::Object(members) = v {
                    out.extend(
                        members
                            .iter()
                            .filter(|(k, _)| k != "name")
                            .map(|(k, _)| Cow::Borrowed(k.as_str())),
                    );
                }
            }
            Some(out)
        }
        "ka.resp.name" => scalar(ev, &["responseObject", "metadata", "name"]),
        "ka.response.code" => scalar(ev, &["responseStatus", "code"]),
        "ka.response.reason" => scalar(ev, &["responseStatus", "reason"]),
        "ka.useragent" => scalar(ev, &["userAgent"]),
        // The plugin reads `requestObject.rules[].sourceIPs` here (a slip: never there);
        // the client addresses are the event's top-level `sourceIPs`.
        "ka.sourceips" => {
            let vals = walk(ev, idx, &["sourceIPs"]).ok()?;
            let mut out = Vec::new();
            for v in vals.into_iter().flatten() {
                match v {
                    Json::Array(items) => out.extend(items.iter().map(one)),
                    other => out.push(one(other)),
                }
            }
            Some(out)
        }
        "ka.cluster.name" => scalar(ev, &["annotations", "cluster_name"]),
        _ => None,
    }
}

/// `ka.req.role.rules.<key>`: the items of `requestObject.rules[].<key>`, flattened.
fn rules_field<'e>(ev: &'e Json, idx: Option<usize>, key: &str) -> Values<'e> {
    let vals = walk(ev, idx, &["requestObject", "rules", key]).ok()?;
    let mut out = Vec::new();
    for v in vals.into_iter().flatten() {
        if let Json::Array(items) = v {
            out.extend(items.iter().map(one));
        }
    }
    Some(out)
}

/// The names of the binding's subjects of `kind` (`namespace:name` for `ns`).
fn subject_names<'e>(ev: &'e Json, kind: &str, ns: bool) -> Values<'e> {
    let Some(subjects) = ev.path(&["requestObject", "subjects"]) else {
        return Some(Vec::new());
    };
    let items = subjects.as_array()?;
    let mut out = Vec::new();
    for s in items {
        let (Some(k), Some(name)) = (s.get("kind"), s.get("name")) else {
            continue;
        };
        if one(k) != kind {
            continue;
        }
        if ns {
            let Some(namespace) = s.get("namespace") else {
                continue;
            };
            out.push(Cow::Owned(format!("{}:{}", one(namespace), one(name))));
        } else {
            out.push(one(name));
        }
    }
    Some(out)
}

/// `ka.req.pod.<list>.<field>`.
fn container_field<'e>(ev: &'e Json, list: &str, field: &str, idx: Option<usize>) -> Values<'e> {
    let get = |sub: &[&str]| {
        let mut keys = vec!["requestObject", "spec", list];
        keys.extend_from_slice(sub);
        walk(ev, idx, &keys).ok()
    };
    let sc = |k: &'static str| get(&["securityContext", k]).map(texts);
    match field {
        "name" | "image" => {
            let vals = get(&[field])?;
            // A container without a name or image makes the whole field unavailable.
            vals.into_iter().map(|v| v.map(one)).collect()
        }
        "image.repository" => {
            let images = container_field(ev, list, "image", idx)?;
            Some(
                images
                    .into_iter()
                    .map(|img| {
                        let repo = img.split(':').next().unwrap_or("");
                        Cow::Owned(repo.split('@').next().unwrap_or("").to_string())
                    })
                    .collect(),
            )
        }
        "command" | "args" => {
            let vals = get(&[field])?;
            let mut out = Vec::new();
            for v in vals.into_iter().flatten() {
                let parts: Option<Vec<&str>> = v.as_array()?.iter().map(Json::as_str).collect();
                out.push(Cow::Owned(parts?.join(" ")));
            }
            (!out.is_empty()).then_some(out)
        }
        "host_port" => {
            let vals = get(&["ports"])?;
            let mut out = Vec::new();
            for ports in vals.into_iter().flatten() {
                for p in ports.as_array()? {
                    if let Some(v) = p.get("hostPort").or_else(|| p.get("containerPort")) {
                        out.push(one(v));
                    }
                }
            }
            Some(out)
        }
        "privileged" => sc("privileged"),
        "allow_privilege_escalation" => sc("allowPrivilegeEscalation"),
        "read_only_fs" => sc("readOnlyRootFilesystem"),
        "run_as_user" => sc("runAsUser"),
        "run_as_group" => sc("runAsGroup"),
        "proc_mount" => sc("procMount"),
        "add_capabilities" => get(&["securityContext", "capabilities", "add"]).map(|vals| {
            let mut out = Vec::new();
            for v in vals.into_iter().flatten() {
                match v {
                    Json::Array(items) => out.extend(items.iter().map(one)),
                    other => out.push(one(other)),
                }
            }
            out
        }),
        // The container's own security context, else the pod's, else 0 (the field's
        // documented meaning; the plugin reads `spec.runAsUser` and the containers' top
        // level, where Kubernetes puts neither).
        "eff_run_as_user" | "eff_run_as_group" => {
            let k = if field == "eff_run_as_user" {
                "runAsUser"
            } else {
                "runAsGroup"
            };
            let pod = ev
                .path(&["requestObject", "spec", "securityContext", k])
                .map(one)
                .unwrap_or(Cow::Borrowed("0"));
            let all = ev.path(&["requestObject", "spec", list])?.as_array()?;
            let chosen: Vec<&Json> = match idx {
                None => all.iter().collect(),
                Some(n) => vec![all.get(n)?],
            };
            let out = chosen
                .into_iter()
                .map(|c| {
                    c.path(&["securityContext", k])
                        .map(one)
                        .unwrap_or_else(|| pod.clone())
                })
                .collect();
            Some(out)
        }
        _ => None,
    }
}

/// `json.*` / `jevt.*`.
fn json_field<'e>(f: &AuditFields<'e>, field: &str, arg: Option<&FieldArg>) -> Values<'e> {
    let ev = &f.event.json;
    match field {
        "value" => {
            let ptr = key(arg);
            if ptr.is_empty() {
                return Some(vec![Cow::Owned(ev.text())]);
            }
            let ptr = ptr.strip_prefix('/').unwrap_or(ptr);
            let mut v = ev;
            for part in ptr.split('/') {
                let part = part.replace("~1", "/").replace("~0", "~");
                v = v.get(&part)?;
            }
            Some(vec![one(v)])
        }
        "obj" => Some(vec![Cow::Owned(ev.indented())]),
        "rawtime" => Some(vec![Cow::Owned(f.event.ts_ns.to_string())]),
        _ => None,
    }
}

/// The generic text fields of a plugin event.
fn evt_field<'e>(f: &AuditFields<'e>, field: &str) -> Values<'e> {
    match field {
        "source" => Some(vec![Cow::Borrowed(super::SOURCE)]),
        "pluginname" => Some(vec![Cow::Borrowed("k8saudit")]),
        "plugininfo" => Some(vec![Cow::Owned(f.event.json.text())]),
        "time" | "time.s" | "time.iso8601" | "datetime" => {
            Some(vec![Cow::Owned(f.event.ts_ns.to_string())])
        }
        _ => None,
    }
}

/// The first value of query parameter `name` in `uri` (percent-decoded, `+` as space).
fn uri_param(uri: &str, name: &str) -> Option<String> {
    let query = uri.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or("");
    for pair in query.split(['&', ';']) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if unescape(k)? == name {
            return unescape(v);
        }
    }
    None
}

fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}
