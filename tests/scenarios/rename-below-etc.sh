# shellcheck shell=sh
RULE='Rename or delete below system directory'
TRIGGER='mv renames /etc/scenario.conf to /etc/scenario.conf.new'
BENIGN='dpkg (emulated) does the same rename, as package upgrades do'
EXPECT='source=/etc/scenario.conf|target=/etc/scenario.conf.new|user=root|process=mv|parent=sh|command=mv /etc/scenario.conf /etc/scenario.conf.new|container_id=host'
setup() { echo x > /etc/scenario.conf; }
trigger() { /bin/mv /etc/scenario.conf /etc/scenario.conf.new; }
benign() { /usr/bin/dpkg rename /etc/scenario.conf /etc/scenario.conf.new; }
cleanup() { rm -f /etc/scenario.conf /etc/scenario.conf.new; }
