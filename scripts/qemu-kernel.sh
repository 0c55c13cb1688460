#!/bin/sh
# Fetches Debian's armmp kernel (armhf) for the qemu boot test and
# extracts it without installing it: DIR/boot/vmlinuz-* and
# DIR/lib/modules/*. Needs root (dpkg --add-architecture armhf, apt-get).
# qemu-system-arm and mkfs.ext4 themselves are test tools, installed by
# `make test-tools` from internal/testutil/tools.txt.
#
#   scripts/qemu-kernel.sh DIR
set -eu
dir=${1:?usage: $0 DIR}
if ls "$dir"/boot/vmlinuz-*-armmp >/dev/null 2>&1; then exit 0; fi
if ! dpkg --print-foreign-architectures | grep -qx armhf; then
	dpkg --add-architecture armhf
fi
apt-get update -qq || true # a lagging mirror of one suite must not stop us
pkg=$(apt-cache depends linux-image-armmp:armhf | sed -n 's/.*Depends: \(linux-image-[^:]*-armmp\).*/\1/p' | head -1)
[ -n "$pkg" ] || { echo "qemu-kernel: no linux-image-armmp:armhf package" >&2; exit 1; }
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "$pkg:armhf" >/dev/null 2>&1)
dpkg-deb -x "$tmp"/*.deb "$dir"
ls "$dir"/boot/vmlinuz-*
