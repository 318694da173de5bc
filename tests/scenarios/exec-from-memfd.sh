# shellcheck shell=sh
RULE='Execution from temporary or memory location'
TRIGGER='a program copies busybox into a memfd and executes it (fexecve), like fileless malware'
BENIGN='the same program executes /bin/true from disk'
EXPECT='exe=/memfd:payload|user=root|parent=sh|container_id=host'
trigger() { $HELPER memfd-exec true; }
benign() { $HELPER spawn /bin/true; }
