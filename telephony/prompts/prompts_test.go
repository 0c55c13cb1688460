package prompts

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"maps"
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

// used returns every name l's grammar can give, with the sentences every
// language says: exactly the prompts l must have.
func used(l Language) []string {
	seen := map[string]bool{}
	add := func(names []string) {
		for _, n := range names {
			seen[n] = true
		}
	}
	for _, n := range Sentences() {
		seen[n] = true
	}
	add(l.Digits("0123456789*#"))
	for n := range 1000 {
		add(l.Number(n))
		add(l.Count(n, NewMessage))
		add(l.Count(n, SavedMessage))
		add(l.QueuePosition(n + 1))
	}
	for fresh := range 30 {
		for saved := range 30 {
			add(l.MailboxCounts(fresh, saved))
		}
	}
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for m := range 24 * 60 {
		add(l.Clock(day.Add(time.Duration(m) * time.Minute)))
	}
	// Every day of the last two years and a few ahead, heard on each day
	// of a week, and years of clocks set wrong, at one time of day (Clock
	// covers the rest).
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for d := -800; d <= 5; d++ {
		for later := range 7 {
			add(l.When(now.AddDate(0, 0, d), now.AddDate(0, 0, later)))
		}
	}
	for _, y := range []int{1970, 1999, 2000, 2001, 2010, 2019, 2040, 2050, 2060, 2070, 2080, 2090, 2100, 2999, 3000} {
		add(l.When(time.Date(y, 5, 5, 5, 5, 0, 0, time.UTC), now))
	}
	for n := 1; n <= 500; n++ { // a mailbox holds at most 500 messages
		add(l.MessageIntro(n, now.Add(-time.Hour), now, ""))
	}
	add(l.MessageIntro(1, now, now, "201"))
	for _, k := range []ForwardKind{ForwardAlways, ForwardBusy, ForwardNoAnswer} {
		add(l.ForwardedTo(k, "202"))
	}
	add(l.ParkedAt("701"))
	add(l.Unavailable("201", false))
	add(l.Unavailable("201", true))
	return slices.Sorted(maps.Keys(seen))
}

// TestNamesAreTheGrammarAndTheScript: every language records exactly
// the prompts its grammar and the exchange use (none missing, none
// dead weight in the firmware), and its script names exactly its
// recordings, so `make prompts` makes them all and an installer knows
// what each says.
func TestNamesAreTheGrammarAndTheScript(t *testing.T) {
	for _, l := range Languages() {
		want := used(l)
		if got := l.Names(); !slices.Equal(got, want) {
			t.Errorf("%s: recordings and use differ:\nrecorded, not used: %v\nused, not recorded: %v",
				l, without(got, want), without(want, got))
		}
		f, err := builtin.Open(l.Code() + "/texts.txt")
		if err != nil {
			t.Fatal(err)
		}
		var script []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
				name, text, ok := strings.Cut(line, "\t")
				if !ok || text == "" {
					t.Errorf("%s/texts.txt line %q", l, line)
				}
				script = append(script, name)
			}
		}
		f.Close()
		if slices.Sort(script); !slices.Equal(script, l.Names()) {
			t.Errorf("%s/texts.txt names %v\nthe recordings are %v", l, script, l.Names())
		}
	}
}

// without is a's names that b lacks.
func without(a, b []string) []string {
	var out []string
	for _, n := range a {
		if !slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}

// TestBuiltinsAreSpeech checks every built-in recording of every
// language: its length, its loudness (-16 dBFS active speech level, as
// `make prompts` makes them), no clipping, and speech in it rather than
// silence or a tone.
func TestBuiltinsAreSpeech(t *testing.T) {
	s := New("")
	for _, l := range Languages() {
		var total time.Duration
		var bytes int
		for _, name := range l.Names() {
			x, err := s.Load(l, name)
			if err != nil {
				t.Errorf("%s %s: %v", l, name, err)
				continue
			}
			what := fmt.Sprintf("%s %s (%q)", l, name, l.Text(name))
			d := time.Duration(len(x)) * time.Second / Rate
			total += d
			bytes += len(x) // μ-law: a byte a sample
			if d < 200*time.Millisecond || d > 12*time.Second {
				t.Errorf("%s: %v long, want 0.2–12 s", what, d)
			}
			if lvl := audiotest.ActiveLevel(x); lvl < -19 || lvl > -13 {
				t.Errorf("%s: active speech level %.1f dBFS, want about -16", what, lvl)
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
				t.Errorf("%s: %d samples at full scale (peak %d)", what, clipped, peak)
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
				t.Errorf("%s: %d loud and %d quiet 20 ms blocks: not speech", what, loud, quiet)
			}
		}
		t.Logf("%s: %d prompts, %v of speech, %d kB μ-law", l, len(l.Names()), total, bytes/1000)
	}
}

// TestNoTalkOff plays every prompt of every language into the box's
// DTMF receiver: it must hear no key, or the box would take its own
// voice for the caller's choice (the receiver listens while prompts
// play, for barge-in).
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
	for _, l := range Languages() {
		for _, name := range l.Names() {
			x, err := s.Load(l, name)
			if err != nil {
				t.Fatal(err)
			}
			if keys := heard(x); len(keys) > 0 {
				t.Errorf("%s %s: the DTMF receiver hears %q", l, name, keys)
			}
		}
	}
	// The control: a key pressed after a prompt is heard.
	bye, _ := s.Load(Russian, Goodbye)
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
	for _, name := range []string{"no-such-prompt", "", "../prompts/goodbye", "en/goodbye", "goodbye.wav", "goodbye.ru", "texts"} {
		_, err := s.Load(English, name)
		if err == nil || !strings.Contains(err.Error(), "no prompt named") {
			t.Errorf("Load(%q): %v, want an error naming it", name, err)
		}
	}
	// An override file alone does not make a name: the box only speaks
	// phrases it has a built-in for.
	writeWAV(t, filepath.Join(s.dir, "extra.wav"), tone(0.5, 440), 8000, audiofile.PCM16)
	if _, err := s.Load(English, "extra"); err == nil {
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
	builtinBye, err := New("").Load(English, Goodbye)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, Goodbye+".wav")
	own := tone(0.5, 440)
	writeWAV(t, path, own, 8000, audiofile.ALaw)
	got, err := s.Load(English, Goodbye)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(own) || audiotest.Analyze(got, 440).SNR < 30 {
		t.Fatalf("override not used: %d samples, want the %d of the file", len(got), len(own))
	}
	// Other names still speak the built-ins.
	if x, err := s.Load(English, Invalid); err != nil || len(x) == len(own) {
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
	if got, _ := s.Load(English, Goodbye); len(got) != len(own) {
		t.Errorf("the file was looked at again before the recheck time")
	}
	now = now.Add(defaultRecheck)
	got, err = s.Load(English, Goodbye)
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
	s.Load(English, Goodbye)
	if logs.Len() != 0 {
		t.Errorf("the same bad file is reported again: %q", logs.String())
	}

	// Not a WAV file at all.
	if err := os.WriteFile(filepath.Join(dir, Invalid+".wav"), []byte("ID3 an mp3 file"), 0o644); err != nil {
		t.Fatal(err)
	}
	now = now.Add(defaultRecheck)
	if x, err := s.Load(English, Invalid); err != nil || len(x) == 0 {
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
	if got, _ := s.Load(English, Goodbye); len(got) != 2400 {
		t.Errorf("fixed override: %d samples, want 2400", len(got))
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	now = now.Add(defaultRecheck)
	if got, _ := s.Load(English, Goodbye); !slices.Equal(got, builtinBye) {
		t.Errorf("removed override: not the built-in")
	}
}

func TestLoadAllocatesNothingOnceLoaded(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		s := New(dir)
		if _, err := s.Load(English, VMMainMenu); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { s.Load(English, VMMainMenu) }); n != 0 {
			t.Errorf("dir %q: Load allocates %v times", dir, n)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	s := New(b.TempDir())
	if _, err := s.Load(English, VMMainMenu); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Load(English, VMMainMenu); err != nil {
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
					if x, err := s.Load(English, n); err != nil || len(x) == 0 {
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
	for _, l := range Languages() {
		for _, n := range l.Names() {
			s, err := l.Builtin(n)
			if err != nil || len(s) == 0 {
				t.Errorf("%s.Builtin(%q) = %d samples, %v", l, n, len(s), err)
			}
			if l.Text(n) == "" {
				t.Errorf("%s.Text(%q) is empty: every built-in prompt has its words in %s/texts.txt", l, n, l)
			}
		}
		if _, err := l.Builtin("../etc/passwd"); err == nil {
			t.Errorf("%s.Builtin accepted a path", l)
		}
		if l.Text("no-such-prompt") != "" {
			t.Errorf("%s: Text of an unknown name is not empty", l)
		}
	}
	for l, want := range map[Language]string{English: "Goodbye.", Russian: "До свидания.", Armenian: "Ցտեսություն։",
		Kyrgyz: "Саламатта калыңыз.", Italian: "Arrivederci."} {
		if got := l.Text(Goodbye); got != want {
			t.Errorf("%s.Text(goodbye) = %q, want %q", l, got, want)
		}
	}
	// A name only one language has is not another's.
	if _, err := English.Builtin("vm-new-few"); err == nil {
		t.Error("English has Russian's vm-new-few")
	}
	if b, err := Builtin(Goodbye); err != nil || len(b) == 0 {
		t.Errorf("Builtin(goodbye) (English) = %d samples, %v", len(b), err)
	}
}

// TestOverridesPerLanguage: a replacement replaces its own language's
// prompt only: goodbye.ru.wav the Russian goodbye, goodbye.wav the
// English one.
func TestOverridesPerLanguage(t *testing.T) {
	dir := t.TempDir()
	en, ru := tone(0.5, 440), tone(0.3, 1000)
	writeWAV(t, filepath.Join(dir, "goodbye.wav"), en, 8000, audiofile.PCM16)
	writeWAV(t, filepath.Join(dir, "goodbye.ru.wav"), ru, 8000, audiofile.ULaw)
	s := New(dir)
	for _, c := range []struct {
		l    Language
		want int
	}{{English, len(en)}, {Russian, len(ru)}} {
		if got, err := s.Load(c.l, Goodbye); err != nil || len(got) != c.want {
			t.Errorf("%s goodbye: %d samples, %v; want the override's %d", c.l, len(got), err, c.want)
		}
	}
	for _, l := range []Language{Armenian, Kyrgyz, Italian} {
		got, err := s.Load(l, Goodbye)
		want, _ := l.Builtin(Goodbye)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s goodbye: not its built-in (%d samples, %v)", l, len(got), err)
		}
	}
	// A language's own prompt replaced by its own name.
	writeWAV(t, filepath.Join(dir, "vm-new-few.ru.wav"), ru, 8000, audiofile.PCM16)
	if got, err := s.Load(Russian, "vm-new-few"); err != nil || len(got) != len(ru) {
		t.Errorf("vm-new-few.ru.wav not used: %d samples, %v", len(got), err)
	}
}

func TestFile(t *testing.T) {
	for _, c := range []struct {
		l          Language
		name, file string
	}{
		{English, "goodbye", "goodbye.wav"}, {Russian, "goodbye", "goodbye.ru.wav"},
		{Armenian, "d31", "d31.hy.wav"}, {Kyrgyz, "o1000", "o1000.ky.wav"}, {Italian, "he9", "he9.it.wav"},
		{"", "goodbye", "goodbye.wav"}, {"xx", "goodbye", "goodbye.wav"},
	} {
		if got := c.l.File(c.name); got != c.file {
			t.Errorf("%q.File(%q) = %q, want %q", c.l, c.name, got, c.file)
		}
	}
	for _, c := range []struct {
		file string
		l    Language
		name string
		ok   bool
	}{
		{"goodbye.wav", English, "goodbye", true},
		{"goodbye.ru.wav", Russian, "goodbye", true},
		{"vm-new-few.ru.wav", Russian, "vm-new-few", true},
		{"d31.hy.wav", Armenian, "d31", true},
		{"vm-new-few.wav", "", "", false},    // not an English prompt
		{"vm-new-few.it.wav", "", "", false}, // nor an Italian one
		{"goodbye.en.wav", "", "", false},    // English has no suffix
		{"goodbye.xx.wav", "", "", false},
		{"welcome.wav", "", "", false},
		{"welcome.ru.wav", "", "", false},
		{"goodbye", "", "", false},
		{"goodbye.ru.mp3", "", "", false},
		{".ru.wav", "", "", false},
		{"", "", "", false},
	} {
		l, name, ok := ParseFile(c.file)
		if l != c.l || name != c.name || ok != c.ok {
			t.Errorf("ParseFile(%q) = %q %q %v, want %q %q %v", c.file, l, name, ok, c.l, c.name, c.ok)
		}
	}
}

func TestPickAndCheck(t *testing.T) {
	for _, c := range []struct {
		codes []string
		want  Language
	}{
		{nil, English}, {[]string{""}, English}, {[]string{"ru"}, Russian}, {[]string{"", "it"}, Italian},
		{[]string{"xx", "hy"}, Armenian}, {[]string{"ky", "ru"}, Kyrgyz}, {[]string{"RU"}, English},
	} {
		if got := Pick(c.codes...); got != c.want {
			t.Errorf("Pick(%q) = %q, want %q", c.codes, got, c.want)
		}
	}
	for _, code := range []string{"", "en", "ru", "hy", "ky", "it"} {
		if err := CheckLanguage(code); err != nil {
			t.Errorf("CheckLanguage(%q): %v", code, err)
		}
	}
	for _, code := range []string{"xx", "EN", "ru-RU", "hyw", " ru"} {
		err := CheckLanguage(code)
		if err == nil || !strings.Contains(err.Error(), "Русский") {
			t.Errorf("CheckLanguage(%q) = %v, want an error listing the languages", code, err)
		}
	}
	if got := Language("xx").Code(); got != "en" {
		t.Errorf("an unknown language's code is %q, want en", got)
	}
	names := map[string]bool{}
	for _, l := range Languages() {
		if l.Name() == "" || names[l.Name()] {
			t.Errorf("%s: name %q", l, l.Name())
		}
		names[l.Name()] = true
	}
}
