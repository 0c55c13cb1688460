package boot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strings"
)

// U-Boot's environment, read and written directly (what fw_printenv and
// fw_setenv do, without needing them on the box).
//
// A copy is Size bytes: a little-endian CRC-32 (IEEE) of the data area,
// then, for a redundant environment, one flags byte, then the data area:
// "name=value\0" entries, an empty entry ("\0") after the last, and
// padding to the end. The CRC covers the whole data area, padding
// included. With two copies (CONFIG_SYS_REDUNDAND_ENVIRONMENT), the valid
// copy with the newer flags counter is current (255 wraps to 0, as U-Boot
// reads it), and a write goes to the other copy with the counter plus
// one: a power cut during the write leaves the previous copy current.
// Only the counter form of the flags is supported (not the NOR
// "active/obsolete" form).
//
// A single copy is rewritten in place: a power cut in the middle leaves a
// bad CRC, and U-Boot then boots with its built-in default environment
// (slot a, no trial). Boards must use the redundant environment; the
// single copy is supported for development boards and tests.

// EnvLocation is where one copy of the environment is: a file or block
// device (e.g. /dev/mmcblk0, or /dev/mmcblk0boot1) and an offset in it.
type EnvLocation struct {
	Path   string
	Offset int64
}

// EnvConfig describes the environment's storage, as /etc/fw_env.config
// would: one location (single copy) or two (redundant), and the size of
// each copy (CONFIG_ENV_SIZE).
type EnvConfig struct {
	Copies []EnvLocation
	Size   int
}

// ErrNoEnv means no copy of the environment has a good CRC (U-Boot then
// runs on its built-in default environment).
var ErrNoEnv = errors.New("boot: no valid U-Boot environment")

func (c EnvConfig) check() error {
	if len(c.Copies) != 1 && len(c.Copies) != 2 {
		return fmt.Errorf("boot: U-Boot environment needs 1 or 2 copies, not %d", len(c.Copies))
	}
	if c.Size < 16 || c.Size > 1<<20 {
		return fmt.Errorf("boot: U-Boot environment size %d", c.Size)
	}
	return nil
}

func (c EnvConfig) redundant() bool { return len(c.Copies) == 2 }

// ParseEnv decodes one copy of the environment (size bytes, as stored).
// redundant says whether the copy has the flags byte.
func ParseEnv(data []byte, redundant bool) (v map[string]string, flags byte, err error) {
	hdr := 4
	if redundant {
		hdr = 5
	}
	if len(data) <= hdr {
		return nil, 0, fmt.Errorf("%w: %d bytes", ErrNoEnv, len(data))
	}
	area := data[hdr:]
	if binary.LittleEndian.Uint32(data) != crc32.ChecksumIEEE(area) {
		return nil, 0, fmt.Errorf("%w: CRC mismatch", ErrNoEnv)
	}
	if redundant {
		flags = data[4]
	}
	v = map[string]string{}
	for len(area) > 0 && area[0] != 0 {
		end := bytes.IndexByte(area, 0)
		if end < 0 {
			return nil, 0, fmt.Errorf("%w: last entry not terminated", ErrNoEnv)
		}
		name, value, ok := strings.Cut(string(area[:end]), "=")
		if !ok || name == "" {
			return nil, 0, fmt.Errorf("%w: entry %q has no name=", ErrNoEnv, area[:end])
		}
		v[name] = value
		area = area[end+1:]
	}
	return v, flags, nil
}

// EncodeEnv encodes the variables as one copy of size bytes, entries
// sorted by name (as U-Boot's saveenv writes them), padded with zeros.
func EncodeEnv(v map[string]string, size int, redundant bool, flags byte) ([]byte, error) {
	hdr := 4
	if redundant {
		hdr = 5
	}
	names := make([]string, 0, len(v))
	for k := range v {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v[k], 0) {
			return nil, fmt.Errorf("boot: U-Boot variable %q cannot be stored", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]byte, hdr, size)
	for _, k := range names {
		out = append(out, k...)
		out = append(out, '=')
		out = append(out, v[k]...)
		out = append(out, 0)
	}
	out = append(out, 0)
	if len(out) > size {
		return nil, fmt.Errorf("boot: U-Boot environment needs %d bytes, has %d", len(out), size)
	}
	out = out[:size] // zero padding (cap is size; append never reallocated past it)
	if redundant {
		out[4] = flags
	}
	binary.LittleEndian.PutUint32(out, crc32.ChecksumIEEE(out[hdr:]))
	return out, nil
}

// newerFlags reports whether redundant copy flags a is newer than b, as
// U-Boot decides (env_import_redund).
func newerFlags(a, b byte) bool {
	switch {
	case a == 255 && b == 0:
		return false
	case b == 255 && a == 0:
		return true
	}
	return a > b
}

// ReadEnv reads the current environment; index is the copy it came from.
func ReadEnv(c EnvConfig) (v map[string]string, flags byte, index int, err error) {
	if err := c.check(); err != nil {
		return nil, 0, 0, err
	}
	index = -1
	var firstErr error
	for i, loc := range c.Copies {
		data, err := readAt(loc, c.Size)
		var cv map[string]string
		var cf byte
		if err == nil {
			cv, cf, err = ParseEnv(data, c.redundant())
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("copy %d (%s@%d): %w", i, loc.Path, loc.Offset, err)
			}
			continue
		}
		if index < 0 || newerFlags(cf, flags) {
			v, flags, index = cv, cf, i
		}
	}
	if index < 0 {
		return nil, 0, 0, fmt.Errorf("boot: read U-Boot environment: %w", firstErr)
	}
	return v, flags, index, nil
}

// WriteEnv writes the variables as the new current environment: over the
// single copy, or into the non-current copy of a redundant pair with the
// next flags value. It syncs before returning.
func WriteEnv(c EnvConfig, v map[string]string) error {
	if err := c.check(); err != nil {
		return err
	}
	target, flags := 0, byte(1)
	if c.redundant() {
		_, cur, index, err := ReadEnv(c)
		switch {
		case err == nil:
			target, flags = 1-index, cur+1
		case errors.Is(err, ErrNoEnv):
			target, flags = 0, 1
		default:
			return err
		}
	}
	data, err := EncodeEnv(v, c.Size, c.redundant(), flags)
	if err != nil {
		return err
	}
	loc := c.Copies[target]
	f, err := os.OpenFile(loc.Path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("boot: write U-Boot environment: %w", err)
	}
	_, err = f.WriteAt(data, loc.Offset)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("boot: write U-Boot environment %s@%d: %w", loc.Path, loc.Offset, err)
	}
	return nil
}

func readAt(loc EnvLocation, size int) ([]byte, error) {
	f, err := os.Open(loc.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := make([]byte, size)
	if _, err := f.ReadAt(data, loc.Offset); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%w: short (%s)", ErrNoEnv, err)
		}
		return nil, err
	}
	return data, nil
}

// UBoot is the Bootloader for boards that boot with U-Boot. The booted
// slot is read from the kernel command line ("minipbx.slot=a", which the
// boot script adds).
type UBoot struct {
	Env EnvConfig
	// ProcCmdline is the kernel command line file; "" means /proc/cmdline.
	ProcCmdline string
}

// Booted returns the slot named by minipbx.slot= on the kernel command
// line, or "" when there is none.
func bootedFromCmdline(path string) (Slot, string, error) {
	if path == "" {
		path = "/proc/cmdline"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("boot: kernel command line: %w", err)
	}
	var slot Slot
	for _, f := range strings.Fields(string(b)) {
		if s, ok := strings.CutPrefix(f, "minipbx.slot="); ok {
			slot = Slot(s)
		}
	}
	if slot != "" && !slot.Valid() {
		return "", "", fmt.Errorf("%w: minipbx.slot=%q on the kernel command line", ErrState, slot)
	}
	return slot, string(b), nil
}

// State implements Bootloader.
func (u *UBoot) State() (State, error) {
	booted, _, err := bootedFromCmdline(u.ProcCmdline)
	if err != nil {
		return State{}, err
	}
	v, _, _, err := ReadEnv(u.Env)
	if err != nil {
		return State{}, err
	}
	return vars(v).state(booted, SlotA)
}

// SetTrial implements Bootloader. It refuses to write when no valid
// environment exists: a new one would hold only our variables and U-Boot
// would lose its bootcmd.
func (u *UBoot) SetTrial(slot Slot) error {
	return u.update(func(v vars, s State) error { return v.setTrial(s.Booted, slot) })
}

// Confirm implements Bootloader.
func (u *UBoot) Confirm() error {
	return u.update(func(v vars, s State) error { return v.confirm(s) })
}

// Cancel implements Bootloader.
func (u *UBoot) Cancel() error {
	return u.update(func(v vars, s State) error {
		if s.Booted == "" {
			return fmt.Errorf("boot: cancel: the booted slot is unknown")
		}
		v.cancel(s)
		return nil
	})
}

func (u *UBoot) update(fn func(vars, State) error) error {
	booted, _, err := bootedFromCmdline(u.ProcCmdline)
	if err != nil {
		return err
	}
	v, _, _, err := ReadEnv(u.Env)
	if err != nil {
		return err
	}
	s, err := vars(v).state(booted, SlotA)
	if err != nil {
		return err
	}
	before := fmt.Sprint(v)
	if err := fn(v, s); err != nil {
		return err
	}
	if fmt.Sprint(v) == before {
		return nil // nothing changed: spare the flash a write
	}
	return WriteEnv(u.Env, v)
}
