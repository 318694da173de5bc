# shellcheck shell=sh
RULE='Link to sensitive file'
TRIGGER='ln -s /etc/shadow /tmp/shadow-link'
BENIGN='ln -s /etc/passwd /tmp/passwd-link'
EXPECT='source=/etc/shadow|target=/tmp/shadow-link|user=root|process=ln|command=ln -s /etc/shadow /tmp/shadow-link|container_id=host'
trigger() { /bin/ln -s /etc/shadow /tmp/shadow-link; }
benign() { /bin/ln -s /etc/passwd /tmp/passwd-link; }
cleanup() { rm -f /tmp/shadow-link /tmp/passwd-link; }
