# shellcheck shell=sh
RULE='Read sensitive file by untrusted program'
TRIGGER='an admin shell on the host runs cat /etc/shadow'
BENIGN='unix_chkpwd (emulated) reads /etc/shadow, as PAM does at every login'
EXPECT='file=/etc/shadow|user=root|process=cat|parent=sh|command=cat /etc/shadow|container_id=host'
trigger() { /bin/cat /etc/shadow > /dev/null; }
benign() { /usr/bin/unix_chkpwd read /etc/shadow; }
