# shellcheck shell=sh
RULE='User management binary run'
TRIGGER='useradd (emulated: reads /etc/passwd) runs from an admin shell'
BENIGN='dpkg (emulated) runs the same useradd, as a package postinst creating its system user'
EXPECT='user=root|process=useradd|parent=sh|command=useradd read /etc/passwd|container_id=host'
trigger() { /usr/sbin/useradd read /etc/passwd; }
benign() { /usr/bin/dpkg spawn /usr/sbin/useradd read /etc/passwd; }
