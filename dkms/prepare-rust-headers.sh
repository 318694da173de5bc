#!/bin/bash
# dkms PRE_BUILD step of the falco module: make a kernel's build directory usable for out-of-tree
# Rust modules.
#
# usage: prepare-rust-headers.sh KERNELVER [KERNEL_BUILD_DIR]     (dkms: PRE_BUILD in dkms.conf)
#        prepare-rust-headers.sh --check KERNELVER [DIR]           (report only; exit 1 when not ready)
#
# An out-of-tree Rust module needs, besides the C headers, the kernel's Rust build files:
# rust/lib{core,kernel,macros,...}.{rmeta,so} and scripts/target.json. Some distributions ship them
# (Ubuntu: linux-lib-rust-<ver>), Debian 13's linux-headers do not. When they are missing this
# script regenerates them with `make modules_prepare` over the kernel's own .config, from the
# matching linux-source-<major.minor> tarball and with the exact rustc the kernel was built with
# (CONFIG_RUSTC_VERSION_TEXT): Rust symbol hashes depend on the compiler, so any other rustc gives
# a module the kernel refuses to load. The files it adds are listed in
# /var/lib/falco-kmod/<kernelver>.files so that purging the package removes them again.
#
# Every problem is reported as one line "falco-kmod: <what is missing>", and the script exits 1.
set -euo pipefail
export LC_ALL=C

CHECK=0
if [ "${1:-}" = --check ]; then CHECK=1; shift; fi
KVER=${1:?usage: prepare-rust-headers.sh [--check] KERNELVER [KERNEL_BUILD_DIR]}
KDIR=${2:-/lib/modules/$KVER/build}
STATE=${FALCO_KMOD_STATE:-/var/lib/falco-kmod}
WORK=${FALCO_KMOD_WORK:-/var/cache/falco-kmod}

say() { echo "falco-kmod: $*"; }
missing() { echo "falco-kmod: $*" >&2; exit 1; }

[ -f "$KDIR/.config" ] || missing "no kernel build directory for $KVER ($KDIR/.config not found): install the kernel headers (Debian: linux-headers-$KVER)"
cfg() { sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$KDIR/.config"; }

[ "$(cfg CONFIG_RUST)" = y ] ||
  missing "kernel $KVER has no Rust support (CONFIG_RUST is not set in $KDIR/.config); the falco module is written in Rust and needs a CONFIG_RUST=y kernel"

# The files Kbuild reads when it compiles an out-of-tree Rust module.
RUST_FILES="rust/libcore.rmeta rust/libcompiler_builtins.rmeta rust/libkernel.rmeta rust/libmacros.so scripts/target.json include/generated/rustc_cfg"
absent=""
for f in $RUST_FILES; do [ -e "$KDIR/$f" ] || absent="$absent $f"; done

WANT_RUSTC=$(cfg CONFIG_RUSTC_VERSION_TEXT)
HAVE_RUSTC=$(rustc --version 2>/dev/null || true)
if [ -z "$absent" ]; then
  # The build files are there; the module still has to be compiled by the kernel's rustc.
  [ "$HAVE_RUSTC" = "$WANT_RUSTC" ] ||
    missing "kernel $KVER was built with '$WANT_RUSTC' but rustc in PATH is '${HAVE_RUSTC:-not installed}'; install that exact rustc (Debian 13: apt install rustc)"
  say "kernel $KVER: Rust build files present in $KDIR, $HAVE_RUSTC"
  exit 0
fi
[ "$CHECK" = 0 ] || missing "kernel $KVER: $KDIR lacks the Rust build files:$absent (dkms regenerates them with this script)"

say "kernel $KVER: $KDIR lacks$absent; regenerating them (make modules_prepare, a few minutes)"

# --- everything the regeneration needs, each reported by name ---
[ "$HAVE_RUSTC" = "$WANT_RUSTC" ] ||
  missing "kernel $KVER was built with '$WANT_RUSTC' but rustc in PATH is '${HAVE_RUSTC:-not installed}'; install that exact rustc (Debian 13: apt install rustc rust-src)"
SYSROOT=$(rustc --print sysroot)
[ -f "$SYSROOT/lib/rustlib/src/rust/library/core/src/lib.rs" ] ||
  missing "the Rust standard library source is missing ($SYSROOT/lib/rustlib/src/rust/library): install rust-src matching $HAVE_RUSTC"
command -v bindgen >/dev/null || missing "bindgen is not installed (kernel $KVER: $(cfg CONFIG_BINDGEN_VERSION_TEXT)); install bindgen and libclang-dev"
ldconfig -p 2>/dev/null | grep -q 'libclang' || [ -n "$(ls /usr/lib/llvm-*/lib/libclang*.so* 2>/dev/null)" ] ||
  missing "libclang is not installed (bindgen needs it); install libclang-dev"
CC_TEXT=$(cfg CONFIG_CC_VERSION_TEXT)
CC=${CC_TEXT%% *}
command -v "$CC" >/dev/null || missing "the kernel's C compiler '$CC' ($CC_TEXT) is not installed"
for t in make flex bison bc perl; do command -v $t >/dev/null || missing "'$t' is not installed (needed by make modules_prepare)"; done
[ -e /usr/include/libelf.h ] || missing "libelf headers are not installed (objtool needs them); install libelf-dev"
[ -e /usr/include/openssl/ssl.h ] || missing "OpenSSL headers are not installed (the kernel's host tools need them); install libssl-dev"

# Kernel version X.Y.Z of this build (Debian: 7.3.4+deb13-amd64 -> 7.3.4; linux-source-7.3).
KREL=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null || echo "$KVER")
XYZ=$(echo "$KREL" | grep -oE '^[0-9]+\.[0-9]+(\.[0-9]+)?')
XY=$(echo "$XYZ" | cut -d. -f1,2)
TARBALL=${FALCO_LINUX_SOURCE:-}
if [ -z "$TARBALL" ]; then
  for c in /usr/src/linux-source-$XY.tar.xz /usr/src/linux-source-$XY.tar.bz2 /usr/src/linux-source-$XY.tar.gz; do
    [ -f "$c" ] && { TARBALL=$c; break; }
  done
fi
[ -n "$TARBALL" ] || missing "the kernel source is not installed (/usr/src/linux-source-$XY.tar.xz); install linux-source-$XY at the version of linux-headers-$KVER (Debian: apt install linux-source-$XY)"
if command -v dpkg-query >/dev/null; then
  hv=$(dpkg-query -W -f '${Version}' "linux-headers-$KVER" 2>/dev/null || true)
  sv=$(dpkg-query -S "$TARBALL" 2>/dev/null | cut -d: -f1 | xargs -r dpkg-query -W -f '${Version}' 2>/dev/null || true)
  [ -z "$hv" ] || [ -z "$sv" ] || [ "$hv" = "$sv" ] ||
    missing "linux-source-$XY is version $sv but linux-headers-$KVER is $hv; install linux-source-$XY=$hv"
fi

# --- regenerate ---
B=$WORK/$KVER
rm -rf "$B"; mkdir -p "$B/src" "$B/out"
trap 'rm -rf "$B/src"' EXIT
say "extracting $TARBALL"
tar -C "$B/src" --strip-components=1 -xf "$TARBALL"
cp "$KDIR/.config" "$B/out/.config"
MK=(make -C "$B/src" O="$B/out" CC="$CC" HOSTCC="$CC")
"${MK[@]}" olddefconfig > "$B/make.log" 2>&1
# A differing configuration means a different source version or toolchain: say so, the build may still work.
drift=$(diff <(grep '^CONFIG_' "$KDIR/.config" | sort) <(grep '^CONFIG_' "$B/out/.config" | sort) | grep -c '^[<>]' || true)
[ "$drift" = 0 ] || say "warning: olddefconfig changed $drift lines of kernel $KVER's .config (source or toolchain differ)"
say "make modules_prepare in $B/out (log: $B/make.log)"
if ! nice "${MK[@]}" -j"$(nproc)" modules_prepare >> "$B/make.log" 2>&1; then
  tail -20 "$B/make.log" >&2
  missing "make modules_prepare failed for kernel $KVER; see $B/make.log"
fi
mkdir -p "$STATE" "$KDIR/rust"
LIST=$STATE/$KVER.files
: > "$LIST.tmp"
for f in "$B"/out/rust/*.rmeta "$B"/out/rust/*.so; do
  dst=$KDIR/rust/$(basename "$f")
  [ -e "$dst" ] || echo "$dst" >> "$LIST.tmp"
  cp "$f" "$dst"
done
# scripts/ is often a symlink into another package (Debian: linux-kbuild-X.Y); write through it.
for f in scripts/target.json include/generated/rustc_cfg; do
  dst=$(readlink -m "$KDIR/$f")
  if [ ! -e "$dst" ]; then echo "$dst" >> "$LIST.tmp"; mkdir -p "$(dirname "$dst")"; cp "$B/out/$f" "$dst"; fi
done
cat "$LIST.tmp" >> "$LIST"; rm -f "$LIST.tmp"
sort -u -o "$LIST" "$LIST"
rm -rf "$B/out"
say "kernel $KVER: Rust build files regenerated with $HAVE_RUSTC ($(wc -l < "$LIST") files, listed in $LIST)"
