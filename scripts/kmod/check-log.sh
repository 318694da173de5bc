#!/bin/bash
# usage: check-log.sh CONSOLE.log TESTS.sh START_EPOCH — judge a guest run: every step of the plan
# reported rc=0, the guest finished, and the kernel logged no warning, bug, oops, lockdep or KASAN.
set -u
LOG=$1; PLAN=$2; T0=$3
fail=0
grep -a -E '^(CHECK|BENCH|=== |cycles:|insmod|rmmod|FALCO-ALERT|.*FALCO-ALERT)' "$LOG" | grep -av '=== BEGIN' || true
steps() { grep -v '^ *#' | grep -oE '(result|run) [a-z0-9-]+' | awk '{print $2}' | grep -v '^"\$' | sort -u; }
expected=$(steps < "$PLAN")
# ENGINE=0 (no engine built): the plan's `if [ "${ENGINE:-1}" = 1 ] ...` blocks do not run.
engine_steps=$(awk '/^if \[ "\$\{ENGINE:-1\}" = 1 \]/ {on=1} on {print} on && /^fi/ {on=0}' "$PLAN" | steps)
for n in $expected; do
  if [ "${ENGINE:-1}" = 0 ] && echo "$engine_steps" | grep -qx -- "$n"; then
    echo "SKIP (ENGINE=0): step $n"; continue
  fi
  grep -aq -e "=== RESULT $n rc=0" -e "=== SKIP $n" "$LOG" || { echo "FAIL: step $n did not pass"; fail=1; }
done
if grep -a '^=== RESULT .* rc=[1-9]' "$LOG"; then echo "FAIL: a guest step failed"; fail=1; fi
grep -aq '=== GUEST-DONE' "$LOG" || { echo "FAIL: guest did not finish (timeout or crash)"; fail=1; }
# Kernel messages only (console lines with a printk timestamp), not the test programs' output.
if grep -a -E '^\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|Call Trace|lockdep|KASAN|sleeping function called|RCU stall|general protection|possible circular locking|inconsistent lock state)' "$LOG"; then
  echo "FAIL: kernel warnings in the guest log"; fail=1
fi
# The capture the guest wrote from its decoded events must read in sysdig on the host.
if grep -aq '=== SCAP-BEGIN' "$LOG"; then
  SCAP=${LOG%.log}.scap
  sed -n '/=== SCAP-BEGIN/,/=== SCAP-END/p' "$LOG" | grep -av '===' | tr -d '\r' | base64 -d > "$SCAP" 2>/dev/null
  if command -v sysdig >/dev/null; then
    OUT=${LOG%.log}.sysdig.txt
    if sysdig -r "$SCAP" > "$OUT" 2>&1; then
      for want in 'openat.*/etc/shadow' '< execve.*exe=/bin/true' '< connect.*127.0.0.1' '< unlink.*falco-kmod-test' '< chmod.*falco-kmod-test' '< setuid res=0' '< unshare' '< ptrace res=0 addr=[0-9A-F]+ data=123456789ABCDEF' '< ptrace res=-3\(ESRCH\)' \
          '< execve res=0 exe=true args=execveat-cwd\.' '< execve res=0 exe=true args=execveat-fd\.' \
          '< execve res=0 exe=true args=execveat-dirfd\.' '< execveat res=-2\(ENOENT\) exe=falco-missing args=execveat-fail\.'; do
        if grep -qE -- "$want" "$OUT"; then echo "sysdig ok: $(grep -m1 -E -- "$want" "$OUT" | cut -c1-160)";
        else echo "FAIL: sysdig output of $SCAP lacks /$want/ (see $OUT)"; fail=1; fi
      done
      # falco-inspect prints the module's ptrace events as sysdig does (type, res, addr, data;
      # plain values: the resolved "(NAME)" suffixes dropped on both sides, since sysdig 0.29
      # resolves fewer; request and pid are newer than its table).
      FI=${CARGO_TARGET_DIR:-$(dirname "$0")/../../target}/x86_64-unknown-linux-gnu/release/falco-inspect
      if [ -x "$FI" ]; then
        A=$(sysdig -r "$SCAP" -p '%evt.type %evt.args' 'evt.type=ptrace' | sed 's/([^)]*)//g' | awk '{print $1,$2,$3,$4}')
        B=$("$FI" -r "$SCAP" -p '%evt.type %evt.args' 'evt.type=ptrace' | sed 's/([^)]*)//g' | awk '{print $1,$2,$3,$4}')
        if [ -n "$A" ] && [ "$A" = "$B" ]; then echo "falco-inspect = sysdig on $(echo "$A" | wc -l) ptrace events"
        else echo "FAIL: ptrace events print differently:"; echo "sysdig:"; echo "$A"; echo "falco-inspect:"; echo "$B"; fail=1; fi
      elif [ "${ENGINE:-1}" = 0 ]; then
        echo "SKIP (ENGINE=0): falco-inspect not built, ptrace printing not compared with sysdig"
      else
        echo "FAIL: $FI missing, cannot compare ptrace printing"; fail=1
      fi
    else
      echo "FAIL: sysdig cannot read $SCAP:"; tail -5 "$OUT"; fail=1
    fi
  else
    echo "FAIL: sysdig not installed, cannot check $SCAP"; fail=1
  fi
else
  echo "FAIL: the guest wrote no capture"; fail=1
fi
echo "log: $LOG ($(( $(date +%s) - T0 ))s total)"
if [ $fail = 0 ]; then echo "vm-test: PASS"; else echo "vm-test: FAIL"; fi
exit $fail
