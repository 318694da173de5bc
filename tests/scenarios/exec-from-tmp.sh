# shellcheck shell=sh
RULE='Execution from temporary or memory location'
TRIGGER='a program copied to /tmp is executed (/tmp/true, a copy of busybox)'
BENIGN='the same program executed from /bin (/bin/true)'
EXPECT='exe=/tmp/true|user=root|process=true|parent=sh|command=true|container_id=host'
setup() { cp /bin/busybox /tmp/true; }
trigger() { /tmp/true; }
benign() { /bin/true; }
cleanup() { rm -f /tmp/true; }
