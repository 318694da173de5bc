# shellcheck shell=sh
RULE='Package management in container'
TRIGGER='apt-get (emulated: reads /var/lib/dpkg/status) runs in a container'
BENIGN='the same apt-get on the host'
EXPECT="user=root|process=apt-get|command=apt-get read /var/lib/dpkg/status|container_id=$CID12"
trigger() { container /usr/bin/apt-get read /var/lib/dpkg/status; }
benign() { /usr/bin/apt-get read /var/lib/dpkg/status; }
