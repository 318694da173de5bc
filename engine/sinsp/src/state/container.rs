//! Container ids from cgroup paths, the way libsinsp's container engines match them
//! (docker, containerd/CRI, CRI-O, podman, libpod and systemd scopes).

/// Container id (12 hex characters) and runtime type found in one cgroup path.
pub fn container_from_cgroup(path: &str) -> Option<(String, &'static str)> {
    // Walk the path components from the deepest: the container's own cgroup is the last one
    // that carries an id.
    for comp in path.rsplit('/') {
        if let Some(found) = match_component(comp) {
            return Some(found);
        }
    }
    None
}

/// Container id and type from a thread's cgroups (the first subsystem with a match).
pub fn container_from_cgroups<'a>(
    cgroups: impl IntoIterator<Item = &'a str>,
) -> Option<(String, &'static str)> {
    cgroups.into_iter().find_map(container_from_cgroup)
}

fn is_hex_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

fn short(id: &str) -> String {
    id[..12].to_string()
}

fn match_component(comp: &str) -> Option<(String, &'static str)> {
    // Plain `/docker/<64 hex>` or a cgroupfs CRI path `/kubepods/.../<64 hex>`.
    if is_hex_id(comp) {
        return Some((short(comp), "docker"));
    }
    let comp = comp.strip_suffix(".scope").unwrap_or(comp);
    const PREFIXES: &[(&str, &str)] = &[
        ("docker-", "docker"),
        ("cri-containerd-", "containerd"),
        ("crio-", "cri-o"),
        ("libpod-", "podman"),
    ];
    for (prefix, kind) in PREFIXES {
        if let Some(id) = comp.strip_prefix(prefix) {
            // `libpod-conmon-<id>` is the monitor, not the container.
            if is_hex_id(id) {
                return Some((short(id), kind));
            }
        }
    }
    None
}

/// One mount of a container, as the runtime reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerMount {
    /// Host path.
    pub source: String,
    /// Path in the container.
    pub dest: String,
    /// Mount mode (`z`, `ro`, ... as the runtime says; empty for CRI).
    pub mode: String,
    /// Writable.
    pub rw: bool,
    /// Propagation (`rprivate`, `rslave`, ...).
    pub propagation: String,
}

impl ContainerMount {
    /// `source:dest:mode:rdrw:propagation`, the container plugin's text of a mount.
    pub fn to_text(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.source,
            self.dest,
            self.mode,
            if self.rw { "true" } else { "false" },
            self.propagation
        )
    }
}

/// What a container runtime says about one container: the values of the `container.*`
/// and `k8s.*` fields, as Falco 0.44's container plugin derives them from the same answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerInfo {
    /// Short id (12 characters), the key the cgroups give.
    pub id: String,
    /// Full id.
    pub full_id: String,
    /// Runtime type (`docker`, `podman`, `containerd`, `cri-o`, `cri`).
    pub kind: String,
    /// Name.
    pub name: String,
    /// Image as the container was created from it.
    pub image: String,
    /// Image id.
    pub image_id: String,
    /// Image repository.
    pub image_repo: String,
    /// Image tag.
    pub image_tag: String,
    /// Image registry digest.
    pub image_digest: String,
    /// Privileged container.
    pub privileged: bool,
    /// Shares the host PID namespace.
    pub host_pid: bool,
    /// Shares the host network namespace.
    pub host_network: bool,
    /// Shares the host IPC namespace.
    pub host_ipc: bool,
    /// Mounts in the runtime's order.
    pub mounts: Vec<ContainerMount>,
    /// Primary IPv4 address.
    pub ip: String,
    /// The pod's CNI result (CRI).
    pub cni_json: String,
    /// Container labels (for CRI, with the pod's `io.kubernetes.*` identity added).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Full pod sandbox id (CRI).
    pub pod_sandbox_id: String,
    /// Pod labels (CRI).
    pub pod_sandbox_labels: std::collections::BTreeMap<String, String>,
    /// This container is a pod sandbox.
    pub is_pod_sandbox: bool,
}

impl ContainerInfo {
    /// A label, `""`-less: `None` when absent.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    /// The mount at `index`, or the first whose `by_dest` (destination when true, else
    /// source) matches `key` (a glob with `*`).
    pub fn mount(&self, index: Option<usize>, key: &str, by_dest: bool) -> Option<&ContainerMount> {
        if let Some(i) = index {
            return self.mounts.get(i);
        }
        self.mounts.iter().find(|m| {
            let v = if by_dest { &m.dest } else { &m.source };
            glob_match(key.as_bytes(), v.as_bytes())
        })
    }
}

/// `*` and `?` glob over bytes (fnmatch without classes), iterative with one backtrack point.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[i]) {
            p += 1;
            i += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// Where container metadata comes from: a cache filled off the event path (the
/// `falco-containers` crate). The state asks it once per event of a containerized thread and
/// never waits for it.
pub trait ContainerMetadata: Send + Sync + std::fmt::Debug {
    /// The metadata of the container with short id `id`, when known; an unknown id is
    /// queued for lookup (`kind` is the type the cgroups gave) and answers `None` now.
    fn get_or_request(&self, id: &str, kind: &'static str)
        -> Option<std::sync::Arc<ContainerInfo>>;
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match(b"/usr/*", b"/usr/local"));
        assert!(glob_match(b"/etc", b"/etc"));
        assert!(!glob_match(b"/etc", b"/etc/x"));
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"/a/?/c*", b"/a/b/cde"));
        assert!(!glob_match(b"/a/?/c", b"/a/bb/c"));
    }
}
