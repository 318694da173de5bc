# shellcheck shell=sh
RULE='Launch network tool'
TRIGGER='nc connects to the local web server'
BENIGN='wget fetches a page from the same server'
EXPECT='user=root|process=nc|parent=sh|command=nc -w 1 127.0.0.1 8080|container_id=host'
trigger() { /bin/nc -w 1 127.0.0.1 8080 < /dev/null > /dev/null; }
benign() { /bin/wget -q -O /dev/null http://127.0.0.1:8080/; }
