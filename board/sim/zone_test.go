package sim

import (
	"slices"
	"testing"
	"time"

	"minipbx/dsp"
)

func TestSetZoneFollowsTheCountry(t *testing.T) {
	b, err := New(Config{FXS: 1, FXO: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	own := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}
	if err := b.Line(2).SetRingCadence(own); err != nil {
		t.Fatal(err)
	}

	if err := b.SetZone("nowhere"); err == nil {
		t.Fatal("SetZone(nowhere) = nil, want an error")
	}
	if got := b.Zone().Code; got != "us" {
		t.Fatalf("after a refused zone, Zone = %q, want us unchanged", got)
	}

	if err := b.SetZone("UK"); err != nil {
		t.Fatal(err)
	}
	uk, _ := dsp.LookupZone("uk")
	if got := b.Zone().Code; got != "uk" {
		t.Fatalf("Zone = %q, want uk", got)
	}
	b.mu.Lock()
	line1, line2 := b.Line(1).cadence, b.Line(2).cadence
	std, cwStd := b.Phone(1).cidStd, b.Phone(1).cw.dec
	b.mu.Unlock()
	if !slices.Equal(line1, uk.Ring) {
		t.Errorf("line 1 rings %v, want the UK cadence %v", line1, uk.Ring)
	}
	if !slices.Equal(line2, own) {
		t.Errorf("line 2 rings %v, want its own cadence %v kept", line2, own)
	}
	if std != dsp.V23 || cwStd == nil {
		t.Errorf("phone 1 decodes caller ID as %v, want V.23 for the UK", std)
	}

	// Back to the zone's own cadence: line 2 then follows the zone too.
	if err := b.Line(2).SetRingCadence(nil); err != nil {
		t.Fatal(err)
	}
	if err := b.SetZone("us"); err != nil {
		t.Fatal(err)
	}
	us, _ := dsp.LookupZone("us")
	b.mu.Lock()
	line2, std = b.Line(2).cadence, b.Phone(1).cidStd
	b.mu.Unlock()
	if !slices.Equal(line2, us.Ring) || std != dsp.Bell202 {
		t.Errorf("after us: line 2 rings %v (want %v), phone decodes %v (want Bell 202)", line2, us.Ring, std)
	}
}
