# In-guest test plan of scripts/vm-test. Every step prints "=== RESULT <name> rc=<n>"; the host
# fails the run on any non-zero rc, on a missing RESULT, or on a kernel warning in the log.
T=/kmod-guest-test
M=/falco.ko
echo 'root:*:19000:0:99999:7:::' > /etc/shadow
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
result() { echo "=== RESULT $1 rc=$2"; }
run() { n=$1; shift; echo "=== BEGIN $n"; "$@"; result "$n" $?; }

modinfo $M 2>/dev/null | grep -E '^(name|vermagic|parm)'
insmod $M ring_size=1000 2>/dev/null; rc=$?; [ $rc -ne 0 ]; result bad-ring-size-refused $?
# Rings larger than the guest's memory: a clean ENOMEM, no allocation warning.
insmod $M ring_size=1073741824 2>/dev/null; rc=$?; [ $rc -ne 0 ] && ! lsmod | grep -q '^falco '; result huge-ring-refused $?
insmod $M; result insmod $?
ls -l /dev/falco*; n=$(ls /dev/falco* | wc -l); [ "$n" -ge 2 ]; result devices $?
# Every ring node is 0400 root:root, like Falco's driver.
bad=0; for d in /dev/falco*; do [ "$(stat -c '%a %u %g' $d)" = "400 0 0" ] || { stat -c '%n %a %u %g' $d; bad=1; }; done; result devices-mode-0400 $bad
run events $T events
run params $T params
# overlayfs exec layer flags: Debian's overlay.ko beside the stock kernel (the self-built debug
# kernel has no overlayfs: both steps then say SKIP with the reason).
if [ "${OVERLAY:-0}" = 1 ]; then
  grep -qw overlay /proc/filesystems || insmod /overlay.ko; grep -qw overlay /proc/filesystems; result overlay-module $?
  run overlay $T overlay
else
  echo "=== SKIP overlay-module (no overlay.ko for this kernel)"; echo "=== SKIP overlay (no overlayfs)"
fi
run poll $T poll
run mask $T mask
run hotplug $T hotplug
# Threads sharing CPU 0: every getppid arrives exactly once though the scheduler preempts the
# probes (guest_preempt.rs); then through the eBPF driver: on perf tracepoints (the default
# where tracefs is mounted) exactly once too; on BTF tracepoints, which this kernel runs
# preemptibly and skips while preempted, every call arrives or is counted as dropped, and the
# counts of skipped and recovered calls are printed.
run preemption $T preemption 10000 exact
if [ -r /sys/kernel/btf/vmlinux ]; then
  run ebpf-preemption $T --ebpf preemption 10000 exact
  FALCO_EBPF_ATTACH=btf run ebpf-preemption-btf $T --ebpf preemption 10000
else
  echo "=== SKIP ebpf-preemption (this kernel has no BTF: the modern eBPF driver cannot load)"
  echo "=== SKIP ebpf-preemption-btf (this kernel has no BTF: the modern eBPF driver cannot load)"
fi
# rmmod while a reader holds the devices must be refused, then work once it is gone.
$T hold 3 & sleep 1
rmmod falco 2>/dev/null; rc=$?; [ $rc -ne 0 ]; result rmmod-refused-while-held $?
wait
rmmod falco; result rmmod $?
insmod $M ring_size=65536; result insmod-small $?
run overflow $T overflow
rmmod falco; result rmmod-small $?
fails=0
i=0
while [ $i -lt ${CYCLES:-50} ]; do
  i=$((i+1))
  insmod $M ring_size=1048576 || { echo "cycle $i: insmod failed"; fails=$((fails+1)); continue; }
  $T cycle || { echo "cycle $i: capture failed"; fails=$((fails+1)); }
  rmmod falco || { echo "cycle $i: rmmod failed"; fails=$((fails+1)); }
done
echo "cycles: $i, failures: $fails"
[ $fails -eq 0 ]; result cycles $?
# The engine end to end: the falco binary reads the module's rings and raises the rule's alert.
if [ "${ENGINE:-1}" = 1 ] && [ -x /falco ]; then
  insmod $M
  /falco -r /kmod-rules.yaml -o engine.kind=kmod -U -M 10 --pidfile /tmp/falco.pid > /tmp/falco.out 2>&1 &
  sleep 5
  cat /etc/shadow > /dev/null
  wait
  cat /tmp/falco.out
  grep -q 'FALCO-ALERT shadow opened (proc=cat file=/etc/shadow' /tmp/falco.out; result engine-alert $?
  rmmod falco
else
  echo "=== SKIP engine-alert"
fi
# The live engine with the project's default rules: each action raises its alert; SIGTERM exits 0
# after writing every queued alert.
wait_for() { i=0; while [ $i -lt 300 ]; do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; i=$((i+1)); done; return 1; }
if [ "${ENGINE:-1}" = 1 ] && [ -x /falco ]; then
  mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
  insmod $M
  # JSON alerts carry their syscall's evt.time; `stamp` prefixes each line with when it arrived.
  mkfifo /tmp/live.fifo
  $T stamp < /tmp/live.fifo > /tmp/live.out &
  SPID=$!
  /falco -c /engine-falco.yaml -r /falco_rules.yaml -o json_output=true --pidfile /tmp/falco.pid > /tmp/live.fifo 2>&1 &
  FPID=$!
  wait_for 'capturing live events' /tmp/live.out
  cat /etc/shadow > /dev/null
  echo x > /etc/evil.conf
  CG=/sys/fs/cgroup/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  mkdir -p $CG
  # busybox runs its own applets without execve unless the command has a slash: exec the shell
  # through a path so the kernel sees a real execve of `sh` inside the cgroup.
  ln -sf /bin/busybox /tmp/sh
  sh -c "echo \$\$ > $CG/cgroup.procs && exec /tmp/sh -c 'cat /proc/self/cgroup'"
  # A program run from a memfd (proc.is_exe_from_memfd, from the module's exec flags).
  $T memfd-exec
  wait_for 'Shell spawned in a container' /tmp/live.out
  wait_for 'Execution from a temporary or memory location' /tmp/live.out
  kill -TERM $FPID; wait $FPID; result live-sigterm-exit0 $?
  wait $SPID
  cat /tmp/live.out
  grep -q 'Sensitive file opened for reading by untrusted program (file=/etc/shadow' /tmp/live.out; result live-default-shadow $?
  grep -q 'File below a system directory opened for writing (file=/etc/evil.conf' /tmp/live.out; result live-default-etc-write $?
  grep -q 'Shell spawned in a container (.*container_id=0123456789ab' /tmp/live.out; result live-default-container-shell $?
  # Each alert arrives within 100 ms of its syscall (the alert's evt.time vs the line's arrival).
  run live-latency-shadow $T latency /tmp/live.out 'Sensitive file opened for reading by untrusted program (file=/etc/shadow' 100
  run live-latency-etc-write $T latency /tmp/live.out 'File below a system directory opened for writing (file=/etc/evil.conf' 100
  run live-latency-container-shell $T latency /tmp/live.out 'Shell spawned in a container' 100
  # The process an alert names is the one after its execve (the rings are merged in order).
  grep 'Sensitive file opened' /tmp/live.out | grep -q '"proc.name":"cat"'; result live-shadow-names-cat $?
  grep -q 'Execution from a temporary or memory location (exe=/memfd:falco-memfd ' /tmp/live.out; result live-default-memfd-exec $?
  # kill -1 with a changed rules file applies it; with a broken one keeps the old rules and logs
  # the error with its position; every one of the 60+40 marker reads across both reloads alerts.
  cp /reload-a.yaml /tmp/rules.yaml; : > /tmp/m1; : > /tmp/m2
  /falco -c /engine-falco.yaml -r /tmp/rules.yaml --pidfile /tmp/falco.pid > /tmp/reload.out 2>&1 &
  FPID=$!
  wait_for 'capturing live events' /tmp/reload.out
  P0=$(cat /tmp/falco.pid)
  i=0; while [ $i -lt 20 ]; do cat /tmp/m1; cat /tmp/m2; i=$((i+1)); done
  cp /reload-b.yaml /tmp/rules.yaml; kill -1 $(cat /tmp/falco.pid); wait_for 'reloaded' /tmp/reload.out
  i=0; while [ $i -lt 20 ]; do cat /tmp/m1; cat /tmp/m2; i=$((i+1)); done
  cp /reload-broken.yaml /tmp/rules.yaml; kill -1 $(cat /tmp/falco.pid); wait_for 'reload failed' /tmp/reload.out
  i=0; while [ $i -lt 20 ]; do cat /tmp/m1; cat /tmp/m2; i=$((i+1)); done
  P1=$(cat /tmp/falco.pid)
  kill -TERM $FPID; wait $FPID; result reload-sigterm-exit0 $?
  cat /tmp/reload.out | grep -v MARK
  [ "$P0" = "$P1" ]; result reload-same-pid $?
  n1=$(grep -c 'MARK1' /tmp/reload.out); n2=$(grep -c 'MARK2' /tmp/reload.out); echo "MARK1=$n1 MARK2=$n2"
  [ "$n1" -eq 60 ]; result reload-marker1-all-60 $?
  [ "$n2" -eq 40 ]; result reload-marker2-after-reload-40 $?
  grep -q 'reload failed, keeping the running rules.*/tmp/rules.yaml:3:' /tmp/reload.out; result reload-broken-position $?
  rmmod falco
fi
# Live loss (README, "No alert is lost silently"): the same burst of 5000 alerts (the shell opens a
# marker file without forking) goes through stdout into a FIFO twice. First its reader holds off
# until the burst is over: the queue and the pipe fill, the output sheds, and the run reports it
# in every way, with detected = delivered + not delivered. Then a reader that keeps up: the same
# run reports no loss and exits 0.
if [ "${ENGINE:-1}" = 1 ] && [ -x /falco ]; then
  insmod $M
  # loss_burst NAME HOLD: starts the reader (held off until /tmp/NAME.go exists when HOLD=1) and
  # falco (alerts and summary into the FIFO, log in /tmp/NAME.err), then makes the burst.
  loss_burst() {
    rm -f /tmp/$1.*; mkfifo /tmp/$1.fifo; : > /tmp/lossmark
    [ "$2" = 1 ] || : > /tmp/$1.go
    sh -c "while [ ! -e /tmp/$1.go ]; do sleep 0.1; done; exec cat" < /tmp/$1.fifo > /tmp/$1.out &
    RPID=$!
    /falco -c /engine-falco.yaml -r /loss-rules.yaml -o outputs_queue.capacity=1024 \
      -o syslog_output.enabled=false -o 'syscall_event_drops.actions=[log]' \
      -o metrics.enabled=true -o metrics.interval=1s -o metrics.output_rule=false \
      -o metrics.output_file=/tmp/$1.metrics --pidfile /tmp/falco.pid > /tmp/$1.fifo 2> /tmp/$1.err &
    FPID=$!
    wait_for 'capturing live events' /tmp/$1.err
    i=0; while [ $i -lt 5000 ]; do : < /tmp/lossmark; i=$((i+1)); done
  }
  # loss_counts NAME: the summary's counts, the alert lines the reader got, the metrics' last
  # shed count (absent while 0: include_empty_values is off).
  loss_counts() {
    cat /tmp/$1.err; grep -v LOSSMARK /tmp/$1.out
    det=$(sed -n 's/^Events detected: //p' /tmp/$1.out)
    lost=$(sed -n 's/^Alerts not delivered: //p' /tmp/$1.out)
    shed=$(sed -n 's/^   stdout: [0-9]* (\([0-9]*\) shed,.*/\1/p' /tmp/$1.out)
    got=$(grep -c ': Warning LOSSMARK (proc=' /tmp/$1.out)
    mshed=$(sed -n 's/.*"falco.outputs_queue_num_drops":\([0-9]*\).*/\1/p' /tmp/$1.metrics | tail -1)
    echo "LOSS $1: exit=$rc detected=$det delivered=$got not-delivered=${lost:-none} stdout-shed=${shed:-none}" \
      "metrics-shed=${mshed:-none} metrics-samples=$(grep -c '"sample"' /tmp/$1.metrics)"
  }
  loss_burst loss 1
  # Logged while it happens: before the stop, with the reader still holding off.
  wait_for '^\[WARN \] stdout output: [0-9]* alerts shed since the last notice' /tmp/loss.err; warned=$?
  wait_for '"falco.outputs_queue_num_drops":[1-9]' /tmp/loss.metrics; metered=$?
  : > /tmp/loss.go
  kill -TERM $FPID; wait $FPID; rc=$?; wait $RPID
  loss_counts loss
  [ $warned = 0 ]; result live-loss-warned-while-running $?
  [ $metered = 0 ] && [ -n "$mshed" ] && [ -n "$shed" ] && [ "$mshed" -gt 0 ] && [ "$mshed" -le "$shed" ]
  result live-loss-metrics-shed $?
  [ -n "$lost" ] && [ "$lost" -gt 0 ] && [ "$shed" = "$lost" ] &&
    grep -q "] $lost alerts were not delivered by every output (exit status 3)" /tmp/loss.err
  result live-loss-summary-not-delivered $?
  [ $rc = 3 ]; result live-loss-exit3 $?
  [ -n "$det" ] && [ "$det" -gt 0 ] && [ -n "$lost" ] && [ "$det" -eq $((got + lost)) ]
  result live-loss-accounting $?
  loss_burst noloss 0
  wait_for '"sample"' /tmp/noloss.metrics; metered=$?
  kill -TERM $FPID; wait $FPID; rc=$?; wait $RPID
  loss_counts noloss
  [ $rc = 0 ]; result live-noloss-exit0 $?
  [ $metered = 0 ] && [ -z "$lost" ] && [ -z "$mshed" ] && ! grep -q 'shed\|not delivered' /tmp/noloss.err
  result live-noloss-nothing-reported $?
  [ -n "$det" ] && [ "$det" -gt 0 ] && [ "$det" -eq "$got" ]; result live-noloss-accounting $?
  # The driver's count is this run's, not the module's since its load (which holds the first
  # run's events too: about twice as many).
  prod=$(sed -n 's/.*driver: \([0-9]*\) events produced.*/\1/p' /tmp/noloss.err)
  proc=$(sed -n 's/^Events processed: \([0-9]*\).*/\1/p' /tmp/noloss.out)
  echo "LOSS noloss: driver produced=$prod processed=$proc"
  [ -n "$prod" ] && [ -n "$proc" ] && [ $((prod * 2)) -lt $((proc * 3)) ]
  result live-noloss-driver-count-this-run $?
  rmmod falco
fi
# A live capture with falco-inspect: read back, and replayed with the default rules.
if [ "${ENGINE:-1}" = 1 ] && [ -x /falco-inspect ]; then
  insmod $M
  /falco-inspect --live -w /tmp/live.scap -M 3 > /tmp/cap.out 2>&1 &
  CPID=$!
  # Only once the capture is on (a fixed sleep was too short on the slow KASAN kernel).
  wait_for 'capturing to' /tmp/cap.out
  cat /etc/shadow > /dev/null
  wait $CPID; result live-capture-exit0 $?
  cat /tmp/cap.out
  /falco-inspect -r /tmp/live.scap -p '%evt.num %evt.type %evt.dir' 'evt.type=openat and fd.name=/etc/shadow and proc.name=cat' > /tmp/cap.txt
  cat /tmp/cap.txt
  grep -q 'openat <' /tmp/cap.txt; result live-capture-readback $?
  /falco -c /engine-falco.yaml -r /falco_rules.yaml -o engine.kind=replay -o engine.replay.capture_file=/tmp/live.scap > /tmp/rep.out 2>&1
  grep 'Sensitive file' /tmp/rep.out
  grep -q 'Sensitive file opened for reading by untrusted program (file=/etc/shadow' /tmp/rep.out; result live-capture-replay-alert $?
  # The engine's proc.is_exe_upper_layer / proc.is_exe_lower_layer from the module's exec flags.
  if [ "${OVERLAY:-0}" = 1 ]; then
    /falco-inspect --live -w /tmp/ovl.scap -M 3 > /tmp/ovlcap.out 2>&1 &
    CPID=$!
    wait_for 'capturing to' /tmp/ovlcap.out
    $T overlay-actions
    wait $CPID
    X='evt.type=execve and evt.dir=<'
    L=$(/falco-inspect -r /tmp/ovl.scap -p '%proc.name' "$X and proc.is_exe_lower_layer=true and proc.is_exe_upper_layer=false" | sort | tr '\n' ' ')
    U=$(/falco-inspect -r /tmp/ovl.scap -p '%proc.name' "$X and proc.is_exe_upper_layer=true and proc.is_exe_lower_layer=false" | sort | tr '\n' ' ')
    echo "execs from a lower layer: [$L] from the upper layer: [$U]"
    [ "$L" = "lowertrue " ] && [ "$U" = "lowercopy uppertrue " ]; result engine-exe-overlay-layer $?
  else
    echo "=== SKIP engine-exe-overlay-layer (no overlayfs)"
  fi
  rmmod falco
fi
# Parity (tests/parity/README.md): the same workload captured through the module, then through
# the modern eBPF driver on this same kernel; the host compares the two captures event by event.
if [ "${ENGINE:-1}" = 1 ] && [ -x /falco-inspect ] && [ -x /parity-workload ]; then
  # parity_capture NAME [falco-inspect flags]: capture the workload's run; prints its root pid and
  # the gzipped capture between PARITY-BEGIN/END markers for scripts/kmod/parity-compare.py.
  parity_capture() {
    pn=$1; shift
    rm -rf /tmp/par-go /tmp/parity; mkfifo /tmp/par-go
    /parity-workload /tmp/parity /tmp/par-go & PW=$!
    # The workload blocks opening the FIFO until the capture is on. The eBPF side keeps to its
    # tree; the module captures everything and the host keeps the same tree.
    FALCO_EBPF_ONLY_TREE_OF=$PW /falco-inspect --live "$@" -w /tmp/par-$pn.scap -M 6 > /tmp/par-$pn.out 2>&1 &
    PC=$!
    wait_for 'capturing to' /tmp/par-$pn.out || { kill $PC; : > /tmp/par-go; }
    : > /tmp/par-go
    wait $PW; prc=$?
    wait $PC; crc=$?
    cat /tmp/par-$pn.out
    echo "=== PARITY-BEGIN $pn $PW"
    gzip -c /tmp/par-$pn.scap | base64
    echo "=== PARITY-END $pn"
    [ $prc = 0 ] && [ $crc = 0 ]
  }
  insmod $M
  run parity-kmod parity_capture kmod
  rmmod falco
  # VARIANT=debug's kernel is built without BTF: no eBPF driver there, so no comparison.
  if [ -r /sys/kernel/btf/vmlinux ]; then
    run parity-ebpf parity_capture ebpf --modern-bpf
  else
    echo "=== SKIP parity-ebpf (this kernel has no BTF: the modern eBPF driver cannot load)"
  fi
fi
# The rule scenarios (tests/scenarios/): recorded one capture each, then live on the default
# rules; the seed scenario; a benign workload of at least 60 s that must raise no alert.
if [ "${ENGINE:-1}" = 1 ] && [ -d /scenarios ]; then
  insmod $M
  . /scenarios/guest.sh
  scenario_env
  run scenarios-record scenarios_record
  run scenarios-live scenarios_live
  run scenario-seed scenario_seed
  run benign-workload-60s benign_workload 62
  rmmod falco
fi
lsmod | grep -q '^falco ' && { echo "falco still loaded"; result unloaded 1; } || result unloaded 0
dmesg | grep -E 'falco|WARNING|BUG|Oops|lockdep|KASAN|sleeping function' | tail -20
