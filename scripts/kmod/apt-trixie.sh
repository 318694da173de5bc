#!/bin/bash
# Make Debian 13 (trixie, trixie-backports) visible to apt on a Debian 12 host, pinned low so nothing on the
# host upgrades by accident. The mirror is the one this machine already uses (never a hard-coded host).
# Idempotent.
set -euo pipefail
MIRROR=$(grep -h -m1 -E '^URIs:.*debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -1 || true)
[ -n "$MIRROR" ] || MIRROR=$(grep -h -m1 -E '^deb .*debian/? ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1 || true)
[ -n "$MIRROR" ] || { echo "apt-trixie.sh: cannot find this machine's Debian mirror in its apt sources" >&2; exit 1; }
f=/etc/apt/sources.list.d/falco-trixie.sources
if ! grep -rqs 'trixie-backports' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
  cat > $f <<SRC
Types: deb
URIs: $MIRROR
Suites: trixie trixie-backports trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat > /etc/apt/preferences.d/falco-trixie-low <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=trixie-backports
Pin-Priority: 100
PIN
  apt-get update -q >/dev/null
fi
echo "$MIRROR"
