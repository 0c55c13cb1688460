package recordings

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
	"minipbx/telephony/store"
)

// FuzzFileName: whatever an installer (or a client of the API) sends as
// a name, an accepted one is a plain file name the dial plan can use,
// and a refused one is a validation error on "name".
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"welcome", "welcome.wav", "x.mp3", "../etc/passwd", "a/b", ".hidden", "Welcome", "", " .wav", "a..wav", strings.Repeat("x", 61)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		file, err := FileName(name)
		if err != nil {
			if v, ok := store.AsValidationError(err); !ok || v.Fields[0].Field != "name" {
				t.Fatalf("FileName(%q): %v, want a validation error on name", name, err)
			}
			return
		}
		if store.CheckPromptFile(file) != nil || strings.ContainsAny(file, "/\\") || strings.HasPrefix(file, ".") || !strings.HasSuffix(file, ".wav") {
			t.Fatalf("FileName(%q) = %q, not a usable plain name", name, file)
		}
	})
}

// FuzzSave: any upload either is stored as a playable 8 kHz file or is
// refused with a validation error, leaving nothing behind.
func FuzzSave(f *testing.F) {
	var b bytes.Buffer
	audiofile.WriteWAV(&b, make([]int16, 800), audiofile.ULaw)
	f.Add(b.Bytes())
	f.Add(audiotest.StudioWAV(440, 0.05))
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"))
	if mp3, err := os.ReadFile("testdata/tone-1khz-44k-stereo.mp3"); err == nil {
		f.Add(mp3[:2000])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := New(t.TempDir())
		rec, err := d.Save(nil, "fuzz", bytes.NewReader(data))
		if err != nil {
			if _, ok := store.AsValidationError(err); !ok {
				t.Fatalf("Save: %v, want a validation error", err)
			}
			if ents, _ := os.ReadDir(d.Path()); len(ents) != 0 {
				t.Fatalf("a refused upload left %d files", len(ents))
			}
			return
		}
		if rec.Problem != "" || rec.DurationMS < 0 {
			t.Fatalf("stored but not playable: %+v", rec)
		}
		rc, _, err := d.Audio("fuzz")
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	})
}
