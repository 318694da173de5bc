#!/bin/bash
# In-guest test of the falco Debian package (run by falco-deb-test.service from the host share /out).
# Every check prints "DEBTEST <step>: OK|FAIL <detail>"; the last line is "DEBTEST: PASS" or
# "DEBTEST: FAIL <steps>", also written to /out/RESULT. scripts/vm-test-deb checks both.
set -u
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
OUT=/out
exec > >(tee "$OUT/guest-test.log") 2>&1
DEB=$(ls "$OUT"/falco_*_amd64.deb | head -1)
N=$(cat "$OUT/N" 2>/dev/null || echo 40)
KV=$(uname -r)
# kmod: the guest has dkms and a Rust kernel, the service must run on the module; modern_ebpf: a
# kernel without Rust and no dkms, the package installed without its recommends, the service on eBPF.
DRIVER=$(cat "$OUT/DRIVER" 2>/dev/null || echo kmod)
APT_EXTRA=""
[ "$DRIVER" = modern_ebpf ] && APT_EXTRA=--no-install-recommends
EVENTS=/var/log/falco/events.txt
FAILED=""
T0=$(date +%s)
ok()   { echo "DEBTEST $1: OK ${2:-}"; }
fail() { echo "DEBTEST $1: FAIL ${2:-}"; FAILED="$FAILED $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "($*)"; fi; }
step() { echo "=== $(date -u +%T) +$(( $(date +%s) - T0 ))s $*"; }
# wait_for SECONDS CMD...: true as soon as CMD succeeds
wait_for() { local n=$1; shift; local i; for (( i = 0; i < n * 2; i++ )); do "$@" && return 0; sleep 0.5; done; return 1; }
finish() {
  # Close our stdout so tee flushes before we write the verdict (systemd kills leftovers at exit).
  local verdict
  if [ -z "$FAILED" ]; then verdict="DEBTEST: PASS"; else verdict="DEBTEST: FAIL$FAILED"; fi
  echo "$verdict (guest $(( $(date +%s) - T0 ))s)"
  echo "$verdict" > "$OUT/RESULT"
  exec >&- 2>&-; wait
  exit 0
}
journal_has() { journalctl -q -u falco.service --no-pager -o cat | grep -q -- "$1"; }
events_has() { [ -f "$EVENTS" ] && grep -q -- "$1" "$EVENTS"; }
apt_install() { apt-get install -y -q $APT_EXTRA -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }

step "guest: kernel $KV, package $DEB, driver expected: $DRIVER, $(rustc --version 2>/dev/null || echo no rustc)"
echo "DEBTEST boot: OK kernel=$KV"

step "apt-get install ./$(basename "$DEB")"
s=$(date +%s)
cp "$DEB" /root/ && DEB=/root/$(basename "$DEB")
if apt_install "$DEB"; then ok install "($(( $(date +%s) - s ))s)"; else fail install; finish; fi
VER=$(dpkg-query -W -f '${Version}' falco)
if [ "$DRIVER" = kmod ]; then
  dkms status falco
  check dkms-installed bash -c "dkms status -m falco -v $VER -k $KV | grep -q ': installed'"
  check module-file test -n "$(find /lib/modules/$KV -name 'falco.ko*' | head -1)"
else
  check no-dkms bash -c "! command -v dkms"
  check no-module-file test -z "$(find /lib/modules/$KV -name 'falco.ko*' | head -1)"
  check kernel-btf test -r /sys/kernel/btf/vmlinux
fi
check units-enabled test "$(systemctl is-enabled falco.service falco-kmod.service | sort -u)" = enabled
check conf-paths grep -q '^  - /etc/falco/falco_rules.local.yaml$' /etc/falco/falco.yaml
check k8s-audit-rules-shipped grep -q '^  # - /etc/falco/k8s_audit_rules.yaml$' /etc/falco/falco.yaml
check k8s-audit-rules-file test -f /etc/falco/k8s_audit_rules.yaml

step "configure: file output on, inotify watch off (the reload below must come from systemctl reload)"
sed -i -e '/^file_output:/,/^[^ ]/ s/^  enabled: false/  enabled: true/' \
       -e 's/^watch_config_files: true/watch_config_files: false/' /etc/falco/falco.yaml
grep -A3 '^file_output:' /etc/falco/falco.yaml

step "systemctl start falco"
if systemctl start falco.service; then ok start; else fail start; journalctl -u falco-kmod -u falco --no-pager | tail -30; finish; fi
if [ "$DRIVER" = kmod ]; then
  check module-loaded grep -q '^falco ' /proc/modules
  check driver-kmod wait_for 10 journal_has "engine.kind=kmod"
  ls -l /dev/falco* | head -3
else
  journalctl -u falco-kmod -u falco --no-pager -o cat | head -5
  check driver-ebpf wait_for 10 journal_has "engine.kind=modern_ebpf"
  check no-module-loaded bash -c "! grep -q '^falco ' /proc/modules && ! ls /dev/falco* 2>/dev/null"
  check falco-kmod-unit-ok test "$(systemctl show -P Result falco-kmod.service)" = success
  # The programs and maps are the engine's file descriptors (nothing pinned).
  FPID=$(systemctl show -P MainPID falco.service)
  check bpf-fds wait_for 30 bash -c "ls -l /proc/$FPID/fd 2>/dev/null | grep -q 'bpf-prog' && ls -l /proc/$FPID/fd | grep -q 'bpf-map'"
  echo "falco $FPID holds $(ls -l /proc/$FPID/fd | grep -c bpf-prog) BPF programs and $(ls -l /proc/$FPID/fd | grep -c bpf-map) maps"
  check nothing-pinned bash -c "[ -z \"\$(ls -A /sys/fs/bpf 2>/dev/null)\" ]"
fi
# The engine is ready once a read of /etc/shadow shows up: retry until then.
first=0
for i in $(seq 1 90); do
  cat /etc/shadow /nonexistent-first-$i >/dev/null 2>&1
  if journal_has "Sensitive file opened"; then first=$i; break; fi
  sleep 1
done
if [ "$first" -gt 0 ]; then ok shadow-alert-journal "after ${first} tries"; else fail shadow-alert-journal; fi
journalctl -u falco --no-pager -o cat | grep -m1 'Sensitive file opened' || true
check shadow-alert-file wait_for 10 events_has "Sensitive file opened for reading by untrusted program (file=/etc/shadow"
head -c 600 "$EVENTS" 2>/dev/null; echo

step "systemctl reload falco with an edited falco_rules.local.yaml, under a workload of $N reads"
PID1=$(systemctl show -P MainPID falco.service)
echo marker > /root/falco-reload-marker
cat /root/falco-reload-marker /nonexistent-marker-before >/dev/null 2>&1
cat >> /etc/falco/falco_rules.local.yaml <<'EOF'

- rule: Package test reload marker
  desc: Added by the package test just before systemctl reload.
  condition: open_read and fd.name = /root/falco-reload-marker
  output: Reload marker read (file=%fd.name command=%proc.cmdline)
  priority: WARNING
EOF
rm -f /run/wl-progress
shadow_alerts() { grep -c 'Sensitive file opened for reading by untrusted program (file=/etc/shadow' "$EVENTS"; }
base=$(shadow_alerts)
( for i in $(seq 1 "$N"); do cat /etc/shadow "/nonexistent-wl-$i" >/dev/null 2>&1; echo "$i" > /run/wl-progress; sleep 0.2; done ) &
WL=$!
wait_for 60 bash -c "[ \"\$(cat /run/wl-progress 2>/dev/null || echo 0)\" -ge $(( N / 3 )) ]"
at_reload=$(cat /run/wl-progress)
systemctl reload falco.service && ok reload-command "(workload at $at_reload/$N)" || fail reload-command
if wait_for 60 journal_has "reloaded:"; then
  at_done=$(cat /run/wl-progress)
  ok reload-applied "(workload at $at_done/$N when the engine logged it)"
  [ "$at_done" -lt "$N" ] && ok reload-during-workload || fail reload-during-workload "workload had ended ($at_done/$N)"
else
  fail reload-applied
fi
wait $WL
cat /root/falco-reload-marker /nonexistent-marker-after >/dev/null 2>&1
PID2=$(systemctl show -P MainPID falco.service)
check same-pid test "$PID1" = "$PID2" -a "$PID1" != 0
check no-restart test "$(systemctl show -P NRestarts falco.service)" = 0
check new-rule-fires wait_for 20 events_has "Reload marker read (file=/root/falco-reload-marker command=cat /root/falco-reload-marker /nonexistent-marker-after"
if events_has "nonexistent-marker-before)"; then fail new-rule-not-before; else ok new-rule-not-before; fi
# Every read of the workload must give one alert: count the /etc/shadow alerts since it started.
wait_for 30 bash -c "[ \$(grep -c 'Sensitive file opened for reading by untrusted program (file=/etc/shadow' $EVENTS) -ge $(( base + N )) ]"
sleep 2
got=$(( $(shadow_alerts) - base ))
if [ "$got" = "$N" ]; then ok no-event-gap "($got/$N alerts across the reload)"; else
  fail no-event-gap "($got/$N alerts; reload at $at_reload..${at_done:-?})"
  journalctl -u falco --no-pager -o cat | grep -i -e drop -e lost | tail -5
fi
# Which process each alert names is the engine's business, not the package's: report it.
named=$(grep 'Sensitive file opened' "$EVENTS" | grep -oE 'nonexistent-wl-[0-9]+' | sort -u | wc -l)
if [ "$named" != "$N" ]; then
  missing=$(for i in $(seq 1 "$N"); do grep -q "nonexistent-wl-$i[ )]" "$EVENTS" || echo -n "$i "; done)
  echo "DEBTEST-NOTE attribution: $named/$N workload alerts name their command; the others ($missing) name the process before its execve:"
  grep 'Sensitive file opened' "$EVENTS" | grep -v -e 'nonexistent-wl-' -e 'nonexistent-first-' | head -3
fi
journalctl -u falco --no-pager -o cat | grep -E 'reloaded|reload failed' || true

step "reinstall (upgrade path): conffiles keep the local edits"
s=$(date +%s)
if apt_install --reinstall "$DEB"; then ok reinstall "($(( $(date +%s) - s ))s)"; else fail reinstall; fi
check conffile-kept grep -q 'Package test reload marker' /etc/falco/falco_rules.local.yaml
check conffile-kept-yaml grep -q '^watch_config_files: false' /etc/falco/falco.yaml
check restarted-after-upgrade wait_for 20 systemctl --quiet is-active falco.service

step "systemctl stop falco: SIGTERM drains and exits 0"
s=$(date +%s)
systemctl stop falco.service
res=$(systemctl show -P Result falco.service) code=$(systemctl show -P ExecMainStatus falco.service)
if [ "$res" = success ] && [ "$code" = 0 ]; then ok stop-clean "($(( $(date +%s) - s ))s)"; else fail stop-clean "(Result=$res status=$code, $(( $(date +%s) - s ))s)"; fi
systemctl start falco.service

step "apt-get remove"
s=$(date +%s)
if apt-get remove -y -q falco; then ok remove "($(( $(date +%s) - s ))s)"; else fail remove; fi
check removed-module-unloaded bash -c "! grep -q '^falco ' /proc/modules"
check removed-dkms bash -c "[ -z \"\$(dkms status -m falco)\" ]"
check removed-ko bash -c "[ -z \"\$(find /lib/modules/$KV -name 'falco.ko*')\" ]"
check removed-units bash -c "! ls /usr/lib/systemd/system/falco*.service 2>/dev/null | grep -q ."
check removed-inactive bash -c "! systemctl --quiet is-active falco.service"
check remove-keeps-conffiles test -f /etc/falco/falco_rules.local.yaml

step "apt-get purge"
# The Rust build files the PRE_BUILD step added belong to the package: purge deletes them. Keep a copy
# to put back before the reinstall below, so that it does not regenerate them under TCG.
ls /var/lib/falco-kmod/*.files >/dev/null 2>&1 && cat /var/lib/falco-kmod/*.files | tar -C / -cf /root/rust-files.tar -P -T - 2>/dev/null
if apt-get purge -y -q falco; then ok purge; else fail purge; fi
left=$( { ls -d /etc/falco /usr/src/falco-* /var/lib/dkms/falco /var/log/falco /var/lib/falco-kmod /usr/bin/falco 2>/dev/null;
          find /etc/systemd /usr/lib/systemd -name 'falco*' ! -name 'falco-deb-test.service' 2>/dev/null;
          find /lib/modules -name 'falco.ko*' 2>/dev/null; } | tr '\n' ' ')
if [ -z "$left" ]; then ok purge-clean; else fail purge-clean "left: $left"; fi
check purge-dpkg bash -c "! dpkg-query -W -f '\${Status}' falco 2>/dev/null | grep -q installed"
if [ -f /root/rust-files.tar ]; then
  rfiles=$(tar -tf /root/rust-files.tar | head -1)
  check purge-rust-files bash -c "[ ! -e '$rfiles' ]"
  tar -C / -xPf /root/rust-files.tar
fi

step "reinstall after purge"
s=$(date +%s)
if apt_install "$DEB"; then ok install-again "($(( $(date +%s) - s ))s)"; else fail install-again; fi
[ "$DRIVER" = kmod ] && check dkms-installed-again bash -c "dkms status -m falco -k $KV | grep -q ': installed'"
since=$(date +%s)
check start-again systemctl start falco.service
check alert-again bash -c "for i in \$(seq 1 60); do cat /etc/shadow >/dev/null; journalctl -q -u falco -o cat --no-pager --since @$since | grep -q 'Sensitive file opened' && exit 0; sleep 1; done; exit 1"
systemctl stop falco.service falco-kmod.service
finish
