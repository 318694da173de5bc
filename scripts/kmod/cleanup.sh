#!/bin/bash
# Undo the chroot bind mounts the kernel-module scripts leave in place (they stay mounted between
# runs so concurrent builds can share the chroot). Run this before deleting the cache: the binds
# expose the host's /dev, /proc, /sys and the cache itself inside it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
chroot_umount
echo "remaining mounts under $CHROOT: $(grep -c " $CHROOT/" /proc/mounts || true)"
