#!/bin/bash
# usage: run-vm.sh KERNEL INITRAMFS LOG TIMEOUT_S [extra kernel args]
# Boots the guest under qemu (KVM when /dev/kvm works and KVM=1, else TCG), serial console to LOG.
set -u
K=$1; I=$2; LOG=$3; T=$4; EXTRA=${5:-}
ACCEL="-accel tcg -cpu max"
if [ "${KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then ACCEL="-enable-kvm -cpu host"; fi
start=$(date +%s)
timeout --foreground -k 5 "$T" qemu-system-x86_64 $ACCEL -smp 2 -m 1024 -nographic -vga none -no-reboot \
  -kernel "$K" -initrd "$I" -append "console=ttyS0 panic=-1 oops=panic loglevel=6 $EXTRA" > "$LOG" 2>&1
rc=$?
echo "qemu rc=$rc accel=[$ACCEL] wall=$(( $(date +%s) - start ))s log=$LOG"
exit $rc
