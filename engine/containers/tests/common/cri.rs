//! What kubelet does through CRI, for the tests: a pod sandbox with the labels kubelet sets
//! and a container in it (k8s-cri's generated client, over the runtime's unix socket).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hyper_util::rt::TokioIo;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::*;
use tonic::transport::{Channel, Endpoint};

pub struct Kubelet {
    client: RuntimeServiceClient<Channel>,
    rt: tokio::runtime::Runtime,
}

/// What to create: the pod's identity and labels, its container's name and image.
#[derive(Clone, Copy)]
pub struct PodSpec<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub uid: &'a str,
    pub labels: &'a [(&'a str, &'a str)],
    pub container: &'a str,
    pub image: &'a str,
}

/// A pod and its container, as created.
pub struct Pod {
    pub sandbox_id: String,
    pub container_id: String,
    pub name: String,
    pub namespace: String,
    pub uid: String,
}

impl Kubelet {
    pub fn connect(sock: &Path) -> Kubelet {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let path: PathBuf = sock.to_path_buf();
        let channel = rt
            .block_on(
                Endpoint::from_static("http://localhost").connect_with_connector(
                    tower::service_fn(move |_| {
                        let p = path.clone();
                        async move {
                            Ok::<_, std::io::Error>(TokioIo::new(
                                tokio::net::UnixStream::connect(p).await?,
                            ))
                        }
                    }),
                ),
            )
            .expect("connect to the CRI socket");
        Kubelet {
            client: RuntimeServiceClient::new(channel),
            rt,
        }
    }

    /// A host-network pod `name` in `namespace` with `labels`, and one container `ctr_name`
    /// from `image` running `sleep`, started.
    pub fn run_pod(&mut self, spec: &PodSpec<'_>, log_dir: &Path) -> Pod {
        let PodSpec {
            name,
            namespace,
            uid,
            labels,
            container: ctr_name,
            image,
        } = *spec;
        let mut pod_labels: HashMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // What kubelet adds to every sandbox.
        pod_labels.insert("io.kubernetes.pod.name".into(), name.into());
        pod_labels.insert("io.kubernetes.pod.namespace".into(), namespace.into());
        pod_labels.insert("io.kubernetes.pod.uid".into(), uid.into());
        let sandbox_config = PodSandboxConfig {
            metadata: Some(PodSandboxMetadata {
                name: name.into(),
                uid: uid.into(),
                namespace: namespace.into(),
                attempt: 0,
            }),
            // Host-network pods have the host's name (kubelet sets none).
            log_directory: log_dir.display().to_string(),
            labels: pod_labels,
            linux: Some(LinuxPodSandboxConfig {
                // Where kubelet's cgroupfs driver puts a best-effort pod.
                cgroup_parent: format!("/kubepods/besteffort/pod{uid}"),
                security_context: Some(LinuxSandboxSecurityContext {
                    namespace_options: Some(NamespaceOption {
                        network: NamespaceMode::Node as i32,
                        pid: NamespaceMode::Pod as i32,
                        ipc: NamespaceMode::Pod as i32,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let sandbox_id = self
            .rt
            .block_on(self.client.run_pod_sandbox(RunPodSandboxRequest {
                config: Some(sandbox_config.clone()),
                runtime_handler: String::new(),
            }))
            .expect("RunPodSandbox")
            .into_inner()
            .pod_sandbox_id;
        let mut ctr_labels = HashMap::new();
        // What kubelet sets on every container.
        ctr_labels.insert(
            "io.kubernetes.container.name".to_string(),
            ctr_name.to_string(),
        );
        ctr_labels.insert("io.kubernetes.pod.name".to_string(), name.to_string());
        ctr_labels.insert(
            "io.kubernetes.pod.namespace".to_string(),
            namespace.to_string(),
        );
        ctr_labels.insert("io.kubernetes.pod.uid".to_string(), uid.to_string());
        let config = ContainerConfig {
            metadata: Some(ContainerMetadata {
                name: ctr_name.into(),
                attempt: 0,
            }),
            image: Some(ImageSpec {
                image: image.into(),
                ..Default::default()
            }),
            command: vec!["/bin/sleep".into(), "100000".into()],
            labels: ctr_labels,
            log_path: format!("{ctr_name}.log"),
            ..Default::default()
        };
        let container_id = self
            .rt
            .block_on(self.client.create_container(CreateContainerRequest {
                pod_sandbox_id: sandbox_id.clone(),
                config: Some(config),
                sandbox_config: Some(sandbox_config),
            }))
            .expect("CreateContainer")
            .into_inner()
            .container_id;
        self.rt
            .block_on(self.client.start_container(StartContainerRequest {
                container_id: container_id.clone(),
            }))
            .expect("StartContainer");
        Pod {
            sandbox_id,
            container_id,
            name: name.into(),
            namespace: namespace.into(),
            uid: uid.into(),
        }
    }

    /// ContainerStatus as the runtime answers it (what `crictl inspect` shows).
    pub fn status(&mut self, id: &str) -> ContainerStatus {
        self.rt
            .block_on(self.client.container_status(ContainerStatusRequest {
                container_id: id.into(),
                verbose: false,
            }))
            .expect("ContainerStatus")
            .into_inner()
            .status
            .expect("a status")
    }

    /// Stops and removes the pod and its containers.
    pub fn remove_pod(&mut self, sandbox_id: &str) {
        let _ = self
            .rt
            .block_on(self.client.stop_pod_sandbox(StopPodSandboxRequest {
                pod_sandbox_id: sandbox_id.into(),
            }));
        let _ = self
            .rt
            .block_on(self.client.remove_pod_sandbox(RemovePodSandboxRequest {
                pod_sandbox_id: sandbox_id.into(),
            }));
    }
}
