package dsp

import (
	"testing"
	"time"
)

// TestZonesCallWaiting checks every zone's call-waiting tone against what
// the national plans have in common and what an FXS port needs: short
// bursts of one frequency near 400-450 Hz (the plans' "comfort" tones),
// then a silence of seconds before the repeat, which is where the port
// stops (it plays the bursts once per alert).
func TestZonesCallWaiting(t *testing.T) {
	for _, code := range ZoneCodes() {
		z, err := LookupZone(code)
		if err != nil {
			t.Fatal(err)
		}
		parts := z.CallWaiting.Parts
		if len(parts) < 2 {
			t.Errorf("%s: call waiting %q: want bursts and a silence", code, z.CallWaiting)
			continue
		}
		last := parts[len(parts)-1]
		if last.Freq1 != 0 || last.Duration < 3*time.Second {
			t.Errorf("%s: call waiting %q: want a silence of seconds before the repeat", code, z.CallWaiting)
		}
		if parts[0].Freq1 == 0 {
			t.Errorf("%s: call waiting %q: starts silent", code, z.CallWaiting)
		}
		var burst time.Duration
		for _, p := range parts[:len(parts)-1] {
			burst += p.Duration
			if p.Freq1 == 0 {
				continue
			}
			if p.Freq2 != 0 || p.Freq1 < 400 || p.Freq1 > 450 {
				t.Errorf("%s: call waiting part %+v: want one frequency of 400-450 Hz", code, p)
			}
			if p.Duration < 100*time.Millisecond || p.Duration > 500*time.Millisecond {
				t.Errorf("%s: call waiting part %+v: want 100-500 ms", code, p)
			}
		}
		if burst > 1500*time.Millisecond {
			t.Errorf("%s: call waiting bursts last %v: the far party would be cut off too long", code, burst)
		}
		if z.Source == "" {
			t.Errorf("%s: no source", code)
		}
	}
}
