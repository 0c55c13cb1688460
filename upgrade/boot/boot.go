// Package boot switches the box between its two root file system slots
// through the bootloader, with a boot counter for trial boots.
//
// # The model
//
// The box has two root slots, "a" and "b". One is booted; the upgrade
// writes the other, then calls SetTrial: the next reset boots the new slot
// on trial, with a boot counter. Each boot of a slot on trial counts one
// try; once MaxTries (3) boots have not confirmed it, the boot side returns
// to the fallback slot (the one that was running before the upgrade).
// The new firmware calls Confirm once its health check passes, which ends
// the trial and makes the slot permanent.
//
// Every implementation keeps the state in the same variables, named as in
// U-Boot's environment:
//
//	minipbx_slot       a|b   the slot the next reset boots
//	minipbx_fallback   a|b   the slot to return to when the trial fails
//	upgrade_available  0|1   1 while minipbx_slot is on trial
//	bootcount          n     boots of minipbx_slot in this trial so far
//	bootlimit          3     tries before returning to minipbx_fallback
//
// # The boot-side contract
//
// Whatever boots the box must, on every boot, do what BootSide does:
//
//	if upgrade_available == 1:
//	    bootcount = bootcount + 1
//	    if bootcount > bootlimit:             # every try used: roll back
//	        minipbx_slot = minipbx_fallback
//	        upgrade_available = 0
//	        bootcount = 0
//	    save the state                         # before booting, every time
//	boot minipbx_slot, telling the kernel which slot it is
//	    (U-Boot: "minipbx.slot=a" on the kernel command line)
//
// U-Boot does this in its boot script (rootfs/boot/boot.cmd is the
// example, with CONFIG_BOOTCOUNT_ENV's variables), and the hardware
// watchdog must be armed before the kernel starts, so that a firmware that
// hangs is reset and counted. A Raspberry-Pi-style boot (cmdline.txt)
// has no counter of its own: there pbxinit runs the boot side as the first
// thing it does (Cmdline.CountBoot), see cmdline.go for what that cannot
// catch.
package boot

import (
	"errors"
	"fmt"
	"strconv"
)

// Slot names a root file system slot.
type Slot string

// The two slots.
const (
	SlotA Slot = "a"
	SlotB Slot = "b"
)

// Other returns the other slot.
func (s Slot) Other() Slot {
	if s == SlotA {
		return SlotB
	}
	return SlotA
}

// Valid reports whether s is "a" or "b".
func (s Slot) Valid() bool { return s == SlotA || s == SlotB }

// DefaultMaxTries is how many boots a trial slot gets.
const DefaultMaxTries = 3

// State is the boot state.
type State struct {
	// Booted is the slot running now ("" when unknown, e.g. a
	// development machine).
	Booted Slot
	// Next is the slot the next reset boots.
	Next Slot
	// Fallback is the slot the boot side returns to when the trial of
	// Next fails.
	Fallback Slot
	// Trial is true while Next has not been confirmed.
	Trial bool
	// Tries is how many boots of Next the trial has counted so far;
	// MaxTries is the limit.
	Tries, MaxTries int
}

// Bootloader is the boot-slot switch.
type Bootloader interface {
	// State reads the boot state.
	State() (State, error)
	// SetTrial makes the next reset boot slot on trial (DefaultMaxTries
	// boots), falling back to the booted slot. It changes the boot state
	// atomically: a power cut during SetTrial leaves either the old
	// state (booting the booted slot) or the new.
	SetTrial(slot Slot) error
	// Confirm ends the trial of the booted slot: it stays. It fails
	// with ErrNotBooted if the booted slot is not the one on trial.
	Confirm() error
	// Cancel withdraws a trial that has not booted yet: the next reset
	// boots the booted slot again. The upgrade calls it before it
	// overwrites the inactive slot, which a pending trial would boot.
	Cancel() error
}

// Errors.
var (
	ErrNotBooted = errors.New("boot: the booted slot is not the slot on trial")
	ErrState     = errors.New("boot: bad boot state")
)

// Variable names (U-Boot environment spelling).
const (
	VarSlot      = "minipbx_slot"
	VarFallback  = "minipbx_fallback"
	VarUpgrade   = "upgrade_available"
	VarBootCount = "bootcount"
	VarBootLimit = "bootlimit"
)

// vars is the state in its variable form.
type vars map[string]string

func (v vars) int(name string, def int) int {
	n, err := strconv.Atoi(v[name])
	if err != nil || n < 0 {
		return def
	}
	return n
}

// state reads the variables. A box whose variables are missing (first
// boot after flashing) boots defaultSlot, not on trial.
func (v vars) state(booted, defaultSlot Slot) (State, error) {
	s := State{Booted: booted, Next: Slot(v[VarSlot]), Fallback: Slot(v[VarFallback])}
	if v[VarSlot] == "" {
		s.Next = defaultSlot
	}
	if !s.Next.Valid() {
		return State{}, fmt.Errorf("%w: %s=%q", ErrState, VarSlot, v[VarSlot])
	}
	if !s.Fallback.Valid() {
		s.Fallback = s.Next
	}
	s.Trial = v[VarUpgrade] == "1" && s.Fallback != s.Next
	s.MaxTries = v.int(VarBootLimit, DefaultMaxTries)
	if s.MaxTries == 0 {
		s.MaxTries = DefaultMaxTries
	}
	if s.Trial {
		s.Tries = v.int(VarBootCount, 0)
	}
	return s, nil
}

func (v vars) setTrial(booted, slot Slot) error {
	if !slot.Valid() {
		return fmt.Errorf("boot: set trial: bad slot %q", slot)
	}
	if !booted.Valid() {
		return fmt.Errorf("boot: set trial: the booted slot is unknown")
	}
	if slot == booted {
		return fmt.Errorf("boot: set trial: slot %s is the booted slot", slot)
	}
	v[VarSlot] = string(slot)
	v[VarFallback] = string(booted)
	v[VarUpgrade] = "1"
	v[VarBootCount] = "0"
	v[VarBootLimit] = strconv.Itoa(DefaultMaxTries)
	return nil
}

func (v vars) confirm(s State) error {
	if !s.Trial {
		if s.Booted != "" && s.Booted != s.Next {
			return fmt.Errorf("%w: booted %s, next %s", ErrNotBooted, s.Booted, s.Next)
		}
		return nil // nothing on trial: already confirmed
	}
	if s.Booted != s.Next {
		return fmt.Errorf("%w: booted %s, on trial %s", ErrNotBooted, s.Booted, s.Next)
	}
	v[VarUpgrade] = "0"
	v[VarBootCount] = "0"
	v[VarFallback] = string(s.Next)
	return nil
}

func (v vars) cancel(s State) bool {
	if !s.Booted.Valid() || (s.Next == s.Booted && !s.Trial) {
		return false
	}
	v[VarSlot] = string(s.Booted)
	v[VarFallback] = string(s.Booted)
	v[VarUpgrade] = "0"
	v[VarBootCount] = "0"
	return true
}

// BootSide does, on the variables, what the bootloader does at each boot
// (the contract in the package doc): counts a trial boot, returns to the
// fallback after the last try, and returns the slot to boot. changed says
// whether the variables must be saved. Tests use it to play U-Boot;
// Cmdline.CountBoot uses it for real.
func BootSide(v map[string]string, defaultSlot Slot) (slot Slot, changed bool) {
	vv := vars(v)
	if vv[VarUpgrade] == "1" {
		n := vv.int(VarBootCount, 0) + 1
		limit := vv.int(VarBootLimit, DefaultMaxTries)
		vv[VarBootCount] = strconv.Itoa(n)
		changed = true
		if n > limit {
			if fb := Slot(vv[VarFallback]); fb.Valid() {
				vv[VarSlot] = string(fb)
			}
			vv[VarUpgrade] = "0"
			vv[VarBootCount] = "0"
		}
	}
	slot = Slot(vv[VarSlot])
	if !slot.Valid() {
		slot = defaultSlot
	}
	return slot, changed
}
