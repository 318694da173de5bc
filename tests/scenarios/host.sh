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
# - /usr/lib and /lib64 are the host's, read-only: the engine and the helper are the host's
#   dynamically linked builds.
# - /dev is a tmpfs with the host's null, zero, random, urandom, tty and full, and a devpts
#   instance of its own.
# /sys/fs/cgroup is cgroup2, mounted by scenario_env as in the guest: the `cgroups` parameter
# of both drivers carries the task's default-hierarchy (cgroup2) path, also on a host whose
# controllers are on cgroup v1 (this one), so the docker-style scope is a cgroup2 cgroup.
set -eu
R=$1; shift
export FALCO_EBPF_ONLY_TREE_OF=$$
echo "=== host sandbox pid $$ $(readlink /proc/self/ns/net)"
mount --make-rprivate /
mount --bind "$R" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sys "$R/sys"
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
