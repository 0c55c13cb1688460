package recordings

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// stored reads back a saved file and checks it is 8 kHz mono μ-law.
func stored(t *testing.T, dir, file string) []int16 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	if tag := binary.LittleEndian.Uint16(b[20:]); tag != 7 {
		t.Fatalf("%s: format tag %d, want 7 (μ-law)", file, tag)
	}
	s, r, err := audiofile.ReadWAV(bytes.NewReader(b))
	if err != nil || r != 8000 {
		t.Fatalf("%s: %v at %d Hz", file, err, r)
	}
	return s
}

// checkTone asserts that s holds a clean hz tone at the import level.
func checkTone(t *testing.T, s []int16, hz float64, seconds float64) {
	t.Helper()
	if got, want := float64(len(s))/8000, seconds; math.Abs(got-want) > 0.08 {
		t.Errorf("length %.3f s, want %.3f s", got, want)
	}
	mid := s[len(s)/4 : 3*len(s)/4] // away from edges (filter ramp, MP3 padding)
	m := audiotest.Analyze(mid, hz)
	if m.SNR < 30 {
		t.Errorf("%.0f Hz tone SNR %.1f dB, want ≥ 30 (wrong pitch or distortion)", hz, m.SNR)
	}
	// Level is in dBFS; 0 dBm0 is a sine of peak 22700 (-6.2 dBFS RMS).
	want := audiofile.TargetActiveDBm0 + 20*math.Log10(22700/math.Sqrt2/32768)
	if lvl := audiotest.Level(mid); math.Abs(lvl-want) > 1 {
		t.Errorf("level %.1f dBFS, want about %.1f (%.0f dBm0: normalised)", lvl, want, audiofile.TargetActiveDBm0)
	}
}

func TestSaveWAV44kStereo(t *testing.T) {
	d := New(t.TempDir())
	cfg := &store.Config{}
	cfg.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{File: "welcome.wav"}}}}
	rec, err := d.Save(cfg, "welcome", bytes.NewReader(audiotest.StudioWAV(1000, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "welcome.wav" || rec.Problem != "" || math.Abs(float64(rec.DurationMS)-2000) > 50 || !slices.Equal(rec.UsedBy, []string{"menu main"}) {
		t.Errorf("Save = %+v", rec)
	}
	if rec.Size != 2*8000+58 { // μ-law: a byte a sample, plus fmt/fact/data headers
		t.Errorf("size %d, want %d (8 kHz μ-law)", rec.Size, 2*8000+58)
	}
	checkTone(t, stored(t, d.Path(), "welcome.wav"), 1000, 2)
	ents, _ := os.ReadDir(d.Path())
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only welcome.wav (no temporary file left)", len(ents))
	}
}

func TestSaveRemovesStaleTemporaryFiles(t *testing.T) {
	d := New(t.TempDir())
	stale, fresh := filepath.Join(d.Path(), ".upload-1.tmp"), filepath.Join(d.Path(), ".upload-2.tmp")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half an upload"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(stale, long, long); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Save(nil, "x", bytes.NewReader(audiotest.StudioWAV(440, 0.2))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the leftover of a power cut is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("an upload in progress was removed: %v", err)
	}
}

func TestSaveMP3(t *testing.T) {
	// testdata/tone-1khz-44k-stereo.mp3: 1.5 s of 1 kHz at 44.1 kHz stereo,
	// made with `sox -n -r 44100 -c 2 -b 16 t.wav synth 1.5 sine 1000 vol 0.3`
	// and `lame -b 64 t.wav`.
	mp3, err := os.ReadFile("testdata/tone-1khz-44k-stereo.mp3")
	if err != nil {
		t.Fatal(err)
	}
	d := New(t.TempDir())
	rec, err := d.Save(nil, "hold-music.mp3", bytes.NewReader(mp3))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "hold-music.wav" {
		t.Errorf("name %q, want hold-music.wav (stored as WAV whatever came in)", rec.Name)
	}
	// An MP3 decoder adds up to a frame or two of padding at each end.
	checkTone(t, stored(t, d.Path(), "hold-music.wav"), 1000, 1.55)
}

func fieldOf(t *testing.T, err error) store.FieldError {
	t.Helper()
	v, ok := store.AsValidationError(err)
	if !ok || len(v.Fields) != 1 {
		t.Fatalf("error %v, want a validation error on one field", err)
	}
	return v.Fields[0]
}

func TestSaveRefused(t *testing.T) {
	d := New(t.TempDir())
	tone := audiotest.StudioWAV(440, 0.5)
	big := make([]byte, MaxUploadBytes+1)
	copy(big, tone)
	cases := []struct {
		name, file string
		body       []byte
		field      string
		words      string
	}{
		{"empty name", "", tone, "name", "Give the recording a name"},
		{"path", "../etc/x", tone, "name", "cannot be used"},
		{"upper case", "Welcome", tone, "name", "lower-case"},
		{"space", "after hours", tone, "name", "lower-case"},
		{"too long a name", strings.Repeat("a", 70), tone, "name", "64 characters"},
		{"not audio", "x", []byte("hello, this is a text file, not audio at all"), "file", "not a WAV or MP3"},
		{"too big", "x", big, "file", "larger than 10 MB"},
		{"silent", "x", audiotest.StudioWAV(0, 0.5), "file", "silent"},
		{"builtin too long", "goodbye", longWAV(MaxBuiltinSeconds + 5), "file", "at most 4 min"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := d.Save(nil, c.file, bytes.NewReader(c.body))
			f := fieldOf(t, err)
			if f.Field != c.field || !strings.Contains(f.Message, c.words) {
				t.Errorf("%s: %q, want %q on %s", f.Field, f.Message, c.words, c.field)
			}
		})
	}
	if ents, _ := os.ReadDir(d.Path()); len(ents) != 0 {
		t.Errorf("refused uploads left %d files", len(ents))
	}
}

// longWAV is seconds of an 8 kHz μ-law tone (small enough to upload).
func longWAV(seconds int) []byte {
	s := make([]int16, seconds*8000)
	(&audiotest.Tone{Freq: 400, Peak: 5000}).Fill(s)
	var b bytes.Buffer
	if err := audiofile.WriteWAV(&b, s, audiofile.ULaw); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestDeleteInUseRefused(t *testing.T) {
	d := New(t.TempDir())
	cfg := &store.Config{}
	cfg.Queues = []store.Queue{{Name: "sales", MusicOnHold: []store.Prompt{{File: "music.wav"}}}}
	cfg.Announcements = []store.Announcement{{Name: "closed", Prompts: []store.Prompt{{File: "music.wav"}, {File: "goodbye.wav"}}}}
	for _, n := range []string{"music", "goodbye"} {
		if _, err := d.Save(cfg, n, bytes.NewReader(audiotest.StudioWAV(500, 0.5))); err != nil {
			t.Fatal(err)
		}
	}
	f := fieldOf(t, d.Delete(cfg, "music.wav"))
	if f.Field != "name" || !strings.Contains(f.Message, "queue sales (music on hold), announcement closed") {
		t.Errorf("in-use delete: %+v", f)
	}
	if _, err := os.Stat(filepath.Join(d.Path(), "music.wav")); err != nil {
		t.Errorf("refused delete removed the file: %v", err)
	}
	// A replacement of a built-in may go although used: the built-in plays.
	if err := d.Delete(cfg, "goodbye"); err != nil {
		t.Errorf("delete of the goodbye override: %v", err)
	}
	if err := d.Delete(cfg, "goodbye"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if err := d.Delete(&store.Config{}, "music"); err != nil {
		t.Errorf("delete once unused: %v", err)
	}
}

func TestOverrideHeardByPrompts(t *testing.T) {
	dir := t.TempDir()
	d := New(dir)
	set := prompts.New(dir)
	before, err := set.Load(prompts.English, prompts.Goodbye)
	if err != nil {
		t.Fatal(err)
	}
	builtin, _ := prompts.Builtin(prompts.Goodbye)
	if !slices.Equal(before, builtin) {
		t.Fatal("without an override the built-in does not play")
	}
	rec, err := d.Save(nil, "goodbye", bytes.NewReader(audiotest.StudioWAV(700, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Replaces != "goodbye" || rec.Language != "en" {
		t.Errorf("Replaces = %q in %q", rec.Replaces, rec.Language)
	}
	heard, err := prompts.New(dir).Load(prompts.English, prompts.Goodbye) // a fresh set: no recheck delay
	if err != nil {
		t.Fatal(err)
	}
	if m := audiotest.Analyze(heard[2000:6000], 700); m.SNR < 30 {
		t.Errorf("the exchange's voice does not say the new recording: 700 Hz SNR %.1f dB", m.SNR)
	}
	bs, err := d.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(bs, func(b BuiltinPrompt) bool { return b.Name == "goodbye" && b.Language == "en" })
	if i < 0 || !bs[i].Replaced || bs[i].Text != "Goodbye." || bs[i].File != "goodbye.wav" || bs[i].DurationMS == 0 {
		t.Errorf("built-in goodbye listed as %+v", bs)
	}
	want := 0
	for _, l := range prompts.Languages() {
		want += len(l.Names())
	}
	if len(bs) != want {
		t.Errorf("%d built-ins listed, want %d (every language's)", len(bs), want)
	}
	// Restoring the built-in is deleting the override.
	if err := d.Delete(nil, "goodbye.wav"); err != nil {
		t.Fatal(err)
	}
	again, _ := prompts.New(dir).Load(prompts.English, prompts.Goodbye)
	if !slices.Equal(again, builtin) {
		t.Error("after delete the built-in does not play again")
	}
}

func TestListAndAudio(t *testing.T) {
	dir := t.TempDir()
	d := New(dir)
	cfg := &store.Config{}
	cfg.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{File: "welcome.wav"}, {File: "missing.wav"}, {File: "vm-busy.wav"}, {Tone: "440", MS: 200}}}}
	if _, err := d.Save(cfg, "welcome", bytes.NewReader(audiotest.StudioWAV(1000, 1))); err != nil {
		t.Fatal(err)
	}
	// Put by hand: a 16 kHz file the exchange cannot play, under a name
	// the dial plan cannot use.
	var b bytes.Buffer
	if err := audiofile.WriteWAV(&b, make([]int16, 100), audiofile.PCM16); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	binary.LittleEndian.PutUint32(raw[24:], 16000)
	if err := os.WriteFile(filepath.Join(dir, "Hand.WAV"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".upload-1.tmp"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	list, err := d.List(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range list {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"Hand.WAV", "welcome.wav", "missing.wav"}) {
		t.Fatalf("listed %v", names)
	}
	if !strings.Contains(list[0].Problem, "cannot name this file") || list[0].DurationMS != 0 {
		t.Errorf("hand-placed file: %+v", list[0])
	}
	if !list[2].Missing || !slices.Equal(list[2].UsedBy, []string{"menu main"}) {
		t.Errorf("missing file: %+v", list[2])
	}
	rc, size, err := d.Audio("welcome")
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size+1)
	n, _ := rc.Read(data)
	rc.Close()
	s, r, err := audiofile.ReadWAV(bytes.NewReader(data[:n]))
	if err != nil || r != 8000 || int64(n) != size || binary.LittleEndian.Uint16(data[20:]) != 1 || binary.LittleEndian.Uint16(data[34:]) != 16 {
		t.Fatalf("audio: %d of %d bytes, %v, %d Hz; want 16-bit PCM", n, size, err, r)
	}
	checkTone(t, s, 1000, 1)
	if _, _, err := d.Audio("nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("audio of a missing recording: %v", err)
	}
	// The hand-placed file can still be removed by its exact name.
	if err := d.Delete(cfg, "Hand.WAV"); err != nil {
		t.Errorf("delete Hand.WAV: %v", err)
	}
	if _, _, err := BuiltinAudio("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("BuiltinAudio(nope): %v", err)
	}
	rc, _, err = BuiltinAudio("vm-busy")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
}

// TestLanguageOverrides: a replacement of a Russian prompt is
// goodbye.ru.wav: saved, listed, heard by the Russian voice only, and
// deleted like the English ones; the Russian built-ins are listed and
// played by their file's name.
func TestLanguageOverrides(t *testing.T) {
	dir := t.TempDir()
	d := New(dir)
	cfg := &store.Config{Menus: []store.Menu{{Name: "main", Prompts: []store.Prompt{{File: "goodbye.ru.wav"}}}}}
	rec, err := d.Save(cfg, "goodbye.ru", bytes.NewReader(audiotest.StudioWAV(700, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "goodbye.ru.wav" || rec.Replaces != "goodbye" || rec.Language != "ru" {
		t.Errorf("saved %+v, want goodbye.ru.wav replacing the Russian goodbye", rec)
	}
	set := prompts.New(dir)
	heard, err := set.Load(prompts.Russian, prompts.Goodbye)
	if err != nil {
		t.Fatal(err)
	}
	if m := audiotest.Analyze(heard[2000:6000], 700); m.SNR < 30 {
		t.Errorf("the Russian voice does not say the new recording: 700 Hz SNR %.1f dB", m.SNR)
	}
	if en, _ := set.Load(prompts.English, prompts.Goodbye); !slices.Equal(en, must(prompts.English.Builtin(prompts.Goodbye))) {
		t.Error("a Russian replacement changed the English goodbye")
	}
	// Its own Russian prompt ("новых сообщения"), too; not a name that
	// is no Russian prompt.
	if rec, err := d.Save(cfg, "vm-new-few.ru.wav", bytes.NewReader(audiotest.StudioWAV(700, 1))); err != nil || rec.Replaces != "vm-new-few" {
		t.Errorf("vm-new-few.ru.wav: %+v, %v", rec, err)
	}
	if rec, err := d.Save(cfg, "vm-new-few", bytes.NewReader(audiotest.StudioWAV(700, 1))); err != nil || rec.Replaces != "" {
		t.Errorf("vm-new-few.wav (no English prompt): %+v, %v", rec, err)
	}
	list, err := d.List(cfg)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(r Recording) bool { return r.Name == "goodbye.ru.wav" })
	if i < 0 || list[i].Replaces != "goodbye" || list[i].Language != "ru" || !slices.Equal(list[i].UsedBy, []string{"menu main"}) {
		t.Errorf("listed %+v", list)
	}
	bs, err := d.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	i = slices.IndexFunc(bs, func(b BuiltinPrompt) bool { return b.Name == "goodbye" && b.Language == "ru" })
	if i < 0 || !bs[i].Replaced || bs[i].File != "goodbye.ru.wav" || bs[i].Text != "До свидания." {
		t.Errorf("the Russian goodbye listed as %+v", bs[i])
	}
	rc, _, err := BuiltinAudio("goodbye.ru")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	s, _, err := audiofile.ReadWAV(bytes.NewReader(data))
	if err != nil || !slices.Equal(s, must(prompts.Russian.Builtin(prompts.Goodbye))) {
		t.Errorf("BuiltinAudio(goodbye.ru) is not the Russian built-in (%v)", err)
	}
	for _, n := range []string{"goodbye.xx", "goodbye.en", "vm-new-few", "vm-new-few.it"} {
		if _, _, err := BuiltinAudio(n); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("BuiltinAudio(%q): %v, want ErrNotFound", n, err)
		}
	}
	// A replacement may go although a menu names it: the built-in plays.
	if err := d.Delete(cfg, "goodbye.ru.wav"); err != nil {
		t.Fatal(err)
	}
	if again, _ := prompts.New(dir).Load(prompts.Russian, prompts.Goodbye); !slices.Equal(again, must(prompts.Russian.Builtin(prompts.Goodbye))) {
		t.Error("after delete the Russian built-in does not play again")
	}
}

func must(s []int16, err error) []int16 {
	if err != nil {
		panic(err)
	}
	return s
}
