# shellcheck shell=sh
RULE='File created or deleted in container'
TRIGGER='a container process creates /srv/drift (touch)'
BENIGN='the same touch /srv/drift on the host'
EXPECT="file=/srv/drift|user=root|process=touch|command=touch /srv/drift|container_id=$CID12"
trigger() { container /bin/touch /srv/drift; }
benign() { /bin/touch /srv/drift; }
cleanup() { rm -f /srv/drift; }
