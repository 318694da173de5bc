# Shared setup of the rule scenarios (sourced by tests/scenarios/guest.sh inside the guest).
#
# The guest is a busybox initramfs. A "container" here is what runc makes of one: a process in
# its own mount, UTS, IPC, PID (and network) namespaces, in a docker-style cgroup
# (/sys/fs/cgroup/system.slice/docker-<64 hex>.scope), started by a program named runc. Programs
# busybox lacks (runc, apt-get, dpkg, scp, gdb, useradd, unix_chkpwd, bash) are the static
# scenario-helper (tests/scenarios/helper.rs) under that name: the rules key on the process
# name and on the syscalls, which the helper performs for real.

SCN=/scenarios
HELPER=$SCN/scenario-helper
# The container id: 64 hex digits in the cgroup path, 12 of them in container.id.
CID=5ce7a710c0ffee00112233445566778899aabbccddeeff001122334455667788
CID12=5ce7a710c0ff
CG=/sys/fs/cgroup/system.slice/docker-$CID.scope
# Addresses on lo: a public one (TEST-NET-2) and one in local_networks (10.0.0.0/8).
PUBLIC_IP=198.51.100.10
PRIVATE_IP=10.0.0.5

# Runs CMD in a new container (namespaces + cgroup), like `docker run IMAGE CMD`.
container() { /usr/bin/runc run "$CG" -- "$@"; }
# The same with a terminal, like `docker exec -it` (runc gives CMD a pty as controlling tty).
container_tty() { /usr/bin/runc run "$CG" --tty -- "$@"; }
# The same in the host's network namespace, like `docker run --network=host`.
container_hostnet() { /usr/bin/runc run "$CG" --hostnet -- "$@"; }

# One-time guest setup: cgroup2, devpts, addresses, the emulated programs, files the scenarios use.
scenario_env() {
  grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
  mkdir -p /dev/pts; grep -q ' /dev/pts ' /proc/mounts || mount -t devpts devpts /dev/pts
  ip addr add $PUBLIC_IP/32 dev lo 2>/dev/null
  ip addr add $PRIVATE_IP/32 dev lo 2>/dev/null
  for p in runc apt-get pip dpkg scp gdb unix_chkpwd bash; do ln -sf $HELPER /usr/bin/$p; done
  ln -sf $HELPER /usr/sbin/useradd
  mkdir -p /mnt /srv /var/log /var/lib/dpkg /www /root /tmp/scenario-mark
  echo 'Package: busybox' > /var/lib/dpkg/status
  echo '<html>ok</html>' > /www/index.html
  grep -q '^root:' /etc/shadow 2>/dev/null || echo 'root:*:19000:0:99999:7:::' > /etc/shadow
  grep -q '^root:' /etc/passwd 2>/dev/null || echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
  # A web server for the network scenarios and the benign workload: port 8080 on every
  # address, and "ssh" (port 22) on the public one.
  httpd -p 8080 -h /www
  httpd -p $PUBLIC_IP:22 -h /www
}

# Loads scenario file $1: RULE, EXPECT, GAP (a known gap: the trigger is expected silent),
# setup, trigger, benign, cleanup.
load_scenario() {
  RULE=; EXPECT=; GAP=
  setup() { :; }
  cleanup() { :; }
  trigger() { echo "no trigger"; return 1; }
  benign() { echo "no benign"; return 1; }
  . "$1"
}

# Scenario files: every tests/scenarios/*.sh that names a RULE.
scenario_files() { grep -l "^RULE=" $SCN/*.sh; }
