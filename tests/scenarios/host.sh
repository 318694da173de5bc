# shellcheck shell=sh
# The rule scenarios live through the modern eBPF driver on a host kernel
# (engine/falco/tests/ebpf_scenarios.rs), with the guest's own steps (guest.sh).
#
# usage: unshare --mount --net --uts --ipc sh host.sh ROOT STEP...
# ROOT is laid out by the test like the guest's initramfs (busybox, /falco, /falco_rules.yaml,
# /engine-falco.yaml with engine.kind: modern_ebpf, /scenarios); this script, in its private
# mount and network namespaces, makes ROOT the root as the guest's init does (proc, sys, dev,
# tmp, lo up), then runs each STEP of guest.sh (scenarios_live, scenario_seed,
# "benign_workload 62"), printing "=== RESULT <step> rc=<n>" like tests/kmod/tests.sh.
# The engine captures this script's process tree only (FALCO_EBPF_ONLY_TREE_OF=$$): the host
# is shared.
#
# Differences from the guest, each forced by the host:
# - /sys/fs/cgroup is the host's cgroup v1 `cpu` hierarchy, not cgroup2: this host's
#   controllers are all on v1 (its cgroup2 has none), and a task's `cgroups` parameter lists its
#   cgroup in each controller's hierarchy, so the docker-style scope must be a v1 cgroup to
#   appear in the events.
# - /usr/lib and /lib64 are the host's, read-only: the engine and the helper are the host's
#   dynamically linked builds.
# - /dev is a tmpfs with the host's null, zero, random, urandom, tty and full, and a devpts
#   instance of its own.
set -eu
R=$1; shift
export FALCO_EBPF_ONLY_TREE_OF=$$
echo "=== host sandbox pid $$ $(readlink /proc/self/ns/net)"
mount --make-rprivate /
mount --bind "$R" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sys "$R/sys"
mount -t cgroup -o cpu cgroup "$R/sys/fs/cgroup"
mount -t tmpfs -o mode=755 dev "$R/dev"
for n in null zero random urandom tty full; do
  : > "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"
done
mkdir "$R/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs tmp "$R/tmp"
for d in usr/lib lib64; do
  mount --bind "/$d" "$R/$d"; mount -o remount,bind,ro "$R/$d"
done
cd "$R"
mkdir -p .oldroot
pivot_root . .oldroot
# From here on every program is the sandbox's busybox. The steps' shell is `sh` (its name is
# the parent's name in the scenarios' alerts, as in the guest).
/bin/busybox --install -s /bin
exec /bin/sh -c '
  umount -l /.oldroot && rmdir /.oldroot
  ifconfig lo 127.0.0.1 up
  result() { echo "=== RESULT $1 rc=$2"; }
  . /scenarios/guest.sh
  scenario_env
  for step in "$@"; do
    echo "=== BEGIN $step"; $step; result "${step%% *}" $?
  done
' host-scenarios "$@"
