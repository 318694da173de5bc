# shellcheck shell=sh
RULE='Terminal shell in container'
TRIGGER='runc (emulated) execs /bin/sh in a container with a new pty as its terminal (docker exec -it)'
BENIGN='the same exec without a terminal (docker exec, no -it)'
EXPECT="user=root|process=sh|parent=runc|command=sh -c exit 0|container_id=$CID12"
trigger() { container_tty /bin/sh -c 'exit 0'; }
benign() { container /bin/sh -c 'exit 0'; }
