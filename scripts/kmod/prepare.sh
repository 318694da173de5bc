#!/bin/bash
# Prepare (or reuse from the cache) everything needed to build the module against Debian's stock kernel and
# boot it: host tools (qemu, busybox-static, debootstrap, cpio), a Debian 13 toolchain chroot whose rustc is
# the one Debian built the kernel with, linux-source-7.3, Debian's headers/kbuild/binary packages, and the
# Rust build files (rust/*.rmeta, proc macros, target.json) that Debian's headers lack, regenerated with
# `make modules_prepare` over Debian's own .config. Run as root. Idempotent; each step is skipped when its
# output is already in $CACHE.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir -p "$CACHE"
# Serialise concurrent runs on the same cache.
exec 9>"$CACHE/.prepare.lock"; flock 9

t "apt sources (trixie, pinned low)"
MIRROR=$("$KMOD_REPO/scripts/kmod/apt-trixie.sh")

t "host packages"
HOSTPKGS="qemu-system-x86 busybox-static debootstrap cpio sysdig gcc libc6-dev"
if ! dpkg -s $HOSTPKGS >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $HOSTPKGS >/dev/null 2>&1 || {
    apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q $HOSTPKGS >/dev/null; }
fi

CHROOT_PKGS=rustc,rust-src,bindgen,libclang-dev,clang,llvm,lld,build-essential,flex,bison,bc,libelf-dev,libssl-dev,cpio,kmod,python3,rsync,dwarves,xz-utils,zstd
if [ ! -x "$CHROOT/usr/bin/rustc" ]; then
  t "debootstrap trixie toolchain chroot -> $CHROOT"
  CHROOT_SAVED=$CHROOT; CHROOT=$CHROOT.tmp; chroot_umount; rm -rf "$CHROOT"; CHROOT=$CHROOT_SAVED
  debootstrap --variant=minbase --include=$CHROOT_PKGS trixie "$CHROOT.tmp" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/debootstrap.log"; die "debootstrap failed"; }
  mv "$CHROOT.tmp" "$CHROOT"
fi
have=$(in_chroot 'rustc --version')
case "$have" in "rustc $KRUSTC "*) ;; *) die "chroot has '$have', the kernel needs rustc $KRUSTC";; esac

if [ ! -f "$SRCDIR/Makefile" ]; then
  t "linux-source-7.3 $PV -> $SRCDIR"
  rm -rf "$SRCDIR.tmp"; mkdir -p "$SRCDIR.tmp"; cd "$SRCDIR.tmp"
  apt-get download -q -t trixie-backports "linux-source-7.3=$PV" >/dev/null
  dpkg-deb --fsys-tarfile linux-source-7.3_*_all.deb | tar -xO ./usr/src/linux-source-7.3.tar.xz | tar -xJ --strip-components=1
  rm -f linux-source-7.3_*_all.deb
  cd "$CACHE"; mv "$SRCDIR.tmp" "$SRCDIR"
fi

t "Debian kernel packages $KV -> $DEBDIR"
mkdir -p "$DEBDIR"; cd "$DEBDIR"
for p in linux-headers-$KV linux-headers-${KV%-amd64}-common linux-kbuild-${KV%-amd64} linux-binary-$KV; do
  ls ${p}_*.deb >/dev/null 2>&1 || apt-get download -q -t trixie-backports "$p=$PV" >/dev/null
done
[ -s vmlinuz ] || dpkg-deb --fsys-tarfile linux-binary-${KV}_*.deb | tar -xO ./usr/lib/modules/$KV/vmlinuz > vmlinuz.tmp && mv vmlinuz.tmp vmlinuz 2>/dev/null || true
[ -s vmlinuz ] || die "could not extract vmlinuz"
# overlay.ko of the same kernel (the guest mounts an overlayfs to test the exec layer flags). It
# ships in linux-modules (~100 MB): extract the one module, uncompressed (busybox insmod reads
# plain .ko files), and drop the package.
if [ ! -s overlay.ko ]; then
  t "overlay.ko from linux-modules-$KV"
  ls linux-modules-${KV}_*.deb >/dev/null 2>&1 || apt-get download -q -t trixie-backports "linux-modules-$KV=$PV" >/dev/null
  dpkg-deb --fsys-tarfile linux-modules-${KV}_*.deb |
    tar -xO ./usr/lib/modules/$KV/kernel/fs/overlayfs/overlay.ko.xz | xz -dc > overlay.ko.tmp
  [ -s overlay.ko.tmp ] || die "could not extract overlay.ko from linux-modules-$KV"
  mv overlay.ko.tmp overlay.ko
  rm -f linux-modules-${KV}_*.deb
fi
cd "$CACHE"

if ! in_chroot "test -f $KDIR/.config && test -d $KBUILD_PKG_DIR/scripts"; then
  t "install Debian headers + kbuild in the chroot"
  in_chroot "dpkg -i --force-depends $DEBDIR/linux-kbuild-*.deb $DEBDIR/linux-headers-*.deb >/dev/null 2>&1 || true"
fi
want=$(in_chroot "grep '^CONFIG_RUSTC_VERSION_TEXT=' $KDIR/.config")
case "$want" in *"rustc $KRUSTC "*) ;; *) die "Debian's kernel was built with $want, not rustc $KRUSTC";; esac

if ! in_chroot "test -f $KDIR/rust/libkernel.rmeta && test -f $KBUILD_PKG_DIR/scripts/target.json"; then
  t "regenerate Rust build files for Debian's headers (modules_prepare, ~2 min)"
  in_chroot "set -e
    MK='nice make -C $SRCDIR O=$BUILDDEB CC=x86_64-linux-gnu-gcc-14'
    mkdir -p $BUILDDEB; cp $KDIR/.config $BUILDDEB/.config
    \$MK olddefconfig >/dev/null
    \$MK -j3 modules_prepare > $CACHE/build-deb.log 2>&1 || { tail -30 $CACHE/build-deb.log; exit 1; }
    mkdir -p $KDIR/rust
    cp $BUILDDEB/rust/*.rmeta $BUILDDEB/rust/*.so $KDIR/rust/
    cp $BUILDDEB/scripts/target.json $KBUILD_PKG_DIR/scripts/target.json"
fi
t "prepared: kernel $KV, toolchain $have"
