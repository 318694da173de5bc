#!/bin/bash
# usage: check-log.sh CONSOLE.log TESTS.sh START_EPOCH — judge a guest run: every step of the plan
# reported rc=0, the guest finished, and the kernel logged no warning, bug, oops, lockdep or KASAN.
set -u
LOG=$1; PLAN=$2; T0=$3
fail=0
grep -a -E '^(CHECK|BENCH|=== |cycles:|insmod|rmmod)' "$LOG" | grep -av '=== BEGIN' || true
expected=$(grep -v '^ *#' "$PLAN" | grep -oE '(result|run) [a-z0-9-]+' | awk '{print $2}' | grep -v '^"\$' | sort -u)
for n in $expected; do
  grep -aq "=== RESULT $n rc=0" "$LOG" || { echo "FAIL: step $n did not pass"; fail=1; }
done
grep -aq '=== GUEST-DONE' "$LOG" || { echo "FAIL: guest did not finish (timeout or crash)"; fail=1; }
if grep -a -E 'WARNING:|BUG:|Oops|Call Trace|lockdep|KASAN|sleeping function called|RCU stall|general protection' "$LOG"; then
  echo "FAIL: kernel warnings in the guest log"; fail=1
fi
echo "log: $LOG ($(( $(date +%s) - T0 ))s total)"
if [ $fail = 0 ]; then echo "vm-test: PASS"; else echo "vm-test: FAIL"; fi
exit $fail
