#!/bin/bash
# usage: mkinitramfs.sh OUT.cpio.gz TESTS.sh FILE...  — a busybox initramfs with our init, the given
# test plan as /tests.sh, and each FILE at the root (module, static test binaries; a directory
# is copied whole, e.g. /scenarios).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OUT=$(realpath -m "$1"); TESTS=$2; shift 2
D=$(mktemp -d "$CACHE/initramfs.XXXX")
chmod 755 "$D"   # the guest's / (mktemp makes it 0700: unprivileged test steps could not exec)
mkdir -p "$D"/{bin,sbin,proc,sys,dev,tmp,etc,usr/bin,usr/sbin,root}
cp /bin/busybox "$D/bin/busybox"
cp "$KMOD_REPO/tests/kmod/init" "$D/init"; chmod +x "$D/init"
cp "$TESTS" "$D/tests.sh"
for f in "$@"; do cp -r "$f" "$D/"; done
(cd "$D" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT"
rm -rf "$D"
