# shellcheck shell=sh
RULE='Log files cleared'
TRIGGER='a shell truncates /var/log/auth.log (: > /var/log/auth.log)'
BENIGN='a shell appends a line to /var/log/auth.log'
EXPECT='file=/var/log/auth.log|user=root|process=sh|command=sh -c : > /var/log/auth.log|container_id=host'
setup() { echo 'Nov 24 sshd[1]: Accepted' > /var/log/auth.log; }
trigger() { /bin/sh -c ': > /var/log/auth.log'; }
benign() { /bin/sh -c 'echo logged >> /var/log/auth.log'; }
