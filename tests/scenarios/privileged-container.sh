# shellcheck shell=sh
RULE='Privileged or sensitive-mount container started'
TRIGGER='runc (emulated) starts a container running /bin/sh -c "exit 0"'
BENIGN='the same command on the host'
GAP='only a container runtime says a container is privileged or what it mounts, and the guest has none; proven with a real docker engine in engine/falco/tests/containers_live.rs (a /etc mount) and from a capture container event in container_captures.rs (privileged)'
EXPECT="process=sh|container_id=$CID12"
trigger() { container /bin/sh -c 'exit 0'; }
benign() { /bin/sh -c 'exit 0'; }
