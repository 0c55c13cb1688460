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
