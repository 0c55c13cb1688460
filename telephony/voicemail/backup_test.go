package voicemail

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStoreFileNames: the names a backup may carry are exactly the
// store's own; nothing that could leave a mailbox directory passes.
func TestStoreFileNames(t *testing.T) {
	for name, want := range map[string]bool{
		"20261122T020304Z-3f9a.wav":    true,
		"20261122T020304Z-3f9a.json":   true,
		"greeting-busy.wav":            true,
		"greeting-unavailable.wav":     true,
		"greeting-busy.json":           false,
		"greeting-other.wav":           false,
		"20261122T020304Z-3F9A.wav":    false,
		"20261122T020304Z-3f9a.wav.x":  false,
		"20261122T020304Z-3f9.wav":     false,
		"20261322T020304Z-3f9a.wav":    false,
		".tmp-20261122T020304Z-3f9a":   false,
		"../20261122T020304Z-3f9a.wav": false,
		"x/greeting-busy.wav":          false,
		"..":                           false,
		"":                             false,
	} {
		if got := StoreFile(name); got != want {
			t.Errorf("StoreFile(%q) = %v", name, got)
		}
	}
	if d, ok := MessageWAV("20261122T020304Z-3f9a.wav"); !ok || d != "20261122T020304Z-3f9a.json" {
		t.Errorf("MessageWAV: %q %v", d, ok)
	}
	for _, n := range []string{"greeting-busy.wav", "20261122T020304Z-3f9a.json"} {
		if _, ok := MessageWAV(n); ok {
			t.Errorf("MessageWAV(%q) is a message", n)
		}
	}
	for box, want := range map[string]bool{"101": true, "0": true, "12345678901234567": false, "": false, "1a": false, "..": false} {
		if ValidBox(box) != want {
			t.Errorf("ValidBox(%q) = %v", box, !want)
		}
	}
}

// TestCheckFile: a restore's content check accepts the store's own files
// (and a later firmware's details) and refuses other audio and non-JSON.
func TestCheckFile(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	m := record(t, s, "101", alice, speech(8001, 0.2))
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(fx.dir, "101", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wav, details := read(m.ID+wavExt), read(m.ID+metaExt)
	check := func(name string, b []byte) error { return CheckFile(name, bytes.NewReader(b), int64(len(b))) }
	for _, c := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{m.ID + wavExt, wav, true},
		{"greeting-busy.wav", wav, true},
		{m.ID + metaExt, details, true},
		{m.ID + metaExt, []byte(`{"v":7,"whatever":[1]}`), true},
		{m.ID + wavExt, wav[:len(wav)-10], false}, // cut short
		{m.ID + wavExt, bytes.Replace(wav, []byte("WAVE"), []byte("AVI "), 1), false},
		{m.ID + wavExt, bytes.Replace(wav, []byte{7, 0, 1, 0}, []byte{1, 0, 1, 0}, 1), false}, // PCM, not μ-law
		{m.ID + metaExt, []byte(`caller=me`), false},
		{m.ID + metaExt, []byte(`[1,2]`), false},
		{m.ID + metaExt, append([]byte(`{"x":"`), append(bytes.Repeat([]byte("a"), maxMetaBytes), '"', '}')...), false},
		{"evil.sh", wav, false},
	} {
		if err := check(c.name, c.data); (err == nil) != c.ok {
			t.Errorf("%s (%d bytes): %v", c.name, len(c.data), err)
		}
	}
	if err := CheckFile("greeting-busy.wav", bytes.NewReader(nil), MaxFileBytes+1); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized: %v", err)
	}
}

// TestReindex: after files are put into and taken out of the store's
// directory behind its back (a restore), Reindex lists what is on disk,
// tells OnChange of each mailbox that changed (and only those), keeps a
// recording in progress (its file and its slot) and removes nothing that
// may be work in progress.
func TestReindex(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	a := record(t, s, "101", alice, speech(8000, 0.1))
	same := record(t, s, "104", alice, speech(8000, 0.4))
	rec, err := s.Create("101", alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Write(speech(8000, 0.3)); err != nil {
		t.Fatal(err)
	}

	// Another box's messages, copied in as a restore would.
	other := newFixture(t)
	other.clock.Advance(-time.Hour)
	s2 := other.open(t)
	b := record(t, s2, "101", alice, speech(12000, 0.5))
	c := record(t, s2, "102", alice, speech(9000, 0.6))
	if err := s2.SetHeard("102", c.ID, true); err != nil {
		t.Fatal(err)
	}
	cp := func(box, name string) {
		data, err := os.ReadFile(filepath.Join(other.dir, box, name))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(fx.dir, box), 0o700)
		if err := os.WriteFile(filepath.Join(fx.dir, box, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cp("101", b.ID+metaExt)
	cp("101", b.ID+wavExt)
	cp("102", c.ID+metaExt)
	cp("102", c.ID+wavExt)
	// a is deleted behind the store's back; a commit elsewhere is
	// halfway (its details are in, its WAV not yet).
	os.Remove(filepath.Join(fx.dir, "101", a.ID+wavExt))
	os.Remove(filepath.Join(fx.dir, "101", a.ID+metaExt))
	halfway := "20261122T020000Z-0001" + metaExt
	os.WriteFile(filepath.Join(fx.dir, "101", halfway), []byte(`{}`), 0o600)
	fx.takeChanges()

	if err := s.Reindex(); err != nil {
		t.Fatal(err)
	}
	ids := func(box string) []string {
		ms, _ := s.Messages(box)
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	if !slices.Equal(ids("101"), []string{b.ID}) || !slices.Equal(ids("102"), []string{c.ID}) || !slices.Equal(ids("104"), []string{same.ID}) {
		t.Errorf("after reindex: 101 %v, 102 %v, 104 %v", ids("101"), ids("102"), ids("104"))
	}
	if n, h := s.Counts("102"); n != 0 || h != 1 {
		t.Errorf("102 counts %d %d", n, h)
	}
	ch := fx.takeChanges()
	slices.SortFunc(ch, func(x, y change) int { return strings.Compare(x.box, y.box) })
	if !slices.Equal(ch, []change{{"101", 1, 0}, {"102", 0, 1}}) {
		t.Errorf("OnChange: %+v (101 changed with the same counts, 102 is new, 104 did not change)", ch)
	}
	if _, err := os.Stat(filepath.Join(fx.dir, "101", halfway)); err != nil {
		t.Errorf("reindex removed a commit's details: %v", err)
	}
	// The recording in progress goes on and is kept.
	m, err := rec.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids("101"), []string{b.ID, m.ID}) {
		t.Errorf("after the commit: %v", ids("101"))
	}
	// A reindex with nothing changed tells nobody.
	fx.takeChanges()
	if err := s.Reindex(); err != nil || len(fx.takeChanges()) != 0 {
		t.Errorf("idle reindex: %v", err)
	}
}

// TestOpenRemovesRestoreLeftovers: what a restore staged in the store's
// directory and did not finish (power cut) is gone at the next start.
func TestOpenRemovesRestoreLeftovers(t *testing.T) {
	fx := newFixture(t)
	left := filepath.Join(fx.dir, ".tmp-restore-123", "101")
	if err := os.MkdirAll(left, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(left, "greeting-busy.wav"), []byte("RIFF"), 0o600)
	s := fx.open(t)
	if _, err := os.Stat(filepath.Dir(left)); !os.IsNotExist(err) {
		t.Errorf("leftover staging stays: %v", err)
	}
	if boxes, _ := s.Boxes(); len(boxes) != 0 {
		t.Errorf("boxes %v", boxes)
	}
}
