package webui

import (
	"bytes"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
)

// upload posts the upload form as a browser does (multipart), with the
// session's CSRF token unless csrf is given.
func (c *client) upload(name, filename string, data []byte, csrf ...string) *httptest.ResponseRecorder {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	tok := c.csrf
	if len(csrf) > 0 {
		tok = csrf[0]
	}
	mw.WriteField("csrf", tok)
	mw.WriteField("name", name)
	if filename != "" {
		fw, _ := mw.CreateFormFile("file", filename)
		fw.Write(data)
	}
	mw.Close()
	return c.do("POST", "/recordings", &b, map[string]string{"Content-Type": mw.FormDataContentType()})
}

func recFixture(t *testing.T) (*fixture, *client) {
	t.Helper()
	f := newFixture(t)
	f.svc.withRecordings(t)
	c := f.client()
	c.ready()
	return f, c
}

func TestRecordingsPageUploadPlayDelete(t *testing.T) {
	f, c := recFixture(t)
	f.svc.plan.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{File: "welcome.wav"}}}}

	w := c.get("/recordings")
	page := w.Body.String()
	if w.Code != 200 || !strings.Contains(page, `id="nav-recordings" aria-current="page"`) {
		t.Fatalf("page: %d", w.Code)
	}
	if row := rowOf(t, page, "rec-welcome.wav"); !strings.Contains(row, "missing: upload it") || !strings.Contains(row, "menu main") {
		t.Errorf("the menu's missing recording is not shown as missing: %s", row)
	}
	if row := rowOf(t, page, "builtin-goodbye"); !strings.Contains(row, "Goodbye.") || !strings.Contains(row, `/prompts/goodbye/audio`) || !strings.Contains(row, `/recordings?replace=goodbye#upload`) {
		t.Errorf("built-in row: %s", row)
	}
	if !strings.Contains(page, `enctype="multipart/form-data"`) {
		t.Error("the upload form is not multipart")
	}

	// Name left empty: taken from the file's name.
	w = c.upload("", "Welcome Message.wav", audiotest.StudioWAV(1000, 1))
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/recordings#rec-welcome-message.wav") {
		t.Fatalf("upload: %d %s\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	page = c.get("/recordings").Body.String()
	if !strings.Contains(html.UnescapeString(page), "The recording welcome-message.wav is saved (0:01 long). Choose it in a voice menu") {
		t.Errorf("no flash after upload")
	}
	row := rowOf(t, page, "rec-welcome-message.wav")
	if !strings.Contains(row, `<audio controls preload="none" src="/recordings/welcome-message.wav/audio"`) || !strings.Contains(row, "0:01") {
		t.Errorf("uploaded row: %s", row)
	}

	// The player's source is 16-bit PCM at 8 kHz with the tone.
	w = c.get("/recordings/welcome-message.wav/audio")
	if w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" || w.Header().Get("Accept-Ranges") != "bytes" {
		t.Fatalf("audio: %d %v", w.Code, w.Header())
	}
	s, rate, err := audiofile.ReadWAV(w.Body)
	if err != nil || rate != 8000 {
		t.Fatalf("audio: %v %d", err, rate)
	}
	if m := audiotest.Analyze(s[2000:6000], 1000); m.SNR < 30 {
		t.Errorf("served audio is not the 1 kHz tone: SNR %.1f", m.SNR)
	}
	r := c.do("GET", "/recordings/welcome-message.wav/audio", nil, map[string]string{"Range": "bytes=0-99"})
	if r.Code != http.StatusPartialContent || r.Body.Len() != 100 {
		t.Errorf("range request: %d, %d bytes", r.Code, r.Body.Len())
	}

	// The menu's recording, uploaded: now in use, no delete link.
	if w := c.upload("welcome", "w.wav", audiotest.StudioWAV(500, 0.5)); w.Code != http.StatusSeeOther {
		t.Fatalf("upload welcome: %d", w.Code)
	}
	page = c.get("/recordings").Body.String()
	if !strings.Contains(html.UnescapeString(page), "menu main play it from the next call on") {
		t.Error("the flash does not say the menu plays it")
	}
	if row := rowOf(t, page, "rec-welcome.wav"); strings.Contains(row, "delete-welcome.wav") || !strings.Contains(row, "in use") {
		t.Errorf("a recording in use offers delete: %s", row)
	}
	w = c.get("/recordings/welcome.wav/delete")
	if !strings.Contains(html.UnescapeString(w.Body.String()), "still played by menu main") || strings.Contains(w.Body.String(), `id="confirm-delete"`) {
		t.Errorf("confirmation of an in-use recording: %s", w.Body)
	}
	w = c.post("/recordings/welcome.wav/delete", nil)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(w.Body.String()), "The recording welcome.wav is still played by menu main") {
		t.Errorf("forced delete of an in-use recording: %d", w.Code)
	}

	// An unused one: confirm, then gone.
	w = c.get("/recordings/welcome-message.wav/delete")
	if !strings.Contains(w.Body.String(), `id="confirm-delete"`) {
		t.Fatalf("no confirmation: %s", w.Body)
	}
	if w := c.post("/recordings/welcome-message.wav/delete", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", w.Code)
	}
	if w := c.get("/recordings/welcome-message.wav/audio"); w.Code != 404 {
		t.Errorf("audio after delete: %d", w.Code)
	}
}

func TestRecordingUploadRefusals(t *testing.T) {
	f, c := recFixture(t)
	c.get("/recordings")
	for _, tc := range []struct {
		name, file string
		data       []byte
		field      string
		words      string
	}{
		{"After Hours", "x.wav", audiotest.StudioWAV(440, 0.3), "upload-name", "lower-case"},
		{"notes", "notes.txt", []byte("just some text, which is not audio"), "upload-file", "not a WAV or MP3 file"},
		{"x", "", nil, "upload-file", "Choose a WAV or MP3 file"},
		{"", "%%%.wav", audiotest.StudioWAV(440, 0.3), "upload-name", "Give the recording a name"},
	} {
		w := c.upload(tc.name, tc.file, tc.data)
		body := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(body, tc.field), tc.words) {
			t.Errorf("upload %q/%q: %d, %s error %q, want %q", tc.name, tc.file, w.Code, tc.field, fieldErrorHTML(body, tc.field), tc.words)
		}
	}
	// A form from elsewhere (wrong token) is refused before anything is read.
	if w := c.upload("x", "x.wav", audiotest.StudioWAV(440, 0.3), "forged"); w.Code != http.StatusForbidden {
		t.Errorf("forged upload: %d", w.Code)
	}
	// Larger than the limit: refused in words, not a broken page.
	big := append(audiotest.StudioWAV(440, 0.1), make([]byte, maxUploadBody)...)
	if w := c.upload("big", "big.wav", big); w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "larger than 10 MB") {
		t.Errorf("oversized upload: %d", w.Code)
	}
	if recs, _ := f.svc.Recordings(t.Context()); len(recs) != 0 {
		t.Errorf("refused uploads stored %v", recs)
	}
}

func TestRecordingReplaceAndRestoreBuiltin(t *testing.T) {
	f, c := recFixture(t)
	w := c.get("/recordings?replace=goodbye")
	if v, _ := inputValue(w.Body.String(), "upload-name"); v != "goodbye" {
		t.Errorf("replace link does not fill in the name: %q", v)
	}
	if w := c.upload("goodbye", "bye.mp3", audiotest.StudioWAV(700, 0.8)); w.Code != http.StatusSeeOther {
		t.Fatalf("replace: %d %s", w.Code, w.Body)
	}
	page := c.get("/recordings").Body.String()
	if !strings.Contains(html.UnescapeString(page), `Callers hear it instead of the built-in prompt "goodbye"`) {
		t.Error("no flash saying the built-in is replaced")
	}
	if row := rowOf(t, page, "builtin-goodbye"); !strings.Contains(row, "replaced by your recording") || !strings.Contains(row, `href="/recordings/goodbye.wav/delete"`) {
		t.Errorf("built-in row after replace: %s", row)
	}
	// The built-in's own audio is still served, and downloads under a
	// name that says what it is.
	if w := c.get("/prompts/goodbye/audio?download=1"); w.Code != 200 || !strings.Contains(w.Header().Get("Content-Disposition"), `attachment; filename=builtin-goodbye.wav`) {
		t.Errorf("built-in download: %d %q", w.Code, w.Header().Get("Content-Disposition"))
	}
	w = c.get("/prompts/goodbye/audio")
	s, _, err := audiofile.ReadWAV(w.Body)
	if err != nil || audiotest.Analyze(s, 700).SNR > 0 {
		t.Errorf("built-in audio: %v (or it is the replacement)", err)
	}
	w = c.get("/recordings/goodbye.wav/delete")
	if !strings.Contains(w.Body.String(), "Restore the built-in prompt") {
		t.Errorf("restore confirmation: %s", w.Body)
	}
	if w := c.post("/recordings/goodbye.wav/delete", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("restore: %d", w.Code)
	}
	bs, _ := f.svc.BuiltinPrompts(t.Context())
	for _, b := range bs {
		if b.Replaced {
			t.Errorf("%s still replaced", b.Name)
		}
	}
}

func TestRecordingsDatalistInPromptForms(t *testing.T) {
	f, c := recFixture(t)
	if _, err := f.svc.SaveRecording(t.Context(), "welcome", bytes.NewReader(audiotest.StudioWAV(440, 0.4))); err != nil {
		t.Fatal(err)
	}
	w := c.get("/dialplan/ivr_menus/new")
	page := w.Body.String()
	if !strings.Contains(page, `list="recordings"`) || !strings.Contains(page, `<datalist id="recordings">`) || !strings.Contains(page, `<option value="welcome.wav">`) || !strings.Contains(page, `<option value="goodbye.wav">`) {
		t.Errorf("menu form does not offer the recordings (%d)", w.Code)
	}
}

func TestRecordingsAPI(t *testing.T) {
	f := newFixture(t)
	f.svc.withRecordings(t)
	f.readyAPI()
	f.svc.plan.Announcements = []store.Announcement{{Name: "closed", Prompts: []store.Prompt{{File: "closed.wav"}}}}

	put := func(name string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest("PUT", "https://box.test/api/v1/recordings/"+url.PathEscape(name), bytes.NewReader(body))
		r.RemoteAddr = "198.51.100.7:5555"
		r.SetBasicAuth("admin", f.svc.password)
		r.Header.Set("Content-Type", "audio/wav")
		w := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(w, r)
		return w
	}
	w := put("closed", audiotest.StudioWAV(1000, 0.5))
	var rec recordings.Recording
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &rec) != nil || rec.Name != "closed.wav" || rec.UsedBy[0] != "announcement closed" {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	w = put("Closed", audiotest.StudioWAV(1000, 0.5))
	if e := decodeError(t, w); w.Code != 422 || len(e.Fields) != 1 || e.Fields[0].Field != "name" {
		t.Errorf("PUT bad name: %d %+v", w.Code, e)
	}
	w = put("x", []byte("not audio"))
	if e := decodeError(t, w); w.Code != 422 || len(e.Fields) != 1 || e.Fields[0].Field != "file" {
		t.Errorf("PUT not audio: %d %+v", w.Code, e)
	}

	w = f.api("GET", "/api/v1/recordings", "")
	var list recordingsList
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list.Recordings) != 1 || len(list.BuiltinPrompts) < 40 {
		t.Fatalf("GET list: %d %s", w.Code, w.Body.String()[:min(300, w.Body.Len())])
	}
	w = f.api("GET", "/api/v1/recordings/closed.wav/audio", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" {
		t.Errorf("GET audio: %d", w.Code)
	}
	if w := f.api("GET", "/api/v1/prompts/goodbye/audio", ""); w.Code != 200 {
		t.Errorf("GET built-in audio: %d", w.Code)
	}
	if w := f.api("GET", "/api/v1/prompts/nope/audio", ""); w.Code != 404 {
		t.Errorf("GET unknown built-in audio: %d", w.Code)
	}
	if w := f.api("DELETE", "/api/v1/recordings/closed.wav", ""); w.Code != 422 || !strings.Contains(w.Body.String(), "announcement closed") {
		t.Errorf("DELETE in use: %d %s", w.Code, w.Body)
	}
	f.svc.plan.Announcements = nil
	if w := f.api("DELETE", "/api/v1/recordings/closed.wav", ""); w.Code != 204 {
		t.Errorf("DELETE: %d %s", w.Code, w.Body)
	}
	if w := f.api("DELETE", "/api/v1/recordings/closed.wav", ""); w.Code != 404 {
		t.Errorf("DELETE again: %d", w.Code)
	}
	if w := f.api("GET", "/api/v1/recordings/..%2Fx/audio", ""); w.Code != 404 {
		t.Errorf("path in a name: %d", w.Code)
	}
}

func TestRecordingsWithoutPromptDir(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	w := c.get("/recordings")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="rec-unavailable"`) {
		t.Errorf("page without a prompts directory: %d", w.Code)
	}
	// The dial-plan forms still work, with a free-text field.
	if w := c.get("/dialplan/ivr_menus/new"); w.Code != 200 {
		t.Errorf("menu form: %d", w.Code)
	}
}

func TestNameFromFile(t *testing.T) {
	for in, want := range map[string]string{
		"Welcome Message (final).MP3": "welcome-message-final",
		`C:\Users\me\after_hours.wav`: "after_hours",
		"müsic.wav":                   "m-sic",
		"...wav":                      "",
		"":                            "",
	} {
		if got := nameFromFile(in); got != want {
			t.Errorf("nameFromFile(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzNameFromFile: the name taken from any uploaded file's name is
// empty (then the installer is asked for one) or one the box accepts.
func FuzzNameFromFile(f *testing.F) {
	for _, s := range []string{"Welcome Message (final).MP3", `C:\x\y.wav`, "...", "-a-.wav", "ÄÖÜ.mp3", strings.Repeat("ab ", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filename string) {
		n := nameFromFile(filename)
		if n == "" {
			return
		}
		if _, err := recordings.FileName(n); err != nil {
			t.Fatalf("nameFromFile(%q) = %q, which the box refuses: %v", filename, n, err)
		}
	})
}
