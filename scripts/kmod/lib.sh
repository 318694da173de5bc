# shellcheck shell=bash
# Common settings for the kernel-module scripts (sourced by scripts/vm-test, scripts/vm-bench and helpers).
# Everything heavy is cached outside the repository under $FALCO_KBUILD_CACHE, keyed by versions, so a second
# run only rebuilds the module and the initramfs.

KMOD_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Debian's stock kernel ABI and the package version it ships in (trixie-backports).
KV=${KV:-7.3.4+deb13-amd64}
PV=${PV:-7.3.4-1~bpo13+1}
# The kernel was built with this exact rustc; Rust symbol hashes depend on it, so the chroot's rustc must match.
KRUSTC=${KRUSTC:-1.85.1}
CACHE=${FALCO_KBUILD_CACHE:-/var/cache/falco-kbuild}
CHROOT=$CACHE/trixie-rustc$KRUSTC          # toolchain chroot (keyed on rustc version)
SRCDIR=$CACHE/linux-source-$PV             # extracted linux-source-7.3
DEBDIR=$CACHE/deb-$KV-$PV                  # Debian kernel debs + vmlinuz
BUILDDEB=$CACHE/build-deb-$KV-$PV          # modules_prepare output for Debian's .config
KDIR=/usr/src/linux-headers-$KV            # kernel build dir, inside the chroot
KBUILD_PKG_DIR=/usr/lib/linux-kbuild-${KV%-amd64}

t() { echo "### $(date -u +%T) $*"; }
die() { echo "error: $*" >&2; exit 1; }

# Bind-mount what a chroot build needs. The cache and the repository appear at the same paths inside.
chroot_mount() {
  local d
  for d in proc sys dev dev/pts; do mountpoint -q "$CHROOT/$d" || mount --bind "/$d" "$CHROOT/$d"; done
  mkdir -p "$CHROOT$CACHE"
  mountpoint -q "$CHROOT$CACHE" || mount --bind "$CACHE" "$CHROOT$CACHE"
}

# Undo chroot_mount (must run before anything deletes $CHROOT: the binds expose $CACHE inside it).
chroot_umount() {
  local m
  for m in $(grep -o " $CHROOT/[^ ]*" /proc/mounts | sort -r); do umount "$m" 2>/dev/null || umount -l "$m"; done
}

# Run a command string in the toolchain chroot with a clean environment.
in_chroot() {
  chroot_mount
  chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 bash -c "$1"
}
