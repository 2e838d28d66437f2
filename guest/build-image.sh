#!/usr/bin/env bash
# Builds the cgroup v2 test guest (make-root.sh says what it holds) unless it is cached in
# $CORRAL_GUEST_CACHE (default /var/cache/corral-guest) under a key of make-root.sh, the guest's
# package list and its unit; installs the host's tools for it first. Prints the cache dir.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${CORRAL_GUEST_CACHE:-/var/cache/corral-guest}"
mirror="${CORRAL_GUEST_MIRROR:-http://deb.debian.org/debian}"
key="$(cat "$here/make-root.sh" "$here/guest-packages.txt" "$here/corral-guest.service" | sha256sum | cut -c1-16)"
out="$cache/$key"
# The host's tools for it, without recommends (qemu's pull in a desktop's worth).
mapfile -t wanted < <(grep -v '^#' "$here/packages.txt" | sed '/^$/d')
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "guest: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" > /dev/null
fi
if [[ -f "$out/root.img" && -f "$out/vmlinuz" && -f "$out/initrd.img" ]]; then
    echo "$out"
    exit 0
fi
rm -rf "$out"
mkdir -p "$out"
"$here/make-root.sh" "$out" "$mirror"
echo "$out"
