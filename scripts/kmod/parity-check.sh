#!/bin/bash
# usage: parity-check.sh CONSOLE.log OUTDIR — the host half of the guest's parity step: decodes the
# two captures of tests/parity/workload.c the guest printed (module, then modern eBPF, same kernel),
# compares them event by event with parity-compare.py and writes OUTDIR/report.txt.
# Fails when a capture is missing or holds no event of the workload, or when a difference is not
# explained in tests/parity/EXPLAINED (PARITY_STRICT=0: differences are listed, not judged).
set -u
. "$(dirname "$0")/lib.sh"
LOG=$1; OUT=$2
rm -rf "$OUT"; mkdir -p "$OUT"
FI=${CARGO_TARGET_DIR:-$KMOD_REPO/target}/x86_64-unknown-linux-gnu/release/falco-inspect
if grep -aq '^=== SKIP parity-ebpf' "$LOG"; then
  echo "parity: SKIP ($(grep -a -m1 '^=== SKIP parity-ebpf' "$LOG" | sed 's/^=== SKIP parity-ebpf //'))"; exit 0
fi
for n in kmod ebpf; do
  root=$(grep -a "^=== PARITY-BEGIN $n " "$LOG" | awk '{print $4}' | tr -d '\r' | head -1)
  [ -n "$root" ] || { echo "FAIL: parity: the guest printed no $n capture"; exit 1; }
  echo "$root" > "$OUT/$n.root"
  sed -n "/^=== PARITY-BEGIN $n /,/^=== PARITY-END $n/p" "$LOG" | grep -av '^===' | tr -d '\r' | base64 -d | gzip -dc > "$OUT/$n.scap" ||
    { echo "FAIL: parity: the $n capture does not decode"; exit 1; }
done
args=("$FI" "$OUT/kmod.scap" "$(cat "$OUT/kmod.root")" "$OUT/ebpf.scap" "$(cat "$OUT/ebpf.root")" --names kmod,ebpf)
[ "${PARITY_STRICT:-1}" = 1 ] && args+=(--strict "$KMOD_REPO/tests/parity/EXPLAINED")
python3 "$KMOD_REPO/scripts/kmod/parity-compare.py" "${args[@]}" > "$OUT/report.txt"
rc=$?
grep '^parity:' "$OUT/report.txt"
# Per (event, parameter), how many differences, so the list reads at a glance.
grep '^parity-diff' "$OUT/report.txt" | awk '{print $2, $3, $4}' | sort | uniq -c | sort -rn | head -60
echo "parity report: $OUT/report.txt (captures $OUT/kmod.scap, $OUT/ebpf.scap)"
[ $rc = 0 ] && echo "parity: PASS" || echo "parity: FAIL"
exit $rc
