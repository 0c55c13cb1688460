package webui

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"minipbx/telephony"
)

func TestCallRecordingsPageAndAPI(t *testing.T) {
	f := newFixture(t)
	f.svc.callRecs = []telephony.CallRecording{{ID: "20260301T093000Z-0001", CallID: "c1", Start: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		Duration: 83 * time.Second, Caller: "0301234567", Callee: "201", Parties: []string{"fxo:1", "sip:201"}, Extensions: []string{"201"}, Stereo: true, Size: 1 << 20}}
	c := f.client()
	c.ready()
	f.readyAPI()
	page := c.get("/call-recordings")
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "0301234567") || !strings.Contains(page.Body.String(), "1:23") ||
		!strings.Contains(page.Body.String(), "two channels") || !strings.Contains(page.Body.String(), "3.0 MB of 10.0 MB (30 %)") {
		t.Fatalf("page %d:\n%s", page.Code, page.Body)
	}
	if w := c.get("/call-recordings?from=yesterday"); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Must be a date") {
		t.Errorf("a bad date: %d", w.Code)
	}
	if w := f.api("GET", "/api/v1/call-recordings?number=12x", ""); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"number"`) {
		t.Errorf("a bad number filter: %d %s", w.Code, w.Body)
	}
	if w := f.api("GET", "/api/v1/call-recordings?number=555", ""); w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("filtered: %d %s", w.Code, w.Body)
	}
	audio := c.get("/call-recordings/20260301T093000Z-0001/audio?download=1")
	if audio.Code != http.StatusOK || audio.Header().Get("Content-Type") != "audio/wav" ||
		!strings.Contains(audio.Header().Get("Content-Disposition"), "call-2026-03-01-0930-0301234567-201.wav") {
		t.Errorf("audio %d %v", audio.Code, audio.Header())
	}
	b, _ := io.ReadAll(audio.Body)
	if string(b) != "RIFF-fake-wav-audio" {
		t.Errorf("audio body %q", b)
	}
	if w := c.get("/call-recordings/../etc/audio"); w.Code != http.StatusNotFound && w.Code/100 != 3 {
		t.Errorf("a crafted id: %d", w.Code)
	}
	if w := f.api("DELETE", "/api/v1/call-recordings/20260301T093000Z-0001", ""); w.Code != http.StatusNoContent {
		t.Errorf("delete: %d %s", w.Code, w.Body)
	}
	if w := f.api("DELETE", "/api/v1/call-recordings/20260301T093000Z-0001", ""); w.Code != http.StatusNotFound {
		t.Errorf("delete again: %d", w.Code)
	}
}
