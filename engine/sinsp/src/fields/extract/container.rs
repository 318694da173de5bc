//! `container.*` and `k8s.*` fields: the thread's container id and type from its cgroups,
//! everything else from the runtime's metadata when the cache has it, with the values Falco
//! 0.44's container plugin gives (libsinsp's `container` checks moved into that plugin).

use std::collections::BTreeMap;

use falco_rules::field::{FieldArg, Value};

use super::EventContext;
use crate::fields::table::{ContainerField as C, K8sField as K};
use crate::state::container::ContainerInfo;

impl EventContext<'_> {
    pub(super) fn extract_container(
        &mut self,
        f: C,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let Some(t) = self.th else {
            // A capture's `container` event has no thread: its fields are the container it
            // describes, as the container plugin answers for it.
            return match self.st.container() {
                Some(c) => self.container_value(c, f, arg, sink),
                None => false,
            };
        };
        let on_host = t.container_id.is_empty() || t.container_id == "host";
        // The start time comes from the kernel (the PID namespace's init), not the runtime.
        match f {
            C::StartTs if t.pidns_init_start_ts != 0 => {
                sink(Value::Uint(t.pidns_init_start_ts));
                return true;
            }
            C::Duration if t.pidns_init_start_ts != 0 => {
                let now = self.meta.ts;
                sink(Value::Uint(now.saturating_sub(t.pidns_init_start_ts)));
                return true;
            }
            C::StartTs | C::Duration => return false,
            _ => {}
        }
        let info = if t.container_id == "host" {
            Some(host_info())
        } else if on_host {
            None
        } else {
            self.st.container()
        };
        let Some(c) = info else {
            match f {
                C::Id => sink(Value::Str(t.container_id.as_bytes())),
                // libsinsp answers `host` for threads outside containers.
                C::Name if on_host => sink(Value::Str(b"host")),
                // Before the runtime answers, only what the cgroups say.
                C::Type if !on_host => sink(Value::Str(t.container_type.as_bytes())),
                _ => return false,
            }
            return true;
        };
        self.container_value(c, f, arg, sink)
    }

    /// Field `f` of the runtime's metadata `c`.
    fn container_value(
        &mut self,
        c: &ContainerInfo,
        f: C,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let s = |v: &str, sink: &mut dyn FnMut(Value<'_>)| sink(Value::Str(v.as_bytes()));
        match f {
            C::Id => s(&c.id, sink),
            C::FullId => s(&c.full_id, sink),
            C::Name => s(&c.name, sink),
            C::Image => s(&c.image, sink),
            C::ImageId => s(&c.image_id, sink),
            C::ImageRepository => s(&c.image_repo, sink),
            C::ImageTag => s(&c.image_tag, sink),
            C::ImageDigest => s(&c.image_digest, sink),
            // The host entry has no type, as libsinsp's host threads had none.
            C::Type if c.kind.is_empty() => return false,
            C::Type => s(&c.kind, sink),
            C::Privileged => sink(Value::Bool(c.privileged)),
            C::HostPid => sink(Value::Bool(c.host_pid)),
            C::HostNetwork => sink(Value::Bool(c.host_network)),
            C::HostIpc => sink(Value::Bool(c.host_ipc)),
            C::IpAddr => s(&c.ip, sink),
            C::CniJson => s(&c.cni_json, sink),
            C::Mounts => {
                let text: Vec<String> = c.mounts.iter().map(|m| m.to_text()).collect();
                return self.str_out(sink, |b| b.extend_from_slice(text.join(",").as_bytes()));
            }
            C::Mount
            | C::MountSource
            | C::MountDest
            | C::MountMode
            | C::MountRdwr
            | C::MountPropagation => {
                let (index, key) = match arg {
                    Some(FieldArg::Index(i)) => (usize::try_from(*i).ok().or(Some(usize::MAX)), ""),
                    Some(FieldArg::Key(k)) => (None, k.as_str()),
                    None => return false,
                };
                // The source is looked up by destination, every other part by source.
                let Some(m) = c.mount(index, key, f == C::MountSource) else {
                    // The plugin sets no value for a missing mount.
                    return false;
                };
                let v = match f {
                    C::Mount => m.to_text(),
                    C::MountSource => m.source.clone(),
                    C::MountDest => m.dest.clone(),
                    C::MountMode => m.mode.clone(),
                    C::MountRdwr => (if m.rw { "true" } else { "false" }).to_string(),
                    _ => m.propagation.clone(),
                };
                return self.str_out(sink, |b| b.extend_from_slice(v.as_bytes()));
            }
            C::Label => {
                let Some(FieldArg::Key(k)) = arg else {
                    return false;
                };
                match c.label(k) {
                    Some(v) => s(v, sink),
                    None => return false,
                }
            }
            C::Labels => {
                let text = join_labels(&c.labels);
                return self.str_out(sink, |b| b.extend_from_slice(text.as_bytes()));
            }
            // Deprecated in the plugin: never a value.
            C::Healthcheck | C::LivenessProbe | C::ReadinessProbe => return false,
            C::StartTs | C::Duration => return false,
        }
        true
    }

    pub(super) fn extract_k8s(
        &mut self,
        f: K,
        arg: Option<&FieldArg>,
        sink: &mut dyn FnMut(Value<'_>),
    ) -> bool {
        let c = match self.th {
            // A capture's `container` event: the pod of the container it describes.
            None => match self.st.container() {
                Some(c) => c,
                None => return false,
            },
            Some(t) if t.container_id == "host" => host_info(),
            Some(t) if t.container_id.is_empty() => return false,
            Some(_) => match self.st.container() {
                Some(c) => c,
                None => return false,
            },
        };
        let label = |k: &str| c.label(k);
        let v: Option<String> = match f {
            K::PodName => label("io.kubernetes.pod.name").map(str::to_string),
            K::NsName => label("io.kubernetes.pod.namespace").map(str::to_string),
            K::PodId | K::PodUid => label("io.kubernetes.pod.uid").map(str::to_string),
            K::PodSandboxId => Some(short_id(&c.pod_sandbox_id).to_string()),
            K::PodFullSandboxId => Some(c.pod_sandbox_id.clone()),
            K::PodLabel => match arg {
                Some(FieldArg::Key(k)) => c.pod_sandbox_labels.get(k).cloned(),
                _ => None,
            },
            K::PodLabels => Some(join_labels(&c.pod_sandbox_labels)),
            // Only a pod has them (the plugin reads them from the sandbox's entry).
            K::PodIp if !c.pod_sandbox_id.is_empty() => Some(c.ip.clone()),
            K::PodCniJson if !c.pod_sandbox_id.is_empty() => Some(c.cni_json.clone()),
            // Deprecated in the plugin (the k8smeta plugin's job): never a value.
            _ => None,
        };
        match v {
            Some(v) => self.str_out(sink, |b| b.extend_from_slice(v.as_bytes())),
            None => false,
        }
    }
}

/// The entry the container plugin keeps for the host: named `host`, every other value
/// empty, so `container.image.repository` reads `""` (not `<NA>`) on the host.
fn host_info() -> &'static ContainerInfo {
    static HOST: std::sync::OnceLock<ContainerInfo> = std::sync::OnceLock::new();
    HOST.get_or_init(|| ContainerInfo {
        id: "host".into(),
        full_id: "host".into(),
        name: "host".into(),
        ..ContainerInfo::default()
    })
}

fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// `k1:v1, k2` in key order, without annotations and Kubernetes' own labels, as the plugin
/// joins `container.labels` and `k8s.pod.labels`.
fn join_labels(labels: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (k, v) in labels {
        if k.starts_with("annotation.") || k.starts_with("io.kubernetes.") {
            continue;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(k);
        if !v.is_empty() {
            out.push(':');
            out.push_str(v);
        }
    }
    out
}
