#!/bin/bash
# Build kmod/ against the prepared Debian kernel exactly as dkms would: copy the module sources
# (Kbuild, kmod/, ringbuf-abi/src) to a build tree and run `make -C <kernel build dir> M=<tree>`
# with the toolchain the kernel was built with (the chroot). Prints the path of falco.ko.
# usage: build-module.sh [KERNEL_BUILD_DIR [extra make args]]  (default: Debian's headers)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
K=${1:-$KDIR}; EXTRA=${2:-}
OUT=$CACHE/module-build$( [ "$K" = "$KDIR" ] || echo "-$(basename "$K")" )
rm -rf "$OUT"; mkdir -p "$OUT/ringbuf-abi"
cp "$KMOD_REPO/Kbuild" "$OUT/"
cp -r "$KMOD_REPO/kmod" "$OUT/kmod"
cp -r "$KMOD_REPO/ringbuf-abi/src" "$OUT/ringbuf-abi/src"
LOG=$OUT.log
in_chroot "nice make -C $K M=$OUT $EXTRA modules" > "$LOG" 2>&1 || {
  grep -E -A12 'error|warning' "$LOG" | head -150 >&2; die "module build failed (log: $LOG)"; }
if grep -q 'warning' "$LOG"; then grep -A8 'warning' "$LOG" | head -60 >&2; fi
echo "$OUT/kmod/falco.ko"
