# shellcheck shell=sh
RULE='Kernel module loaded'
TRIGGER='insmod runs (busybox insmod; the module file does not exist, the tool launch is what counts)'
BENIGN='lsmod lists the loaded modules'
EXPECT='user=root|process=insmod|command=insmod /tmp/rootkit.ko|container_id=host'
trigger() { /bin/insmod /tmp/rootkit.ko 2>/dev/null; true; }
benign() { /bin/lsmod > /dev/null; }
