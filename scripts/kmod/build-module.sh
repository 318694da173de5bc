#!/bin/bash
# Build kmod/ against the prepared Debian kernel exactly as dkms would: copy the module sources
# (Kbuild, kmod/, ringbuf-abi/src) to a build tree and run `make -C <kernel build dir> M=<tree>`
# with the toolchain the kernel was built with (the chroot). Prints the path of falco.ko.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OUT=$CACHE/module-build
rm -rf "$OUT"; mkdir -p "$OUT/ringbuf-abi"
cp "$KMOD_REPO/Kbuild" "$OUT/"
cp -r "$KMOD_REPO/kmod" "$OUT/kmod"
cp -r "$KMOD_REPO/ringbuf-abi/src" "$OUT/ringbuf-abi/src"
in_chroot "nice make -C $KDIR M=$OUT modules" > "$CACHE/module-build.log" 2>&1 || {
  grep -E -A12 'error|warning' "$CACHE/module-build.log" | head -150 >&2; die "module build failed (log: $CACHE/module-build.log)"; }
if grep -q 'warning' "$CACHE/module-build.log"; then grep -A8 'warning' "$CACHE/module-build.log" | head -60 >&2; fi
echo "$OUT/kmod/falco.ko"
