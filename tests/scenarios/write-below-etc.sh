# shellcheck shell=sh
RULE='Write below system directory'
TRIGGER='tee writes a new file /etc/evil.conf'
BENIGN='dpkg (emulated) writes /etc/dpkg-scenario.conf, as package installs do'
EXPECT='file=/etc/evil.conf|user=root|process=tee|parent=sh|command=tee /etc/evil.conf|container_id=host'
trigger() { echo x | /bin/tee /etc/evil.conf > /dev/null; }
benign() { /usr/bin/dpkg write /etc/dpkg-scenario.conf; }
cleanup() { rm -f /etc/evil.conf /etc/dpkg-scenario.conf; }
