package voicemail

import (
	"bytes"
	"testing"
	"time"

	"minipbx/telephony/channel"
)

// FuzzParseMeta: any sidecar bytes give a message's details or an error,
// never a panic; accepted details survive a write and a re-read.
func FuzzParseMeta(f *testing.F) {
	good := meta{Version: 1, Caller: channel.CallerID{Number: "0301234567", Name: "Ann"},
		Received: time.Date(2026, 11, 22, 2, 3, 4, 5, time.UTC), DurationMS: 1500, Heard: true}
	f.Add(good.marshal())
	f.Add([]byte(`{"v":1,"caller":{"withheld":"P"},"received":"2026-11-22T02:03:04+01:00","duration_ms":0}`))
	f.Add([]byte(`{"v":2,"received":"2026-11-22T02:03:04Z"}`))
	f.Add([]byte(`{"v":1,"received":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"v":1,"received":"2026-11-22T02:03:04Z","duration_ms":-1}`))
	f.Add([]byte(`{"v":1,"received":"2026-11-22T02:03:04Z","future":[1,2]} {}`))
	f.Add([]byte(`{"v":1,"caller":{"name":"\xff"},"received":"2026-11-22T02:03:04Z"}`))
	f.Add([]byte(``))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMeta(b)
		if err != nil {
			return
		}
		out := m.marshal()
		m2, err := parseMeta(out)
		if err != nil {
			t.Fatalf("re-read of %s: %v", out, err)
		}
		if m2.Caller != m.Caller || !m2.Received.Equal(m.Received) || m2.DurationMS != m.DurationMS || m2.Heard != m.Heard {
			t.Fatalf("round trip %+v → %+v", m, m2)
		}
		if !bytes.Equal(m2.marshal(), out) {
			t.Fatalf("unstable encoding %s", out)
		}
	})
}

// FuzzWAVLayout: any file bytes give the place of a message's audio
// inside the file, or an error; never a panic or a range outside it.
func FuzzWAVLayout(f *testing.F) {
	h, err := newWAVHeader()
	if err != nil {
		f.Fatal(err)
	}
	msg := append(bytes.Clone(h.b), make([]byte, 100)...)
	if err := h.patch(writerAt(msg), 100); err != nil {
		f.Fatal(err)
	}
	f.Add(msg)
	f.Add(h.b)                 // streamed size: to the end
	f.Add(msg[:len(msg)-10])   // truncated
	f.Add(append(h.pcm, 0, 0)) // PCM, not μ-law
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\x04\x00\x00\x00abcd"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		off, n, err := wavLayout(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		if off < 12 || n < 0 || off+n > int64(len(b)) {
			t.Fatalf("data at %d+%d in a file of %d bytes", off, n, len(b))
		}
	})
}

// writerAt writes into a byte slice.
type writerAt []byte

func (w writerAt) WriteAt(p []byte, off int64) (int, error) { return copy(w[off:], p), nil }
