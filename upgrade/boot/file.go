package boot

import (
	"fmt"
	"os"
)

// File is a Bootloader kept in one text file (the variables plus
// "booted=", the slot running now), for tests and for development boxes.
// Reset plays the boot side (BootSide), so tests can run a whole upgrade,
// trial, failure and rollback without a board.
type File struct {
	Path string
}

const varBooted = "booted"

// NewFile makes a file-backed bootloader at path, creating it (booted
// and next = slot, no trial) if it does not exist.
func NewFile(path string, slot Slot) (*File, error) {
	if !slot.Valid() {
		return nil, fmt.Errorf("boot: file: bad slot %q", slot)
	}
	f := &File{Path: path}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		v := vars{varBooted: string(slot), VarSlot: string(slot), VarFallback: string(slot)}
		if err := writeFile(path, formatVars(v)); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("boot: file: %w", err)
	}
	return f, nil
}

func (f *File) load() (vars, Slot, error) {
	v, err := readVarsFile(f.Path)
	if err != nil {
		return nil, "", err
	}
	booted := Slot(v[varBooted])
	delete(v, varBooted)
	return v, booted, nil
}

func (f *File) save(v vars, booted Slot) error {
	out := vars{varBooted: string(booted)}
	for k, val := range v {
		out[k] = val
	}
	return writeFile(f.Path, formatVars(out))
}

// State implements Bootloader.
func (f *File) State() (State, error) {
	v, booted, err := f.load()
	if err != nil {
		return State{}, err
	}
	return v.state(booted, SlotA)
}

// SetTrial implements Bootloader.
func (f *File) SetTrial(slot Slot) error {
	v, booted, err := f.load()
	if err != nil {
		return err
	}
	if err := v.setTrial(booted, slot); err != nil {
		return err
	}
	return f.save(v, booted)
}

// Confirm implements Bootloader.
func (f *File) Confirm() error {
	v, booted, err := f.load()
	if err != nil {
		return err
	}
	s, err := v.state(booted, SlotA)
	if err != nil {
		return err
	}
	if err := v.confirm(s); err != nil {
		return err
	}
	return f.save(v, booted)
}

// Cancel implements Bootloader.
func (f *File) Cancel() error {
	v, booted, err := f.load()
	if err != nil {
		return err
	}
	s, err := v.state(booted, SlotA)
	if err != nil {
		return err
	}
	if !v.cancel(s) {
		return nil
	}
	return f.save(v, booted)
}

// Reset simulates a reset of the box: the boot side counts a trial boot
// or rolls back, and the slot it chooses becomes the booted one.
func (f *File) Reset() (Slot, error) {
	v, _, err := f.load()
	if err != nil {
		return "", err
	}
	slot, _ := BootSide(v, SlotA)
	if err := f.save(v, slot); err != nil {
		return "", err
	}
	return slot, nil
}
