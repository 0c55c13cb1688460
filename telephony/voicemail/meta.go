package voicemail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"minipbx/telephony/channel"
)

// metaVersion is the sidecar format; a newer one is refused (and the
// message listed from its WAV alone) rather than misread.
const metaVersion = 1

// maxMetaBytes bounds a sidecar: real ones are about 150 bytes.
const maxMetaBytes = 4096

// maxCallerField bounds each caller ID field; SIP display names and
// numbers are far shorter in practice.
const maxCallerField = 128

// meta is a message's sidecar (ID.json).
type meta struct {
	Version    int              `json:"v"`
	Caller     channel.CallerID `json:"caller"`
	Received   time.Time        `json:"received"`
	DurationMS int64            `json:"duration_ms"`
	Heard      bool             `json:"heard,omitempty"`
}

func (m meta) marshal() []byte {
	b, err := json.Marshal(m)
	if err != nil {
		// Only a time outside years 0–9999 fails, and Now is not.
		panic(fmt.Sprintf("voicemail: marshal sidecar: %v", err))
	}
	return append(b, '\n')
}

// parseMeta reads a sidecar. It is strict about what the store relies on
// (version, a receive time, bounded caller fields) and ignores unknown
// fields, so a later firmware can add some without breaking this one.
func parseMeta(b []byte) (meta, error) {
	var m meta
	if len(b) > maxMetaBytes {
		return m, fmt.Errorf("sidecar of %d bytes, limit %d", len(b), maxMetaBytes)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&m); err != nil {
		return meta{}, fmt.Errorf("sidecar: %w", err)
	}
	if d.More() {
		return meta{}, errors.New("sidecar: data after the JSON object")
	}
	switch {
	case m.Version != metaVersion:
		return meta{}, fmt.Errorf("sidecar version %d, want %d", m.Version, metaVersion)
	case m.Received.IsZero() || m.Received.Year() < 2000 || m.Received.Year() > 9999:
		return meta{}, fmt.Errorf("sidecar receive time %v out of range", m.Received)
	case m.DurationMS < 0 || m.DurationMS > int64(MaxMessage/time.Millisecond):
		return meta{}, fmt.Errorf("sidecar duration %d ms out of range", m.DurationMS)
	}
	for _, f := range []string{m.Caller.Number, m.Caller.Name} {
		if len(f) > maxCallerField || !utf8.ValidString(f) {
			return meta{}, fmt.Errorf("sidecar caller field %.20q… too long or not UTF-8", f)
		}
	}
	if w := m.Caller.Withheld; w != "" && w != "P" && w != "O" {
		return meta{}, fmt.Errorf("sidecar withheld reason %.8q, want P or O", w)
	}
	return m, nil
}
