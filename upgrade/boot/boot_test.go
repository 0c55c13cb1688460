package boot

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// simulated is a bootloader plus a reset that plays the boot side the way
// the real boot chain does for that kind.
type simulated struct {
	bl    Bootloader
	reset func(t *testing.T) Slot
}

func newUBootSim(t *testing.T, redundant bool) simulated {
	dir := t.TempDir()
	proc := filepath.Join(dir, "cmdline")
	cfg := EnvConfig{Size: 256, Copies: []EnvLocation{{Path: filepath.Join(dir, "env"), Offset: 64}}}
	if redundant {
		cfg.Copies = append(cfg.Copies, EnvLocation{Path: filepath.Join(dir, "env"), Offset: 64 + 256})
	}
	if err := os.WriteFile(cfg.Copies[0].Path, make([]byte, 1024), 0o644); err != nil {
		t.Fatal(err)
	}
	// The environment U-Boot saved once: its own variables, which we must keep.
	if err := WriteEnv(cfg, map[string]string{"bootcmd": "run minipbx_boot", "bootdelay": "0"}); err != nil {
		t.Fatal(err)
	}
	u := &UBoot{Env: cfg, ProcCmdline: proc}
	reset := func(t *testing.T) Slot {
		t.Helper()
		v, _, _, err := ReadEnv(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if v["bootcmd"] != "run minipbx_boot" {
			t.Fatalf("U-Boot's own variables lost: %v", v)
		}
		slot, changed := BootSide(v, SlotA)
		if changed {
			if err := WriteEnv(cfg, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(proc, []byte("console=ttyAMA0 root=/dev/vda"+map[Slot]string{SlotA: "2", SlotB: "3"}[slot]+" minipbx.slot="+string(slot)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return slot
	}
	reset(t)
	return simulated{u, reset}
}

func newCmdlineSim(t *testing.T) simulated {
	dir := t.TempDir()
	c := &Cmdline{
		Path:        filepath.Join(dir, "cmdline.txt"),
		Roots:       map[Slot]string{SlotA: "/dev/mmcblk0p2", SlotB: "/dev/mmcblk0p3"},
		ProcCmdline: filepath.Join(dir, "proc-cmdline"),
	}
	if err := os.WriteFile(c.Path, []byte("console=serial0,115200 root=/dev/mmcblk0p2 rootfstype=squashfs ro panic=10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var reset func(t *testing.T) Slot
	reset = func(t *testing.T) Slot {
		t.Helper()
		line, err := os.ReadFile(c.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(line), "rootfstype=squashfs ro panic=10") {
			t.Fatalf("cmdline.txt lost its other arguments: %q", line)
		}
		if err := os.WriteFile(c.ProcCmdline, line, 0o644); err != nil {
			t.Fatal(err)
		}
		_, reboot, err := c.CountBoot() // pbxinit's first act
		if err != nil {
			t.Fatal(err)
		}
		if reboot {
			return reset(t)
		}
		return c.slotOf(rootArg(string(line)))
	}
	reset(t)
	return simulated{c, reset}
}

func newFileSim(t *testing.T) simulated {
	f, err := NewFile(filepath.Join(t.TempDir(), "boot.txt"), SlotA)
	if err != nil {
		t.Fatal(err)
	}
	return simulated{f, func(t *testing.T) Slot {
		s, err := f.Reset()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}}
}

func allSims(t *testing.T) map[string]func(t *testing.T) simulated {
	return map[string]func(t *testing.T) simulated{
		"uboot":           func(t *testing.T) simulated { return newUBootSim(t, false) },
		"uboot-redundant": func(t *testing.T) simulated { return newUBootSim(t, true) },
		"cmdline":         newCmdlineSim,
		"file":            newFileSim,
	}
}

func state(t *testing.T, bl Bootloader) State {
	t.Helper()
	s, err := bl.State()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTrialConfirmed(t *testing.T) {
	for name, mk := range allSims(t) {
		t.Run(name, func(t *testing.T) {
			sim := mk(t)
			if s := state(t, sim.bl); s.Booted != SlotA || s.Next != SlotA || s.Trial {
				t.Fatalf("fresh box: %+v", s)
			}
			if err := sim.bl.SetTrial(SlotA); err == nil {
				t.Error("trial of the booted slot accepted")
			}
			if err := sim.bl.SetTrial(SlotB); err != nil {
				t.Fatal(err)
			}
			s := state(t, sim.bl)
			if s.Booted != SlotA || s.Next != SlotB || s.Fallback != SlotA || !s.Trial || s.Tries != 0 || s.MaxTries != 3 {
				t.Fatalf("after SetTrial: %+v", s)
			}
			if err := sim.bl.Confirm(); !errors.Is(err, ErrNotBooted) {
				t.Errorf("confirm before the reboot: %v, want ErrNotBooted", err)
			}
			if got := sim.reset(t); got != SlotB {
				t.Fatalf("reset booted %s, want b", got)
			}
			if s := state(t, sim.bl); !s.Trial || s.Tries != 1 || s.Booted != SlotB {
				t.Fatalf("first trial boot: %+v", s)
			}
			if err := sim.bl.Confirm(); err != nil {
				t.Fatal(err)
			}
			if err := sim.bl.Confirm(); err != nil {
				t.Fatalf("second confirm: %v", err)
			}
			for i := 0; i < 5; i++ {
				if got := sim.reset(t); got != SlotB {
					t.Fatalf("confirmed slot: reset %d booted %s", i, got)
				}
			}
			if s := state(t, sim.bl); s.Trial || s.Next != SlotB || s.Booted != SlotB {
				t.Fatalf("confirmed: %+v", s)
			}
			// And back the other way.
			if err := sim.bl.SetTrial(SlotA); err != nil {
				t.Fatal(err)
			}
			if sim.reset(t) != SlotA || sim.bl.Confirm() != nil || sim.reset(t) != SlotA {
				t.Fatal("second upgrade b→a did not stay on a")
			}
		})
	}
}

func TestCancel(t *testing.T) {
	for name, mk := range allSims(t) {
		t.Run(name, func(t *testing.T) {
			sim := mk(t)
			if err := sim.bl.Cancel(); err != nil {
				t.Fatalf("cancel with nothing pending: %v", err)
			}
			if err := sim.bl.SetTrial(SlotB); err != nil {
				t.Fatal(err)
			}
			if err := sim.bl.Cancel(); err != nil {
				t.Fatal(err)
			}
			if s := state(t, sim.bl); s.Trial || s.Next != SlotA {
				t.Fatalf("after cancel: %+v", s)
			}
			if sim.reset(t) != SlotA {
				t.Fatal("cancelled trial booted")
			}
		})
	}
}

func TestTrialRolledBack(t *testing.T) {
	for name, mk := range allSims(t) {
		t.Run(name, func(t *testing.T) {
			sim := mk(t)
			if err := sim.bl.SetTrial(SlotB); err != nil {
				t.Fatal(err)
			}
			for try := 1; try <= DefaultMaxTries; try++ {
				if got := sim.reset(t); got != SlotB {
					t.Fatalf("try %d booted %s", try, got)
				}
				if s := state(t, sim.bl); s.Tries != try || !s.Trial {
					t.Fatalf("try %d: %+v", try, s)
				}
			}
			if got := sim.reset(t); got != SlotA {
				t.Fatalf("after %d failed tries booted %s, want the fallback a", DefaultMaxTries, got)
			}
			s := state(t, sim.bl)
			if s.Trial || s.Next != SlotA || s.Booted != SlotA {
				t.Fatalf("rolled back: %+v", s)
			}
			if err := sim.bl.Confirm(); err != nil {
				t.Fatalf("confirm on the old slot (nothing on trial): %v", err)
			}
			if sim.reset(t) != SlotA {
				t.Fatal("rolled back box left slot a")
			}
		})
	}
}

// An env written by U-Boot (vectors checked with Python's zlib.crc32).
func TestEnvVectors(t *testing.T) {
	v := map[string]string{"minipbx_slot": "a", "bootcount": "0"}
	got, err := EncodeEnv(v, 64, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got[:4]) != "fe35e2dc" || !bytes.HasPrefix(got[4:], []byte("bootcount=0\x00minipbx_slot=a\x00\x00")) || len(got) != 64 {
		t.Fatalf("single copy: % x", got)
	}
	got, err = EncodeEnv(map[string]string{"minipbx_slot": "b"}, 64, true, 7)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got[:5]) != "9f43b3d807" {
		t.Fatalf("redundant copy: % x", got[:5])
	}
	// mkenvimage pads with 0xff; the CRC covers the padding.
	img, _ := hex.DecodeString("ade5d956" + hex.EncodeToString([]byte("x=1\x00\x00")) + strings.Repeat("ff", 23))
	pv, _, err := ParseEnv(img, false)
	if err != nil || len(pv) != 1 || pv["x"] != "1" {
		t.Fatalf("0xff padded env: %v %v", pv, err)
	}
	img[10] ^= 1
	if _, _, err := ParseEnv(img, false); !errors.Is(err, ErrNoEnv) {
		t.Fatalf("bad CRC: %v", err)
	}
	if _, err := EncodeEnv(map[string]string{"a": strings.Repeat("x", 100)}, 64, false, 0); err == nil {
		t.Error("an env larger than its area was encoded")
	}
	if _, err := EncodeEnv(map[string]string{"a=b": "x"}, 64, false, 0); err == nil {
		t.Error("a name with '=' was encoded")
	}
}

func TestRedundantEnv(t *testing.T) {
	dir := t.TempDir()
	cfg := EnvConfig{Size: 128, Copies: []EnvLocation{{filepath.Join(dir, "e1"), 0}, {filepath.Join(dir, "e2"), 0}}}
	for _, c := range cfg.Copies {
		os.WriteFile(c.Path, make([]byte, 128), 0o644)
	}
	if _, _, _, err := ReadEnv(cfg); !errors.Is(err, ErrNoEnv) {
		t.Fatalf("blank flash: %v", err)
	}
	var lastIndex = -1
	for i := 0; i < 300; i++ { // past the flags wrap-around
		if err := WriteEnv(cfg, map[string]string{"n": string(rune('a' + i%26))}); err != nil {
			t.Fatal(err)
		}
		v, flags, index, err := ReadEnv(cfg)
		if err != nil || v["n"] != string(rune('a'+i%26)) {
			t.Fatalf("write %d read back %v %v", i, v, err)
		}
		if index == lastIndex {
			t.Fatalf("write %d went to the current copy %d", i, index)
		}
		if flags != byte(i+1) {
			t.Fatalf("write %d: flags %d", i, flags)
		}
		lastIndex = index
	}
	// A torn write of the newest copy: the older one is current again.
	_, _, index, _ := ReadEnv(cfg)
	f, _ := os.OpenFile(cfg.Copies[index].Path, os.O_WRONLY, 0)
	f.WriteAt([]byte("garbage"), 20)
	f.Close()
	v, _, index2, err := ReadEnv(cfg)
	if err != nil || index2 == index || v["n"] != string(rune('a'+298%26)) {
		t.Fatalf("after a torn write: %v copy %d %v", v, index2, err)
	}
	if !newerFlags(0, 255) || newerFlags(255, 0) || !newerFlags(3, 2) {
		t.Error("flags order")
	}
}

func TestUBootRefusesBlankEnv(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "env"), make([]byte, 256), 0o644)
	os.WriteFile(filepath.Join(dir, "cmdline"), []byte("minipbx.slot=a"), 0o644)
	u := &UBoot{Env: EnvConfig{Size: 256, Copies: []EnvLocation{{filepath.Join(dir, "env"), 0}}}, ProcCmdline: filepath.Join(dir, "cmdline")}
	if err := u.SetTrial(SlotB); !errors.Is(err, ErrNoEnv) {
		t.Fatalf("SetTrial on a blank environment: %v, want ErrNoEnv", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "env")); !bytes.Equal(b, make([]byte, 256)) {
		t.Fatal("blank environment written")
	}
}

// A power cut between the state file and cmdline.txt during SetTrial.
func TestCmdlineTornSetTrial(t *testing.T) {
	sim := newCmdlineSim(t)
	c := sim.bl.(*Cmdline)
	v := vars{}
	v.setTrial(SlotA, SlotB)
	if err := writeFile(c.stateFile(), formatVars(v)); err != nil {
		t.Fatal(err)
	}
	if s := state(t, c); s.Trial || s.Next != SlotA {
		t.Fatalf("half-done SetTrial: %+v", s)
	}
	for i := 0; i < 5; i++ {
		if sim.reset(t) != SlotA {
			t.Fatal("half-done SetTrial left slot a")
		}
	}
}

func FuzzParseEnv(f *testing.F) {
	e, _ := EncodeEnv(map[string]string{"bootcmd": "run x", "minipbx_slot": "a"}, 64, false, 0)
	f.Add(e, false)
	e, _ = EncodeEnv(map[string]string{"bootcount": "2"}, 64, true, 9)
	f.Add(e, true)
	f.Fuzz(func(t *testing.T, data []byte, redundant bool) {
		v, flags, err := ParseEnv(data, redundant)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to something that parses the same.
		e, err := EncodeEnv(v, len(data), redundant, flags)
		if err != nil {
			return // e.g. an entry with a NUL-free but '='-named key cannot occur; size may not fit the padding byte
		}
		v2, f2, err := ParseEnv(e, redundant)
		if err != nil || f2 != flags || len(v2) != len(v) {
			t.Fatalf("re-encode: %v %v %v", v2, f2, err)
		}
		for k := range v {
			if v2[k] != v[k] {
				t.Fatalf("%q: %q != %q", k, v2[k], v[k])
			}
		}
	})
}
