# shellcheck shell=sh
RULE='Change ownership or mode of sensitive file'
TRIGGER='chmod 644 /etc/shadow'
BENIGN='chmod 644 /tmp/notes.txt (a file of no importance)'
EXPECT='file=/etc/shadow|user=root|process=chmod|command=chmod 644 /etc/shadow|container_id=host'
setup() { echo x > /tmp/notes.txt; }
trigger() { /bin/chmod 644 /etc/shadow; }
benign() { /bin/chmod 644 /tmp/notes.txt; }
cleanup() { rm -f /tmp/notes.txt; }
