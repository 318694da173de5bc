# shellcheck shell=sh
RULE='Listening socket in container'
TRIGGER='a container process (host network) listens on TCP port 9000'
BENIGN='the same listen on port 9000 on the host'
EXPECT="connection=0.0.0.0:9000|user=root|process=scenario-helper|command=scenario-helper listen 9000|container_id=$CID12"
trigger() { container_hostnet $HELPER listen 9000; }
benign() { $HELPER listen 9000; }
