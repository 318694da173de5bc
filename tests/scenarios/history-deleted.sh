# shellcheck shell=sh
RULE='Shell history deleted or renamed'
TRIGGER='rm /root/.ash_history'
BENIGN='cp /root/.ash_history /tmp/history.bak (reads it, deletes nothing)'
EXPECT='path=/root/.ash_history|user=root|process=rm|command=rm /root/.ash_history|container_id=host'
setup() { echo 'ls' > /root/.ash_history; }
trigger() { /bin/rm /root/.ash_history; }
benign() { /bin/cp /root/.ash_history /tmp/history.bak; }
cleanup() { rm -f /root/.ash_history /tmp/history.bak; }
