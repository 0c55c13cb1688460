# minipbx U-Boot boot script: the boot side of the A/B upgrade contract
# (upgrade/boot/boot.go). Compile with: mkimage -A arm -T script -C none -d boot.cmd boot.scr
#
# Slots: root file system "a" on partition 2, "b" on partition 3 of mmc 0;
# the kernel and device tree of each slot are inside its squashfs at /boot
# (read with sqfsload, CONFIG_CMD_SQUASHFS). Data partition: 4.
#
# The environment (CONFIG_ENV_IS_IN_MMC, redundant copies recommended:
# CONFIG_SYS_REDUNDAND_ENVIRONMENT) holds:
#   minipbx_slot       slot to boot             (written by the firmware)
#   minipbx_fallback   slot to return to        (written by the firmware)
#   upgrade_available  1 while on trial          (written by the firmware)
#   bootcount          trial boots so far        (counted here)
#   bootlimit          tries, 3                  (written by the firmware)
# The watchdog (CONFIG_WDT, started by U-Boot) must stay armed into the
# kernel: a firmware that hangs is reset and the reset is counted here.

if test -z "${minipbx_slot}"; then setenv minipbx_slot a; fi
if test -z "${bootlimit}"; then setenv bootlimit 3; fi

if test "${upgrade_available}" = "1"; then
	setexpr bootcount ${bootcount} + 1
	if test ${bootcount} -gt ${bootlimit}; then
		echo "minipbx: slot ${minipbx_slot} failed ${bootlimit} trial boots, back to ${minipbx_fallback}"
		setenv minipbx_slot ${minipbx_fallback}
		setenv upgrade_available 0
		setenv bootcount 0
	fi
	# Save before booting, every time: a boot that hangs must have counted.
	saveenv
fi

if test "${minipbx_slot}" = "b"; then
	setenv minipbx_part 3
else
	setenv minipbx_part 2
fi

setenv bootargs "console=${console} root=/dev/mmcblk0p${minipbx_part} rootfstype=squashfs ro rootwait panic=10 minipbx.slot=${minipbx_slot} minipbx.data=/dev/mmcblk0p4"
sqfsls mmc 0:${minipbx_part} /boot
sqfsload mmc 0:${minipbx_part} ${kernel_addr_r} /boot/zImage
sqfsload mmc 0:${minipbx_part} ${fdt_addr_r} /boot/${fdtfile}
bootz ${kernel_addr_r} - ${fdt_addr_r}

# Not reached unless the kernel failed to load: reset, which counts a try.
echo "minipbx: cannot load slot ${minipbx_slot}"
reset
