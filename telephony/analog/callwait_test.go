package analog

import (
	"math"
	"testing"
	"time"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// answered rings FXS port 1 from the exchange's side and lifts the
// phone: a call in progress, its far party (the collector) talking a
// 1 kHz tone.
func answered(t *testing.T, r *rig) (channel.Channel, *collector, *sim.Phone) {
	t.Helper()
	ph := r.b.Phone(1)
	ctx := r.ctx(20 * time.Second)
	c, err := r.m.Dialer().Dial(ctx, channel.Request{Target: "fxs:1", Caller: channel.CallerID{Number: "201"}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, c, channel.EventProgress, 4*time.Second)
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatal(err)
	}
	ph.OffHook()
	expect(t, c, channel.EventAnswer, 4*time.Second)
	far := bridge(c, sim.Sine(1000, -10))
	r.frames(5)
	return c, far, ph
}

// digitsIn runs a DTMF receiver over s.
func digitsIn(s []int16) string {
	d := dsp.NewDTMFDetector()
	var out []byte
	for _, ev := range d.Process(s) {
		out = append(out, ev.Digit)
	}
	return string(out)
}

// noDigit fails if the channel delivered a digit (the acknowledgement
// must not reach the exchange as one).
func noDigit(t *testing.T, c channel.Channel) {
	t.Helper()
	for {
		ev, ok := poll(c, 50*time.Millisecond)
		if !ok {
			return
		}
		if ev.Type == channel.EventDigit {
			t.Fatalf("the channel delivered digit %q", ev.Digit)
		}
	}
}

// TestCallWaitingAlert: in each zone a phone in a call hears the zone's
// call-waiting tone over the call; where the zone sends caller ID on call
// waiting, a type II phone acknowledges the alerting signal and decodes
// the waiting caller's number and name (Bell 202 in "us", V.23 in "de"
// and "uk"), and the far party hears neither the acknowledgement nor the
// data; in the CIS zones the tone alone alerts.
func TestCallWaitingAlert(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"us", "de", "uk", "ru"} {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, zone)
			c, far, ph := answered(t, r)
			ctx := r.ctx(20 * time.Second)
			cw, ok := c.(channel.CallWaiting)
			if !ok {
				t.Fatal("an FXS channel is not a channel.CallWaiting")
			}
			far.take()
			ph.Record()
			if err := cw.AlertCallWaiting(channel.CallerID{Number: "5551234", Name: "Bob Waiting"}); err != nil {
				t.Fatal(err)
			}
			if err := ph.WaitCallWaitingTone(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if !CallWaitingCallerID(zone) {
				r.frames(50)
				if alerts, _ := ph.CallWaitingAlerts(); alerts != 0 {
					t.Fatalf("%d alerting signals in a zone without caller ID on call waiting", alerts)
				}
				noDigit(t, c)
				return
			}
			m, err := ph.WaitCallWaitingCallerID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.Number != "5551234" || m.Name != "Bob Waiting" || !m.HasTime {
				t.Fatalf("caller ID on call waiting %+v", m)
			}
			if alerts, acks := ph.CallWaitingAlerts(); alerts != 1 || acks != 1 {
				t.Fatalf("alerts %d, acknowledgements %d; want 1 and 1", alerts, acks)
			}
			r.frames(25)
			if d := digitsIn(far.take()); d != "" {
				t.Fatalf("the far party heard DTMF %q: the acknowledgement must not reach it", d)
			}
			noDigit(t, c)
			checkOffHookFraming(t, ph.StopRecording(), CallerIDStandard(zone))
			// The call goes on: the far party is heard again.
			ph.Record()
			r.frames(30)
			checkTone(t, "far party after the alert", ph.StopRecording(), 1000)
		})
	}
}

// checkOffHookFraming finds the FSK that followed the alerting signal in
// what the phone heard and checks its framing: no channel seizure (whose
// alternating bits put energy at both frequencies) but at least 70 ms of
// pure mark.
func checkOffHookFraming(t *testing.T, s []int16, std dsp.FSKStandard) {
	t.Helper()
	mark, space := 1200.0, 2200.0
	if std == dsp.V23 {
		mark, space = 1300, 2100
	}
	const win = 80 // 10 ms
	cas := -1
	for i := 0; i+win <= len(s); i += win {
		if sh, rms := toneSharesAt(s[i:i+win], 2130, 2750); rms > 100 && sh > 0.8 {
			cas = i
		}
	}
	if cas < 0 {
		t.Fatal("no alerting signal in what the phone heard")
	}
	start := -1
	for i := cas + win; i+win <= len(s); i += win {
		if _, rms := toneSharesAt(s[i:i+win], mark); rms > 100 {
			start = i + win // the first whole window of data
			break
		}
	}
	if start < 0 {
		t.Fatal("no data after the alerting signal")
	}
	for k := range 6 { // 60 ms
		w := s[start+k*win : start+(k+1)*win]
		m, _ := toneSharesAt(w, mark)
		sp, _ := toneSharesAt(w, space)
		if m < 0.8 || sp > 0.1 {
			t.Fatalf("data window %d: mark share %.2f, space share %.2f: want the mark signal, no channel seizure", k, m, sp)
		}
	}
}

// toneSharesAt is the share of s's energy at freq, and s's RMS.
func toneSharesAt(s []int16, freqs ...float64) (float64, float64) {
	var e float64
	for _, x := range s {
		e += float64(x) * float64(x)
	}
	if e == 0 {
		return 0, 0
	}
	n := float64(len(s))
	var share float64
	for _, f := range freqs {
		m := sim.MeasureToneAt(s, f)
		// The fitted sine's power over the block's.
		amp := dsp.DBm0ToPeak(m.LevelDBm0)
		share += amp * amp / 2 / (e / n)
	}
	return share, math.Sqrt(e / n)
}

// A phone without caller ID on call waiting stays silent after the
// alerting signal: the port sends no data, and the call resumes after the
// acknowledgement window.
func TestCallWaitingNoAcknowledgement(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	c, _, ph := answered(t, r)
	ph.SetCallWaitingCallerID(false)
	ctx := r.ctx(20 * time.Second)
	if err := c.(channel.CallWaiting).AlertCallWaiting(channel.CallerID{Number: "5551234"}); err != nil {
		t.Fatal(err)
	}
	if err := ph.WaitCallWaitingTone(ctx, 1); err != nil {
		t.Fatal(err)
	}
	ph.Record()
	r.frames(60)
	if alerts, acks := ph.CallWaitingAlerts(); alerts != 1 || acks != 0 {
		t.Fatalf("alerts %d, acknowledgements %d; want 1 and 0", alerts, acks)
	}
	if _, ok := ph.CallWaitingCallerID(); ok {
		t.Fatal("caller ID decoded without an acknowledgement")
	}
	s := ph.StopRecording()
	for i := 0; i+80 <= len(s); i += 80 {
		if sh, rms := toneSharesAt(s[i:i+80], 1200, 2200); rms > 100 && sh > 0.5 {
			t.Fatalf("FSK at %d ms without an acknowledgement", i/8)
		}
	}
	ph.Record()
	r.frames(30)
	checkTone(t, "far party after the alert", ph.StopRecording(), 1000)
}

// A flash during an alert ends it and reaches the exchange; an alert
// asked of a channel that is not in a call, or of an FXO line, fails.
func TestCallWaitingFlashAndRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	c, _, ph := answered(t, r)
	cw := c.(channel.CallWaiting)
	if err := cw.AlertCallWaiting(channel.CallerID{Number: "5551234"}); err != nil {
		t.Fatal(err)
	}
	if err := ph.Flash(); err != nil {
		t.Fatal(err)
	}
	expect(t, c, channel.EventFlash, 3*time.Second)
	p := r.m.fxs[0]
	if err := p.do(r.ctx(time.Second), func() error {
		if p.cw != cwIdle {
			t.Errorf("alert step %d after the flash", p.cw)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ph.OnHook()
	expectEnd(t, c, channel.CauseNormal, 3*time.Second)
	if err := cw.AlertCallWaiting(channel.CallerID{Number: "5551234"}); err == nil {
		t.Fatal("alert accepted on an ended channel")
	}

	line := r.b.Line(1)
	if err := line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := line.Ring(dsp.CallerIDMessage{Number: "5550100", MDMF: true}); err != nil {
		t.Fatal(err)
	}
	in := r.call(15 * time.Second)
	if err := in.(channel.CallWaiting).AlertCallWaiting(channel.CallerID{}); err == nil {
		t.Fatal("alert accepted on an FXO line")
	}
	if err := in.Hangup(channel.CauseNormal); err != nil {
		t.Fatal(err)
	}
}

func TestWaitingBursts(t *testing.T) {
	for _, c := range []struct {
		spec string
		want time.Duration
	}{
		{"440/300,0/10000", 300 * time.Millisecond},
		{"425/200,0/200,425/200,0/5000", 600 * time.Millisecond},
		{"425/400,0/100,425/250,0/100,425/150,0/14000", time.Second},
		{"0/1000", 300 * time.Millisecond}, // nothing sounds: the default
		{"440/300,440", 300 * time.Millisecond},
	} {
		spec, err := dsp.ParseToneSpec(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		b := waitingBursts(spec)
		if got := time.Duration(toneSamples(b)) * time.Second / 8000; got != c.want {
			t.Errorf("%s: bursts of %v, want %v", c.spec, got, c.want)
		}
		if got := toneSamples(waitingThenCAS(spec)) - toneSamples(b); got != 640 {
			t.Errorf("%s: the alerting signal lasts %d samples, want 640", c.spec, got)
		}
		for _, p := range b.Parts {
			if !p.Once || p.Duration == 0 {
				t.Errorf("%s: part %+v is not a once-only element", c.spec, p)
			}
		}
	}
}
