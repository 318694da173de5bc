# shellcheck shell=sh
# One part of the benign workload (tests/scenarios/guest.sh benign_workload), looping until the
# epoch second END: `sh workload.sh build|serve|admin END`. Nothing here should raise an alert.
part=$1; end=$2; n=0
case $part in
build)
  # A package-free build: generate sources, "compile" them with sed/awk, archive, unpack, check.
  mkdir -p /tmp/build/src && cd /tmp/build || exit 1
  i=0; while [ $i -lt 40 ]; do
    awk -v n=$i 'BEGIN { for (j = 0; j < 200; j++) printf "int f%d_%d(int x) { return x * %d; }\n", n, j, j }' > src/m$i.c
    i=$((i+1))
  done
  while [ "$(date +%s)" -lt "$end" ]; do
    mkdir -p obj
    for f in src/*.c; do sed 's/return/ret/' "$f" | awk '{ print length($0) }' > "obj/$(basename "$f" .c).o"; done
    cat obj/*.o | sort -n | uniq -c > obj/summary.txt
    tar cf - src obj | gzip -c > out.tar.gz
    gunzip -c out.tar.gz | tar tf - > /dev/null
    md5sum out.tar.gz > out.md5
    rm -rf obj; n=$((n+1))
  done
  echo "build: $n rounds" ;;
serve)
  # A file server (busybox httpd on 8080, started by scenario_env) and clients fetching from it.
  mkdir -p /www/files
  for s in 1 16 64; do dd if=/dev/urandom of=/www/files/f$s.bin bs=1024 count=$s 2>/dev/null; done
  while [ "$(date +%s)" -lt "$end" ]; do
    for s in 1 16 64; do wget -q -O /tmp/dl.bin "http://127.0.0.1:8080/files/f$s.bin" && n=$((n+1)); done
    wget -q -O - http://127.0.0.1:8080/index.html > /dev/null
    cmp -s /tmp/dl.bin /www/files/f64.bin || echo "download differs"
  done
  rm -f /tmp/dl.bin
  echo "serve: $n downloads" ;;
admin)
  # An administrator's shell on the host: look around, read configuration, keep notes.
  mkdir -p /root/work
  while [ "$(date +%s)" -lt "$end" ]; do
    ps > /dev/null; ls -la /etc /root > /dev/null; cat /etc/passwd /etc/hostname 2>/dev/null > /dev/null
    grep root /etc/passwd > /dev/null; df > /dev/null; free > /dev/null; uptime > /dev/null
    dmesg | tail -n 5 > /dev/null; cat /proc/meminfo /proc/loadavg > /dev/null; id > /dev/null
    find /etc -name '*.conf' > /dev/null 2>&1; lsmod > /dev/null; netstat -tln > /dev/null 2>&1
    echo "checked at $(date)" >> /root/work/notes.txt
    cp /root/work/notes.txt /root/work/notes.bak && mv /root/work/notes.bak /root/work/notes.old
    [ -f /tmp/build/out.tar.gz ] && tar -C /root/work -xzf /tmp/build/out.tar.gz 2>/dev/null
    rm -rf /root/work/src /root/work/obj
    n=$((n+1)); sleep 1
  done
  echo "admin: $n rounds" ;;
esac
