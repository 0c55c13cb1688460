// Package rootfs holds the firmware image recipe and its test; it has no
// Go code of its own.
//
// The image is a read-only squashfs root file system, one per board,
// built by scripts/mkimage.sh (`make image`):
//
//	/sbin/init -> /usr/bin/pbxinit   the init and supervisor (cmd/pbxinit)
//	/usr/bin/pbxd, /usr/bin/pbxctl   the static firmware
//	/etc/minipbx/boot.conf           the board's slots, bootloader, data partition (rootfs/boards/BOARD)
//	/etc/minipbx/pbxd.args           pbxd's arguments (rootfs/overlay)
//	/etc/minipbx/release.pub         the keys trusted for upgrades (upgrade/bundle/release.pub, also built into pbxd)
//	/etc/os-release                  version and board
//	/proc /sys /dev /run /tmp /data  mount points (pbxinit mounts them)
//	/boot                            the kernel and device tree, when KERNEL=/DTB= are given
//
// Everything the box writes goes to /data (the data partition, never
// touched by an upgrade), /run or /tmp (RAM). rootfs/overlay is copied
// as it is; rootfs/keys (the TEST signing key) never is.
package rootfs
