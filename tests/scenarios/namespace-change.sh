# shellcheck shell=sh
RULE='Namespace change'
TRIGGER='unshare -u /bin/true: a new UTS namespace from an admin shell'
BENIGN='runc (emulated) makes the same unshare(CLONE_NEWUTS), as container runtimes do'
EXPECT='operation=unshare|user=root|process=unshare|parent=sh|command=unshare -u /bin/true|container_id=host'
trigger() { /bin/unshare -u /bin/true; }
benign() { /usr/bin/runc unshare; }
