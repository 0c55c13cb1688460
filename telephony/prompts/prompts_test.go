package prompts

import (
	"bufio"
	"bytes"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/dsp"
	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
)

// listed is every prompt the box needs, as the exchange and voicemail
// name them.
var listed = []string{
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
	"20", "30", "40", "50", "60", "70", "80", "90", "hundred", "star", "pound",
	Goodbye, Invalid, QueueCallerNumber, QueueInLine,
	FwdAlwaysOn, FwdBusyOn, FwdNoAnswerOn, FwdOff, FeatureRefused,
	VMExtension, VMUnavailable, VMBusy, VMLeaveMessage, VMFull, VMMailbox, VMPassword, VMIncorrect, VMLocked,
	VMYouHave, VMNew, VMOld, VMMessage, VMMessages, VMAnd, VMNoMessages, VMMainMenu, VMMessageN, VMFrom,
	VMUnknownCaller, VMMessageMenu, VMSaved, VMDeleted, VMNoMore, VMOptions, VMRecordGreeting,
	VMGreetingReview, VMGreetingSaved, VMGreetingsErased, VMNewPassword, VMRepeatPassword, VMPasswordChanged,
	VMPasswordMismatch, VMPasswordWeak,
	ParkedAt, ParkFull, ConfPIN, ConfFull, ConfAlone, ConfMuted, ConfUnmuted, DNDOn, DNDOff, CWOn, CWOff, RecordingOn,
	VMReceived, Today, Yesterday, On, At, AM, PM, OClock, Oh, Noon, Midnight,
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december",
	"d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "d16",
	"d17", "d18", "d19", "d20", "d21", "d22", "d23", "d24", "d25", "d26", "d27", "d28", "d29", "d30", "d31",
}

func TestNamesAreTheListAndTheScript(t *testing.T) {
	want := slices.Sorted(slices.Values(listed))
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v\nwant %v", got, want)
	}
	// The script names exactly the recordings, so `make prompts` makes
	// them all and an installer knows what each says.
	f, err := builtin.Open("en/texts.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var script []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			name, text, ok := strings.Cut(l, "\t")
			if !ok || text == "" {
				t.Errorf("texts.txt line %q", l)
			}
			script = append(script, name)
		}
	}
	if slices.Sort(script); !slices.Equal(script, want) {
		t.Errorf("texts.txt names %v\nwant %v", script, want)
	}
}

// TestBuiltinsAreSpeech checks every built-in recording: its length, its
// loudness (-16 dBFS active speech level, as `make prompts` makes them),
// no clipping, and speech in it rather than silence or a tone.
func TestBuiltinsAreSpeech(t *testing.T) {
	s := New("")
	var total time.Duration
	for _, name := range listed {
		x, err := s.Load(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		d := time.Duration(len(x)) * time.Second / Rate
		total += d
		if d < 200*time.Millisecond || d > 12*time.Second {
			t.Errorf("%s: %v long, want 0.2–12 s", name, d)
		}
		if lvl := audiotest.ActiveLevel(x); lvl < -19 || lvl > -13 {
			t.Errorf("%s: active speech level %.1f dBFS, want about -16", name, lvl)
		}
		var peak, clipped int
		for _, v := range x {
			a := int(v)
			if a < 0 {
				a = -a
			}
			peak = max(peak, a)
			if a >= 32000 {
				clipped++
			}
		}
		if clipped > 0 {
			t.Errorf("%s: %d samples at full scale (peak %d)", name, clipped, peak)
		}
		// Speech has loud and quiet 20 ms stretches (syllables and the
		// gaps between them): a steady tone or noise would not.
		var loud, quiet int
		for i := 0; i+160 <= len(x); i += 160 {
			switch l := audiotest.Level(x[i : i+160]); {
			case l > -30:
				loud++
			case l < -45:
				quiet++
			}
		}
		if loud < 5 || quiet < 1 {
			t.Errorf("%s: %d loud and %d quiet 20 ms blocks: not speech", name, loud, quiet)
		}
	}
	t.Logf("%d prompts, %v of speech", len(listed), total)
}

// TestNoTalkOff plays every prompt into the box's DTMF receiver: it must
// hear no key, or the box would take its own voice for the caller's
// choice (the receiver listens while prompts play, for barge-in).
func TestNoTalkOff(t *testing.T) {
	s := New("")
	d := dsp.NewDTMFDetector()
	heard := func(x []int16) []byte {
		d.Reset()
		var keys []byte
		for i := 0; i < len(x); i += 160 { // as the frames arrive
			for _, ev := range d.Process(x[i:min(i+160, len(x))]) {
				keys = append(keys, ev.Digit)
			}
		}
		return keys
	}
	for _, name := range listed {
		x, err := s.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if keys := heard(x); len(keys) > 0 {
			t.Errorf("%s: the DTMF receiver hears %q", name, keys)
		}
	}
	// The control: a key pressed after a prompt is heard.
	bye, _ := s.Load(Goodbye)
	x := slices.Clone(bye)
	for i := range 800 { // 100 ms of '5' (770 + 1336 Hz), -16 dBFS each
		ph := float64(i) / Rate
		x = append(x, int16(5200*(math.Sin(2*math.Pi*770*ph)+math.Sin(2*math.Pi*1336*ph))))
	}
	x = append(x, make([]int16, 800)...)
	if keys := heard(x); string(keys) != "5" {
		t.Errorf("a 5 after the prompt: heard %q", keys)
	}
}

func TestUnknownName(t *testing.T) {
	s := New(t.TempDir())
	for _, name := range []string{"no-such-prompt", "", "../prompts/goodbye", "en/goodbye", "goodbye.wav", "texts"} {
		_, err := s.Load(name)
		if err == nil || !strings.Contains(err.Error(), "no prompt named") {
			t.Errorf("Load(%q): %v, want an error naming it", name, err)
		}
	}
	// An override file alone does not make a name: the box only speaks
	// phrases it has a built-in for.
	writeWAV(t, filepath.Join(s.dir, "extra.wav"), tone(0.5, 440), 8000, audiofile.PCM16)
	if _, err := s.Load("extra"); err == nil {
		t.Error("an override without a built-in loads")
	}
}

func tone(secs, freq float64) []int16 {
	out := make([]int16, int(secs*Rate))
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/Rate))
	}
	return out
}

func writeWAV(t *testing.T, path string, s []int16, rate int, f audiofile.Format) {
	t.Helper()
	var b bytes.Buffer
	if err := audiofile.WriteWAV(&b, s, f); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	if rate != 8000 { // WriteWAV writes 8 kHz: patch the rate fields
		le := func(off int, v uint32) {
			data[off], data[off+1], data[off+2], data[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
		le(24, uint32(rate))
		le(28, uint32(rate*2))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOverrides(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	s := New(dir).WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	builtinBye, err := New("").Load(Goodbye)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, Goodbye+".wav")
	own := tone(0.5, 440)
	writeWAV(t, path, own, 8000, audiofile.ALaw)
	got, err := s.Load(Goodbye)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(own) || audiotest.Analyze(got, 440).SNR < 30 {
		t.Fatalf("override not used: %d samples, want the %d of the file", len(got), len(own))
	}
	// Other names still speak the built-ins.
	if x, err := s.Load(Invalid); err != nil || len(x) == len(own) {
		t.Errorf("invalid: %d samples, %v", len(x), err)
	}

	// A bad replacement: within the recheck time nothing changes; after
	// it, the built-in plays and the log names the file and the fault,
	// once.
	writeWAV(t, path, tone(0.5, 440), 16000, audiofile.PCM16)
	future := time.Now().Add(time.Hour) // a new modification time
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(Goodbye); len(got) != len(own) {
		t.Errorf("the file was looked at again before the recheck time")
	}
	now = now.Add(defaultRecheck)
	got, err = s.Load(Goodbye)
	if err != nil {
		t.Fatalf("a bad override fails the prompt: %v", err)
	}
	if !slices.Equal(got, builtinBye) {
		t.Errorf("a bad override does not fall back to the built-in")
	}
	if l := logs.String(); !strings.Contains(l, "unusable") || !strings.Contains(l, path) || !strings.Contains(l, "16000 Hz, want 8000") {
		t.Errorf("log %q does not name the file and its fault", l)
	}
	logs.Reset()
	now = now.Add(defaultRecheck)
	s.Load(Goodbye)
	if logs.Len() != 0 {
		t.Errorf("the same bad file is reported again: %q", logs.String())
	}

	// Not a WAV file at all.
	if err := os.WriteFile(filepath.Join(dir, Invalid+".wav"), []byte("ID3 an mp3 file"), 0o644); err != nil {
		t.Fatal(err)
	}
	now = now.Add(defaultRecheck)
	if x, err := s.Load(Invalid); err != nil || len(x) == 0 {
		t.Errorf("garbage override: %d samples, %v", len(x), err)
	}
	if !strings.Contains(logs.String(), Invalid+".wav") {
		t.Errorf("log %q does not name the garbage file", logs.String())
	}

	// Fixed: the new file plays. Removed: the built-in again.
	writeWAV(t, path, tone(0.3, 1000), 8000, audiofile.ULaw)
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	now = now.Add(defaultRecheck)
	if got, _ := s.Load(Goodbye); len(got) != 2400 {
		t.Errorf("fixed override: %d samples, want 2400", len(got))
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	now = now.Add(defaultRecheck)
	if got, _ := s.Load(Goodbye); !slices.Equal(got, builtinBye) {
		t.Errorf("removed override: not the built-in")
	}
}

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "0"}, {7, "7"}, {13, "13"}, {19, "19"}, {20, "20"}, {21, "20 1"}, {40, "40"}, {99, "90 9"},
		{100, "1 hundred"}, {105, "1 hundred 5"}, {110, "1 hundred 10"}, {342, "3 hundred 40 2"},
		{900, "9 hundred"}, {999, "9 hundred 90 9"},
		{1000, "1 0 0 0"}, {-5, "5"}, {12345, "1 2 3 4 5"},
	} {
		if got := strings.Join(Number(c.n), " "); got != c.want {
			t.Errorf("Number(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	// Every name Number gives has a recording.
	s := New("")
	for n := range 1000 {
		for _, name := range Number(n) {
			if _, err := s.Load(name); err != nil {
				t.Fatalf("Number(%d): %v", n, err)
			}
		}
	}
}

func TestDigits(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""}, {"0", "0"}, {"2025", "2 0 2 5"}, {"*72", "star 7 2"}, {"12#", "1 2 pound"},
		{"+49 (30) 1234-5", "4 9 3 0 1 2 3 4 5"}, {"abc", ""},
	} {
		if got := strings.Join(Digits(c.in), " "); got != c.want {
			t.Errorf("Digits(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLoadAllocatesNothingOnceLoaded(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		s := New(dir)
		if _, err := s.Load(VMMainMenu); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { s.Load(VMMainMenu) }); n != 0 {
			t.Errorf("dir %q: Load allocates %v times", dir, n)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	s := New(b.TempDir())
	if _, err := s.Load(VMMainMenu); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Load(VMMainMenu); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrentLoads: calls load prompts at once while an installer
// replaces one (run with -race).
func TestConcurrentLoads(t *testing.T) {
	dir := t.TempDir()
	s := New(dir).WithLogger(slog.New(slog.DiscardHandler))
	s.recheck = 0 // look at the directory on every Load
	path := filepath.Join(dir, Goodbye+".wav")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			writeWAV(t, path, tone(0.1+float64(i)/100, 440), 8000, audiofile.PCM16)
		}
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				for _, n := range []string{Goodbye, Invalid, "7"} {
					if x, err := s.Load(n); err != nil || len(x) == 0 {
						t.Errorf("%s: %d samples, %v", n, len(x), err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	<-done
}

func TestBuiltinAndText(t *testing.T) {
	for _, n := range Names() {
		s, err := Builtin(n)
		if err != nil || len(s) == 0 {
			t.Errorf("Builtin(%q) = %d samples, %v", n, len(s), err)
		}
		if Text(n) == "" {
			t.Errorf("Text(%q) is empty: every built-in prompt has its words in en/texts.txt", n)
		}
	}
	if got := Text(Goodbye); got != "Goodbye." {
		t.Errorf("Text(goodbye) = %q", got)
	}
	if _, err := Builtin("../etc/passwd"); err == nil {
		t.Error("Builtin accepted a path")
	}
	if Text("no-such-prompt") != "" {
		t.Error("Text of an unknown name is not empty")
	}
}
