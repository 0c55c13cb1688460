package analog

import (
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// Voice-band data mode (issue 17): a fax machine or modem on a call needs
// the audio path of a wire, not of a voice call. When a port hears the
// fax tones (CNG from a calling fax, CED or ANSam from an answering one:
// the call-progress detector on what the port receives, on FXO lines and
// on FXS phones in a call) or the exchange asks (channel.VoiceBandData:
// the box's own fax receiver), the call's audio switches for the rest of
// the call: the FXO echo canceller and its non-linear processor off
// (they would cancel or clip one modem's signal as the echo of the
// other's), DTMF detection off (a modem's tones would be taken for
// keys), and the jitter buffer toward the port at a fixed depth that
// plays a lost frame as silence instead of concealing it. A port that
// heard the tones itself says so (channel.EventVoiceBandData), and the
// exchange switches the leg bridged to its call as well.

// SetVoiceBandData implements channel.VoiceBandData.
func (c *analogChannel) SetVoiceBandData(why string) { c.p.voiceBandData(c, why) }

// InVoiceBandData implements channel.VoiceBandData.
func (c *analogChannel) InVoiceBandData() bool { return c.vbd.Load() }

// heardFaxTone switches call c to voice-band data mode because the port
// heard a fax tone, and tells the exchange (EventVoiceBandData), which
// switches the leg bridged to it. Port goroutine.
func (p *port) heardFaxTone(c *analogChannel, why string) {
	if p.voiceBandData(c, why) {
		c.emit(channel.EventVoiceBandData, 0, 0)
	}
}

// voiceBandData switches call c's audio to voice-band data mode, once;
// why goes to the log. It reports whether it switched (false: already,
// or no call). Safe from any goroutine.
func (p *port) voiceBandData(c *analogChannel, why string) bool {
	if c == nil || !c.vbd.CompareAndSwap(false, true) {
		return false
	}
	var ecWasOn bool
	p.audio.set(func(a *portAudio) {
		if a.ep != c.ep {
			return // the call has left the port
		}
		ecWasOn = a.ec != nil
		a.ec = nil
		a.dtmfOn = false
	})
	c.ep.jb.SetVoiceBandData()
	if ecWasOn {
		p.log.Info("voice-band data: echo canceller disabled (and its non-linear processor), fixed jitter buffer without concealment, DTMF detection off",
			"channel", c.info.ID, "why", why)
		return true
	}
	p.log.Info("voice-band data: fixed jitter buffer without concealment, DTMF detection off", "channel", c.info.ID, "why", why)
	return true
}

// faxToneDetector is the call-progress detector an FXS port runs on what
// its phone sends during a call: for the fax tones only (its other
// verdicts are not acted on).
func (p *port) faxToneDetector() *dsp.ProgressDetector { return dsp.NewProgressDetector(p.zone) }
