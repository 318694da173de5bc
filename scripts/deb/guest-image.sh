#!/bin/bash
# Build (or reuse) the Debian 13 guest for the package test: a systemd root filesystem made with
# debootstrap, Debian's own kernel ($KV from trixie-backports) with its initramfs, the kernel's headers
# at /lib/modules/$KV/build, dkms, and everything the package's dkms PRE_BUILD step
# (dkms/prepare-rust-headers.sh) needs: the kernel's rustc, rust-src, bindgen, libclang, linux-source.
# The guest has no network, so all of it is installed here, from the Debian mirror this host's apt
# sources name.
#
# By default the PRE_BUILD step itself also runs here, in a chroot of the image (natively: ~2 min,
# versus far longer under TCG), so the guest's dkms finds the Rust build files present.
# GUEST_PREBUILD=1 leaves them out: the guest's dkms then regenerates them under TCG (slow).
#
# GUEST_KERNEL=6.12 builds the other guest: Debian 13's stock kernel (linux-image-amd64 from trixie,
# 6.12, no CONFIG_RUST, with BTF), without dkms, headers or any Rust toolchain, as on a machine where
# the package runs on the modern eBPF driver.
#
# usage: guest-image.sh            prints the image directory (vmlinuz, initrd.img, root.img)
# env:   FALCO_GUEST_CACHE (default /var/cache/falco-guest), GUEST_KERNEL (7.3 or 6.12), KV, KPV, MIRROR,
#        GUEST_PREBUILD
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
GUEST_KERNEL=${GUEST_KERNEL:-7.3}
case "$GUEST_KERNEL" in
  7.3) KV=${KV:-7.3.4+deb13-amd64}; KPV=${KPV:-7.3.4-1~bpo13+1} ;;
  # Whatever 6.12 trixie carries today (its point releases replace the old ones on the mirror).
  6.12) KV=trixie-6.12; KPV=linux-image-amd64/trixie ;;
  *) echo "guest-image.sh: GUEST_KERNEL must be 7.3 or 6.12, not $GUEST_KERNEL" >&2; exit 1 ;;
esac
CACHE=${FALCO_GUEST_CACHE:-/var/cache/falco-guest}
t() { echo "### $(date -u +%T) $*" >&2; }
die() { echo "guest-image.sh: $*" >&2; exit 1; }

# Packages of the guest. Changing this list, the kernel or the PRE_BUILD script makes a new image.
PKGS=systemd,systemd-sysv,udev,dbus,kmod,procps,iproute2,util-linux,less,ca-certificates,apt
if [ "$GUEST_KERNEL" = 6.12 ]; then
  PKGS=$PKGS,xz-utils,zstd,initramfs-tools
  PREBUILD=none
else
  PKGS=$PKGS,dkms,build-essential,rustc,rust-src,bindgen,libclang-dev,flex,bison,bc,libelf-dev,libssl-dev
  PKGS=$PKGS,cpio,openssl,python3,rsync,dwarves,xz-utils,zstd,initramfs-tools
  PREBUILD=${GUEST_PREBUILD:-0}
fi
KEY=$(printf '%s\n' "$KV" "$KPV" "$PKGS" "$PREBUILD" "rev2" | cat - "$REPO/dkms/prepare-rust-headers.sh" | sha256sum | cut -c1-12)
D=$CACHE/deb-guest-$KV-$KEY
if [ -s "$D/root.img" ] && [ -s "$D/vmlinuz" ] && [ -s "$D/initrd.img" ]; then
  t "guest image cached: $D"
  echo "$D"; exit 0
fi
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null && command -v mkfs.ext4 >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap e2fsprogs >/dev/null

# The Debian mirror this machine already uses (never a hard-coded host).
if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -m1 -E 'debian/?$' || true)
  [ -n "$MIRROR" ] || MIRROR=$(grep -h -E '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -m1 -E 'debian/?$' || true)
fi
[ -n "$MIRROR" ] || die "cannot find a Debian mirror in this host's apt sources; set MIRROR="

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock-$KEY"; flock 9
if [ -s "$D/root.img" ] && [ -s "$D/vmlinuz" ] && [ -s "$D/initrd.img" ]; then
  t "guest image built by a concurrent run: $D"
  echo "$D"; exit 0
fi
R=$D/rootfs
mkdir -p "$D"
if [ ! -x "$R/usr/bin/apt-get" ] || { [ "$GUEST_KERNEL" = 7.3 ] && [ ! -x "$R/usr/bin/rustc" ]; }; then
  t "debootstrap trixie -> $R (mirror $MIRROR)"
  rm -rf "$R"
  nice debootstrap --variant=minbase --include=$PKGS trixie "$R" "$MIRROR" > "$D/debootstrap.log" 2>&1 ||
    { tail -30 "$D/debootstrap.log" >&2; die "debootstrap failed, see $D/debootstrap.log"; }
fi

MOUNTED=()
cleanup() {
  local i
  for (( i=${#MOUNTED[@]}-1; i>=0; i-- )); do umount "${MOUNTED[$i]}" 2>/dev/null || umount -l "${MOUNTED[$i]}" || true; done
  rm -f "$R/usr/sbin/policy-rc.d"
}
trap cleanup EXIT
for m in proc sys dev dev/pts; do
  mountpoint -q "$R/$m" || { mount --bind "/$m" "$R/$m"; MOUNTED+=("$R/$m"); }
done
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod +x "$R/usr/sbin/policy-rc.d"
inchroot() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

t "kernel $KV ($KPV)"
rm -f "$R/etc/apt/sources.list"
cat > "$R/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: trixie trixie-updates trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
inchroot apt-get update -q > "$D/chroot-apt.log" 2>&1 || { tail -20 "$D/chroot-apt.log" >&2; die "apt-get update failed"; }
if [ "$GUEST_KERNEL" = 6.12 ]; then
  # Only the kernel: no headers, so nothing could build a module even with dkms.
  inchroot nice apt-get install -y -q --no-install-recommends "$KPV" >> "$D/chroot-apt.log" 2>&1 ||
    { tail -30 "$D/chroot-apt.log" >&2; die "kernel packages failed to install"; }
  KV=$(cd "$R/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -1)
  case "$KV" in 6.12.*) ;; *) die "trixie's linux-image-amd64 installed kernel '$KV', not a 6.12";; esac
  grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$R/boot/config-$KV" || die "kernel $KV has no BTF (CONFIG_DEBUG_INFO_BTF)"
  if grep -q '^CONFIG_RUST=y' "$R/boot/config-$KV"; then die "kernel $KV has CONFIG_RUST=y: not the kernel this guest is for"; fi
else
  # linux-image pre-depends on linux-base >= 4.17, which only trixie-backports has.
  inchroot nice apt-get install -y -q --no-install-recommends "linux-image-$KV=$KPV" "linux-headers-$KV=$KPV" \
      linux-base/trixie-backports "linux-source-${KV%%.*}.$(echo "$KV" | cut -d. -f2)=$KPV" >> "$D/chroot-apt.log" 2>&1 ||
    { tail -30 "$D/chroot-apt.log" >&2; die "kernel packages failed to install"; }
  [ -e "$R/lib/modules/$KV/build/.config" ] || die "no /lib/modules/$KV/build in the guest"
fi
inchroot apt-get clean

if [ "$PREBUILD" = 0 ]; then
  t "dkms PRE_BUILD step (dkms/prepare-rust-headers.sh) in the image chroot"
  install -m 755 "$REPO/dkms/prepare-rust-headers.sh" "$R/tmp/prepare-rust-headers.sh"
  # The kernel tree is ~90k small files: build it in memory (a disk under load takes minutes to delete it).
  mkdir -p "$R/var/cache/falco-kmod"
  if [ "$(awk '/MemAvailable/ {print int($2/1048576)}' /proc/meminfo)" -ge 6 ]; then
    mount -t tmpfs -o size=4g falco-kmod "$R/var/cache/falco-kmod"; MOUNTED+=("$R/var/cache/falco-kmod")
  fi
  inchroot /tmp/prepare-rust-headers.sh "$KV" >&2 || die "prepare-rust-headers.sh failed in the image chroot"
  rm -f "$R/tmp/prepare-rust-headers.sh"
  mountpoint -q "$R/var/cache/falco-kmod" && umount "$R/var/cache/falco-kmod"
  rm -rf "$R/var/cache/falco-kmod"
fi

t "system configuration"
echo falco-guest > "$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tfalco-guest\n' > "$R/etc/hosts"
cat > "$R/etc/fstab" <<'EOF'
/dev/vda  /     ext4  rw,errors=remount-ro  0 1
out       /out  9p    trans=virtio,version=9p2000.L,msize=524288,nofail  0 0
EOF
mkdir -p "$R/out"
inchroot passwd -d root >/dev/null
mkdir -p "$R/etc/systemd/system/serial-getty@ttyS0.service.d"
cat > "$R/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200,57600,38400,9600 - $TERM
EOF
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
         e2scrub_reap.service systemd-firstboot.service man-db.timer; do ln -sf /dev/null "$R/etc/systemd/system/$u"; done
# The test itself comes from the host share at boot (/out/guest-test.sh), so editing it needs no new image.
cat > "$R/etc/systemd/system/falco-deb-test.service" <<'EOF'
[Unit]
Description=falco package test (runs /out/guest-test.sh)
ConditionKernelCommandLine=falco.debtest
After=multi-user.target
RequiresMountsFor=/out

[Service]
Type=oneshot
ExecStart=/bin/bash /out/guest-test.sh
ExecStopPost=/bin/sh -c 'grep -qw falco.nopoweroff /proc/cmdline || systemctl poweroff --no-block'
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/falco-deb-test.service "$R/etc/systemd/system/multi-user.target.wants/falco-deb-test.service"
rm -f "$R/usr/sbin/policy-rc.d"

t "image -> $D/root.img"
cleanup; MOUNTED=()
cp "$R/boot/vmlinuz-$KV" "$D/vmlinuz.tmp" && mv "$D/vmlinuz.tmp" "$D/vmlinuz"
cp "$R/boot/initrd.img-$KV" "$D/initrd.img.tmp" && mv "$D/initrd.img.tmp" "$D/initrd.img"
rm -f "$D/root.img.tmp"
# stdout carries only the image directory: mkfs says "Creating regular file" even with -q
mkfs.ext4 -q -F -L falco-guest -d "$R" "$D/root.img.tmp" 8G >&2
mv "$D/root.img.tmp" "$D/root.img"
t "guest image ready: $D ($(du -sh "$D/root.img" | cut -f1) used)"
echo "$D"
