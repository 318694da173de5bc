# shellcheck shell=sh
RULE='Shell connected to a network peer'
TRIGGER='bash (emulated: the connect its /dev/tcp/127.0.0.1/8080 redirection makes) connects to the local web server'
BENIGN='wget, run from the same shell, fetches a page from the same server'
EXPECT='connection=127.0.0.1:|->127.0.0.1:8080|user=root|process=bash|command=bash connect 127.0.0.1 8080|container_id=host'
trigger() { /usr/bin/bash connect 127.0.0.1 8080; }
benign() { /bin/wget -q -O /dev/null http://127.0.0.1:8080/; }
