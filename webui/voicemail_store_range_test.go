package webui

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"testing"

	"minipbx/telephony/channel"
	"minipbx/telephony/voicemail"
)

// TestVoicemailStoreRange: a message served from the exchange's own
// message store (μ-law on disk, converted to 16-bit PCM while it is read)
// answers a player's Range requests with 206 and exactly the bytes the
// whole file has there, so a browser can seek in a long message.
func TestVoicemailStoreRange(t *testing.T) {
	vm, err := voicemail.Open(t.TempDir(), voicemail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := vm.Create("101", channel.CallerID{Number: "0301234567"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tone := make([]int16, 8000*5) // 5 s of 440 Hz
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	if err := rec.Write(tone); err != nil {
		t.Fatal(err)
	}
	msg, err := rec.Commit()
	if err != nil {
		t.Fatal(err)
	}
	rc, size, err := vm.WAV("101", msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	full, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || int64(len(full)) != size {
		t.Fatalf("store's WAV: %d of %d bytes, %v", len(full), size, err)
	}

	f := newFixture(t)
	f.svc.mustChange = false
	f.svc.addMailbox("101", "2580", false)
	id := f.svc.addVoicemail("101", channel.CallerID{Number: "0301234567"}, msg.Received, 5000)
	f.svc.vm.audio = func(box, _ string) (io.ReadCloser, int64, error) { return vm.WAV(box, msg.ID) }
	c := f.client()
	c.ready()
	path := "/voicemail/101/" + id + "/audio"

	w := c.get(path)
	if w.Code != http.StatusOK || w.Header().Get("Accept-Ranges") != "bytes" || !bytes.Equal(w.Body.Bytes(), full) {
		t.Fatalf("whole: %d %v, %d bytes of %d", w.Code, w.Header(), w.Body.Len(), len(full))
	}
	for _, tc := range []struct {
		rng, contentRange string
		from, to          int // want full[from:to]
	}{
		{"bytes=40000-40999", "bytes 40000-40999/" + itoa(len(full)), 40000, 41000},
		{"bytes=40001-40002", "bytes 40001-40002/" + itoa(len(full)), 40001, 40003}, // the high byte of one sample, the low of the next
		{"bytes=20-50", "bytes 20-50/" + itoa(len(full)), 20, 51},                   // across the header's end
		{"bytes=-101", "bytes " + itoa(len(full)-101) + "-" + itoa(len(full)-1) + "/" + itoa(len(full)), len(full) - 101, len(full)},
		{"bytes=70000-", "bytes 70000-" + itoa(len(full)-1) + "/" + itoa(len(full)), 70000, len(full)},
	} {
		w := c.do("GET", path, nil, map[string]string{"Range": tc.rng})
		if w.Code != http.StatusPartialContent || w.Header().Get("Content-Range") != tc.contentRange || !bytes.Equal(w.Body.Bytes(), full[tc.from:tc.to]) {
			t.Errorf("%s: %d %q, %d bytes; want 206 %q, %d bytes of the whole file", tc.rng, w.Code, w.Header().Get("Content-Range"), w.Body.Len(), tc.contentRange, tc.to-tc.from)
		}
	}
}
