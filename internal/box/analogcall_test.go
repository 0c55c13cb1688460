package box

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/internal/siptest"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// Calls that change hands on analog phones: whole-box tests on the
// simulated board, where virtual phones flash their hooks with real
// timing and telco callers, analog phones and SIP phones talk in tones
// that each end checks it hears.

// Tones the parties talk in, one frequency each so that a mix can be
// taken apart.
const (
	callerHz = 600  // the telco caller
	phone1Hz = 1000 // 101's phone
	phone2Hz = 1400 // 102's phone
	sipHz    = 800  // a SIP phone
	toneDBm0 = -16  // three of them sum well below clipping
)

// answerAnalog waits for phone ph to ring showing caller number in its
// on-hook caller ID, and lifts the handset.
func answerAnalog(ctx context.Context, t *testing.T, ph *sim.Phone, number, what string) {
	t.Helper()
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatalf("%s: the phone does not ring: %v", what, err)
	}
	cid, err := ph.WaitCallerID(ctx)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if cid.Number != number {
		t.Errorf("%s: the phone shows caller %q, want %s", what, cid.Number, number)
	}
	ph.OffHook()
}

// flashAndDial flashes the hook for hold (real timing: the handset is
// down that long), waits for the second dial tone and dials digits by
// DTMF.
func flashAndDial(ctx context.Context, t *testing.T, ph *sim.Phone, hold time.Duration, digits string) {
	t.Helper()
	if err := ph.FlashFor(hold); err != nil {
		t.Fatal(err)
	}
	if err := ph.WaitDialled(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatalf("no second dial tone after the flash: %v", err)
	}
	if digits == "" {
		return
	}
	if err := ph.DialDTMF(digits); err != nil {
		t.Fatal(err)
	}
	if err := ph.WaitDialled(ctx); err != nil {
		t.Fatal(err)
	}
}

// toneLevel is the level of freq in the last n samples of s (-Inf if
// there are fewer).
func toneLevel(s []int16, freq float64, n int) float64 {
	if len(s) < n {
		return math.Inf(-1)
	}
	return sim.MeasureToneAt(s[len(s)-n:], freq).LevelDBm0
}

// waitHears waits until ear has heard freq (above -30 dBm0 over its last
// 300 ms) within d.
func waitHears(t *testing.T, what string, ear recorder, freq float64, d time.Duration) {
	t.Helper()
	ear.start()
	deadline := time.Now().Add(d)
	for {
		if l := toneLevel(ear.got(), freq, 2400); l > -30 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %.0f Hz not heard within %v (last 300 ms at %.1f dBm0)", what, freq, d, toneLevel(ear.got(), freq, 2400))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findStep reports whether r's path has an event with these fields ("" or
// a prefix match on party, to and by matches any).
func findStep(r store.CallRecord, event, party, to, by string) bool {
	for _, s := range r.Path {
		if s.Event == event && strings.HasPrefix(s.Party, party) && strings.HasPrefix(s.To, to) && strings.HasPrefix(s.By, by) {
			return true
		}
	}
	return false
}

// legAnswered reports whether r has leg name and it answered.
func legAnswered(r store.CallRecord, name string) bool {
	for _, l := range r.Legs {
		if l.Name == name && !l.Answer.IsZero() {
			return true
		}
	}
	return false
}

// lineRecord waits for telco line 1 to be released (its call is over)
// and for the record of that call that satisfies ok.
func lineRecord(ctx context.Context, t *testing.T, b *testBox, line *sim.Line, ok func(store.CallRecord) bool) store.CallRecord {
	t.Helper()
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	return b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxo:1" && ok(r) })
}

// pathString is a record's path for failure messages.
func pathString(r store.CallRecord) string {
	var b strings.Builder
	for _, s := range r.Path {
		fmt.Fprintf(&b, "[%s party=%s to=%s by=%s] ", s.Event, s.Party, s.To, s.By)
	}
	for _, l := range r.Legs {
		fmt.Fprintf(&b, "{leg %s answered=%v} ", l.Name, !l.Answer.IsZero())
	}
	return b.String()
}

// telcoCall rings the box from telco line 1 as caller 5551234, talking
// its tone; 101's phone rings with the caller's number and answers.
func telcoCall(ctx context.Context, t *testing.T, b *testBox) (*sim.Line, *sim.Phone) {
	t.Helper()
	line, ph1 := b.Sim().Line(1), b.Sim().Phone(1)
	line.Talk(sim.Sine(callerHz, toneDBm0))
	ringFromTelco(t, line, "5551234")
	answerAnalog(ctx, t, ph1, "5551234", "101")
	waitHears(t, "101 talks to the caller", phoneEar(ph1), callerHz, 5*time.Second)
	return line, ph1
}

// featureBox starts a box whose in-call features' times are short for a
// test, and whose FXS port 1 has a hook-flash window that the default
// would not have (a 900 ms flash would be a hang-up by default); edit
// changes more. It returns the box and a context for the test's d.
func featureBox(t *testing.T, d time.Duration, edit func(c *store.Config)) (*testBox, context.Context) {
	t.Helper()
	b := startBox(t, "")
	b.importDialPlan(t, func(c *store.Config) {
		c.Features.TransferRecallS = 6
		c.Features.ParkTimeoutS = 10
		c.FXSPorts = []store.FXSPort{{Port: 1, FlashMinMS: 250, FlashMaxMS: 1200}}
		if edit != nil {
			edit(c)
		}
	})
	return b, tctx(t, d)
}

// longFlash is inside FXS port 1's configured window (250-1200 ms) and
// beyond the default one (120-800 ms): a phone flashing it would hang up
// on a box that had not applied the window.
const longFlash = 900 * time.Millisecond

// TestBlindTransferByFlash: a telco caller talks to 101's analog phone;
// 101 flashes (a 900 ms flash, which its port's configured window makes a
// flash) and dials #102#. 102's phone rings showing the caller's number,
// answers and hears the caller. A second time nobody answers 102 within
// the 6 s recall time (the caller hears ringback meanwhile), and the call
// rings 101 back.
func TestBlindTransferByFlash(t *testing.T) {
	b, ctx := featureBox(t, 90*time.Second, nil)
	ph2 := b.Sim().Phone(2)

	line, ph1 := telcoCall(ctx, t, b)
	flashAndDial(ctx, t, ph1, longFlash, "#102#")
	answerAnalog(ctx, t, ph2, "5551234", "102 after the blind transfer")
	ph1.OnHook()
	waitHears(t, "102 talks to the transferred caller", phoneEar(ph2), callerHz, 5*time.Second)
	ph2.Talk(sim.Sine(phone2Hz, toneDBm0))
	waitHears(t, "the caller hears 102", lineEar(line), phone2Hz, 5*time.Second)
	ph2.Talk(nil)
	ph2.OnHook()
	r := lineRecord(ctx, t, b, line, func(r store.CallRecord) bool { return legAnswered(r, "fxs:2") })
	if !findStep(r, "answered", "fxs:1", "", "") || !findStep(r, "held", "fxo:1", "", "101") ||
		!findStep(r, "transferred", "fxo:1", "102", "101") || r.Destination != "fxs:2" || r.Disposition != "answered" {
		t.Errorf("blind transfer record: destination %s, disposition %s, path %s", r.Destination, r.Disposition, pathString(r))
	}
	b.waitPortIdle(t, 0)
	b.waitPortIdle(t, 1)

	// Nobody answers 102: after the recall time the call rings 101 back.
	// The caller hears ringback meanwhile, not silence.
	line, ph1 = telcoCall(ctx, t, b)
	flashAndDial(ctx, t, ph1, longFlash, "#102#")
	ringback := make(chan error, 1)
	go func() { ringback <- line.Hears(ctx, dsp.ToneRingback) }()
	ph1.OnHook()
	if err := ph2.WaitRing(ctx); err != nil {
		t.Fatal(err)
	}
	transferred := time.Now()
	b.waitPortIdle(t, 0)
	answerAnalog(ctx, t, ph1, "5551234", "101 rung back")
	if d := time.Since(transferred); d < 5*time.Second || d > 15*time.Second {
		t.Errorf("101 rang back %v after 102 began ringing; the recall time is 6 s", d)
	}
	if ph2.Ringing() {
		t.Error("102 still rings after the recall")
	}
	if err := <-ringback; err != nil {
		t.Errorf("the transferred caller heard no ringback: %v", err)
	}
	waitHears(t, "101 talks to the caller again", phoneEar(ph1), callerHz, 5*time.Second)
	ph1.OnHook()
	r = lineRecord(ctx, t, b, line, func(r store.CallRecord) bool { return findStep(r, "recalled", "", "", "") })
	if !findStep(r, "transferred", "fxo:1", "102", "101") || !findStep(r, "recalled", "fxo:1", "101", "") || r.Destination != "fxs:1" {
		t.Errorf("recall record: destination %s, path %s", r.Destination, pathString(r))
	}
}

// TestAttendedTransferByFlash: 101 flashes and dials *102#, talks to 102
// while the caller waits, and hangs up: the caller and 102 talk. Then
// again, but 101 flashes during the consultation instead: 102 is
// released and 101 is back with the caller.
func TestAttendedTransferByFlash(t *testing.T) {
	b, ctx := featureBox(t, 90*time.Second, nil)
	ph2 := b.Sim().Phone(2)

	line, ph1 := telcoCall(ctx, t, b)
	flashAndDial(ctx, t, ph1, longFlash, "*102#")
	answerAnalog(ctx, t, ph2, "101", "102 consulted by 101")
	ph1.Talk(sim.Sine(phone1Hz, toneDBm0))
	waitHears(t, "102 hears 101 in the consultation", phoneEar(ph2), phone1Hz, 5*time.Second)
	if l := toneLevel(lineEarNow(t, line, 500*time.Millisecond), phone1Hz, 2400); l > -40 {
		t.Errorf("the held caller hears the consultation (%.1f dBm0)", l)
	}
	ph1.Talk(nil)
	ph1.OnHook()
	waitHears(t, "102 talks to the caller after 101 hung up", phoneEar(ph2), callerHz, 5*time.Second)
	ph2.OnHook()
	r := lineRecord(ctx, t, b, line, func(r store.CallRecord) bool { return legAnswered(r, "fxs:2") })
	if !findStep(r, "consulted", "fxs:2", "102", "101") || !findStep(r, "transferred", "fxo:1", "fxs:2", "101") || r.Destination != "fxs:2" {
		t.Errorf("attended transfer record: destination %s, path %s", r.Destination, pathString(r))
	}
	b.waitPortIdle(t, 0)
	b.waitPortIdle(t, 1)

	// Flash to go back to the caller.
	line, ph1 = telcoCall(ctx, t, b)
	flashAndDial(ctx, t, ph1, longFlash, "*102#")
	answerAnalog(ctx, t, ph2, "101", "102 consulted again")
	if err := ph1.FlashFor(longFlash); err != nil {
		t.Fatal(err)
	}
	waitHears(t, "101 back with the caller", phoneEar(ph1), callerHz, 5*time.Second)
	if err := ph2.Hears(ctx, dsp.ToneBusy); err != nil {
		t.Errorf("102 released by 101's flash hears no busy tone: %v", err)
	}
	ph2.OnHook()
	ph1.OnHook()
	first := r.ID
	r = lineRecord(ctx, t, b, line, func(r store.CallRecord) bool { return r.ID > first })
	if !findStep(r, "consulted", "fxs:2", "102", "101") || findStep(r, "transferred", "", "", "") ||
		!legAnswered(r, "fxs:1") || !legAnswered(r, "fxs:2") {
		t.Errorf("consultation abandoned by a flash: path %s", pathString(r))
	}
}

// medianLevel fits freq in each 100 ms block of s and returns the median
// level: the bridge's mixer evens out the drift between the board's clock
// and its own by now and then dropping a frame, which spoils the fit of
// one block, not of the mix.
func medianLevel(s []int16, freq float64) float64 {
	var ls []float64
	for i := 0; i+800 <= len(s); i += 800 {
		ls = append(ls, sim.MeasureToneAt(s[i:i+800], freq).LevelDBm0)
	}
	if len(ls) == 0 {
		return math.Inf(-1)
	}
	slices.Sort(ls)
	return ls[len(ls)/2]
}

// lineEarNow records what the telco line hears for d.
func lineEarNow(t *testing.T, line *sim.Line, d time.Duration) []int16 {
	t.Helper()
	line.Record()
	time.Sleep(d)
	return line.StopRecording()
}

// TestThreeWayFromAnalogPhone: 101 flashes and dials 102 (a plain
// number: a three-way call), talks to 102 privately, then flashes to join
// all three. Each party talks in its own tone and hears the other two
// and not itself: the levels of the three frequencies are fitted in what
// each one hears.
func TestThreeWayFromAnalogPhone(t *testing.T) {
	b, ctx := featureBox(t, 90*time.Second, nil)
	ph2 := b.Sim().Phone(2)

	line, ph1 := telcoCall(ctx, t, b)
	flashAndDial(ctx, t, ph1, longFlash, "102")
	answerAnalog(ctx, t, ph2, "101", "102 called for a three-way call")
	if err := ph1.FlashFor(longFlash); err != nil {
		t.Fatal(err)
	}
	if err := ph1.WaitDialled(ctx); err != nil {
		t.Fatal(err)
	}
	ph1.Talk(sim.Sine(phone1Hz, toneDBm0))
	ph2.Talk(sim.Sine(phone2Hz, toneDBm0))
	waitHears(t, "the caller hears 102 in the conference", lineEar(line), phone2Hz, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	for _, p := range []struct {
		who   string
		ear   recorder
		own   float64
		other []float64
	}{
		{"the caller", lineEar(line), callerHz, []float64{phone1Hz, phone2Hz}},
		{"101", phoneEar(ph1), phone1Hz, []float64{callerHz, phone2Hz}},
		{"102", phoneEar(ph2), phone2Hz, []float64{callerHz, phone1Hz}},
	} {
		p.ear.start()
		time.Sleep(1200 * time.Millisecond)
		s := p.ear.got()
		for _, f := range p.other {
			if l := medianLevel(s, f); l < toneDBm0-3 || l > toneDBm0+3 {
				t.Errorf("%s hears %.0f Hz at %.1f dBm0, want about %d", p.who, f, l, toneDBm0)
			}
		}
		if l := medianLevel(s, p.own); l > -40 {
			t.Errorf("%s hears its own %.0f Hz at %.1f dBm0", p.who, p.own, l)
		}
	}
	ph1.Talk(nil)
	ph2.Talk(nil)
	// 101 leaves: the caller and 102 go on together. (102 hangs up only
	// once 101's hang-up is confirmed: port 1's window makes that take
	// 1.2 s, port 2's the default 800 ms.)
	ph1.OnHook()
	b.waitPortIdle(t, 0)
	waitHears(t, "102 with the caller after 101 left", phoneEar(ph2), callerHz, 5*time.Second)
	ph2.OnHook()
	r := lineRecord(ctx, t, b, line, func(r store.CallRecord) bool { return legAnswered(r, "fxs:2") })
	if !findStep(r, "three-way", "fxs:2", "102", "101") || !findStep(r, "conference", "fxo:1", "fxs:2", "101") ||
		!findStep(r, "left", "fxs:1", "", "") {
		t.Errorf("three-way record: path %s", pathString(r))
	}
}

// TestParkByFlash: 101 flashes and dials the park code 700; its phone
// hears "Your call is parked at 7 0 1" (the prompts found in what it
// heard); 102 dials 701 and talks to the caller. Parked again and left,
// the call rings 101 back after the 10 s park time.
func TestParkByFlash(t *testing.T) {
	b, ctx := featureBox(t, 120*time.Second, nil)
	ph2 := b.Sim().Phone(2)

	line, ph1 := telcoCall(ctx, t, b)
	ph1.Record()
	flashAndDial(ctx, t, ph1, longFlash, "700")
	if err := ph1.Hears(ctx, dsp.ToneBusy); err != nil {
		t.Fatalf("the parker hears no end-of-call tone after the slot: %v", err)
	}
	checkSaid(t, "the parker", ph1.StopRecording(), prompts.English.ParkedAt("701")...)
	ph1.OnHook()
	if !line.Seized() {
		t.Fatal("the parked caller's line was released")
	}
	ph2.OffHook()
	if err := ph2.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph2.DialDTMF("701"); err != nil {
		t.Fatal(err)
	}
	waitHears(t, "102 took the parked call", phoneEar(ph2), callerHz, 10*time.Second)
	ph2.OnHook()
	r := lineRecord(ctx, t, b, line, func(r store.CallRecord) bool { return findStep(r, "retrieved", "", "", "") })
	if !findStep(r, "parked", "fxo:1", "701", "101") || !findStep(r, "retrieved", "fxs:2", "701", "102") || r.Destination != "fxs:2" {
		t.Errorf("park and retrieve record: destination %s, path %s", r.Destination, pathString(r))
	}
	b.waitPortIdle(t, 0)
	b.waitPortIdle(t, 1)

	// Parked and left: it rings the parker after the park time.
	line, ph1 = telcoCall(ctx, t, b)
	flashAndDial(ctx, t, ph1, longFlash, "700")
	parked := time.Now()
	ph1.OnHook()
	b.waitPortIdle(t, 0)
	answerAnalog(ctx, t, ph1, "5551234", "101 rung back by the parked call")
	if d := time.Since(parked); d < 9*time.Second || d > 20*time.Second {
		t.Errorf("the parked call rang back %v after it was parked; the park time is 10 s", d)
	}
	waitHears(t, "101 with the caller again", phoneEar(ph1), callerHz, 5*time.Second)
	ph1.OnHook()
	r = lineRecord(ctx, t, b, line, func(r store.CallRecord) bool {
		return findStep(r, "parked", "", "", "") && findStep(r, "recalled", "", "", "")
	})
	if !findStep(r, "recalled", "fxo:1", "101", "") || r.Destination != "fxs:1" {
		t.Errorf("park timeout record: destination %s, path %s", r.Destination, pathString(r))
	}
}

// checkSaid finds the built-in prompts names, in order, in what a phone
// heard. A prompt is placed where it correlates best with the recording
// after the one before; then its 50 ms pieces that hold speech are
// followed one after the other, each looked for within 20 ms of where
// the piece before it ended, and at least 70 % of them must correlate
// (normalised) above 0.9. Piece by piece, because a frame the bridge
// dropped or concealed on a loaded machine shifts the rest of a prompt
// and spoils a whole-prompt match; a different word matches almost no
// piece.
func checkSaid(t *testing.T, who string, heard []int16, names ...string) {
	t.Helper()
	if err := said(heard, names...); err != nil {
		t.Fatalf("%s: %v", who, err)
	}
}

// said is checkSaid's search; it says what it did not find.
func said(heard []int16, names ...string) error {
	set := prompts.New("")
	from := 0
	for _, name := range names {
		p, err := set.Load(prompts.English, name)
		if err != nil {
			return err
		}
		at, _ := findPrompt(heard, p, from, len(heard))
		if at < 0 {
			return fmt.Errorf("prompt %q: only %.2f s heard", name, float64(len(heard))/8000)
		}
		const piece, slack = 400, 160
		voiced, good := 0, 0
		next := at // where the current piece is expected
		for k := 0; k+piece <= len(p); k += piece {
			chunk := p[k : k+piece]
			if sim.Level(chunk) < -40 {
				next += piece
				continue // a pause says nothing
			}
			voiced++
			pos, score := findPrompt(heard, chunk, max(next-slack, 0), next+slack+piece)
			if score >= 0.9 {
				good++
				next = pos
			}
			next += piece
		}
		if voiced == 0 || good*10 < voiced*7 {
			return fmt.Errorf("prompt %q not heard after %.2f s: %d of %d pieces found", name, float64(from)/8000, good, voiced)
		}
		from = at + len(p)/2 // the next prompt begins after this one's middle
	}
	return nil
}

// TestSaidFindsPrompts: the prompt search finds words through a few
// dropped and concealed frames, and does not take one word for another.
func TestSaidFindsPrompts(t *testing.T) {
	set := prompts.New("")
	var heard []int16
	for _, name := range []string{"parked-at", "7", "0", "1"} {
		p, err := set.Load(prompts.English, name)
		if err != nil {
			t.Fatal(err)
		}
		heard = append(append(heard, make([]int16, 800)...), p...)
	}
	// Three frames dropped, two concealed by silence.
	for _, at := range []int{9000, 16000, 21000} {
		heard = append(heard[:at], heard[at+160:]...)
	}
	for _, at := range []int{12000, 19000} {
		clear(heard[at : at+160])
	}
	if err := said(heard, "parked-at", "7", "0", "1"); err != nil {
		t.Fatal(err)
	}
	if err := said(heard, "parked-at", "7", "0", "2"); err == nil {
		t.Fatal("701 taken for 702")
	}
	if err := said(heard, "parked-at", "3"); err == nil {
		t.Fatal("7 taken for 3")
	}
}

// findPrompt is where p correlates best with s, starting between from
// and to-len(p), and how well (normalised cross-correlation); -1 when p
// does not fit.
func findPrompt(s, p []int16, from, to int) (int, float64) {
	var pe float64
	for _, v := range p {
		pe += float64(v) * float64(v)
	}
	to = min(to, len(s))
	best, bestAt := -1.0, -1
	for at := from; at+len(p) <= to; at++ {
		var dot, se float64
		w := s[at : at+len(p)]
		for i, v := range p {
			x := float64(w[i])
			dot += x * float64(v)
			se += x * x
		}
		if se == 0 || pe == 0 {
			continue
		}
		if c := dot / math.Sqrt(se*pe); c > best {
			best, bestAt = c, at
		}
	}
	return bestAt, best
}

// TestCallWaitingOnAnalogPhone: 101 talks to SIP phone 201; a telco call
// to 101 waits: 101 hears the call-waiting tone and its phone decodes
// the caller's number (off-hook caller ID), while the telco caller hears
// ringback. A flash swaps to the telco caller (201 waits on hold), a flash
// swaps back; 101 hanging up with the telco caller on hold makes its
// phone ring again for it. With call waiting off the telco caller gets
// busy handling.
func TestCallWaitingOnAnalogPhone(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Sales", false)
	sip201 := b.phone(t, "201", s201)
	ctx := tctx(t, 120*time.Second)
	ph1, line := b.Sim().Phone(1), b.Sim().Line(1)

	sipCall := func() *siptest.Call {
		t.Helper()
		answered := make(chan error, 1)
		go func() {
			if err := ph1.WaitRing(ctx); err != nil {
				answered <- err
				return
			}
			ph1.OffHook()
			answered <- nil
		}()
		c, err := sip201.Dial(ctx, "101")
		if err != nil {
			t.Fatalf("201 calls 101: %v", err)
		}
		if err := <-answered; err != nil {
			t.Fatal(err)
		}
		c.Send(sim.Sine(sipHz, toneDBm0))
		waitHears(t, "101 talks to 201", phoneEar(ph1), sipHz, 5*time.Second)
		return c
	}
	c201 := sipCall()
	line.Talk(sim.Sine(callerHz, toneDBm0))
	ringFromTelco(t, line, "5551234")
	if err := ph1.WaitCallWaitingTone(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cid, err := ph1.WaitCallWaitingCallerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cid.Number != "5551234" {
		t.Errorf("caller ID on call waiting %+v, want 5551234", cid)
	}
	if err := line.Hears(ctx, dsp.ToneRingback); err != nil {
		t.Errorf("the waiting telco caller hears no ringback: %v", err)
	}
	waitHears(t, "101 still talks to 201 after the alert", phoneEar(ph1), sipHz, 5*time.Second)

	// Flash: the telco caller; 201 waits on hold.
	if err := ph1.Flash(); err != nil {
		t.Fatal(err)
	}
	waitHears(t, "101 swapped to the telco caller", phoneEar(ph1), callerHz, 5*time.Second)
	if l := toneLevel(phoneEarNow(ph1, 400*time.Millisecond), sipHz, 2400); l > -40 {
		t.Errorf("101 still hears 201 on hold (%.1f dBm0)", l)
	}
	// Flash: back to 201.
	if err := ph1.Flash(); err != nil {
		t.Fatal(err)
	}
	waitHears(t, "101 swapped back to 201", phoneEar(ph1), sipHz, 5*time.Second)
	// Hang up with the telco caller on hold: the phone rings for it.
	ph1.OnHook()
	select {
	case <-c201.Ended():
	case <-ctx.Done():
		t.Fatal("201's call did not end when 101 hung up")
	}
	answerAnalog(ctx, t, ph1, "5551234", "101 rung again for the held caller")
	waitHears(t, "101 with the held telco caller", phoneEar(ph1), callerHz, 5*time.Second)
	ph1.OnHook()
	r := lineRecord(ctx, t, b, line, func(r store.CallRecord) bool { return findStep(r, "waiting", "", "", "") })
	if !findStep(r, "waiting", "", "101", "") || !findStep(r, "answered", "fxs:1", "", "call waiting") ||
		!findStep(r, "recalled", "fxo:1", "fxs:1", "") || r.Destination != "fxs:1" {
		t.Errorf("call waiting record: destination %s, path %s", r.Destination, pathString(r))
	}
	r = b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "sip:201" && r.Callee == "101" })
	if !findStep(r, "held", "sip:201", "", "101") || !findStep(r, "resumed", "sip:201", "", "") {
		t.Errorf("201's record: path %s", pathString(r))
	}
	b.waitPortIdle(t, 0)

	// Call waiting off: the second caller gets busy handling.
	b.importDialPlan(t, func(c *store.Config) {
		c.ExtensionRules = []store.ExtensionRule{{Extension: "101", NoCallWaiting: true}}
	})
	c201 = sipCall()
	tones := ph1.CallWaitingTones()
	ringFromTelco(t, line, "5551234")
	if err := line.Hears(ctx, dsp.ToneBusy); err != nil {
		t.Fatalf("with call waiting off the telco caller hears no busy tone: %v (line %s, ports %+v, %d calls)",
			err, line.State(), b.analog.PortStates(), b.Exchange().ActiveCalls())
	}
	if n := ph1.CallWaitingTones(); n != tones {
		t.Errorf("call waiting off, yet 101 heard %d call-waiting tones", n-tones)
	}
	if err := line.Hangup(sim.HangupLoopDrop); err != nil {
		t.Fatal(err)
	}
	r = b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxo:1" && r.Disposition == "busy" })
	if findStep(r, "waiting", "", "", "") {
		t.Errorf("with call waiting off the call waited: path %s", pathString(r))
	}
	if err := c201.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// phoneEarNow records what a phone hears for d.
func phoneEarNow(ph *sim.Phone, d time.Duration) []int16 {
	ph.Record()
	time.Sleep(d)
	return ph.StopRecording()
}

// TestDoNotDisturbByFeatureCode: 101 dials *78; lifted again its phone
// hears stutter dial tone, and a SIP phone calling 101 gets busy. *79
// ends it: plain dial tone, and the call rings.
func TestDoNotDisturbByFeatureCode(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Sales", false)
	sip201 := b.phone(t, "201", s201)
	ctx := tctx(t, 60*time.Second)
	ph1 := b.Sim().Phone(1)

	code := func(c string) {
		t.Helper()
		ph1.OffHook()
		if err := ph1.Hears(ctx, dsp.ToneDial); err != nil {
			t.Fatal(err)
		}
		if err := ph1.DialDTMF(c); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second) // the confirmation
		ph1.OnHook()
		b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxs:1" && r.Callee == c })
		b.waitPortIdle(t, 0)
	}
	code("*78")
	ph1.OffHook()
	if stutter, err := ph1.HearsStutterDial(ctx, 1500*time.Millisecond); err != nil || !stutter {
		t.Fatalf("dial tone with do-not-disturb on: stutter %v, %v", stutter, err)
	}
	ph1.OnHook()
	b.waitPortIdle(t, 0)
	_, err := sip201.Dial(ctx, "101")
	var refused *sipgo.ErrDialogResponse
	if !errors.As(err, &refused) || refused.Res.StatusCode != 486 {
		t.Fatalf("a call to 101 with do-not-disturb on: %v, want 486 Busy Here", err)
	}
	if ph1.Ringing() {
		t.Error("101's phone rings with do-not-disturb on")
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "sip:201" && r.Callee == "101" })
	if r.Disposition != "busy" {
		t.Errorf("call to 101 with do-not-disturb: disposition %s, path %s", r.Disposition, pathString(r))
	}

	code("*79")
	ph1.OffHook()
	if stutter, err := ph1.HearsStutterDial(ctx, 1500*time.Millisecond); err != nil || stutter {
		t.Fatalf("dial tone with do-not-disturb off: stutter %v, %v", stutter, err)
	}
	ph1.OnHook()
}

// TestLiveMusicOnHold: the box-wide music on hold is a live source on
// telco line 2 (a music service the box dials into by seizing the line).
// 101 flashes: the held telco caller on line 1 hears what line 2 plays;
// 101 flashes again and is back with the caller; with nobody listening
// the box releases line 2, and a call out takes it again.
func TestLiveMusicOnHold(t *testing.T) {
	const musicHz = 450
	b, ctx := featureBox(t, 60*time.Second, func(c *store.Config) {
		c.MOHClasses = []store.MOHClass{{Name: "radio", Port: "fxo:2"}}
		c.Features.MusicOnHold = "radio"
	})
	music := b.Sim().Line(2)
	music.Talk(sim.Sine(musicHz, toneDBm0))

	line, ph1 := telcoCall(ctx, t, b)
	if err := ph1.FlashFor(longFlash); err != nil {
		t.Fatal(err)
	}
	if err := music.WaitSeized(ctx); err != nil {
		t.Fatalf("the music line was not seized for the held caller: %v", err)
	}
	if err := music.Answer(); err != nil {
		t.Fatal(err)
	}
	waitHears(t, "the held caller hears the live music", lineEar(line), musicHz, 5*time.Second)
	if err := ph1.FlashFor(longFlash); err != nil {
		t.Fatal(err)
	}
	waitHears(t, "101 back with the caller", phoneEar(ph1), callerHz, 15*time.Second)
	if err := music.WaitReleased(ctx); err != nil {
		t.Fatalf("the music line stays seized with nobody on hold: %v", err)
	}
	ph1.OnHook()
	r := lineRecord(ctx, t, b, line, func(r store.CallRecord) bool { return findStep(r, "held", "", "", "") })
	if !findStep(r, "held", "fxo:1", "", "101") || !findStep(r, "resumed", "fxo:1", "", "") {
		t.Errorf("hold record: path %s", pathString(r))
	}
}
