# shellcheck shell=sh
RULE='Program deleted its own executable'
TRIGGER='/root/dropper (a copy of scenario-helper) unlinks its own executable'
BENIGN='/root/cleaner (the same program) unlinks another file, /root/old.txt'
EXPECT='path=/root/dropper|user=root|process=dropper|parent=sh|command=dropper self-delete|container_id=host'
setup() { cp $HELPER /root/dropper; cp $HELPER /root/cleaner; echo x > /root/old.txt; }
trigger() { /root/dropper self-delete; }
benign() { /root/cleaner unlink /root/old.txt; }
cleanup() { rm -f /root/dropper /root/cleaner /root/old.txt; }
