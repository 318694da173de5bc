# shellcheck shell=sh
# The rule scenarios in the guest (sourced by tests/kmod/tests.sh; needs /falco, /falco-inspect,
# /falco_rules.yaml, the module loaded, and /scenarios with these files and scenario-helper).
#
# scenarios_record: each scenario's trigger and benign twin recorded with
#   `falco-inspect --live -z -w`, one capture each, printed base64 between
#   `=== SCENARIO-CAPTURE-BEGIN <slug>.<mode>` and `=== SCENARIO-CAPTURE-END` lines
#   (scripts/kmod/extract-scenarios.sh writes them to files on the host).
# scenarios_live: one falco on the default rules (plus a marker rule) while every trigger and
#   benign twin runs; each trigger must raise its rule with the EXPECT fields, each twin not.
# scenario_seed: a shell in a container runs cat /etc/shadow: exactly the two alerts.
# benign_workload SECONDS: a build, a file server with clients and an admin's shell use raise
#   no alert at all.
. /scenarios/lib.sh

SW=/tmp/scn
mkdir -p $SW

wait_file() { i=0; while [ $i -lt 300 ]; do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; i=$((i+1)); done; return 1; }

record_one() { # FILE MODE
  load_scenario "$1"; slug=$(basename "$1" .sh); out=$SW/$slug.$2.scap.gz
  setup
  rm -f $SW/cap.out $SW/cap.err
  /falco-inspect --live -z -w "$out" > $SW/cap.out 2> $SW/cap.err &
  cpid=$!
  wait_file 'capturing to' $SW/cap.err || { echo "capture did not start"; cat $SW/cap.err; }
  $2; rc=$?
  kill -TERM $cpid; wait $cpid; crc=$?
  cleanup
  echo "scenario $slug.$2: action rc=$rc, capture rc=$crc, $(cat $SW/cap.out), $(wc -c < "$out") bytes"
  echo "=== SCENARIO-CAPTURE-BEGIN $slug.$2"; base64 "$out"; echo "=== SCENARIO-CAPTURE-END"
  [ $rc -eq 0 ] && [ $crc -eq 0 ]
}

scenarios_record() {
  fails=0
  for f in $(scenario_files); do
    for m in trigger benign; do record_one "$f" $m || fails=$((fails+1)); done
  done
  echo "scenarios recorded, failures: $fails"
  [ $fails -eq 0 ]
}

mark() { : > /tmp/scenario-mark/$1; /bin/cat /tmp/scenario-mark/$1; }

# The alerts (JSON lines) between the marks NAME.begin and NAME.end of falco's output $2.
window() { sed -n "/scenario-mark\/$1.begin/,/scenario-mark\/$1.end/p" "$2" | grep '"rule":' | grep -v '"rule":"Scenario mark"'; }

# Every field of EXPECT (|-separated) is in one alert line of rule RULE in file $1.
has_expected() {
  grep -F "\"rule\":\"$RULE\"" "$1" > $SW/rule.lines || return 1
  while read -r line; do
    ok=1
    old=$IFS; IFS='|'
    for want in $EXPECT; do
      case "$line" in *"$want"*) ;; *) ok=0 ;; esac
    done
    IFS=$old
    [ $ok = 1 ] && return 0
  done < $SW/rule.lines
  echo "  no $RULE alert with all of: $EXPECT"; cat $SW/rule.lines
  return 1
}

scenarios_live() {
  /falco -c /engine-falco.yaml -r /falco_rules.yaml -r /scenarios/marks.yaml -o json_output=true \
    --pidfile $SW/falco.pid > $SW/live.out 2>&1 &
  fpid=$!
  wait_file 'capturing live events' $SW/live.out; sleep 1
  for f in $(scenario_files); do
    slug=$(basename "$f" .sh)
    for m in trigger benign; do
      load_scenario "$f"; setup
      mark $slug.$m.begin; $m; mark $slug.$m.end
      cleanup
    done
  done
  wait_file "scenario-mark/$slug.benign.end" $SW/live.out
  kill -TERM $fpid; wait $fpid
  fails=0
  for f in $(scenario_files); do
    load_scenario "$f"; slug=$(basename "$f" .sh)
    window $slug.trigger $SW/live.out > $SW/w.trigger
    window $slug.benign $SW/live.out > $SW/w.benign
    if has_expected $SW/w.trigger; then t=fires; else t=SILENT; fi
    if [ -n "$GAP" ]; then
      # A known gap must stay silent: when it fires, the scenario file's GAP line is stale.
      [ $t = SILENT ] && t='silent (known gap)' || { t='FIRES despite GAP'; fails=$((fails+1)); }
    elif [ $t = SILENT ]; then fails=$((fails+1)); fi
    if grep -qF "\"rule\":\"$RULE\"" $SW/w.benign; then b=FIRES; fails=$((fails+1)); cat $SW/w.benign; else b=silent; fi
    echo "LIVE $slug: trigger $t, benign $b ($RULE)"
  done
  echo "live scenarios: failures $fails"
  [ $fails -eq 0 ]
}

scenario_seed() {
  /falco -c /engine-falco.yaml -r /falco_rules.yaml -o json_output=true --pidfile $SW/falco.pid > $SW/seed.out 2>&1 &
  fpid=$!
  wait_file 'capturing live events' $SW/seed.out; sleep 1
  # A container-like process (runc: own namespaces, docker-style cgroup) runs a shell that
  # reads its commands from stdin, as one typed in: cat /etc/shadow.
  echo 'cat /etc/shadow' | container /bin/sh
  wait_file 'Sensitive file opened' $SW/seed.out
  sleep 1
  kill -TERM $fpid; wait $fpid
  grep '"rule":' $SW/seed.out
  nal=$(grep -c '"rule":' $SW/seed.out)
  RULE='Shell spawned in container'; EXPECT="user=root|process=sh|parent=runc|command=sh terminal=|container_id=$CID12"
  has_expected $SW/seed.out; a=$?
  RULE='Read sensitive file by untrusted program'; EXPECT="file=/etc/shadow|user=root|process=cat|parent=sh|command=cat /etc/shadow|container_id=$CID12"
  has_expected $SW/seed.out; b=$?
  echo "seed: $nal alerts, shell-in-container rc=$a, shadow-read rc=$b"
  [ "$nal" -eq 2 ] && [ $a -eq 0 ] && [ $b -eq 0 ]
}

benign_workload() { # SECONDS
  /falco -c /engine-falco.yaml -r /falco_rules.yaml -o json_output=true --pidfile $SW/falco.pid > $SW/fp.out 2>&1 &
  fpid=$!
  wait_file 'capturing live events' $SW/fp.out; sleep 1
  start=$(date +%s); end=$((start + $1))
  sh /scenarios/workload.sh build $end > $SW/wl.build 2>&1 &
  b=$!
  sh /scenarios/workload.sh serve $end > $SW/wl.serve 2>&1 &
  s=$!
  sh /scenarios/workload.sh admin $end > $SW/wl.admin 2>&1 &
  a=$!
  wait $b $s $a
  took=$(( $(date +%s) - start ))
  tail -n 1 $SW/wl.build $SW/wl.serve $SW/wl.admin
  # The engine was live all along: a read of /etc/shadow right after the workload alerts.
  /bin/cat /etc/shadow > /dev/null
  wait_file 'Sensitive file opened' $SW/fp.out; sleep 1
  kill -TERM $fpid; wait $fpid
  grep '"rule":' $SW/fp.out
  nal=$(grep -c '"rule":' $SW/fp.out)
  grep '"rule":"Read sensitive file by untrusted program"' $SW/fp.out | grep -q 'command=cat /etc/shadow'; live=$?
  echo "benign workload: ${took}s, $((nal - 1)) alerts during it, canary alert after it rc=$live"
  grep -E 'events|drop' $SW/fp.out | tail -5
  [ "$took" -ge "$1" ] && [ "$nal" -eq 1 ] && [ $live -eq 0 ]
}
