# shellcheck shell=sh
RULE='Outbound connection from container'
TRIGGER="wget in a container (host network) fetches http://$PUBLIC_IP:8080/ (a public address)"
BENIGN="the same wget to http://$PRIVATE_IP:8080/ (10.0.0.0/8, a local network)"
EXPECT="connection=$PUBLIC_IP:|->$PUBLIC_IP:8080|user=root|process=wget|command=wget -q -O /dev/null http://$PUBLIC_IP:8080/|container_id=$CID12"
trigger() { container_hostnet /bin/wget -q -O /dev/null http://$PUBLIC_IP:8080/; }
benign() { container_hostnet /bin/wget -q -O /dev/null http://$PRIVATE_IP:8080/; }
