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
run events $T events
run poll $T poll
run mask $T mask
run hotplug $T hotplug
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
lsmod | grep -q '^falco ' && { echo "falco still loaded"; result unloaded 1; } || result unloaded 0
dmesg | grep -E 'falco|WARNING|BUG|Oops|lockdep|KASAN|sleeping function' | tail -20
