//! A container's metadata as captures carry it: the JSON of libsinsp's container manager
//! (`{"container": {...}}`), the payload of the `container` events (`PPME_CONTAINER_JSON_E`,
//! `PPME_CONTAINER_JSON_2_E`) that sysdig and Falco write into captures and that Falco 0.44's
//! container plugin still reads back. Keys and the numeric `type` follow that format.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::container::{ContainerInfo, ContainerMount};

/// Largest JSON accepted from a capture: a runtime's answer is a few KB; this bounds a
/// corrupt or hostile event's cost.
pub const MAX_JSON: usize = 1 << 20;

/// libsinsp's `sinsp_container_type` for each runtime type name we use.
const TYPES: &[(u16, &str)] = &[
    (0, "docker"),
    (1, "lxc"),
    (2, "libvirt-lxc"),
    (3, "mesos"),
    (4, "rkt"),
    (5, "custom"),
    (6, "cri"),
    (7, "containerd"),
    (8, "cri-o"),
    (9, "bpm"),
    (10, "static"),
    (11, "podman"),
];

/// The type name of libsinsp's numeric container type (`""` for an unknown one).
pub fn type_name(t: u64) -> &'static str {
    TYPES
        .iter()
        .find(|(n, _)| u64::from(*n) == t)
        .map(|(_, s)| *s)
        .unwrap_or("")
}

fn type_number(name: &str) -> u16 {
    TYPES
        .iter()
        .find(|(_, s)| *s == name)
        .map(|(n, _)| *n)
        .unwrap_or(0xffff)
}

/// Why a container event's JSON was not used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError(pub String);

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "container JSON: {}", self.0)
    }
}

impl std::error::Error for JsonError {}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Parses the payload of a `container` event (a trailing NUL is allowed). Missing keys
/// leave their default, as the plugin's reader does; a payload that is not a JSON object
/// with a `container` object, or has no `id`, is an error.
///
/// # Errors
/// Oversized, not JSON, or not a container description.
pub fn parse(payload: &[u8]) -> Result<ContainerInfo, JsonError> {
    let text = payload.strip_suffix(b"\0").unwrap_or(payload);
    if text.len() > MAX_JSON {
        return Err(JsonError(format!("{} bytes, over {MAX_JSON}", text.len())));
    }
    let v: Value = serde_json::from_slice(text).map_err(|e| JsonError(e.to_string()))?;
    let c = v
        .get("container")
        .and_then(Value::as_object)
        .ok_or_else(|| JsonError("no `container` object".into()))?;
    let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let b = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
    let id = s("id");
    if id.is_empty() {
        return Err(JsonError("no container id".into()));
    }
    let mounts = c
        .get("Mounts")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|m| {
                    let ms = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    ContainerMount {
                        source: ms("Source"),
                        dest: ms("Destination"),
                        mode: ms("Mode"),
                        rw: m.get("RW").and_then(Value::as_bool).unwrap_or(false),
                        propagation: ms("Propagation"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ContainerInfo {
        full_id: s("full_id"),
        kind: type_name(c.get("type").and_then(Value::as_u64).unwrap_or(0xffff)).to_string(),
        name: s("name"),
        image: s("image"),
        image_id: s("imageid"),
        image_repo: s("imagerepo"),
        image_tag: s("imagetag"),
        image_digest: s("imagedigest"),
        privileged: b("privileged"),
        host_pid: b("host_pid"),
        host_network: b("host_network"),
        host_ipc: b("host_ipc"),
        mounts,
        ip: s("ip"),
        cni_json: s("cni_json"),
        labels: string_map(c.get("labels")),
        pod_sandbox_id: s("pod_sandbox_id"),
        pod_sandbox_labels: string_map(c.get("pod_sandbox_labels")),
        is_pod_sandbox: b("is_pod_sandbox"),
        id,
    })
}

/// The JSON a `container` event carries for `c`, keyed as libsinsp's container manager and
/// the container plugin write it (`lookup_state` 1: the lookup succeeded).
pub fn to_json(c: &ContainerInfo) -> String {
    let mounts: Vec<Value> = c
        .mounts
        .iter()
        .map(|m| {
            json!({
                "Source": m.source,
                "Destination": m.dest,
                "Mode": m.mode,
                "RW": m.rw,
                "Propagation": m.propagation,
            })
        })
        .collect();
    let map = |m: &BTreeMap<String, String>| -> Value {
        Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<Map<String, Value>>(),
        )
    };
    json!({
        "container": {
            "type": type_number(&c.kind),
            "id": c.id,
            "full_id": c.full_id,
            "name": c.name,
            "image": c.image,
            "imageid": c.image_id,
            "imagerepo": c.image_repo,
            "imagetag": c.image_tag,
            "imagedigest": c.image_digest,
            "privileged": c.privileged,
            "host_pid": c.host_pid,
            "host_network": c.host_network,
            "host_ipc": c.host_ipc,
            "Mounts": mounts,
            "ip": c.ip,
            "cni_json": c.cni_json,
            "labels": map(&c.labels),
            "pod_sandbox_id": c.pod_sandbox_id,
            "pod_sandbox_labels": map(&c.pod_sandbox_labels),
            "is_pod_sandbox": c.is_pod_sandbox,
            "port_mappings": [],
            "env": [],
            "lookup_state": 1,
            "metadata_deadline": 0,
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payload of the container event in Falco's 2019 `psp/privileged.scap`.
    const SYSDIG_2019: &str = r#"{"container":{"Mounts":[],"cpu_period":100000,"cpu_quota":0,"cpu_shares":1024,"env":[],"id":"9dbcbd0c435f","image":"nginx:latest","imagedigest":"sha256:96fb261b66270b900ea5a2c17a26abbfabe95506e73c3a3c65869a6dbe83223a","imageid":"f68d6e55e06520f152403e6d96d0de5c9790a89b4cfc99f4626f68146fa1dbdc","imagerepo":"nginx","imagetag":"latest","ip":"172.17.0.2","is_pod_sandbox":false,"labels":{"maintainer":"NGINX Docker Maintainers <docker-maint@nginx.com>"},"memory_limit":0,"metadata_deadline":0,"name":"epic_cray","port_mappings":[],"privileged":true,"swap_limit":0,"type":0}}"#;

    #[test]
    fn reads_sysdigs_2019_payload() {
        let mut p = SYSDIG_2019.as_bytes().to_vec();
        p.push(0);
        let c = parse(&p).unwrap();
        assert_eq!(c.id, "9dbcbd0c435f");
        assert_eq!(c.name, "epic_cray");
        assert_eq!(c.kind, "docker");
        assert_eq!(c.image, "nginx:latest");
        assert_eq!(c.image_repo, "nginx");
        assert_eq!(c.image_tag, "latest");
        assert!(c.privileged);
        assert_eq!(c.ip, "172.17.0.2");
        assert_eq!(
            c.label("maintainer"),
            Some("NGINX Docker Maintainers <docker-maint@nginx.com>")
        );
    }

    #[test]
    fn round_trips_what_the_runtimes_give() {
        let mut c = ContainerInfo {
            id: "0123456789ab".into(),
            full_id: "0123456789ab".repeat(5) + "cdef",
            kind: "containerd".into(),
            name: "nginx".into(),
            image: "localhost/fcri:3.0".into(),
            image_repo: "localhost/fcri".into(),
            image_tag: "3.0".into(),
            privileged: true,
            host_network: true,
            pod_sandbox_id: "ab".repeat(32),
            mounts: vec![ContainerMount {
                source: "/var/run".into(),
                dest: "/host/run".into(),
                mode: String::new(),
                rw: true,
                propagation: "rprivate".into(),
            }],
            ..ContainerInfo::default()
        };
        c.labels
            .insert("io.kubernetes.pod.name".into(), "web-7d9f".into());
        c.pod_sandbox_labels.insert("app".into(), "web".into());
        assert_eq!(parse(to_json(&c).as_bytes()).unwrap(), c);
        for kind in ["docker", "podman", "cri-o", "cri"] {
            let k = ContainerInfo {
                kind: kind.into(),
                ..c.clone()
            };
            assert_eq!(parse(to_json(&k).as_bytes()).unwrap().kind, kind);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"\0",
            b"{",
            b"[]",
            b"{\"container\": 3}",
            b"{\"container\": {}}",
            b"{\"container\": {\"id\": 5}}",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let big = vec![b' '; MAX_JSON + 1];
        assert!(parse(&big).is_err());
    }
}
