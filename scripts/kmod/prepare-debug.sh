#!/bin/bash
# Build (or reuse) the self-built debug kernel of VARIANT=debug from linux-source-7.3 with the
# chroot's toolchain (clang for KASAN): ~20-30 min on 2 cores the first time, cached afterwards
# (keyed on the source version and a hash of debug-kernel.config). Prints the build dir.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$(dirname "$0")/prepare.sh" >&2
FRAG=$KMOD_REPO/scripts/kmod/debug-kernel.config
KEY=$(sha256sum "$FRAG" | cut -c1-12)
B=$CACHE/build-debug-$PV-$KEY
if [ ! -f "$B/arch/x86/boot/bzImage" ] || [ ! -f "$B/Module.symvers" ]; then
  t "build debug kernel (KASAN, lockdep) -> $B" >&2
  mkdir -p "$B"; cp "$FRAG" "$B/falco-debug.config"
  in_chroot "set -e; cd $SRCDIR
    make O=$B LLVM=1 x86_64_defconfig >/dev/null
    scripts/kconfig/merge_config.sh -m -O $B $B/.config kernel/configs/kvm_guest.config kernel/configs/rust.config $B/falco-debug.config >/dev/null
    make O=$B LLVM=1 olddefconfig >/dev/null
    for o in RUST KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP FTRACE_SYSCALLS; do grep -q \"^CONFIG_\$o=y\" $B/.config || { echo \"debug kernel: CONFIG_\$o did not stick\"; exit 1; }; done
    nice -n 19 make O=$B LLVM=1 -j\${JOBS:-2} bzImage modules" > "$CACHE/build-debug.log" 2>&1 ||
    { tail -30 "$CACHE/build-debug.log" >&2; die "debug kernel build failed"; }
fi
echo "$B"
