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
