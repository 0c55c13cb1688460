package voicemail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"minipbx/dsp"
	"minipbx/dsp/audiofile"
	"minipbx/internal/testutil"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// clock is a settable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// change is one OnChange call.
type change struct {
	box        string
	new, heard int
}

// fixture is a store in a temporary directory with a clock, a log and
// a record of OnChange calls.
type fixture struct {
	dir     string
	clock   *clock
	log     *bytes.Buffer
	mu      sync.Mutex
	changes []change
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{
		dir:   filepath.Join(t.TempDir(), "recordings", "voicemail"),
		clock: &clock{t: time.Date(2026, 11, 22, 2, 3, 4, 500, time.UTC)},
		log:   &bytes.Buffer{},
	}
}

func (fx *fixture) open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(fx.dir, Options{
		Now:    fx.clock.Now,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{&fx.mu, fx.log}, nil)),
		OnChange: func(box string, n, h int) {
			fx.mu.Lock()
			fx.changes = append(fx.changes, change{box, n, h})
			fx.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// takeChanges returns and forgets the OnChange calls so far.
func (fx *fixture) takeChanges() []change {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	c := fx.changes
	fx.changes = nil
	return c
}

func (fx *fixture) logText() string {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return fx.log.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// speech is n samples of a two-tone signal with a changing level: enough
// structure that a misplaced or dropped block would show.
func speech(n int, seed float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / rate
		env := 0.2 + 0.8*math.Abs(math.Sin(2*math.Pi*1.3*t+seed))
		out[i] = int16(9000 * env * (math.Sin(2*math.Pi*(440+seed*100)*t) + 0.5*math.Sin(2*math.Pi*1270*t)) / 1.5)
	}
	return out
}

// ulaw is what μ-law storage makes of samples.
func ulaw(samples []int16) []int16 {
	b := make([]byte, len(samples))
	dsp.EncodeULaw(b, samples)
	out := make([]int16, len(b))
	dsp.DecodeULaw(out, b)
	return out
}

// record leaves a message of audio in box, 20 ms at a time like a call.
func record(t *testing.T, s *Store, box string, caller channel.CallerID, audio []int16) Message {
	t.Helper()
	r, err := s.Create(box, caller, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(audio); i += 160 {
		if err := r.Write(audio[i:min(i+160, len(audio))]); err != nil {
			t.Fatal(err)
		}
	}
	m, err := r.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var alice = channel.CallerID{Number: "0301234567", Name: "Alice Müller"}

// TestRecordListReopen: a committed message is listed with its details,
// reads back as the μ-law version of what was written, survives a
// reopen unchanged, reports its counts to OnChange, and its files are
// private to the box.
func TestRecordListReopen(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	audio := speech(8000*3/2+7, 0) // 1.5 s and an odd sample count (pad byte)
	m := record(t, s, "101", alice, audio)
	if m.ID != "20261122T020304Z-"+m.ID[len(m.ID)-4:] || m.Box != "101" || m.Caller != alice || m.Heard ||
		!m.Received.Equal(fx.clock.Now()) || m.Duration != 1500*time.Millisecond+875*time.Microsecond {
		t.Fatalf("committed %+v", m)
	}
	if got := fx.takeChanges(); !slices.Equal(got, []change{{"101", 1, 0}}) {
		t.Errorf("OnChange %v", got)
	}
	got, err := s.Samples("101", m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, ulaw(audio)) {
		t.Errorf("samples differ from the μ-law version of what was written (%d vs %d samples)", len(got), len(audio))
	}
	for _, name := range []string{m.ID + ".wav", m.ID + ".json"} {
		fi, err := os.Stat(filepath.Join(fx.dir, "101", name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode())
		}
	}
	for _, d := range []string{fx.dir, filepath.Join(fx.dir, "101")} {
		if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v, want 0700", d, fi.Mode())
		}
	}

	s2 := fx.open(t)
	list, err := s2.Messages("101")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0] != m {
		t.Errorf("after reopen %+v, want %+v", list, m)
	}
	if n, h := s2.Counts("101"); n != 1 || h != 0 {
		t.Errorf("counts %d/%d", n, h)
	}
	if fx.logText() != "" {
		t.Errorf("a clean store logged:\n%s", fx.logText())
	}
}

// TestCommittedWAVForOtherTools: a message file is a WAV sox reads with
// the right length, so an installer can copy messages off the box.
func TestCommittedWAVForOtherTools(t *testing.T) {
	sox := testutil.Tool(t, "sox")
	fx := newFixture(t)
	s := fx.open(t)
	m := record(t, s, "101", alice, speech(12345, 1))
	out, err := exec.Command(sox, "--i", "-s", filepath.Join(fx.dir, "101", m.ID+".wav")).CombinedOutput()
	if err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "12345" {
		t.Errorf("sox counts %q samples, want 12345", out)
	}
}

// TestOrder: new messages first, then heard ones, each oldest first.
func TestOrder(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	var ids []string
	for i := range 4 {
		ids = append(ids, record(t, s, "101", channel.CallerID{Number: fmt.Sprint(i)}, speech(8000, 0)).ID)
		fx.clock.Advance(time.Minute)
	}
	if err := s.SetHeard("101", ids[0], true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHeard("101", ids[2], true); err != nil {
		t.Fatal(err)
	}
	list, _ := s.Messages("101")
	var got []string
	for _, m := range list {
		got = append(got, m.Caller.Number)
	}
	if want := []string{"1", "3", "0", "2"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if empty, err := s.Messages("999"); err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("unknown box: %v, %v (want an empty list)", empty, err)
	}
}

// TestHeardAndDelete: marking and deleting change the counts, reach
// OnChange, persist, and the last deletion removes the box's directory.
func TestHeardAndDelete(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	a := record(t, s, "205", alice, speech(8000, 0))
	fx.clock.Advance(time.Second)
	b := record(t, s, "205", channel.CallerID{Withheld: "P"}, speech(8000, 1))
	fx.takeChanges()

	steps := []struct {
		name string
		do   func() error
		want []change
	}{
		{"heard", func() error { return s.SetHeard("205", a.ID, true) }, []change{{"205", 1, 1}}},
		{"heard again: no change", func() error { return s.SetHeard("205", a.ID, true) }, nil},
		{"new again", func() error { return s.SetHeard("205", a.ID, false) }, []change{{"205", 2, 0}}},
		{"heard b", func() error { return s.SetHeard("205", b.ID, true) }, []change{{"205", 1, 1}}},
		{"delete a", func() error { return s.Delete("205", a.ID) }, []change{{"205", 0, 1}}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := fx.takeChanges(); !slices.Equal(got, st.want) {
			t.Errorf("%s: OnChange %v, want %v", st.name, got, st.want)
		}
	}
	s2 := fx.open(t)
	if list, _ := s2.Messages("205"); len(list) != 1 || list[0].ID != b.ID || !list[0].Heard || list[0].Caller.Withheld != "P" {
		t.Errorf("after reopen %+v", list)
	}
	if err := s.Delete("205", a.ID); !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := s.Delete("205", b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fx.dir, "205")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty mailbox directory stays: %v", err)
	}
	if boxes, _ := s.Boxes(); len(boxes) != 0 {
		t.Errorf("boxes %v", boxes)
	}
	if err := s.SetHeard("205", b.ID, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("mark deleted: %v", err)
	}
}

// TestLimits: ErrFull counts committed messages and recordings in
// progress; ErrTooShort keeps nothing; Abort keeps nothing.
func TestLimits(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	record(t, s, "101", alice, speech(8000, 0))
	r, err := s.Create("101", alice, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("101", alice, 2); !errors.Is(err, ErrFull) {
		t.Fatalf("third with one in progress: %v, want ErrFull", err)
	}
	if err := r.Write(speech(7999, 0)); err != nil {
		t.Fatal(err)
	}
	if r.Duration() != 999875*time.Microsecond {
		t.Errorf("duration %v", r.Duration())
	}
	if _, err := r.Commit(); !errors.Is(err, ErrTooShort) {
		t.Fatalf("commit of 999.875 ms: %v, want ErrTooShort", err)
	}
	r.Abort() // after Commit: nothing to do
	if err := r.Write(speech(10, 0)); err == nil {
		t.Error("write after commit accepted")
	}
	r2, err := s.Create("101", alice, 2)
	if err != nil {
		t.Fatalf("slot not freed by the short message: %v", err)
	}
	if err := r2.Write(speech(16000, 0)); err != nil {
		t.Fatal(err)
	}
	r2.Abort()
	if _, err := r2.Commit(); err == nil {
		t.Error("commit after abort accepted")
	}
	if n, h := s.Counts("101"); n != 1 || h != 0 {
		t.Errorf("counts %d/%d, want 1/0", n, h)
	}
	if got := fx.takeChanges(); len(got) != 1 {
		t.Errorf("OnChange %v: only the first message changed the box", got)
	}
	entries, _ := os.ReadDir(filepath.Join(fx.dir, "101"))
	if len(entries) != 2 {
		t.Errorf("box holds %d files, want the one message's 2", len(entries))
	}
	record(t, s, "101", alice, speech(8000, 0))
	if _, err := s.Create("101", alice, 2); !errors.Is(err, ErrFull) {
		t.Errorf("at the limit: %v", err)
	}
	if r, err := s.Create("101", alice, 0); err != nil {
		t.Errorf("no limit: %v", err)
	} else {
		r.Abort()
	}
}

// TestTooLong: the safety bound refuses audio beyond MaxMessage; what
// came before is kept.
func TestTooLong(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 7 MB file")
	}
	fx := newFixture(t)
	s := fx.open(t)
	r, err := s.Create("101", alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(make([]int16, maxSamples)); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(make([]int16, 1)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("beyond MaxMessage: %v", err)
	}
	m, err := r.Commit()
	if err != nil || m.Duration != MaxMessage {
		t.Fatalf("commit: %+v, %v", m, err)
	}
}

// TestConcurrentRecordings: callers leaving messages in one box at the
// same moment each get their own message, intact.
func TestConcurrentRecordings(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	const n = 8
	var wg sync.WaitGroup
	ids := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			r, err := s.Create("101", channel.CallerID{Number: fmt.Sprint(i)}, n)
			if err != nil {
				errs[i] = err
				return
			}
			frame := make([]int16, 160)
			for j := range frame {
				frame[j] = int16(1000 * (i + 1))
			}
			for range 60 { // 1.2 s
				if err := r.Write(frame); err != nil {
					errs[i] = err
					return
				}
			}
			m, err := r.Commit()
			ids[i], errs[i] = m.ID, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if u := slices.Compact(slices.Sorted(slices.Values(ids))); len(u) != n {
		t.Fatalf("IDs not unique: %v", ids)
	}
	if c, _ := s.Counts("101"); c != n {
		t.Errorf("%d new messages, want %d", c, n)
	}
	if _, err := s.Create("101", alice, n); !errors.Is(err, ErrFull) {
		t.Errorf("full box: %v", err)
	}
	for i, id := range ids {
		got, err := s.Samples("101", id)
		if err != nil {
			t.Fatal(err)
		}
		want := ulaw([]int16{int16(1000 * (i + 1))})[0]
		if len(got) != 9600 || slices.IndexFunc(got, func(v int16) bool { return v != want }) >= 0 {
			t.Errorf("message of caller %d: %d samples, not all %d", i, len(got), want)
		}
	}
	s2 := fx.open(t)
	if c, _ := s2.Counts("101"); c != n {
		t.Errorf("after reopen %d messages", c)
	}
}

// TestPathEscape: no mailbox or message name reaches outside the
// store's directory; every such name is ErrNotFound.
func TestPathEscape(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	m := record(t, s, "101", alice, speech(8000, 0))
	secret := filepath.Join(filepath.Dir(fx.dir), "secret.wav")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	boxes := []string{"", "..", "../101", "101/..", "/101", "1 01", "101\x00", "12345678901234567", "abc", "-1", "１０１"}
	for _, box := range boxes {
		if _, err := s.Create(box, alice, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Create(%q): %v", box, err)
		}
		if _, err := s.Messages(box); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Messages(%q): %v", box, err)
		}
		if _, err := s.Samples(box, m.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Samples(%q): %v", box, err)
		}
		if err := s.SaveGreeting(box, GreetingBusy, speech(100, 0)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SaveGreeting(%q): %v", box, err)
		}
		if _, _, err := s.Greeting(box, GreetingBusy); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Greeting(%q): %v", box, err)
		}
		if err := s.DeleteGreetings(box); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteGreetings(%q): %v", box, err)
		}
		if g := s.Greetings(box); len(g) != 0 {
			t.Errorf("Greetings(%q) = %v", box, g)
		}
	}
	ids := []string{"", "../secret", "../../secret", "../101/" + m.ID, m.ID + "/..", m.ID + ".wav", strings.Replace(m.ID, "Z", "z", 1), m.ID[:len(m.ID)-4] + "ABCD", "x"}
	for _, id := range ids {
		if _, err := s.Samples("101", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Samples(101, %q): %v", id, err)
		}
		if _, _, err := s.WAV("101", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("WAV(101, %q): %v", id, err)
		}
		if err := s.SetHeard("101", id, true); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetHeard(101, %q): %v", id, err)
		}
		if err := s.Delete("101", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Delete(101, %q): %v", id, err)
		}
	}
	if _, _, err := s.Greeting("101", "../../secret"); err == nil {
		t.Error("greeting kind ../../secret accepted")
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("file outside the store: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(fx.dir))
	if len(entries) != 2 {
		t.Errorf("%d entries beside the store, want voicemail and secret.wav", len(entries))
	}
}

// TestCrashLeftoversAndCorruptFiles: after a crash and with damaged
// files, Open keeps every message it can, removes only what no message
// can come from, and logs the rest.
func TestCrashLeftoversAndCorruptFiles(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	good := record(t, s, "101", alice, speech(8000, 0))
	fx.clock.Advance(time.Second)
	noMeta := record(t, s, "101", alice, speech(8000, 1))
	fx.clock.Advance(time.Second)
	badMeta := record(t, s, "101", alice, speech(8000, 2))
	fx.clock.Advance(time.Second)
	badWAV := record(t, s, "101", alice, speech(8000, 3))
	fx.clock.Advance(time.Second)
	truncated := record(t, s, "102", alice, speech(16000, 3))
	// A recording cut short by the crash.
	inFlight, err := s.Create("101", alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := inFlight.Write(speech(40000, 0)); err != nil {
		t.Fatal(err)
	}
	box := filepath.Join(fx.dir, "101")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Remove(filepath.Join(box, noMeta.ID+".json")))
	must(os.WriteFile(filepath.Join(box, badMeta.ID+".json"), []byte(`{"v":1,"caller":{"number":`), 0o600))
	must(os.WriteFile(filepath.Join(box, badWAV.ID+".wav"), []byte("RIFF\x00\x00\x00\x00WAVEjunk"), 0o600))
	tb := filepath.Join(fx.dir, "102", truncated.ID+".wav")
	fi, _ := os.Stat(tb)
	must(os.Truncate(tb, fi.Size()-1000))
	orphan := "20261122T010000Z-abcd"
	must(os.WriteFile(filepath.Join(box, orphan+".json"), meta{Version: 1, Received: fx.clock.Now(), DurationMS: 1000}.marshal(), 0o600))
	must(os.WriteFile(filepath.Join(box, "notes.txt"), []byte("hi"), 0o600))
	must(os.WriteFile(filepath.Join(fx.dir, "README"), []byte("hi"), 0o600))
	must(os.Mkdir(filepath.Join(fx.dir, "lost+found"), 0o700))
	must(os.Mkdir(filepath.Join(fx.dir, "103"), 0o700))

	s2 := fx.open(t)
	list, err := s2.Messages("101")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Message{}
	for _, m := range list {
		byID[m.ID] = m
	}
	if len(list) != 3 || byID[good.ID] != good {
		t.Fatalf("listed %+v, want good, noMeta and badMeta", list)
	}
	for _, want := range []Message{noMeta, badMeta} {
		got := byID[want.ID]
		want.Caller = channel.CallerID{}
		want.Received = want.Received.Truncate(time.Second)
		if got != want {
			t.Errorf("message with lost details %+v, want %+v", got, want)
		}
	}
	if l, _ := s2.Messages("102"); len(l) != 0 {
		t.Errorf("truncated message listed: %+v", l)
	}
	if boxes, _ := s2.Boxes(); !slices.Equal(boxes, []string{"101", "102", "103"}) {
		t.Errorf("boxes %v", boxes)
	}
	entries, _ := os.ReadDir(box)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{badMeta.ID + ".json", badMeta.ID + ".wav", badWAV.ID + ".json", badWAV.ID + ".wav", good.ID + ".json", good.ID + ".wav", noMeta.ID + ".wav", "notes.txt"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("box holds\n %v\nwant\n %v", names, want)
	}
	log := fx.logText()
	for _, w := range []string{"interrupted recording", "never committed", "stray file", "stray entry", "unreadable message", "without its details", "details unreadable", "wav data truncated"} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
	// The damaged message can still be deleted from the disk by hand,
	// and the unreadable one can be fixed: marking a message with a lost
	// sidecar writes a new one.
	if err := s2.SetHeard("101", noMeta.ID, true); err != nil {
		t.Fatal(err)
	}
	if l, _ := fx.open(t).Messages("101"); len(l) != 3 || !l[2].Heard || l[2].ID != noMeta.ID {
		t.Errorf("after marking the message without details: %+v", l)
	}
	inFlight.Abort() // the old store's recording: its file is already gone
}

// failingFile fails like a full disk: writes once limit bytes are
// written (limit < 0: never), and Sync when syncErr is set.
type failingFile struct {
	*os.File
	limit   int
	syncErr error
}

func (f *failingFile) Write(p []byte) (int, error) {
	if f.limit >= 0 && len(p) > f.limit {
		n, _ := f.File.Write(p[:f.limit])
		f.limit = 0
		return n, syscall.ENOSPC
	}
	if f.limit >= 0 {
		f.limit -= len(p)
	}
	return f.File.Write(p)
}

func (f *failingFile) Sync() error {
	if f.syncErr != nil {
		return f.syncErr
	}
	return f.File.Sync()
}

// TestDiskFull: a write error while recording or committing ends the
// recording, is returned, and leaves nothing behind.
func TestDiskFull(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int
		syncErr   error
		writeFail bool // Write fails, not just Commit
	}{
		{"disk full while recording", 10000, nil, true},
		{"disk full when flushing at commit", 9000, nil, false},
		{"sync fails at commit", -1, syscall.EIO, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			s := fx.open(t)
			s.createTemp = func(path string) (file, error) {
				f, err := createFile(path)
				if err != nil {
					return nil, err
				}
				return &failingFile{File: f.(*os.File), limit: tc.limit, syncErr: tc.syncErr}, nil
			}
			r, err := s.Create("101", alice, 1)
			if err != nil {
				t.Fatal(err)
			}
			// 1.2 s (9658 bytes, under the write buffer: the disk sees
			// them at Commit), or 4 s when the writes are to fail.
			frames := 60
			if tc.writeFail {
				frames = 200
			}
			var werr error
			for range frames {
				if werr = r.Write(speech(160, 0)); werr != nil {
					break
				}
			}
			if tc.writeFail != (werr != nil) {
				t.Fatalf("write error %v", werr)
			}
			want := tc.syncErr
			if want == nil {
				want = syscall.ENOSPC
			}
			if werr != nil {
				if !errors.Is(werr, want) {
					t.Fatalf("write error %v, want %v", werr, want)
				}
				if err := r.Write(speech(160, 0)); !errors.Is(err, want) {
					t.Errorf("write after the failure: %v", err)
				}
			}
			if _, err := r.Commit(); !errors.Is(err, want) {
				t.Errorf("commit: %v, want %v", err, want)
			}
			r.Abort()
			if _, err := os.Stat(filepath.Join(fx.dir, "101")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("mailbox directory after a failed recording: %v", err)
			}
			if c, _ := s.Counts("101"); c != 0 || len(fx.takeChanges()) != 0 {
				t.Error("failed recording counted")
			}
			s.createTemp = createFile
			if r, err := s.Create("101", alice, 1); err != nil {
				t.Errorf("slot not freed: %v", err)
			} else {
				r.Abort()
			}
		})
	}
}

// TestWAVForBrowsers: the PCM stream is a valid WAV of exactly the
// announced size holding the stored audio, however it is read.
func TestWAVForBrowsers(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	for _, n := range []int{8000, 8001, 30000} {
		audio := speech(n, 0.5)
		m := record(t, s, "101", alice, audio)
		for _, read := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{
			{"whole", func(r io.Reader) io.Reader { return r }},
			{"byte by byte", iotest.OneByteReader},
			{"odd chunks", iotest.HalfReader},
		} {
			rc, size, err := s.WAV("101", m.ID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(read.wrap(rc))
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(b)) != size || size != 44+2*int64(n) {
				t.Errorf("%d samples, %s: read %d bytes, announced %d", n, read.name, len(b), size)
			}
			got, r, err := audiofile.ReadWAV(bytes.NewReader(b))
			if err != nil || r != 8000 {
				t.Fatalf("%s: ReadWAV: %v (rate %d)", read.name, err, r)
			}
			if !slices.Equal(got, ulaw(audio)) {
				t.Errorf("%d samples, %s: audio differs from the stored message", n, read.name)
			}
			// And close to what the caller said: μ-law's error is under
			// 1/16 of the level, far below the signal.
			var sig, noise float64
			for i := range audio {
				sig += float64(audio[i]) * float64(audio[i])
				d := float64(audio[i]) - float64(got[i])
				noise += d * d
			}
			if snr := 10 * math.Log10(sig/noise); snr < 30 {
				t.Errorf("SNR %.1f dB, want ≥ 30 dB", snr)
			}
		}
	}
}

// TestWAVSeek: the browser stream seeks: after any sequence of seeks
// (from the start, the current position or the end, into the header,
// onto either byte of a sample, past the end) and reads of any size, it
// yields exactly the bytes a full read has there, as a bytes.Reader over
// those bytes would, with the same offsets and errors.
func TestWAVSeek(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	for _, n := range []int{8000, 8001, 20000} {
		m := record(t, s, "101", alice, speech(n, 0.5))
		rc, size, err := s.WAV("101", m.ID)
		if err != nil {
			t.Fatal(err)
		}
		full, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || int64(len(full)) != size {
			t.Fatalf("full read: %d of %d bytes, %v", len(full), size, err)
		}

		open := func() io.ReadSeekCloser {
			rs, _, err := s.WAV("101", m.ID)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rs.Close() })
			return rs
		}
		if err := iotest.TestReader(open(), full); err != nil {
			t.Errorf("%d samples: %v", n, err)
		}

		// Every start that matters, each read once short and once long.
		for _, off := range []int64{0, 1, 43, 44, 45, 46, 47, 2047 + 44, 2048 + 44, 4096 + 44, 4097 + 44, size - 2, size - 1, size, size + 3} {
			for _, l := range []int{1, 2, 3, 4095, 4096, 4097, int(size)} {
				r := open()
				if got, err := r.Seek(off, io.SeekStart); got != off || err != nil {
					t.Fatalf("Seek(%d): %d, %v", off, got, err)
				}
				b := make([]byte, l)
				k, err := io.ReadFull(r, b)
				want := full[min(off, size):min(off+int64(l), size)]
				if !bytes.Equal(b[:k], want) || (k < l) != (err != nil) {
					t.Errorf("%d samples: %d bytes at %d: got %d bytes (%v), differing from the full read", n, l, off, k, err)
				}
			}
		}

		// Random walks against the reference reader.
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		r, ref := open(), bytes.NewReader(full)
		for op := range 3000 {
			if rng.IntN(3) == 0 {
				whence := rng.IntN(3)
				off := rng.Int64N(size+200) - 100
				if whence == io.SeekStart && off < 0 && rng.IntN(2) == 0 {
					off = -off
				}
				got, gerr := r.Seek(off, whence)
				want, werr := ref.Seek(off, whence)
				if (gerr != nil) != (werr != nil) || (werr == nil && got != want) {
					t.Fatalf("%d samples, op %d: Seek(%d, %d) = %d, %v; want %d, %v", n, op, off, whence, got, gerr, want, werr)
				}
				continue
			}
			l := 1 + rng.IntN(5000)
			gb, wb := make([]byte, l), make([]byte, l)
			gk, gerr := io.ReadFull(r, gb)
			wk, werr := io.ReadFull(ref, wb)
			if gk != wk || !bytes.Equal(gb[:gk], wb[:wk]) || (gerr == nil) != (werr == nil) {
				t.Fatalf("%d samples, op %d: read %d: %d bytes, %v; want %d, %v", n, op, l, gk, gerr, wk, werr)
			}
		}
	}
}

// TestGreetings: saving, reading, listing and deleting greetings.
func TestGreetings(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	if g, ok, err := s.Greeting("101", GreetingBusy); g != nil || ok || err != nil {
		t.Errorf("no greeting: %v %v %v", len(g), ok, err)
	}
	if got := s.Greetings("101"); len(got) != 0 {
		t.Errorf("greetings %v", got)
	}
	busy, unavail := speech(4000, 0), speech(12000, 1)
	if err := s.SaveGreeting("101", GreetingBusy, busy); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveGreeting("101", GreetingUnavailable, speech(10, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveGreeting("101", GreetingUnavailable, unavail); err != nil { // replaces
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind string
		want []int16
	}{{GreetingBusy, busy}, {GreetingUnavailable, unavail}} {
		g, ok, err := s.Greeting("101", tc.kind)
		if err != nil || !ok || !slices.Equal(g, ulaw(tc.want)) {
			t.Errorf("%s: %d samples, %v, %v", tc.kind, len(g), ok, err)
		}
	}
	if got := s.Greetings("101"); !slices.Equal(got, []string{"busy", "unavailable"}) {
		t.Errorf("greetings %v", got)
	}
	for _, bad := range []struct {
		kind    string
		samples []int16
	}{{"vacation", busy}, {GreetingBusy, nil}, {GreetingBusy, make([]int16, maxSamples+1)}} {
		if err := s.SaveGreeting("101", bad.kind, bad.samples); err == nil {
			t.Errorf("greeting %q of %d samples accepted", bad.kind, len(bad.samples))
		}
	}
	if boxes, _ := s.Boxes(); !slices.Equal(boxes, []string{"101"}) {
		t.Errorf("boxes %v", boxes)
	}
	// A message and its deletion leave the greetings alone.
	m := record(t, s, "101", alice, speech(8000, 0))
	if err := s.Delete("101", m.ID); err != nil {
		t.Fatal(err)
	}
	if got := fx.open(t).Greetings("101"); len(got) != 2 {
		t.Errorf("greetings after reopen %v", got)
	}
	if err := s.DeleteGreetings("101"); err != nil {
		t.Fatal(err)
	}
	if got := s.Greetings("101"); len(got) != 0 {
		t.Errorf("after delete %v", got)
	}
	if boxes, _ := s.Boxes(); len(boxes) != 0 {
		t.Errorf("emptied box stays: %v", boxes)
	}
}

// TestBoxesSorted: Boxes lists every mailbox directory, configured or
// not, in order.
func TestBoxesSorted(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	for _, b := range []string{"205", "101", "7", "3001"} {
		record(t, s, b, alice, speech(8000, 0))
	}
	if boxes, err := s.Boxes(); err != nil || !slices.Equal(boxes, []string{"101", "205", "3001", "7"}) {
		t.Errorf("boxes %v, %v", boxes, err)
	}
}

// TestWriteAllocs: a frame written costs no allocation.
func TestWriteAllocs(t *testing.T) {
	fx := newFixture(t)
	s := fx.open(t)
	r, err := s.Create("101", alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	frame := speech(160, 0)
	if err := r.Write(frame); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(1000, func() { _ = r.Write(frame) }); a != 0 {
		t.Errorf("%v allocations per Write, want 0", a)
	}
}

// BenchmarkWrite is the cost of one 20 ms frame recorded (including the
// amortised file writes).
func BenchmarkWrite(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	frame := speech(160, 0)
	r, err := s.Create("101", alice, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(160)
	for i := 0; b.Loop(); i++ {
		if i%(int(maxSamples)/160) == 0 && i > 0 {
			r.Abort()
			if r, err = s.Create("101", alice, 0); err != nil {
				b.Fatal(err)
			}
		}
		if err := r.Write(frame); err != nil {
			b.Fatal(err)
		}
	}
	r.Abort()
}

// BenchmarkOpen is the start-up cost of indexing a busy box's messages:
// 20 mailboxes of 50 messages (reads each WAV's header and sidecar).
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	audio := speech(8000, 0)
	for box := range 20 {
		for range 50 {
			r, err := s.Create(fmt.Sprint(100+box), alice, 0)
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Write(audio); err != nil {
				b.Fatal(err)
			}
			if _, err := r.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := s.Counts("119"); n != 50 {
			b.Fatalf("%d messages", n)
		}
	}
}

// benchMessage is a store holding one message of seconds of speech in
// mailbox 101.
func benchMessage(b *testing.B, seconds int) (*Store, Message) {
	b.Helper()
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := s.Create("101", alice, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Write(speech(seconds*8000, 0)); err != nil {
		b.Fatal(err)
	}
	m, err := r.Commit()
	if err != nil {
		b.Fatal(err)
	}
	return s, m
}

// BenchmarkWAV is the cost of serving a 60 s message to a browser.
func BenchmarkWAV(b *testing.B) {
	s, m := benchMessage(b, 60)
	b.ReportAllocs()
	for b.Loop() {
		rc, size, err := s.WAV("101", m.ID)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != size {
			b.Fatal(n, size, err)
		}
		b.SetBytes(size)
	}
}

// BenchmarkWAVRange: what a player's seek costs the box: a 64 KiB Range
// (4 s of audio) from the middle of a 10-minute message, opened afresh
// as the web UI does per request; nothing before it is decoded.
func BenchmarkWAVRange(b *testing.B) {
	s, m := benchMessage(b, 600)
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		rs, size, err := s.WAV("101", m.ID)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rs.Seek(size/2+1, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(rs, buf); err != nil {
			b.Fatal(err)
		}
		rs.Close()
	}
}
