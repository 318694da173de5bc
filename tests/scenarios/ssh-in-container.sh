# shellcheck shell=sh
RULE='SSH or SCP from container'
TRIGGER="scp (emulated: connects to $PUBLIC_IP:22) runs in a container"
BENIGN='the same scp on the host'
EXPECT="user=root|process=scp|command=scp connect $PUBLIC_IP 22|container_id=$CID12"
trigger() { container_hostnet /usr/bin/scp connect $PUBLIC_IP 22; }
benign() { /usr/bin/scp connect $PUBLIC_IP 22; }
