# In-guest benchmark plan of scripts/vm-bench: the same loops without the module, then with it
# loaded and a reader draining the rings on the other CPU.
T=/kmod-guest-test
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
$T bench; echo "=== RESULT bench-baseline rc=$?"
insmod /falco.ko; echo "=== RESULT insmod rc=$?"
$T bench idle; echo "=== RESULT bench-idle rc=$?"
$T bench capture; echo "=== RESULT bench-capture rc=$?"
rmmod falco; echo "=== RESULT rmmod rc=$?"
$T bench; echo "=== RESULT bench-baseline2 rc=$?"
# The live engine with the official falco_rules.yaml (3.0.1): a paced open+close load on CPU 0
# (every 200th pair, or more often at low rates so that a run has ~100, opens /etc/shadow: one
# "Sensitive file opened for reading by non-trusted program" alert), the engine reading the
# rings; per run: the load's events/s, the driver's drops, the engine's CPU% (utime+stime of the
# process over the load), and the syscall-to-alert latency of the shadow alerts (the alert's
# evt.time vs when its line reached a reader). Rates 0 = as fast as the load can go.
if [ -x /falco ]; then
  echo "BENCH_RATES='${BENCH_RATES:-2000 10000 25000 50000 100000 200000 0}' BENCH_SECS=${BENCH_SECS:-5}"
  echo 'root:*:19000:0:99999:7:::' > /etc/shadow
  wait_for() { i=0; while [ $i -lt 300 ]; do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; i=$((i+1)); done; return 1; }
  ticks() { awk '{print $14+$15}' /proc/$1/stat; }
  # tid, name and CPU ticks of each thread of the engine ($FPID).
  threads() { for t in /proc/$FPID/task/*; do echo "${t##*/} $(tr ' ' _ < $t/comm) $(awk '{print $14+$15}' $t/stat)"; done; }
  HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
  SECS=${BENCH_SECS:-5}
  for EV in 1 2; do
    for RATE in ${BENCH_RATES:-2000 10000 25000 50000 100000 200000 0}; do
      insmod /falco.ko
      rm -f /tmp/b.fifo; mkfifo /tmp/b.fifo
      $T stamp < /tmp/b.fifo > /tmp/b.out &
      SPID=$!
      /falco -c /engine-falco.yaml -r /falco_rules.yaml -o json_output=true -o engine.evaluators=$EV \
        -o log_level=info --pidfile /tmp/falco.pid > /tmp/b.fifo 2>&1 &
      FPID=$!
      # The load must start after capture is on: a process whose execve the engine missed
      # (and which its /proc scan predates) has no name, and the rule requires one.
      wait_for 'capturing live events' /tmp/b.out; sleep 1
      c0=$(ticks $FPID); t0=$(date +%s)
      threads > /tmp/th0
      # At least ~100 shadow alerts per run, so p99 is not just the worst of a dozen.
      if [ $RATE = 0 ]; then EVERY=200; else EVERY=$(( RATE * SECS / 400 )); fi
      [ $EVERY -gt 200 ] && EVERY=200; [ $EVERY -lt 1 ] && EVERY=1
      $T load $RATE $SECS $EVERY > /tmp/load.out
      c1=$(ticks $FPID)
      threads > /tmp/th1
      sleep 1
      # Peak resident memory of the engine over the run.
      hwm=$(awk '/^VmHWM/ {print $2}' /proc/$FPID/status)
      kill -TERM $FPID; wait $FPID; rc=$?
      wait $SPID
      rmmod falco
      ach=$(sed -n 's/.* events_per_s=\([0-9]*\).*/\1/p' /tmp/load.out)
      drv=$(sed -n 's/.*driver: \([0-9]*\) events produced, \([0-9]*\) dropped.*/\1 \2/p' /tmp/b.out)
      lat=$($T latency /tmp/b.out 'Sensitive file opened for reading by' | sed -n 's/^LATENCY \[[^]]*\] //p')
      cpu=$(awk -v a=$c0 -v b=$c1 -v hz=$HZ -v s=$SECS 'BEGIN{printf "%.1f", (b-a)/hz/s*100}')
      echo "BENCH engine evaluators=$EV target=$RATE events_per_s=$ach cpu_pct=$cpu driver_events_drops=$(echo $drv | tr " " ",") $lat peak_rss_kb=$hwm rc=$rc"
      # Where the engine's CPU went: % of one vCPU per thread over the load.
      echo "BENCH threads evaluators=$EV target=$RATE $(awk -v hz=$HZ -v s=$SECS 'NR==FNR {a[$1]=$3; next}
        ($1 in a) && $3 > a[$1] {printf "%s=%.1f ", $2, ($3-a[$1])/hz/s*100}' /tmp/th0 /tmp/th1)"
    done
  done
  echo "=== RESULT bench-engine rc=0"
  # Scaling on a fixed workload: a live capture of the unpaced load, replayed (CPU-bound) with
  # one and with two evaluator threads.
  insmod /falco.ko
  RS=${BENCH_REPLAY_SECS:-1}
  /falco-inspect --live -w /tmp/bench.scap -M $((RS + 2)) > /tmp/cap.out 2>&1 &
  CPID=$!
  sleep 1; $T load 0 $RS 200 > /dev/null; wait $CPID
  rmmod falco
  for EV in 1 2 1 2; do
    /falco -c /engine-falco.yaml -r /falco_rules.yaml -o engine.kind=replay -o engine.replay.capture_file=/tmp/bench.scap \
      -o engine.evaluators=$EV > /tmp/rep.out 2>&1
    echo "BENCH replay evaluators=$EV $(grep 'Events processed' /tmp/rep.out)"
  done
  # The same events with all three official rules files: evaluation then outweighs the
  # ordered state stage, which is what a second evaluator can take over.
  for EV in 1 2 1 2; do
    /falco -c /engine-falco.yaml -r /falco_rules.yaml -r /falco-incubating_rules.yaml -r /falco-sandbox_rules.yaml \
      -o engine.kind=replay -o engine.replay.capture_file=/tmp/bench.scap -o engine.evaluators=$EV > /tmp/rep.out 2>&1
    echo "BENCH replay-all-rules evaluators=$EV $(grep 'Events processed' /tmp/rep.out)"
  done
  echo "=== RESULT bench-replay rc=0"
  # BENCH_EXPORT=1: the capture, gzipped and base64, for profiling the same events on the host.
  if [ "${BENCH_EXPORT:-0}" = 1 ]; then
    echo "=== BENCH-CAPTURE-BEGIN"; gzip -c /tmp/bench.scap | base64; echo "=== BENCH-CAPTURE-END"
  fi
fi
