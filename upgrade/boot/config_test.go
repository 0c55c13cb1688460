package boot

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(strings.NewReader(`# the reference box
board=minipbx-ref-armv7
bootloader=uboot
slot_a=/dev/mmcblk0p2
slot_b=/dev/mmcblk0p3   # trailing comment
data=/dev/mmcblk0p4
uboot_env=/dev/mmcblk0 0x3f8000
uboot_env=/dev/mmcblk0 0x3fa000
uboot_env_size=0x2000
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Board != "minipbx-ref-armv7" || c.Slots[SlotB] != "/dev/mmcblk0p3" || c.Data != "/dev/mmcblk0p4" ||
		len(c.UBootEnv.Copies) != 2 || c.UBootEnv.Copies[1].Offset != 0x3fa000 || c.UBootEnv.Size != 0x2000 {
		t.Fatalf("%+v", c)
	}
	bl, err := c.Open()
	if u, ok := bl.(*UBoot); err != nil || !ok || len(u.Env.Copies) != 2 {
		t.Fatalf("%T %v", bl, err)
	}
	for _, bad := range []string{"nokey", "board=", "colour=red", "uboot_env=/dev/x", "uboot_env=/dev/x -1", "uboot_env_size=big"} {
		if _, err := ParseConfig(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, bad := range []string{"bootloader=grub", "bootloader=cmdline\ncmdline=/boot/cmdline.txt", "bootloader=uboot", "bootloader=file"} {
		c, err := ParseConfig(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Open(); err == nil {
			t.Errorf("%q opened", bad)
		}
	}
	c, _ = ParseConfig(strings.NewReader("bootloader=none"))
	if bl, err := c.Open(); bl != nil || err != nil {
		t.Errorf("none: %v %v", bl, err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("board=x\nbootloader=uboot\nuboot_env=/dev/mmcblk0 0x3f8000\nuboot_env_size=0x2000\n")
	f.Add("bootloader=cmdline\ncmdline=/boot/cmdline.txt\nroot_a=/dev/a\nroot_b=/dev/b # c\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConfig(strings.NewReader(s))
		if err != nil {
			return
		}
		if c.Bootloader == "file" {
			return // would create the state file
		}
		c.Open() // must not panic
	})
}
