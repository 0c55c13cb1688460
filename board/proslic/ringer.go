package proslic

import (
	"fmt"
	"math"
	"time"
)

// RingParams are the ring generator's register values.
type RingParams struct {
	Osc    uint16 // RNGOSC: cos(2π·f/1000 Hz) in Q15
	X      uint16 // RNGX: initial amplitude
	Offset uint16 // RINGOF: DC offset (0: none)
	VBATH  byte   // DR74: high battery, 1.5 V units, enough for the ring peak
	// RingTrip is the ring-trip filter coefficient (NRTP, indirect RTF),
	// which must follow the ring frequency so that the AC ringing current
	// is filtered out and only the DC of a lifted handset trips the ring.
	RingTrip uint16
}

// ringTripFilters are the datasheet's recommended ring-trip filter values
// by ring frequency ("Recommended Ring Trip Values for Ringing" table).
var ringTripFilters = []struct {
	hz  float64
	rtf uint16
}{
	{16.667, 0x0200}, {20, 0x0320}, {30, 0x0380}, {40, 0x0400}, {50, 0x06A8}, {60, 0x0800},
}

// ringTripFilter picks the entry of the highest table frequency not above
// f (the first entry below the table).
func ringTripFilter(f float64) uint16 {
	v := ringTripFilters[0].rtf
	for _, e := range ringTripFilters {
		if f+0.01 >= e.hz {
			v = e.rtf
		}
	}
	return v
}

// Ringer limits. The ring oscillator is updated at 1 kHz, and the ringing
// peak rides on the high battery, which the converter can raise to 94.5 V
// (DR74 = 0x3F); a few volts of headroom are kept for the linefeed
// transistors.
const (
	ringSampleHz   = 1000.0
	ringFullScaleV = 96.0 // RNGX full scale, volts peak
	minRingHz      = 15.0
	maxRingHz      = 100.0
	maxVBATH       = 0x3F
	defaultVBATH   = 0x32 // 75 V, the datasheet's reset default
	ringHeadroomV  = 6.0
	minRingVrms    = 20.0
)

// RingerParams computes the sinusoidal ring generator registers for a ring
// of freqHz at vrms (open circuit, balanced, no DC offset), per the
// datasheet's ringing equations:
//
//	coeff = cos(2π·f / 1000 Hz)
//	RNGOSC = coeff · 2^15
//	RNGX   = ¼ · √((1 − coeff)/(1 + coeff)) · 2^15 · Vpeak / 96 V
//	RNGY   = 0
//
// and the high battery needed to reach the peak.
func RingerParams(freqHz, vrms float64) (RingParams, error) {
	if math.IsNaN(freqHz) || freqHz < minRingHz || freqHz > maxRingHz {
		return RingParams{}, fmt.Errorf("ring frequency %.2f Hz out of range %.0f..%.0f", freqHz, minRingHz, maxRingHz)
	}
	vpk := vrms * math.Sqrt2
	maxVpk := float64(maxVBATH)*batVoltsPerLSB - ringHeadroomV
	if math.IsNaN(vrms) || vrms < minRingVrms || vpk > maxVpk {
		return RingParams{}, fmt.Errorf("ring amplitude %.1f Vrms out of range %.0f..%.1f", vrms, minRingVrms, maxVpk/math.Sqrt2)
	}
	c := math.Cos(2 * math.Pi * freqHz / ringSampleHz)
	p := RingParams{
		Osc: uint16(math.Round(c * 32768)),
		X:   uint16(math.Round(0.25 * math.Sqrt((1-c)/(1+c)) * 32768 * vpk / ringFullScaleV)),
	}
	vbath := math.Ceil((vpk + ringHeadroomV) / batVoltsPerLSB)
	p.VBATH = byte(max(vbath, defaultVBATH))
	p.RingTrip = ringTripFilter(freqHz)
	return p, nil
}

// Cadence is a hardware ring cadence: the ring active and inactive timers
// (DR48..DR51, 125 µs units, at most 8.19 s each).
type Cadence struct {
	On, Off time.Duration
}

const (
	cadenceTick = 125 * time.Microsecond
	maxCadence  = 0xFFFF * cadenceTick
	// DR34 bits: ring active timer enable (RTAE), inactive timer enable (RTIE).
	ringTimersOn = 0x18
)

// CadenceRegs returns the DR48..DR51 values of c.
func CadenceRegs(c Cadence) ([4]byte, error) {
	if c.On <= 0 || c.Off <= 0 || c.On > maxCadence || c.Off > maxCadence {
		return [4]byte{}, fmt.Errorf("ring cadence %v/%v out of range (each 125µs..%v)", c.On, c.Off, maxCadence)
	}
	on := uint16(c.On / cadenceTick)
	off := uint16(c.Off / cadenceTick)
	return [4]byte{byte(on), byte(on >> 8), byte(off), byte(off >> 8)}, nil
}

// ZoneCadence turns a zone's ring pattern (on, off, on, off, … as in
// dsp.Zone.Ring) into a hardware cadence. The chip has one active and one
// inactive timer, so only a single on/off pair (or a pattern that repeats
// one) fits; other patterns (the British double ring) must be timed by the
// caller with Ring(true)/Ring(false).
func ZoneCadence(ring []time.Duration) (Cadence, error) {
	if len(ring) < 2 || len(ring)%2 != 0 {
		return Cadence{}, fmt.Errorf("ring pattern %v: need on/off pairs", ring)
	}
	c := Cadence{On: ring[0], Off: ring[1]}
	for i := 2; i < len(ring); i += 2 {
		if ring[i] != c.On || ring[i+1] != c.Off {
			return Cadence{}, fmt.Errorf("ring pattern %v: more than one on/off pair; time it in software", ring)
		}
	}
	if _, err := CadenceRegs(c); err != nil {
		return Cadence{}, err
	}
	return c, nil
}

// cadenceRegs is the register list for the current cadence (caller holds mu).
func (d *Dev) cadenceRegs() [][2]byte {
	if d.cadence == nil {
		return [][2]byte{{drRingCtl, 0}}
	}
	r, _ := CadenceRegs(*d.cadence)
	return [][2]byte{{drRATLo, r[0]}, {drRATHi, r[1]}, {drRITLo, r[2]}, {drRITHi, r[3]}, {drRingCtl, ringTimersOn}}
}

// SetCadence makes the chip keep the ring cadence itself (nil: continuous
// ringing while Ring(true), the cadence kept by the caller, which is what
// telephony does so that it can send caller ID between bursts).
func (d *Dev) SetCadence(c *Cadence) error {
	if c != nil {
		if _, err := CadenceRegs(*c); err != nil {
			return fmt.Errorf("proslic: %s: %w", d.opts.Name, err)
		}
		cc := *c
		c = &cc
	}
	d.mu.Lock()
	d.cadence = c
	regs := d.cadenceRegs()
	d.mu.Unlock()
	if err := d.bus.writeAll(regs...); err != nil {
		return fmt.Errorf("proslic: %s: set cadence: %w", d.opts.Name, err)
	}
	return nil
}

// SetRinger sets the ring frequency and amplitude; it takes effect at the
// next Ring(true).
func (d *Dev) SetRinger(freqHz, vrms float64) error {
	p, err := RingerParams(freqHz, vrms)
	if err != nil {
		return fmt.Errorf("proslic: %s: %w", d.opts.Name, err)
	}
	if err := d.writeRinger(p); err != nil {
		return fmt.Errorf("proslic: %s: set ringer: %w", d.opts.Name, err)
	}
	d.mu.Lock()
	d.ring = p
	d.mu.Unlock()
	return nil
}

func (d *Dev) writeRinger(p RingParams) error {
	si3215 := d.chip.Variant == Si3215
	for _, e := range []irInit{{irRingOsc, p.Osc}, {irRingX, p.X}, {irRingY, 0}, {irRingOff, p.Offset}, {irRTF, p.RingTrip}} {
		if err := d.bus.writeIndirect(e.reg.addr(si3215), e.val); err != nil {
			return err
		}
	}
	return d.bus.write(drVBATH, p.VBATH)
}
