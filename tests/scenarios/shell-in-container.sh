# shellcheck shell=sh
RULE='Shell spawned in container'
TRIGGER='runc (emulated) starts a container whose process is /bin/sh -c "exit 0"'
BENIGN='runc starts the same container running /bin/ls instead of a shell'
EXPECT="user=root|process=sh|parent=runc|command=sh -c exit 0|container_id=$CID12"
trigger() { container /bin/sh -c 'exit 0'; }
benign() { container /bin/ls / > /dev/null; }
