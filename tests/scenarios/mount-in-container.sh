# shellcheck shell=sh
RULE='Mount from container'
TRIGGER='a container process mounts a tmpfs on /mnt (in its own mount namespace)'
BENIGN='the same mount on the host by an admin'
EXPECT="user=root|process=mount|command=mount -t tmpfs none /mnt|container_id=$CID12"
trigger() { container /bin/mount -t tmpfs none /mnt; }
benign() { /bin/mount -t tmpfs none /mnt; }
cleanup() { umount /mnt 2>/dev/null; true; }
