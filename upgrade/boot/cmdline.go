package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Cmdline is the Bootloader for a Raspberry-Pi-style boot: the firmware
// reads cmdline.txt from the boot partition, and root= in it chooses the
// slot. The trial variables live in a small file beside it (StateFile).
//
// cmdline.txt is the truth for which slot boots next: SetTrial writes the
// state file first and then switches cmdline.txt (both atomically
// replaced), so a power cut between the two leaves the old root= and a
// state file naming a trial slot that does not boot, which counts as no
// trial.
//
// The Pi's firmware has no boot counter, so pbxinit runs the boot side
// itself, first thing (CountBoot): it counts the try and, once the tries
// are used, switches cmdline.txt back and reboots. A kernel that does not
// reach pbxinit is therefore not counted; the kernel must be booted with
// panic=10 and the hardware watchdog armed, and a new kernel is only
// safe to ship if it boots (the root file system is what the A/B slots
// protect).
type Cmdline struct {
	// Path is cmdline.txt (e.g. /boot/firmware/cmdline.txt).
	Path string
	// StateFile holds the trial variables; "" means minipbx-boot.txt
	// beside Path.
	StateFile string
	// Roots maps each slot to its root= value (e.g. "/dev/mmcblk0p2" or
	// "PARTUUID=1234abcd-02").
	Roots map[Slot]string
	// ProcCmdline is the running kernel's command line; "" means
	// /proc/cmdline. Its root= tells the booted slot.
	ProcCmdline string
}

func (c *Cmdline) stateFile() string {
	if c.StateFile != "" {
		return c.StateFile
	}
	return filepath.Join(filepath.Dir(c.Path), "minipbx-boot.txt")
}

func (c *Cmdline) slotOf(root string) Slot {
	for s, r := range c.Roots {
		if r == root {
			return s
		}
	}
	return ""
}

func rootArg(cmdline string) string {
	root := ""
	for _, f := range strings.Fields(cmdline) {
		if r, ok := strings.CutPrefix(f, "root="); ok {
			root = r
		}
	}
	return root
}

// load reads both files into the variables, cmdline.txt deciding
// minipbx_slot.
func (c *Cmdline) load() (v vars, booted Slot, line string, err error) {
	if c.Roots[SlotA] == "" || c.Roots[SlotB] == "" || c.Roots[SlotA] == c.Roots[SlotB] {
		return nil, "", "", fmt.Errorf("boot: cmdline: Roots needs two different root= values")
	}
	b, err := os.ReadFile(c.Path)
	if err != nil {
		return nil, "", "", fmt.Errorf("boot: cmdline: %w", err)
	}
	line = strings.TrimSpace(string(b))
	next := c.slotOf(rootArg(line))
	if next == "" {
		return nil, "", "", fmt.Errorf("%w: %s: root=%q is neither slot", ErrState, c.Path, rootArg(line))
	}
	proc := c.ProcCmdline
	if proc == "" {
		proc = "/proc/cmdline"
	}
	if pb, err := os.ReadFile(proc); err == nil {
		booted = c.slotOf(rootArg(string(pb)))
	} else if !os.IsNotExist(err) {
		return nil, "", "", fmt.Errorf("boot: kernel command line: %w", err)
	}
	v, err = readVarsFile(c.stateFile())
	if err != nil {
		return nil, "", "", err
	}
	if v[VarSlot] != string(next) {
		v[VarUpgrade] = "0" // the trial slot is not the one that boots
		v[VarBootCount] = "0"
	}
	v[VarSlot] = string(next)
	return v, booted, line, nil
}

// save writes the state file, then (if the slot changed) cmdline.txt.
// When switching back (rollback), cmdline.txt is written first so that a
// cut between the two cannot leave a trial armed on the slot that failed.
func (c *Cmdline) save(v vars, line string, rollback bool) error {
	want := c.Roots[Slot(v[VarSlot])]
	newLine := line
	if rootArg(line) != want {
		fields := strings.Fields(line)
		for i, f := range fields {
			if strings.HasPrefix(f, "root=") {
				fields[i] = "root=" + want
			}
		}
		newLine = strings.Join(fields, " ")
	}
	writeLine := func() error {
		if newLine == line {
			return nil
		}
		return writeFile(c.Path, []byte(newLine+"\n"))
	}
	if rollback {
		if err := writeLine(); err != nil {
			return err
		}
	}
	if err := writeFile(c.stateFile(), formatVars(v)); err != nil {
		return err
	}
	if !rollback {
		return writeLine()
	}
	return nil
}

// State implements Bootloader.
func (c *Cmdline) State() (State, error) {
	v, booted, _, err := c.load()
	if err != nil {
		return State{}, err
	}
	return v.state(booted, SlotA)
}

// SetTrial implements Bootloader.
func (c *Cmdline) SetTrial(slot Slot) error {
	v, booted, line, err := c.load()
	if err != nil {
		return err
	}
	if err := v.setTrial(booted, slot); err != nil {
		return err
	}
	return c.save(v, line, false)
}

// Confirm implements Bootloader.
func (c *Cmdline) Confirm() error {
	v, booted, line, err := c.load()
	if err != nil {
		return err
	}
	s, err := v.state(booted, SlotA)
	if err != nil {
		return err
	}
	if !s.Trial {
		return v.confirm(s)
	}
	if err := v.confirm(s); err != nil {
		return err
	}
	return c.save(v, line, false)
}

// Cancel implements Bootloader.
func (c *Cmdline) Cancel() error {
	v, booted, line, err := c.load()
	if err != nil {
		return err
	}
	s, err := v.state(booted, SlotA)
	if err != nil {
		return err
	}
	if booted == "" {
		return fmt.Errorf("boot: cancel: the booted slot is unknown")
	}
	if !v.cancel(s) {
		return nil
	}
	// Switching root= back is the change that matters: write it first.
	return c.save(v, line, true)
}

// CountBoot runs the boot side of the contract (BootSide) from the booted
// system, for boot loaders that cannot count: pbxinit calls it before
// anything else. reboot is true when the booted slot used its last try
// and cmdline.txt now names the fallback: the caller must reboot at once.
func (c *Cmdline) CountBoot() (s State, reboot bool, err error) {
	v, booted, line, err := c.load()
	if err != nil {
		return State{}, false, err
	}
	before, err := v.state(booted, SlotA)
	if err != nil {
		return State{}, false, err
	}
	if !before.Trial || booted != before.Next {
		return before, false, nil
	}
	slot, changed := BootSide(v, SlotA)
	if changed {
		if err := c.save(v, line, slot != before.Next); err != nil {
			return State{}, false, err
		}
	}
	s, err = v.state(booted, SlotA)
	return s, slot != booted, err
}
