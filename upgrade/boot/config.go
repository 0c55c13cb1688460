package boot

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Config is the box's boot configuration, /etc/minipbx/boot.conf in the
// image: which bootloader, where the slots and the data partition are.
// pbxinit reads it (data partition, boot counting) and so does pbxd (the
// upgrade engine). Format: "key=value" lines, '#' comments:
//
//	board=minipbx-ref-armv7
//	bootloader=uboot                  # uboot | cmdline | file | none
//	slot_a=/dev/mmcblk0p2
//	slot_b=/dev/mmcblk0p3
//	data=/dev/mmcblk0p4               # the data partition (ext4)
//	uboot_env=/dev/mmcblk0 0x3f8000   # path and offset; a second line for the redundant copy
//	uboot_env=/dev/mmcblk0 0x3fa000
//	uboot_env_size=0x2000
//	cmdline=/boot/cmdline.txt         # bootloader=cmdline
//	root_a=/dev/mmcblk0p2             # root= of each slot in cmdline.txt
//	root_b=/dev/mmcblk0p3
//	state=/data/boot-state.txt        # bootloader=file
type Config struct {
	Board      string
	Bootloader string
	Slots      map[Slot]string
	Data       string
	UBootEnv   EnvConfig
	Cmdline    Cmdline
	StateFile  string
}

// ParseConfig reads a boot configuration.
func ParseConfig(r io.Reader) (Config, error) {
	c := Config{Slots: map[Slot]string{}, Cmdline: Cmdline{Roots: map[Slot]string{}}}
	sc := bufio.NewScanner(io.LimitReader(r, 64<<10))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return c, fmt.Errorf("boot.conf line %d: want key=value", n)
		}
		switch k {
		case "board":
			c.Board = v
		case "bootloader":
			c.Bootloader = v
		case "slot_a":
			c.Slots[SlotA] = v
		case "slot_b":
			c.Slots[SlotB] = v
		case "data":
			c.Data = v
		case "uboot_env":
			f := strings.Fields(v)
			if len(f) != 2 {
				return c, fmt.Errorf("boot.conf line %d: uboot_env=PATH OFFSET", n)
			}
			off, err := strconv.ParseInt(f[1], 0, 64)
			if err != nil || off < 0 {
				return c, fmt.Errorf("boot.conf line %d: offset %q", n, f[1])
			}
			c.UBootEnv.Copies = append(c.UBootEnv.Copies, EnvLocation{Path: f[0], Offset: off})
		case "uboot_env_size":
			size, err := strconv.ParseInt(v, 0, 32)
			if err != nil {
				return c, fmt.Errorf("boot.conf line %d: size %q", n, v)
			}
			c.UBootEnv.Size = int(size)
		case "cmdline":
			c.Cmdline.Path = v
		case "root_a":
			c.Cmdline.Roots[SlotA] = v
		case "root_b":
			c.Cmdline.Roots[SlotB] = v
		case "state":
			c.StateFile = v
		default:
			return c, fmt.Errorf("boot.conf line %d: unknown key %q", n, k)
		}
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("boot.conf: %w", err)
	}
	return c, nil
}

// LoadConfig reads the boot configuration file.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("boot: %w", err)
	}
	defer f.Close()
	return ParseConfig(f)
}

// Open returns the configured Bootloader; nil (and no error) for
// bootloader=none, a box without A/B slots (upgrades refused).
func (c Config) Open() (Bootloader, error) {
	switch c.Bootloader {
	case "uboot":
		if err := c.UBootEnv.check(); err != nil {
			return nil, err
		}
		return &UBoot{Env: c.UBootEnv}, nil
	case "cmdline":
		cl := c.Cmdline
		if cl.Path == "" || cl.Roots[SlotA] == "" || cl.Roots[SlotB] == "" {
			return nil, fmt.Errorf("boot: bootloader=cmdline needs cmdline, root_a and root_b")
		}
		return &cl, nil
	case "file":
		if c.StateFile == "" {
			return nil, fmt.Errorf("boot: bootloader=file needs state")
		}
		f, err := NewFile(c.StateFile, SlotA)
		if err != nil {
			return nil, err
		}
		return f, nil
	case "none", "":
		return nil, nil
	}
	return nil, fmt.Errorf("boot: unknown bootloader %q", c.Bootloader)
}
