//! CRI client (containerd, CRI-O): the few `runtime.v1.RuntimeService` calls metadata needs,
//! over the runtime's unix socket. The messages are declared here with the field numbers of
//! the CRI API's `api.proto` (only the fields read), so the build needs no `protoc`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use falco_sinsp::state::container::{ContainerInfo, ContainerMount};
use hyper_util::rt::TokioIo;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};

use crate::docker::{short_id, LABEL_MAX_LEN};
use crate::RuntimeError;

/// `runtime.v1` messages, the fields read and their numbers.
#[allow(missing_docs)]
pub mod proto {
    use std::collections::HashMap;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct VersionRequest {
        #[prost(string, tag = "1")]
        pub version: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct VersionResponse {
        #[prost(string, tag = "1")]
        pub version: String,
        #[prost(string, tag = "2")]
        pub runtime_name: String,
        #[prost(string, tag = "3")]
        pub runtime_version: String,
        #[prost(string, tag = "4")]
        pub runtime_api_version: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerFilter {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(string, tag = "3")]
        pub pod_sandbox_id: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListContainersRequest {
        #[prost(message, optional, tag = "1")]
        pub filter: Option<ContainerFilter>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerMetadata {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(uint32, tag = "2")]
        pub attempt: u32,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ImageSpec {
        #[prost(string, tag = "1")]
        pub image: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Container {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(string, tag = "2")]
        pub pod_sandbox_id: String,
        #[prost(message, optional, tag = "3")]
        pub metadata: Option<ContainerMetadata>,
        #[prost(message, optional, tag = "4")]
        pub image: Option<ImageSpec>,
        #[prost(string, tag = "5")]
        pub image_ref: String,
        #[prost(int32, tag = "6")]
        pub state: i32,
        #[prost(int64, tag = "7")]
        pub created_at: i64,
        #[prost(map = "string, string", tag = "8")]
        pub labels: HashMap<String, String>,
        #[prost(string, tag = "10")]
        pub image_id: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListContainersResponse {
        #[prost(message, repeated, tag = "1")]
        pub containers: Vec<Container>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStatusRequest {
        #[prost(string, tag = "1")]
        pub container_id: String,
        #[prost(bool, tag = "2")]
        pub verbose: bool,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Mount {
        #[prost(string, tag = "1")]
        pub container_path: String,
        #[prost(string, tag = "2")]
        pub host_path: String,
        #[prost(bool, tag = "3")]
        pub readonly: bool,
        #[prost(int32, tag = "5")]
        pub propagation: i32,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStatus {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(message, optional, tag = "2")]
        pub metadata: Option<ContainerMetadata>,
        #[prost(int32, tag = "3")]
        pub state: i32,
        #[prost(int64, tag = "4")]
        pub created_at: i64,
        #[prost(message, optional, tag = "8")]
        pub image: Option<ImageSpec>,
        #[prost(string, tag = "9")]
        pub image_ref: String,
        #[prost(map = "string, string", tag = "12")]
        pub labels: HashMap<String, String>,
        #[prost(map = "string, string", tag = "13")]
        pub annotations: HashMap<String, String>,
        #[prost(message, repeated, tag = "14")]
        pub mounts: Vec<Mount>,
        #[prost(string, tag = "17")]
        pub image_id: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStatusResponse {
        #[prost(message, optional, tag = "1")]
        pub status: Option<ContainerStatus>,
        #[prost(map = "string, string", tag = "2")]
        pub info: HashMap<String, String>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatusRequest {
        #[prost(string, tag = "1")]
        pub pod_sandbox_id: String,
        #[prost(bool, tag = "2")]
        pub verbose: bool,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxMetadata {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub uid: String,
        #[prost(string, tag = "3")]
        pub namespace: String,
        #[prost(uint32, tag = "4")]
        pub attempt: u32,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxNetworkStatus {
        #[prost(string, tag = "1")]
        pub ip: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamespaceOption {
        #[prost(int32, tag = "1")]
        pub network: i32,
        #[prost(int32, tag = "2")]
        pub pid: i32,
        #[prost(int32, tag = "3")]
        pub ipc: i32,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Namespace {
        #[prost(message, optional, tag = "2")]
        pub options: Option<NamespaceOption>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LinuxPodSandboxStatus {
        #[prost(message, optional, tag = "1")]
        pub namespaces: Option<Namespace>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatus {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(message, optional, tag = "2")]
        pub metadata: Option<PodSandboxMetadata>,
        #[prost(int32, tag = "3")]
        pub state: i32,
        #[prost(message, optional, tag = "5")]
        pub network: Option<PodSandboxNetworkStatus>,
        #[prost(message, optional, tag = "6")]
        pub linux: Option<LinuxPodSandboxStatus>,
        #[prost(map = "string, string", tag = "7")]
        pub labels: HashMap<String, String>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatusResponse {
        #[prost(message, optional, tag = "1")]
        pub status: Option<PodSandboxStatus>,
        #[prost(map = "string, string", tag = "2")]
        pub info: HashMap<String, String>,
    }
}

/// `NamespaceMode.NODE`: the pod shares the host's namespace.
const NAMESPACE_NODE: i32 = 2;
/// `ContainerState.CONTAINER_RUNNING`.
pub const CONTAINER_RUNNING: i32 = 1;

/// A connected CRI runtime.
#[derive(Clone, Debug)]
pub struct CriClient {
    grpc: tonic::client::Grpc<Channel>,
    /// `containerd`, `cri-o` or `cri`, from the runtime's name.
    kind: &'static str,
    timeout: Duration,
}

impl CriClient {
    /// Connects to the socket `path` and asks the runtime's name.
    pub async fn connect(path: &Path, timeout: Duration) -> Result<CriClient, RuntimeError> {
        let path: PathBuf = path.to_path_buf();
        // The URI is required by the API and ignored: the connector dials the socket.
        let ep = Endpoint::from_static("http://localhost")
            .connect_timeout(timeout)
            .timeout(timeout);
        let channel = tokio::time::timeout(
            timeout,
            ep.connect_with_connector(tower::service_fn(move |_| {
                let path = path.clone();
                async move {
                    let s = tokio::net::UnixStream::connect(path).await?;
                    Ok::<_, std::io::Error>(TokioIo::new(s))
                }
            })),
        )
        .await
        .map_err(|_| RuntimeError::Timeout)?
        .map_err(|e| RuntimeError::Io(format!("{e:?}")))?;
        let mut c = CriClient {
            grpc: tonic::client::Grpc::new(channel),
            kind: "cri",
            timeout,
        };
        let v: proto::VersionResponse = c
            .call(
                "Version",
                proto::VersionRequest {
                    version: "v1".into(),
                },
            )
            .await?;
        c.kind = match v.runtime_name.as_str() {
            "containerd" => "containerd",
            "cri-o" => "cri-o",
            _ => "cri",
        };
        Ok(c)
    }

    /// The `container.type` of this runtime's containers.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    async fn call<Q, R>(&self, method: &'static str, req: Q) -> Result<R, RuntimeError>
    where
        Q: prost::Message + Send + Sync + 'static,
        R: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = self.grpc.clone();
        let path = PathAndQuery::from_maybe_shared(format!("/runtime.v1.RuntimeService/{method}"))
            .map_err(|e| RuntimeError::Io(e.to_string()))?;
        let fut = async move {
            grpc.ready()
                .await
                .map_err(|e| RuntimeError::Io(e.to_string()))?;
            grpc.unary(
                tonic::Request::new(req),
                path,
                tonic_prost::ProstCodec::default(),
            )
            .await
            .map(tonic::Response::into_inner)
            .map_err(RuntimeError::from)
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| RuntimeError::Timeout)?
    }

    /// Every container (sandboxes are looked up when a process in one shows up).
    pub async fn list_ids(&self) -> Result<Vec<(String, i32)>, RuntimeError> {
        let r: proto::ListContainersResponse = self
            .call(
                "ListContainers",
                proto::ListContainersRequest { filter: None },
            )
            .await?;
        Ok(r.containers.into_iter().map(|c| (c.id, c.state)).collect())
    }

    /// The container (or pod sandbox) `id`, `None` when the runtime does not know it.
    pub async fn inspect(&self, id: &str) -> Result<Option<ContainerInfo>, RuntimeError> {
        let filter = proto::ContainerFilter {
            id: id.to_string(),
            pod_sandbox_id: String::new(),
        };
        let list: proto::ListContainersResponse = self
            .call(
                "ListContainers",
                proto::ListContainersRequest {
                    filter: Some(filter),
                },
            )
            .await?;
        let Some(ctr) = list.containers.into_iter().next() else {
            return self.inspect_sandbox(id).await;
        };
        let st: proto::ContainerStatusResponse = match self
            .call(
                "ContainerStatus",
                proto::ContainerStatusRequest {
                    container_id: ctr.id.clone(),
                    verbose: true,
                },
            )
            .await
        {
            Ok(s) => s,
            Err(RuntimeError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(status) = st.status else {
            return Ok(None);
        };
        let (pod, cni) = match self.sandbox_status(&ctr.pod_sandbox_id).await {
            Ok(Some((p, cni))) => (Some(p), cni),
            Ok(None) | Err(RuntimeError::NotFound) => (None, String::new()),
            Err(e) => return Err(e),
        };
        let mut info = to_info(self.kind, &status, &st.info, pod.as_ref(), false);
        info.cni_json = cni;
        Ok(Some(info))
    }

    async fn sandbox_status(
        &self,
        id: &str,
    ) -> Result<Option<(proto::PodSandboxStatus, String)>, RuntimeError> {
        if id.is_empty() {
            return Ok(None);
        }
        let r: proto::PodSandboxStatusResponse = self
            .call(
                "PodSandboxStatus",
                proto::PodSandboxStatusRequest {
                    pod_sandbox_id: id.to_string(),
                    // Verbose: the `info` JSON carries the pod's CNI result.
                    verbose: true,
                },
            )
            .await?;
        let cni = r.info.get("info").map(|s| cni_json(s)).unwrap_or_default();
        Ok(r.status.map(|st| (st, cni)))
    }

    /// A pod sandbox's own processes (the pause container) carry the sandbox id.
    async fn inspect_sandbox(&self, id: &str) -> Result<Option<ContainerInfo>, RuntimeError> {
        let (pod, cni) = match self.sandbox_status(id).await {
            Ok(Some(p)) => p,
            Ok(None) | Err(RuntimeError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let status = proto::ContainerStatus {
            id: pod.id.clone(),
            metadata: pod.metadata.as_ref().map(|m| proto::ContainerMetadata {
                name: m.name.clone(),
                attempt: m.attempt,
            }),
            ..Default::default()
        };
        let mut info = to_info(self.kind, &status, &HashMap::new(), Some(&pod), true);
        info.cni_json = cni;
        Ok(Some(info))
    }
}

/// The plugin's CRI `ctrToInfo`: image name, repository and tag from the image spec and
/// `image_ref` (`host/image@sha256:digest` or `sha256:digest`), the pod's identity added to
/// the labels, the pod's labels and network beside them.
pub fn to_info(
    kind: &'static str,
    ctr: &proto::ContainerStatus,
    info: &HashMap<String, String>,
    pod: Option<&proto::PodSandboxStatus>,
    is_sandbox: bool,
) -> ContainerInfo {
    let verbose = info
        .get("info")
        .map(|s| VerboseInfo::parse(s))
        .unwrap_or_default();
    let mounts = ctr
        .mounts
        .iter()
        .map(|m| ContainerMount {
            source: m.host_path.clone(),
            dest: m.container_path.clone(),
            mode: String::new(),
            rw: !m.readonly,
            propagation: match m.propagation {
                0 => "private",
                1 => "rslave",
                2 => "rshared",
                _ => "unknown",
            }
            .to_string(),
        })
        .collect();

    let mut image_name = ctr
        .image
        .as_ref()
        .map(|i| i.image.clone())
        .unwrap_or_default();
    let image_ref = ctr.image_ref.as_str();
    let mut digest = String::new();
    let mut tag_from_image = false;
    match image_ref.find("sha256:") {
        Some(0) => digest = image_ref.to_string(),
        Some(i) if image_ref.as_bytes().get(i.wrapping_sub(1)) == Some(&b'@') => {
            image_name = image_ref[..i - 1].to_string();
            digest = image_ref[i..].to_string();
            tag_from_image = true;
        }
        _ => {}
    }
    if image_name.is_empty() || image_name.starts_with("sha256") {
        let ann = [
            "io.kubernetes.cri.image-name",
            "io.kubernetes.cri-o.Image",
            "io.kubernetes.cri-o.ImageName",
        ]
        .iter()
        .find_map(|k| verbose.annotations.get(*k));
        if let Some(v) = ann {
            image_name = v.clone();
            tag_from_image = false;
        }
    }
    let parts: Vec<&str> = image_name.split(':').collect();
    let repo = parts.first().copied().unwrap_or("").to_string();
    let mut tag = if parts.len() == 2 {
        parts[1].to_string()
    } else {
        String::new()
    };
    if tag_from_image {
        let spec = ctr.image.as_ref().map(|i| i.image.as_str()).unwrap_or("");
        let p: Vec<&str> = spec.split(':').collect();
        if p.len() == 2 {
            tag = p[1].to_string();
            image_name = format!("{image_name}:{tag}");
        }
    }
    let image_id = match verbose.image.split(':').collect::<Vec<_>>().as_slice() {
        [_, id] => id.to_string(),
        _ if !verbose.image.is_empty() => verbose.image.clone(),
        _ => ctr.image_id.clone(),
    };

    let mut labels: BTreeMap<String, String> = ctr
        .labels
        .iter()
        .filter(|(_, v)| v.len() <= LABEL_MAX_LEN)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let sandbox_id = pod.map(|p| p.id.clone()).unwrap_or_else(|| ctr.id.clone());
    labels.insert("io.kubernetes.sandbox.id".into(), sandbox_id.clone());
    if let Some(m) = pod.and_then(|p| p.metadata.as_ref()) {
        labels.insert("io.kubernetes.pod.uid".into(), m.uid.clone());
        labels.insert("io.kubernetes.pod.name".into(), m.name.clone());
        labels.insert("io.kubernetes.pod.namespace".into(), m.namespace.clone());
    }
    let pod_labels = pod
        .map(|p| {
            p.labels
                .iter()
                .filter(|(_, v)| v.len() <= LABEL_MAX_LEN)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let ns = pod
        .and_then(|p| p.linux.as_ref())
        .and_then(|l| l.namespaces.as_ref())
        .and_then(|n| n.options.clone())
        .unwrap_or_default();
    ContainerInfo {
        id: short_id(&ctr.id).to_string(),
        full_id: ctr.id.clone(),
        kind: kind.to_string(),
        name: ctr
            .metadata
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        image: image_name,
        image_id,
        image_repo: repo,
        image_tag: tag,
        image_digest: digest,
        privileged: verbose.privileged,
        host_pid: ns.pid == NAMESPACE_NODE,
        host_network: ns.network == NAMESPACE_NODE,
        host_ipc: ns.ipc == NAMESPACE_NODE,
        mounts,
        ip: pod
            .and_then(|p| p.network.as_ref())
            .map(|n| n.ip.clone())
            .unwrap_or_default(),
        cni_json: String::new(),
        labels,
        pod_sandbox_id: sandbox_id,
        pod_sandbox_labels: pod_labels,
        is_pod_sandbox: is_sandbox,
    }
}

/// libsinsp's bound on `container.cni.json` (`MAX_CNIRESULT_LENGTH`).
const MAX_CNI_JSON: usize = 4096;

/// `container.cni.json` / `k8s.pod.cni.json` from a pod sandbox's verbose `info` JSON, as
/// libsinsp's CRI client derives it: containerd's `cniResult.Interfaces` without the
/// loopback and the host-side `veth*` ends, each interface without its `Mac` and `Sandbox`,
/// written compactly with sorted keys (JsonCpp's FastWriter); else CRI-O's
/// `io.kubernetes.cri-o.CNIResult` annotation as it stands; cut at 4096 bytes.
pub fn cni_json(info: &str) -> String {
    let Ok(root) = serde_json::from_str::<serde_json::Value>(info) else {
        return String::new();
    };
    let mut out = match root.pointer("/cniResult/Interfaces") {
        Some(serde_json::Value::Object(ifaces)) => {
            let kept: std::collections::BTreeMap<&String, serde_json::Value> = ifaces
                .iter()
                .filter(|(name, _)| name.as_str() != "lo" && !name.starts_with("veth"))
                .map(|(name, v)| {
                    let mut v = v.clone();
                    if let Some(o) = v.as_object_mut() {
                        o.remove("Mac");
                        o.remove("Sandbox");
                    }
                    (name, sorted(v))
                })
                .collect();
            serde_json::to_string(&kept).unwrap_or_default()
        }
        Some(v) if !v.is_null() => serde_json::to_string(&sorted(v.clone())).unwrap_or_default(),
        _ => root
            .pointer("/runtimeSpec/annotations/io.kubernetes.cri-o.CNIResult")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    if out.ends_with('\n') {
        out.pop();
    }
    if out.len() > MAX_CNI_JSON {
        let mut end = MAX_CNI_JSON;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out
}

/// The value with every object's keys in sorted order, whatever order serde_json keeps.
fn sorted(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(o) => {
            let mut pairs: Vec<(String, serde_json::Value)> =
                o.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(pairs.into_iter().collect())
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

/// What the verbose `info` JSON adds: privileged, the image id the container was created
/// from, the runtime spec's annotations.
#[derive(Debug, Default)]
struct VerboseInfo {
    privileged: bool,
    image: String,
    annotations: HashMap<String, String>,
}

impl VerboseInfo {
    fn parse(s: &str) -> VerboseInfo {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(s) else {
            return VerboseInfo::default();
        };
        let b = |p: &str| v.pointer(p).and_then(serde_json::Value::as_bool);
        let privileged = b("/runtimeSpec/linux/security_context/privileged")
            .or_else(|| b("/config/linux/security_context/privileged"))
            .or_else(|| b("/privileged"))
            .unwrap_or(false);
        let image = v
            .pointer("/config/image/image")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string();
        let annotations = v
            .pointer("/runtimeSpec/annotations")
            .and_then(serde_json::Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        VerboseInfo {
            privileged,
            image,
            annotations,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cni_json_keeps_the_pod_interfaces_without_loopback_veth_mac_and_sandbox() {
        // The shape of containerd's verbose PodSandboxStatus info with a bridge CNI.
        let info = r#"{"pid": 42, "cniResult": {"Interfaces": {
            "lo": {"IPConfigs": [{"IP": "127.0.0.1", "Gateway": ""}], "Mac": "00:00:00:00:00:00", "Sandbox": "/var/run/netns/x"},
            "veth1a2b": {"IPConfigs": null, "Mac": "aa:bb:cc:dd:ee:ff", "Sandbox": ""},
            "eth0": {"Sandbox": "/var/run/netns/x", "Mac": "12:34:56:78:9a:bc", "IPConfigs": [{"IP": "10.244.0.7", "Gateway": "10.244.0.1"}]}
        }, "DNS": [{}], "Routes": null}}"#;
        assert_eq!(
            super::cni_json(info),
            r#"{"eth0":{"IPConfigs":[{"Gateway":"10.244.0.1","IP":"10.244.0.7"}]}}"#
        );
        // CRI-O: the annotation as it stands.
        let crio = r#"{"runtimeSpec": {"annotations": {"io.kubernetes.cri-o.CNIResult": "{\"cniVersion\":\"1.0.0\"}"}}}"#;
        assert_eq!(super::cni_json(crio), r#"{"cniVersion":"1.0.0"}"#);
        // No CNI result (host network), or not JSON: empty, never a panic.
        assert_eq!(super::cni_json(r#"{"pid": 1}"#), "");
        assert_eq!(super::cni_json("not json"), "");
        // Bounded.
        let huge = format!(
            r#"{{"cniResult": {{"Interfaces": {{"eth0": {{"x": "{}"}}}}}}}}"#,
            "é".repeat(5000)
        );
        let out = super::cni_json(&huge);
        assert!(out.len() <= 4096 && out.starts_with(r#"{"eth0":"#));
    }

    use super::*;

    fn status(image: &str, image_ref: &str) -> proto::ContainerStatus {
        proto::ContainerStatus {
            id: "ea457cc8202bb5684ddd4a2845ad7450ad48fb01448da5172790dcc4641757b9".into(),
            metadata: Some(proto::ContainerMetadata {
                name: "falco".into(),
                attempt: 0,
            }),
            image: Some(proto::ImageSpec {
                image: image.into(),
            }),
            image_ref: image_ref.into(),
            ..Default::default()
        }
    }

    #[test]
    fn image_name_tag_and_digest_from_image_ref() {
        let s = status(
            "docker.io/falcosecurity/falco:latest",
            "docker.io/falcosecurity/falco@sha256:8d06",
        );
        let i = to_info("containerd", &s, &HashMap::new(), None, false);
        assert_eq!(i.id, "ea457cc8202b");
        assert_eq!(i.name, "falco");
        assert_eq!(i.image, "docker.io/falcosecurity/falco:latest");
        assert_eq!(i.image_repo, "docker.io/falcosecurity/falco");
        assert_eq!(i.image_tag, "latest");
        assert_eq!(i.image_digest, "sha256:8d06");
        // Without a pod the sandbox is the container itself.
        assert_eq!(i.pod_sandbox_id, s.id);
    }

    #[test]
    fn an_image_by_id_takes_its_name_from_the_runtime_spec_annotation() {
        let s = status("sha256:4d04", "sha256:4d04");
        let info: HashMap<String, String> = [(
            "info".to_string(),
            r#"{"privileged":true,"config":{"image":{"image":"sha256:4d04"}},"runtimeSpec":{"annotations":{"io.kubernetes.cri.image-name":"localhost/app:2.1"}}}"#.to_string(),
        )]
        .into();
        let pod = proto::PodSandboxStatus {
            id: "e16577158fb2003bc4d0".into(),
            metadata: Some(proto::PodSandboxMetadata {
                name: "falco-9bzbj".into(),
                uid: "u-1".into(),
                namespace: "default".into(),
                attempt: 0,
            }),
            labels: [("app".to_string(), "falco".to_string())].into(),
            network: Some(proto::PodSandboxNetworkStatus {
                ip: "10.0.0.7".into(),
            }),
            ..Default::default()
        };
        let i = to_info("containerd", &s, &info, Some(&pod), false);
        assert_eq!(i.image, "localhost/app:2.1");
        assert_eq!(
            (i.image_repo.as_str(), i.image_tag.as_str()),
            ("localhost/app", "2.1")
        );
        assert_eq!(i.image_digest, "sha256:4d04");
        assert_eq!(i.image_id, "4d04");
        assert!(i.privileged);
        assert_eq!(i.label("io.kubernetes.pod.name"), Some("falco-9bzbj"));
        assert_eq!(i.label("io.kubernetes.pod.namespace"), Some("default"));
        assert_eq!(
            i.pod_sandbox_labels.get("app").map(String::as_str),
            Some("falco")
        );
        assert_eq!(i.ip, "10.0.0.7");
    }
}
