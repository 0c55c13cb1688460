package callrec

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"minipbx/dsp/audiofile"
)

// clock is a settable time for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func open(t *testing.T, dir string, c *clock, alarms *[]string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Now: c.now, OnAlarm: func(m string) {
		if alarms != nil {
			*alarms = append(*alarms, m)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tone is n samples of a sine at freq.
func tone(freq float64, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	return s
}

// record makes a recording of seconds of two tones.
func record(t *testing.T, s *Store, r Recording, seconds float64) Recording {
	t.Helper()
	w, err := s.Create(r)
	if err != nil {
		t.Fatal(err)
	}
	a, b := tone(400, int(seconds*rate)), tone(1000, int(seconds*rate))
	for i := 0; i+160 <= len(a); i += 160 {
		if err := w.Write(a[i:i+160], b[i:i+160]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// power is the level of freq in s (Goertzel), relative.
func power(s []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/rate)
	var s1, s2 float64
	for _, v := range s {
		s0 := float64(v) + k*s1 - s2
		s2, s1 = s1, s0
	}
	return (s1*s1 + s2*s2 - k*s1*s2) / float64(len(s)*len(s))
}

func TestStereoRecordingKeepsEachSideOnItsChannel(t *testing.T) {
	c := &clock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	s := open(t, t.TempDir(), c, nil)
	r := record(t, s, Recording{CallID: "c1", Caller: "5550001", Callee: "201", Extensions: []string{"201"}, Stereo: true}, 1)
	if r.Duration != time.Second || r.Size != 46+2*8000 {
		t.Errorf("recording %+v", r)
	}
	// The μ-law file itself reads back with the project's WAV reader...
	raw, err := os.ReadFile(filepath.Join(s.dir, r.ID+wavExt))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw[:4], []byte("RIFF")) {
		t.Fatal("not a RIFF file")
	}
	// ...and the browser view is 16-bit PCM, left 400 Hz, right 1 kHz.
	rc, size, err := s.Audio(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || int64(len(b)) != size {
		t.Fatalf("read %d of %d: %v", len(b), size, err)
	}
	var left, right []int16
	for i := 44; i+3 < len(b); i += 4 {
		left = append(left, int16(uint16(b[i])|uint16(b[i+1])<<8))
		right = append(right, int16(uint16(b[i+2])|uint16(b[i+3])<<8))
	}
	if power(left, 400) < 100*power(left, 1000) || power(right, 1000) < 100*power(right, 400) {
		t.Errorf("channels mixed: left 400/1000 %.3g/%.3g, right %.3g/%.3g",
			power(left, 400), power(left, 1000), power(right, 400), power(right, 1000))
	}
	// Seeking lands on the same bytes (Range requests).
	if _, err := rc.Seek(1001, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 17)
	if _, err := io.ReadFull(rc, part); err != nil || !bytes.Equal(part, b[1001:1018]) {
		t.Errorf("seek+read %v: %x, want %x", err, part, b[1001:1018])
	}
}

func TestMonoRecordingMixesAndReadsAsWAV(t *testing.T) {
	c := &clock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	s := open(t, t.TempDir(), c, nil)
	r := record(t, s, Recording{CallID: "c1"}, 0.5)
	f, err := os.Open(filepath.Join(s.dir, r.ID+wavExt))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	samples, sr, err := audiofile.ReadWAV(f)
	if err != nil || sr != rate || len(samples) != 4000 {
		t.Fatalf("ReadWAV: %d samples at %d: %v", len(samples), sr, err)
	}
	if p4, p10 := power(samples, 400), power(samples, 1000); p4 < 1e3 || p10 < 1e3 {
		t.Errorf("mix lacks a side: 400 Hz %.3g, 1 kHz %.3g", p4, p10)
	}
}

func TestInterruptedRecordingsAreRemovedAndKeptOnesIndexed(t *testing.T) {
	dir := t.TempDir()
	c := &clock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	s := open(t, dir, c, nil)
	kept := record(t, s, Recording{CallID: "c1", Caller: "555"}, 0.2)
	w, err := s.Create(Recording{CallID: "c2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(tone(400, 160), tone(400, 160)); err != nil {
		t.Fatal(err)
	}
	// A crash here: the box restarts.
	if err := os.WriteFile(filepath.Join(dir, "stray.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir, c, nil)
	list := s2.List(Filter{})
	if len(list) != 1 || list[0].ID != kept.ID || list[0].Caller != "555" {
		t.Fatalf("after restart: %+v", list)
	}
	left, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	if len(left) != 0 {
		t.Errorf("leftovers %v", left)
	}
}

func TestQuotaRemovesOldestFirstAndRetention(t *testing.T) {
	c := &clock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	var alarms []string
	s := open(t, t.TempDir(), c, &alarms)
	var ids []string
	for i := range 5 {
		c.t = c.t.Add(time.Minute)
		ext := "201"
		if i%2 == 1 {
			ext = "202"
		}
		ids = append(ids, record(t, s, Recording{CallID: "c", Extensions: []string{ext}}, 1).ID)
	}
	size := s.List(Filter{})[0].Size
	// Room for three: the two oldest go.
	s.SetLimits(Limits{Quota: 3*size + size/5})
	got := s.List(Filter{})
	if len(got) != 3 || got[2].ID != ids[2] {
		t.Fatalf("after the quota: %d recordings, oldest %s; want the three newest", len(got), got[len(got)-1].ID)
	}
	if len(alarms) != 1 || !strings.Contains(alarms[0], "quota") {
		t.Errorf("alarms %q, want one quota warning", alarms)
	}
	// Per extension: 201 may keep one.
	s.SetLimits(Limits{ExtensionQuota: size})
	for _, r := range s.List(Filter{Extension: "201"}) {
		if r.ID != ids[4] {
			t.Errorf("201 still has %s, want only its newest %s", r.ID, ids[4])
		}
	}
	// Retention: a day later everything older than an hour goes.
	c.t = c.t.Add(24 * time.Hour)
	s.SetLimits(Limits{Retention: time.Hour})
	if n := len(s.List(Filter{})); n != 0 {
		t.Errorf("%d recordings past their retention", n)
	}
}

func TestFilterAndDelete(t *testing.T) {
	c := &clock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	s := open(t, t.TempDir(), c, nil)
	a := record(t, s, Recording{CallID: "c1", Caller: "0301234567", Callee: "201", Extensions: []string{"201"}}, 0.1)
	c.t = c.t.Add(time.Hour)
	b := record(t, s, Recording{CallID: "c2", Caller: "202", Callee: "203", Extensions: []string{"202", "203"}}, 0.1)
	if l := s.List(Filter{Number: "1234"}); len(l) != 1 || l[0].ID != a.ID {
		t.Errorf("by number: %+v", l)
	}
	if l := s.List(Filter{Extension: "203"}); len(l) != 1 || l[0].ID != b.ID {
		t.Errorf("by extension: %+v", l)
	}
	if l := s.List(Filter{From: c.t}); len(l) != 1 || l[0].ID != b.ID {
		t.Errorf("by date: %+v", l)
	}
	if err := s.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	for _, id := range []string{"../x", "", "20260301T100000Z-12345"} {
		if _, _, err := s.Audio(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Audio(%q): %v", id, err)
		}
	}
}

// failing is a file that fails like a full disk after some bytes.
type failing struct {
	*os.File
	left int
}

func (f *failing) Write(p []byte) (int, error) {
	if len(p) > f.left {
		return 0, syscall.ENOSPC
	}
	f.left -= len(p)
	return f.File.Write(p)
}

func TestFullDiskStopsARecordingAndKeepsWhatItGot(t *testing.T) {
	c := &clock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	var alarms []string
	s := open(t, t.TempDir(), c, &alarms)
	s.create = func(path string) (file, error) {
		f, err := createFile(path)
		if err != nil {
			return nil, err
		}
		return &failing{File: f.(*os.File), left: writeBuffer}, nil
	}
	w, err := s.Create(Recording{CallID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 5*rate/160 && werr == nil; i++ {
		werr = w.Write(tone(400, 160), tone(400, 160))
	}
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("write error %v", werr)
	}
	if len(alarms) == 0 {
		t.Error("no alarm for the full disk")
	}
	s.create = func(path string) (file, error) { return nil, syscall.ENOSPC }
	if _, err := s.Create(Recording{}); !errors.Is(err, ErrDiskFull) {
		t.Errorf("create on a full disk: %v", err)
	}
	w.Abort()
}

func FuzzParseMeta(f *testing.F) {
	f.Add([]byte(`{"id":"20260301T100000Z-0001","call_id":"c1","start":"2026-03-01T10:00:00Z","duration_ns":1000000000,"size":46}`))
	f.Add([]byte(`{"id":"../../etc/passwd"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseMeta(b)
		if err == nil && !validID(r.ID) {
			t.Fatalf("accepted id %q", r.ID)
		}
	})
}
