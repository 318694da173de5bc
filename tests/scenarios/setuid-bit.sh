# shellcheck shell=sh
RULE='Set setuid or setgid bit'
TRIGGER='chmod u+s /tmp/tool'
BENIGN='chmod u+x /tmp/tool'
EXPECT='file=/tmp/tool|user=root|process=chmod|parent=sh|command=chmod u+s /tmp/tool|container_id=host'
setup() { echo x > /tmp/tool; }
trigger() { /bin/chmod u+s /tmp/tool; }
benign() { /bin/chmod u+x /tmp/tool; }
cleanup() { rm -f /tmp/tool; }
