#!/bin/sh
# Builds the firmware's read-only root file system (squashfs).
#
#   scripts/mkimage.sh ARCH BOARD OUT        ARCH: armv7 | arm64
#
# Environment: GO (go), BIN_DIR (use its pbxd, pbxctl, pbxinit instead of
# building them), VERSION (scripts/version.sh), SOURCE_DATE_EPOCH
# (the last commit's time), KERNEL / DTB (optional: copied to /boot for
# boot loaders that load the kernel from the slot, see rootfs/boot/boot.cmd).
#
# Reproducible: same commit, same VERSION and SOURCE_DATE_EPOCH, same Go
# toolchain => same bytes (-trimpath, empty build ID, all files root-owned
# with fixed modes and times, no xattrs, mksquashfs -reproducible).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 armv7|arm64 BOARD OUT" >&2; exit 2; }
arch=$1 board=$2 out=$3
top=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
VERSION=${VERSION:-$("$top/scripts/version.sh")}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
case $arch in
armv7) goarch=arm goarm=7 ;;
arm64) goarch=arm64 goarm= ;;
*) echo "mkimage: unknown arch $arch" >&2; exit 2 ;;
esac
[ -f "$top/rootfs/boards/$board/boot.conf" ] || { echo "mkimage: no rootfs/boards/$board/boot.conf" >&2; exit 2; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir -p "$stage/usr/bin" "$stage/sbin" "$stage/etc/minipbx" "$stage/boot" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/run" "$stage/tmp" "$stage/data" "$stage/root"

# The static firmware (or, with BIN_DIR, binaries built beforehand).
if [ -n "${BIN_DIR:-}" ]; then
	for b in pbxd pbxctl pbxinit; do cp "$BIN_DIR/$b" "$stage/usr/bin/$b"; done
else (cd "$top" && CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm "$GO" build -trimpath \
	-ldflags "-s -w -buildid= -X minipbx/internal/version.Version=$VERSION" \
	-o "$stage/usr/bin/" ./cmd/pbxd ./cmd/pbxctl ./cmd/pbxinit)
fi
ln -s ../usr/bin/pbxinit "$stage/sbin/init"

# The overlay, the board's boot configuration, the trusted keys.
cp -R "$top/rootfs/overlay/." "$stage/"
cp "$top/rootfs/boards/$board/boot.conf" "$stage/etc/minipbx/boot.conf"
cp "$top/upgrade/bundle/release.pub" "$stage/etc/minipbx/release.pub"
cat >"$stage/etc/os-release" <<OSR
NAME=minipbx
ID=minipbx
VERSION_ID=$VERSION
PRETTY_NAME="minipbx $VERSION"
MINIPBX_BOARD=$board
OSR
[ -n "${KERNEL:-}" ] && cp "$KERNEL" "$stage/boot/zImage"
[ -n "${DTB:-}" ] && cp "$DTB" "$stage/boot/"

# Never a private key in an image: a signing key line (ed25519-private
# and a base64 seed) or a PEM private key block (the binaries hold the
# words, never a block with its base64).
keyre='ed25519-private [A-Za-z0-9+/]{43}=|-----BEGIN [A-Z ]*PRIVATE KEY-----.?.?[A-Za-z0-9+/]{40}'
if grep -rlqaE "$keyre" "$stage"; then
	echo "mkimage: a private key is in the image:" >&2
	grep -rlaE "$keyre" "$stage" >&2
	exit 1
fi

# Fixed modes (whatever the checkout's umask was).
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$stage"/usr/bin/*
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"

mkdir -p "$(dirname "$out")"
rm -f "$out.tmp"
env -u SOURCE_DATE_EPOCH mksquashfs "$stage" "$out.tmp" -noappend -quiet -no-progress -comp xz \
	-all-root -no-xattrs -reproducible \
	-mkfs-time "$SOURCE_DATE_EPOCH" -all-time "$SOURCE_DATE_EPOCH" >/dev/null
mv "$out.tmp" "$out"
echo "$out: $(wc -c <"$out") bytes, minipbx $VERSION for $board ($arch)"
