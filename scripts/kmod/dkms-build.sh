#!/bin/bash
# Build the module with dkms itself (dkms/dkms.conf) against Debian's prepared headers, inside the
# toolchain chroot: install the sources under /usr/src/falco-<ver>, `dkms add`, `dkms build`.
# dkms is unpacked from its .deb (the chroot's headers were installed with --force-depends, so
# apt cannot install packages there). Prints the path of the built falco.ko (host view).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMOD_REPO/dkms/dkms.conf")
SRC=$CACHE/dkms-src
rm -rf "$SRC"; mkdir -p "$SRC/ringbuf-abi"
cp -r "$KMOD_REPO/Kbuild" "$KMOD_REPO/kmod" "$SRC/"
cp -r "$KMOD_REPO/ringbuf-abi/src" "$SRC/ringbuf-abi/"
cp "$KMOD_REPO/dkms/dkms.conf" "$SRC/"
[ -f "$KMOD_REPO/dkms/prepare-rust-headers.sh" ] && cp "$KMOD_REPO/dkms/prepare-rust-headers.sh" "$SRC/"   # PRE_BUILD
in_chroot "set -e
  if [ ! -x /opt/dkms/usr/sbin/dkms ]; then
    cd /tmp && apt-get download -q dkms >/dev/null 2>&1 && dpkg-deb -x dkms_*.deb /opt/dkms
  fi
  export PATH=/opt/dkms/usr/sbin:\$PATH
  mkdir -p /var/lib/dkms /etc/dkms
  dkms remove falco/$VER --all >/dev/null 2>&1 || true
  rm -rf /usr/src/falco-$VER && cp -r $SRC /usr/src/falco-$VER
  dkms add falco/$VER >/dev/null
  nice dkms build falco/$VER -k $KV --kernelsourcedir $KDIR > $CACHE/dkms-build.log 2>&1 ||
    { tail -40 $CACHE/dkms-build.log; cat /var/lib/dkms/falco/$VER/build/make.log 2>/dev/null | tail -60; exit 1; }
  mkdir -p $CACHE/dkms-out && cp /var/lib/dkms/falco/$VER/$KV/x86_64/module/falco.ko $CACHE/dkms-out/falco.ko" >&2
echo "$CACHE/dkms-out/falco.ko"
