#!/bin/bash
# usage: extract-scenarios.sh CONSOLE.log DIR — writes each rule-scenario capture the guest printed
# (base64 between "=== SCENARIO-CAPTURE-BEGIN <name>" and "=== SCENARIO-CAPTURE-END") to
# DIR/<name>.scap.gz, and the guest's live verdicts to DIR/live-results.txt; fails when a block
# does not decode.
set -euo pipefail
LOG=$1; DIR=$2
rm -rf "$DIR"; mkdir -p "$DIR"
n=0
for name in $(grep -a '^=== SCENARIO-CAPTURE-BEGIN ' "$LOG" | tr -d '\r' | awk '{print $3}'); do
  awk -v n="$name" '$0 ~ "^=== SCENARIO-CAPTURE-BEGIN "n"\r?$" {on=1; next} /^=== SCENARIO-CAPTURE-END/ {on=0} on' "$LOG" \
    | tr -d '\r' | base64 -d > "$DIR/$name.scap.gz"
  gzip -t "$DIR/$name.scap.gz"
  n=$((n+1))
done
# The guest's live verdicts of the same run (engine/falco/tests/scenarios.rs shows them).
grep -a -E '^(LIVE |live scenarios:|seed: |benign workload: |build: |serve: |admin: )' "$LOG" | tr -d '\r' > "$DIR/live-results.txt" || true
echo "scenario captures: $n in $DIR ($(du -sh "$DIR" | cut -f1))"
