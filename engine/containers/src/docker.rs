//! Docker Engine API client (Docker, and Podman through its Docker-compatible socket), and
//! the plugin's mapping of an inspect answer to [`ContainerInfo`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use bollard::models::{ContainerInspectResponse, EventMessageTypeEnum, ImageInspect};
use bollard::query_parameters::{EventsOptions, InspectContainerOptions, ListContainersOptions};
use bollard::Docker;
use falco_sinsp::state::container::{ContainerInfo, ContainerMount};
use futures_util::{Stream, StreamExt};

use crate::RuntimeError;

/// Labels longer than this are left out, as the plugin's default `label_max_len`.
pub const LABEL_MAX_LEN: usize = 100;

/// A connected Docker-API runtime.
#[derive(Clone, Debug)]
pub struct DockerClient {
    docker: Docker,
    kind: &'static str,
    timeout: Duration,
}

/// What a runtime's event stream says about a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Created, started or renamed: inspect it again.
    Updated(String),
    /// Exited or removed: forget it.
    Gone(String),
}

impl DockerClient {
    /// Connects to the socket `path` and agrees on an API version; `kind` is the
    /// `container.type` its containers get (`docker` or `podman`).
    pub async fn connect(
        path: &Path,
        kind: &'static str,
        timeout: Duration,
    ) -> Result<DockerClient, RuntimeError> {
        let p = path
            .to_str()
            .ok_or_else(|| RuntimeError::Io(format!("{}: not UTF-8", path.display())))?;
        let docker =
            Docker::connect_with_unix(p, timeout.as_secs().max(1), bollard::API_DEFAULT_VERSION)
                .map_err(|e| RuntimeError::Io(e.to_string()))?;
        let docker = tokio::time::timeout(timeout, docker.negotiate_version())
            .await
            .map_err(|_| RuntimeError::Timeout)?
            .map_err(|e| RuntimeError::Io(e.to_string()))?;
        Ok(DockerClient {
            docker,
            kind,
            timeout,
        })
    }

    /// The container `id` (short or full), `None` when the runtime does not know it.
    pub async fn inspect(&self, id: &str) -> Result<Option<ContainerInfo>, RuntimeError> {
        let r = tokio::time::timeout(
            self.timeout,
            self.docker
                .inspect_container(id, None::<InspectContainerOptions>),
        )
        .await
        .map_err(|_| RuntimeError::Timeout)?;
        let ctr = match r {
            Ok(c) => c,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(None),
            Err(e) => return Err(RuntimeError::Io(e.to_string())),
        };
        let image = match ctr.image.as_deref() {
            Some(img) if !img.is_empty() => {
                tokio::time::timeout(self.timeout, self.docker.inspect_image(img))
                    .await
                    .ok()
                    .and_then(Result::ok)
            }
            _ => None,
        };
        Ok(Some(to_info(self.kind, &ctr, image.as_ref())))
    }

    /// Every container the runtime has, inspected.
    pub async fn list(&self) -> Result<Vec<ContainerInfo>, RuntimeError> {
        let opts = ListContainersOptions {
            all: true,
            ..Default::default()
        };
        let list = tokio::time::timeout(self.timeout, self.docker.list_containers(Some(opts)))
            .await
            .map_err(|_| RuntimeError::Timeout)?
            .map_err(|e| RuntimeError::Io(e.to_string()))?;
        let mut out = Vec::with_capacity(list.len());
        for c in list {
            let Some(id) = c.id else { continue };
            if let Some(info) = self.inspect(&id).await? {
                out.push(info);
            }
        }
        Ok(out)
    }

    /// The runtime's container events, from now on, as [`Change`]s.
    pub fn changes(&self) -> impl Stream<Item = Result<Change, RuntimeError>> + Send + 'static {
        let mut filters = HashMap::new();
        filters.insert("type".to_string(), vec!["container".to_string()]);
        let opts = EventsOptions {
            filters: Some(filters),
            ..Default::default()
        };
        self.docker.events(Some(opts)).filter_map(|m| async move {
            let m = match m {
                Ok(m) => m,
                Err(e) => return Some(Err(RuntimeError::Io(e.to_string()))),
            };
            if m.typ.is_some_and(|t| t != EventMessageTypeEnum::CONTAINER) {
                return None;
            }
            let id = m.actor.and_then(|a| a.id)?;
            let short = short_id(&id).to_string();
            match m.action.as_deref()? {
                "create" | "start" | "rename" | "restart" | "unpause" => {
                    Some(Ok(Change::Updated(short)))
                }
                "die" | "destroy" | "remove" | "died" => Some(Ok(Change::Gone(short))),
                _ => None,
            }
        })
    }
}

/// The first 12 characters of an id.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The plugin's `ctrToInfo` for the Docker API: name without its `/`, image as created,
/// repository and tag from the image's repo digests and tags (`repo:tag` split once on
/// `:`), image id from the `sha256:` id.
pub fn to_info(
    kind: &'static str,
    ctr: &ContainerInspectResponse,
    img: Option<&ImageInspect>,
) -> ContainerInfo {
    let full_id = ctr.id.clone().unwrap_or_default();
    let name = ctr
        .name
        .as_deref()
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    let cfg = ctr.config.as_ref();
    let host = ctr.host_config.as_ref();

    let (mut repo, mut tag, mut digest) = (String::new(), String::new(), String::new());
    if let Some(img) = img {
        let mut digests = Vec::new();
        for rd in img.repo_digests.iter().flatten() {
            let parts: Vec<&str> = rd.split('@').collect();
            if parts.len() != 2 {
                continue;
            }
            if repo.is_empty() {
                repo = parts[0].to_string();
            }
            digests.push(parts[1].to_string());
            if rd.contains(repo.as_str()) {
                digest = parts[1].to_string();
                break;
            }
        }
        if digest.is_empty() && digests.len() == 1 {
            digest = digests.remove(0);
        }
        for rt in img.repo_tags.iter().flatten() {
            let parts: Vec<&str> = rt.split(':').collect();
            if parts.len() != 2 {
                continue;
            }
            if repo.is_empty() {
                repo = parts[0].to_string();
            }
            if rt.contains(repo.as_str()) {
                tag = parts[1].to_string();
                break;
            }
        }
    }
    let img_ref = ctr.image.as_deref().unwrap_or("");
    let image_id = if !img_ref.contains('/') && img_ref.contains(':') {
        img_ref.split(':').nth(1).unwrap_or("").to_string()
    } else {
        String::new()
    };

    let labels: BTreeMap<String, String> = cfg
        .and_then(|c| c.labels.as_ref())
        .map(|l| {
            l.iter()
                .filter(|(_, v)| v.len() <= LABEL_MAX_LEN)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mounts = ctr
        .mounts
        .iter()
        .flatten()
        .map(|m| ContainerMount {
            source: m.source.clone().unwrap_or_default(),
            dest: m.destination.clone().unwrap_or_default(),
            mode: m.mode.clone().unwrap_or_default(),
            rw: m.rw.unwrap_or(false),
            propagation: m.propagation.clone().unwrap_or_default(),
        })
        .collect();
    let ip = ctr
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .and_then(|n| {
            let mut v: Vec<(&String, &bollard::models::EndpointSettings)> = n.iter().collect();
            v.sort_by(|a, b| a.0.cmp(b.0));
            v.into_iter()
                .filter_map(|(_, e)| e.ip_address.clone())
                .find(|ip| !ip.is_empty())
        })
        .unwrap_or_default();
    let is_host = |m: Option<&String>| m.is_some_and(|m| m == "host");
    ContainerInfo {
        id: short_id(&full_id).to_string(),
        full_id: full_id.clone(),
        kind: kind.to_string(),
        is_pod_sandbox: name.contains("k8s_POD"),
        name,
        image: cfg.and_then(|c| c.image.clone()).unwrap_or_default(),
        image_id,
        image_repo: repo,
        image_tag: tag,
        image_digest: digest,
        privileged: host.and_then(|h| h.privileged).unwrap_or(false),
        host_pid: is_host(host.and_then(|h| h.pid_mode.as_ref())),
        host_network: is_host(host.and_then(|h| h.network_mode.as_ref())),
        host_ipc: is_host(host.and_then(|h| h.ipc_mode.as_ref())),
        mounts,
        ip,
        cni_json: String::new(),
        labels,
        pod_sandbox_id: String::new(),
        pod_sandbox_labels: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctr(json: &str) -> ContainerInspectResponse {
        serde_json::from_str(json).expect("inspect JSON")
    }

    #[test]
    fn maps_an_inspect_answer_as_the_plugin_does() {
        let c = ctr(r#"{"Id":"4ddc780f08dad5f0a7508a137f6f27038fb344a50015e9df03161fb49162a2b5","Name":"/web",
            "Image":"sha256:f46bfb7ecbef7454864e0cbcfe1ba0893bd57a0b24839598c6bb1ae62b4fee13",
            "Config":{"Image":"nginx:1.25","Labels":{"app":"web","long":"LONG"}},
            "HostConfig":{"Privileged":true,"PidMode":"host","NetworkMode":"bridge","IpcMode":"private"},
            "Mounts":[{"Source":"/srv","Destination":"/usr/share/nginx","Mode":"ro","RW":false,"Propagation":"rprivate"}],
            "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.2"}}}}"#
            .replace("LONG", &"x".repeat(LABEL_MAX_LEN + 1))
            .as_str());
        let img: ImageInspect = serde_json::from_str(
            r#"{"RepoTags":["nginx:1.25"],"RepoDigests":["nginx@sha256:0123"]}"#,
        )
        .unwrap();
        let i = to_info("docker", &c, Some(&img));
        assert_eq!(i.id, "4ddc780f08da");
        assert_eq!(i.name, "web");
        assert_eq!(i.image, "nginx:1.25");
        assert_eq!(
            (i.image_repo.as_str(), i.image_tag.as_str()),
            ("nginx", "1.25")
        );
        assert_eq!(i.image_digest, "sha256:0123");
        assert_eq!(
            i.image_id,
            "f46bfb7ecbef7454864e0cbcfe1ba0893bd57a0b24839598c6bb1ae62b4fee13"
        );
        assert!(i.privileged && i.host_pid && !i.host_network && !i.host_ipc);
        assert_eq!(i.ip, "172.17.0.2");
        assert_eq!(
            i.mounts[0].to_text(),
            "/srv:/usr/share/nginx:ro:false:rprivate"
        );
        assert_eq!(i.label("app"), Some("web"));
        assert_eq!(
            i.label("long"),
            None,
            "labels past label_max_len are left out"
        );
    }

    #[test]
    fn a_registry_port_leaves_repository_and_tag_to_the_digest_or_empty() {
        // `host:5000/x:1` splits into three parts on `:`: the plugin skips such tags.
        let c = ctr(
            r#"{"Id":"aaaaaaaaaaaabbbb","Name":"/x","Image":"sha256:ab","Config":{"Image":"host:5000/x:1"}}"#,
        );
        let img: ImageInspect =
            serde_json::from_str(r#"{"RepoTags":["host:5000/x:1"],"RepoDigests":[]}"#).unwrap();
        let i = to_info("podman", &c, Some(&img));
        assert_eq!((i.image_repo.as_str(), i.image_tag.as_str()), ("", ""));
        assert_eq!(i.image, "host:5000/x:1");
        assert_eq!(i.kind, "podman");
    }
}
