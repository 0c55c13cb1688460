package webui

import (
	"bytes"
	"mime/multipart"
	"os"
	"strings"
	"testing"

	"minipbx/internal/audiotest"
	"minipbx/telephony/recordings"
)

// dataDirEntries lists what an upload may have left in the data directory.
func dataDirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".upload") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestUploadsSpooledAndGone: uploads through the page and the API are
// converted from a spooled file that leaves nothing behind, whether the
// upload is taken, refused as too big, or refused for its CSRF token.
func TestUploadsSpooledAndGone(t *testing.T) {
	f, c := recFixture(t)
	wav := audiotest.StudioWAV(440, 1)
	if w := c.upload("hello", "hello.wav", wav); w.Code != 303 {
		t.Fatalf("page upload: %d %s", w.Code, w.Body)
	}
	f.readyAPI()
	if w := f.api("PUT", "/api/v1/recordings/hello-api", string(wav)); w.Code != 200 {
		t.Fatalf("API upload: %d %s", w.Code, w.Body)
	}
	big := strings.Repeat("x", recordings.MaxUploadBytes+10)
	if w := f.api("PUT", "/api/v1/recordings/big", big); w.Code != 413 {
		t.Fatalf("API upload too big: %d", w.Code)
	}
	if w := c.upload("big", "big.wav", []byte(strings.Repeat("x", maxUploadBody+10))); w.Code != 413 {
		t.Fatalf("page upload too big: %d", w.Code)
	}
	if left := dataDirEntries(t, f.srv.dataDir); len(left) != 0 {
		t.Fatalf("uploads left %v in the data directory", left)
	}
}

// TestUploadFileBeforeCSRF: a form whose file comes before its CSRF token
// is refused without the file being read or saved.
func TestUploadFileBeforeCSRF(t *testing.T) {
	f, c := recFixture(t)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "early.wav")
	fw.Write(audiotest.StudioWAV(440, 1))
	mw.WriteField("csrf", c.csrf)
	mw.WriteField("name", "early")
	mw.Close()
	w := c.do("POST", "/recordings", &b, map[string]string{"Content-Type": mw.FormDataContentType()})
	if w.Code != 403 {
		t.Fatalf("file before the token: %d", w.Code)
	}
	if recs, _ := f.svc.Recordings(t.Context()); len(recs) != 0 {
		t.Fatalf("saved: %v", recs)
	}
}
