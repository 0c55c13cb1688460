package analog

import (
	"time"
	"unicode/utf8"

	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// Levels of the tones the ports play, in dBm0 per frequency component: the
// usual central-office levels (dial tone -13, the others -19 as in the US
// LSSGR precise tone plan; ETSI ES 201 970 allows -3 to -15 dBm0 overall),
// loud enough for any detector and never near clipping.
const (
	dialToneLevel       = -13
	progressToneLevel   = -19
	callerIDLevel       = -13 // Telcordia GR-30: -13.5 dBm nominal
	dtmfLevel           = -6
	callerIDMaxNumber   = 20 // MDMF number parameter
	callerIDMaxName     = 15 // MDMF name parameter
	callerIDDelay       = 500 * time.Millisecond
	callerIDGuard       = 200 * time.Millisecond
	callerIDBurstMargin = 100 * time.Millisecond
)

// CallerIDStandard is the FSK modulation of on-hook caller ID in a tone
// zone: Bell 202 in North America and the countries that adopted it
// (Telcordia GR-30-CORE; China's YDN 069, Taiwan, Hong Kong...), ITU-T V.23
// (ETSI EN 300 659, BT SIN 227) everywhere else. board/sim's virtual phones
// and lines make the same choice.
func CallerIDStandard(zone string) dsp.FSKStandard {
	switch zone {
	case "us", "ca", "cn", "tw", "hk", "mx", "ph", "kr":
		return dsp.Bell202
	}
	return dsp.V23
}

// CallerIDMessage converts a channel's caller ID into the caller ID message
// an FXS port sends (and board/sim's Line.Ring takes): number and name cut
// to what MDMF carries, the absence reason when withheld or unknown, and
// the date and time of the call.
func CallerIDMessage(c channel.CallerID, now time.Time) dsp.CallerIDMessage {
	m := dsp.CallerIDMessage{Time: now, HasTime: true, MDMF: true}
	switch {
	case c.Withheld == "P":
		m.NumberAbsent, m.NameAbsent = 'P', 'P'
	case c.Number == "":
		m.NumberAbsent = 'O'
	default:
		m.Number = keepDigits(c.Number, callerIDMaxNumber)
		if m.Number == "" {
			m.NumberAbsent = 'O'
		}
	}
	if m.NameAbsent == 0 {
		if c.Name != "" {
			m.Name = printableASCII(c.Name, callerIDMaxName)
		}
		if m.Name == "" {
			m.NameAbsent = 'O'
		}
	}
	return m
}

// ChannelCallerID converts a decoded caller ID message into a channel's.
func ChannelCallerID(m dsp.CallerIDMessage) channel.CallerID {
	c := channel.CallerID{Number: m.Number, Name: m.Name}
	if c.Number == "" && m.NumberAbsent != 0 {
		c.Withheld = string(rune(m.NumberAbsent))
	}
	return c
}

// keepDigits keeps the characters caller ID numbers carry (digits, and a
// leading + dropped: the telco network sends national or international
// digits only), at most n of them.
func keepDigits(s string, n int) string {
	b := make([]byte, 0, min(len(s), n))
	for i := 0; i < len(s) && len(b) < n; i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

// printableASCII transliterates nothing: it replaces what caller ID cannot
// carry (non-ASCII, control characters) with '?' and cuts to n characters.
func printableASCII(s string, n int) string {
	b := make([]byte, 0, min(len(s), n))
	for _, r := range s {
		if len(b) == n {
			break
		}
		if r < 0x20 || r > 0x7e || r == utf8.RuneError {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return string(b)
}

// toneMode is what an analog port plays to its line instead of the call's
// audio.
type toneMode int32

const (
	toneNone toneMode = iota
	toneDial
	toneRingback
	toneBusy
	toneCongestion
	toneSilence // the exchange is done with the port: mute it
	toneStutter // dial tone announcing waiting messages (mwi.go)
	toneAlert   // the ETSI dual-tone alerting signal before on-hook data (mwi.go)
	toneWaiting // the call-waiting tone's bursts, once (callwait.go)
	toneCAS     // the same, then the CPE alerting signal for off-hook data (callwait.go)
)

// causeTone is the tone a phone hears after the exchange ends its call
// with cause c: busy tone when the other party is busy or simply hung up,
// congestion (fast busy, "reorder") for every failure.
func causeTone(c channel.Cause) toneMode {
	switch c {
	case channel.CauseNormal, channel.CauseBusy, channel.CauseCancelled:
		return toneBusy
	}
	return toneCongestion
}

// tones is one port's set of tone players for a zone (players keep phase,
// so every port has its own).
type tones struct {
	zone                             dsp.Zone
	dial, ringback, busy, congestion *dsp.TonePlayer
	stutter, alert                   *dsp.TonePlayer
	waiting, cas                     *dsp.TonePlayer
}

func newTones(z dsp.Zone) *tones {
	return &tones{
		zone:       z,
		dial:       dsp.NewTonePlayer(z.Dial, dialToneLevel),
		ringback:   dsp.NewTonePlayer(z.Ringback, progressToneLevel),
		busy:       dsp.NewTonePlayer(z.Busy, progressToneLevel),
		congestion: dsp.NewTonePlayer(z.Congestion, progressToneLevel),
		stutter:    dsp.NewTonePlayer(z.StutterDial, dialToneLevel),
		alert:      dsp.NewTonePlayer(mwiAlertTone(), mwiAlertLevel),
		waiting:    dsp.NewTonePlayer(waitingBursts(z.CallWaiting), waitingToneLevel),
		cas:        dsp.NewTonePlayer(waitingThenCAS(z.CallWaiting), waitingToneLevel),
	}
}

func (t *tones) player(m toneMode) *dsp.TonePlayer {
	switch m {
	case toneDial:
		return t.dial
	case toneRingback:
		return t.ringback
	case toneBusy:
		return t.busy
	case toneCongestion:
		return t.congestion
	case toneStutter:
		return t.stutter
	case toneAlert:
		return t.alert
	case toneWaiting:
		return t.waiting
	case toneCAS:
		return t.cas
	}
	return nil
}
