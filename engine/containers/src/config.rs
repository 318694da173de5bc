//! Which runtimes to ask and on which sockets: the `engines` of Falco 0.44's container
//! plugin (`plugins: [{name: container, init_config: {engines: ...}}]`).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// One runtime kind: enabled or not, and the sockets to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Ask this runtime.
    pub enabled: bool,
    /// Unix sockets, each a separate runtime instance (before the `HOST_ROOT` prefix).
    pub sockets: Vec<PathBuf>,
}

impl EngineConfig {
    fn on(sockets: &[&str]) -> EngineConfig {
        EngineConfig {
            enabled: true,
            sockets: sockets.iter().map(PathBuf::from).collect(),
        }
    }
}

/// The runtime kinds a socket can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// Docker Engine API.
    Docker,
    /// Podman through its Docker-compatible API.
    Podman,
    /// containerd, through the CRI API it serves on its socket.
    Containerd,
    /// Any CRI runtime (containerd, CRI-O): the type comes from the runtime's name.
    Cri,
}

impl EngineKind {
    /// The key in `engines`.
    pub fn key(self) -> &'static str {
        match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
            EngineKind::Containerd => "containerd",
            EngineKind::Cri => "cri",
        }
    }
}

/// Every runtime to ask, plus the cache's bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnginesConfig {
    /// `engines.docker`.
    pub docker: EngineConfig,
    /// `engines.podman`.
    pub podman: EngineConfig,
    /// `engines.containerd`.
    pub containerd: EngineConfig,
    /// `engines.cri`.
    pub cri: EngineConfig,
    /// Prefix of every socket path (`HOST_ROOT`, when the engine runs in a container with
    /// the host under `/host`).
    pub host_root: Option<PathBuf>,
    /// Most containers kept (`ContainerCache` evicts the oldest beyond).
    pub max_containers: usize,
    /// Longest wait for one runtime call; a runtime slower than this counts as failing.
    pub request_timeout: Duration,
    /// Longest pause between reconnection attempts to a failing runtime.
    pub max_backoff: Duration,
}

impl Default for EnginesConfig {
    /// The plugin's defaults: every engine on, on its usual sockets.
    fn default() -> Self {
        EnginesConfig {
            docker: EngineConfig::on(&["/var/run/docker.sock"]),
            podman: EngineConfig::on(&["/run/podman/podman.sock"]),
            containerd: EngineConfig::on(&["/run/containerd/containerd.sock"]),
            cri: EngineConfig::on(&["/run/crio/crio.sock", "/run/k3s/containerd/containerd.sock"]),
            host_root: std::env::var_os("HOST_ROOT")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            max_containers: 16_384,
            request_timeout: Duration::from_secs(2),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl EnginesConfig {
    /// No engine at all (replays, tests).
    pub fn none() -> EnginesConfig {
        let off = EngineConfig {
            enabled: false,
            sockets: Vec::new(),
        };
        EnginesConfig {
            docker: off.clone(),
            podman: off.clone(),
            containerd: off.clone(),
            cri: off,
            ..EnginesConfig::default()
        }
    }

    /// The engine of `kind`.
    pub fn engine_mut(&mut self, kind: EngineKind) -> &mut EngineConfig {
        match kind {
            EngineKind::Docker => &mut self.docker,
            EngineKind::Podman => &mut self.podman,
            EngineKind::Containerd => &mut self.containerd,
            EngineKind::Cri => &mut self.cri,
        }
    }

    /// Every enabled (kind, socket), sockets prefixed by `host_root`, each socket once.
    pub fn endpoints(&self) -> Vec<(EngineKind, PathBuf)> {
        let mut out: Vec<(EngineKind, PathBuf)> = Vec::new();
        for (kind, e) in [
            (EngineKind::Docker, &self.docker),
            (EngineKind::Podman, &self.podman),
            (EngineKind::Containerd, &self.containerd),
            (EngineKind::Cri, &self.cri),
        ] {
            if !e.enabled {
                continue;
            }
            for s in &e.sockets {
                let p = prefixed(self.host_root.as_deref(), s);
                if !out.iter().any(|(_, q)| *q == p) {
                    out.push((kind, p));
                }
            }
        }
        out
    }
}

/// `root` + `path` (`/host` + `/run/x.sock` = `/host/run/x.sock`).
pub fn prefixed(root: Option<&Path>, path: &Path) -> PathBuf {
    match root {
        Some(r) => {
            let rel = path.strip_prefix("/").unwrap_or(path);
            r.join(rel)
        }
        None => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_root_prefixes_sockets_and_duplicates_go() {
        let mut c = EnginesConfig::none();
        c.docker = EngineConfig::on(&["/var/run/docker.sock"]);
        c.cri = EngineConfig::on(&["/run/containerd/containerd.sock"]);
        c.containerd = EngineConfig::on(&["/run/containerd/containerd.sock"]);
        c.host_root = Some(PathBuf::from("/host"));
        let e = c.endpoints();
        assert_eq!(
            e,
            vec![
                (
                    EngineKind::Docker,
                    PathBuf::from("/host/var/run/docker.sock")
                ),
                (
                    EngineKind::Containerd,
                    PathBuf::from("/host/run/containerd/containerd.sock")
                ),
            ]
        );
    }
}
