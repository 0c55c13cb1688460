package main

import (
	"bytes"
	"encoding/binary"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
	"minipbx/telephony"
	"minipbx/telephony/store"
	"minipbx/webui"
)

// toneWAV44k writes a hz tone of seconds as a 44.1 kHz 16-bit stereo WAV
// file, what an installer's laptop has, and returns its path.
func toneWAV44k(t *testing.T, hz, seconds float64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(p, audiotest.StudioWAV(hz, seconds), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkStored asserts that dir/prompts/file is 8 kHz μ-law with the tone.
func checkStored(t *testing.T, dir, file string, hz float64) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "prompts", file))
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint16(b[20:]) != 7 {
		t.Errorf("%s is not μ-law", file)
	}
	s, rate, err := audiofile.ReadWAV(bytes.NewReader(b))
	if err != nil || rate != 8000 {
		t.Fatalf("%s: %v, %d Hz", file, err, rate)
	}
	if m := audiotest.Analyze(s[len(s)/4:3*len(s)/4], hz); m.SNR < 30 {
		t.Errorf("%s does not hold the %.0f Hz tone: SNR %.1f dB", file, hz, m.SNR)
	}
}

func TestRecordingOffline(t *testing.T) {
	dir := newDataDir(t)
	db := openData(t, dir)
	c, err := db.Config()
	if err != nil {
		t.Fatal(err)
	}
	c.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{File: "welcome.wav"}}, DefaultDestination: ""}}
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	db.Close()

	r := pbxctl(t, "", "-data", dir, "recording", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "welcome.wav") || !strings.Contains(r.stdout, "missing") {
		t.Fatalf("list before import: %+v", r)
	}
	r = pbxctl(t, "", "recording", "import", "welcome", toneWAV44k(t, 1000, 1), "-data", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "welcome.wav saved: 0:01, 8 kHz μ-law; played by menu main") {
		t.Fatalf("import: %+v", r)
	}
	checkStored(t, dir, "welcome.wav", 1000)

	r = pbxctl(t, "", "-data", dir, "recording", "import", "After Hours", toneWAV44k(t, 440, 0.5))
	if r.code != 1 || !strings.Contains(r.stderr, "name: ") || !strings.Contains(r.stderr, "lower-case") {
		t.Errorf("bad name: %+v", r)
	}
	r = pbxctl(t, "not audio at all, just words", "-data", dir, "recording", "import", "notes", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "file: This is not a WAV or MP3 file") {
		t.Errorf("not audio: %+v", r)
	}
	r = pbxctl(t, "", "-data", dir, "recording", "delete", "welcome")
	if r.code != 1 || !strings.Contains(r.stderr, "still played by menu main") {
		t.Errorf("delete in use: %+v", r)
	}
	r = pbxctl(t, "", "-data", dir, "recording", "import", "goodbye", toneWAV44k(t, 700, 0.5))
	if r.code != 0 || !strings.Contains(r.stdout, `instead of the built-in prompt "goodbye"`) {
		t.Errorf("replace built-in: %+v", r)
	}
	r = pbxctl(t, "", "-data", dir, "recording", "list", "-builtin")
	if r.code != 0 || !strings.Contains(r.stdout, "replaced by goodbye.wav") || !strings.Contains(r.stdout, "Goodbye.") {
		t.Errorf("list -builtin: %+v", r)
	}
	if r := pbxctl(t, "", "-data", dir, "recording", "delete", "goodbye"); r.code != 0 {
		t.Errorf("restore built-in: %+v", r)
	}
	// The Russian goodbye is replaced under its own name.
	r = pbxctl(t, "", "-data", dir, "recording", "import", "goodbye.ru", toneWAV44k(t, 700, 0.5))
	if r.code != 0 || !strings.Contains(r.stdout, `instead of the built-in prompt "goodbye" (ru)`) {
		t.Errorf("replace a Russian built-in: %+v", r)
	}
	r = pbxctl(t, "", "-data", dir, "recording", "list", "-builtin")
	if r.code != 0 || !strings.Contains(r.stdout, "replaced by goodbye.ru.wav") || !strings.Contains(r.stdout, "До свидания.") ||
		strings.Contains(r.stdout, "replaced by goodbye.wav") {
		t.Errorf("list -builtin after a Russian replacement: %+v", r)
	}
	if r := pbxctl(t, "", "-data", dir, "recording", "delete", "goodbye"); r.code != 1 || !strings.Contains(r.stderr, "no recording goodbye") {
		t.Errorf("delete missing: %+v", r)
	}
	for _, args := range [][]string{
		{"recording"},
		{"recording", "play", "x"},
		{"recording", "import", "x"},
		{"recording", "delete", "../x"},
		{"recording", "import", "-builtin", "x", "y"},
	} {
		if r := pbxctl(t, "", append([]string{"-data", dir}, args...)...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, r.code)
		}
	}
}

// Online, pbxctl goes through the real web UI's API to a real exchange
// whose data directory is on disk.
func TestRecordingOnline(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SetAdminPassword("online-pass-1"); err != nil {
		t.Fatal(err)
	}
	x, err := telephony.New(telephony.Options{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	a, err := telephony.NewAdmin(telephony.AdminOptions{Store: db, Reload: x, PromptDir: filepath.Join(dir, "prompts")})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := webui.New(webui.Options{Service: telephony.Compose(x, a, nil), DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	conn := []string{"-url", hs.URL, "-password", "online-pass-1"}

	r := pbxctl(t, "", append(conn, "recording", "import", "hold-music.mp3", toneWAV44k(t, 1000, 1))...)
	if r.code != 0 || !strings.Contains(r.stdout, "hold-music.wav saved: 0:01") || !strings.Contains(r.stdout, "not played by anything yet") {
		t.Fatalf("import: %+v", r)
	}
	checkStored(t, dir, "hold-music.wav", 1000)
	r = pbxctl(t, "", append(conn, "recording", "list")...)
	if r.code != 0 || !strings.Contains(r.stdout, "hold-music.wav  0:01") {
		t.Errorf("list: %+v", r)
	}
	r = pbxctl(t, "", append(conn, "recording", "import", "Bad", toneWAV44k(t, 1000, 0.2))...)
	if r.code != 1 || !strings.Contains(r.stderr, "name: ") {
		t.Errorf("bad name online: %+v", r)
	}
	if r := pbxctl(t, "", append(conn, "recording", "delete", "hold-music")...); r.code != 0 {
		t.Errorf("delete: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "prompts", "hold-music.wav")); !os.IsNotExist(err) {
		t.Errorf("file still there: %v", err)
	}
}
