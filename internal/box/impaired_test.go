package box

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zaf/g711"

	"minipbx/board/sim"
	"minipbx/internal/audiotest"
	"minipbx/internal/siptest"
)

// The whole-box measurements of media over an impaired network: a SIP
// phone sends a probe tone whose RTP goes out through a lossy, jittery
// link (siptest.Impairment: loss, and a uniform 0..40 ms delay that makes
// packets overtake each other), to an analog phone (through the box's
// jitter buffer) or to another SIP phone (relayed). The far end's ear is
// matched frame by frame against what was sent: how much was lost or
// concealed, how late each frame came, and the tone's SNR per 100 ms.

// probeHz is the probe tone's frequency. At 1003 Hz the tone's phase steps
// 0.06 of a cycle per 20 ms frame and repeats exactly after 50 frames, so
// every frame of a second is different from the others: a frame heard can
// be told apart from its neighbours, and which one it was follows from
// when it was heard (any delay below a second).
const (
	probeHz     = 1003
	probePeriod = 50 // frames after which the probe repeats
	probePeak   = 8000
)

// probeFrame writes frame n of the probe tone.
func probeFrame(n int, out []int16) {
	for i := range out {
		k := (n*160 + i) % 8000 // the tone repeats every second
		out[i] = int16(math.Round(probePeak * math.Sin(2*math.Pi*probeHz*float64(k)/8000)))
	}
}

// probe is the sending side: it fills the phone's frames with the probe
// and remembers when each one went out (before any impairment).
type probe struct {
	mu   sync.Mutex
	sent []time.Time
	// payloads and heard map a frame's content (its μ-law payload, and
	// that payload decoded) to its place in the period.
	payloads map[[160]byte]int
	heard    map[[heardKey]int16]int
}

// heardKey is how many samples at the end of a frame identify it: the
// jitter buffer's concealment cross-fades into the start of the first
// frame after a loss (at most 10 ms), which is still that frame heard.
const heardKey = 64

func newProbe() *probe {
	p := &probe{payloads: map[[160]byte]int{}, heard: map[[heardKey]int16]int{}}
	var s [160]int16
	for k := range probePeriod {
		probeFrame(k, s[:])
		var b [160]byte
		var d [heardKey]int16
		for i, v := range s {
			b[i] = g711.EncodeUlawFrame(v)
			if j := i - (160 - heardKey); j >= 0 {
				d[j] = g711.DecodeUlawFrame(b[i])
			}
		}
		p.payloads[b] = k
		p.heard[d] = k
	}
	return p
}

// fill is the phone's signal (siptest.Call.Send).
func (p *probe) fill(out []int16) {
	p.mu.Lock()
	n := len(p.sent)
	p.sent = append(p.sent, time.Now())
	p.mu.Unlock()
	probeFrame(n, out)
}

// which finds the frame of place k in the period that was sent last before
// at; -1 when none was.
func (p *probe) which(k int, at time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.sent) - 1
	n -= ((n-k)%probePeriod + probePeriod) % probePeriod
	for ; n >= 0; n -= probePeriod {
		if !p.sent[n].After(at) {
			return n
		}
	}
	return -1
}

func (p *probe) sentAt(n int) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[n]
}

// mediaResult is what the far end got of the probe over a measurement.
type mediaResult struct {
	frames    int             // frames sent in the measured span
	missing   int             // of those, never heard (lost, too late, dropped)
	concealed int             // frames heard that were not the probe's (concealment, silence)
	reordered int             // (relayed) packets that arrived after a later one
	misplaced int             // (relayed) packets whose timestamp does not fit their content
	delay     []time.Duration // per frame heard: heard - sent
	blocks    []audiotest.Measurement
}

func (r mediaResult) lowBlocks(db float64) int {
	n := 0
	for _, b := range r.blocks {
		if b.SNR < db {
			n++
		}
	}
	return n
}

func (r mediaResult) medianSNR() float64 {
	s := make([]float64, len(r.blocks))
	for i, b := range r.blocks {
		s[i] = b.SNR
	}
	slices.Sort(s)
	if len(s) == 0 {
		return math.Inf(-1)
	}
	return s[len(s)/2]
}

func (r mediaResult) delayQ(q float64) time.Duration {
	if len(r.delay) == 0 {
		return 0
	}
	d := slices.Clone(r.delay)
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func (r mediaResult) String() string {
	return fmt.Sprintf("%d frames: %d missing (%.2f %%), %d concealed, %d reordered, %d misplaced; delay median %.1f ms, 99th %.1f ms, max %.1f ms; SNR median %.1f dB, %d of %d blocks below 20 dB",
		r.frames, r.missing, 100*float64(r.missing)/float64(max(r.frames, 1)), r.concealed, r.reordered, r.misplaced,
		ms(r.delayQ(0.5)), ms(r.delayQ(0.99)), ms(r.delayQ(1)), r.medianSNR(), r.lowBlocks(20), len(r.blocks))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// matchAnalog measures what the analog phone heard of the probe: each
// frame of its recording is matched to the frame sent.
func matchAnalog(p *probe, rec []int16, at []time.Time) mediaResult {
	var r mediaResult
	got := map[int]bool{}
	first, last := -1, -1
	var key [heardKey]int16
	for j := range at {
		if (j+1)*160 > len(rec) {
			break
		}
		copy(key[:], rec[(j+1)*160-heardKey:])
		k, ok := p.heard[key]
		n := -1
		if ok {
			n = p.which(k, at[j])
		}
		if n < 0 {
			r.concealed++
			continue
		}
		got[n] = true
		r.delay = append(r.delay, at[j].Sub(p.sentAt(n)))
		if first < 0 || n < first {
			first = n
		}
		last = max(last, n)
	}
	if first >= 0 {
		r.frames = last - first + 1
		for n := first; n <= last; n++ {
			if !got[n] {
				r.missing++
			}
		}
	}
	r.blocks = audiotest.Blocks(rec, probeHz, 800)
	return r
}

// matchRelayed measures what a SIP phone received of the probe relayed
// by the box: each packet is matched to the frame sent by its payload
// (relayed byte for byte), its timestamp checked against its place, and
// the audio laid out by timestamp as a phone's jitter buffer would play it.
func matchRelayed(p *probe, pkts []siptest.Packet) mediaResult {
	var r mediaResult
	payload := map[int][]byte{}
	first, last, newest := -1, -1, -1
	var tsRef uint32
	nRef := -1
	for _, pk := range pkts {
		if pk.PT != 0 || len(pk.Payload) != 160 {
			continue
		}
		k, ok := p.payloads[[160]byte(pk.Payload)]
		n := -1
		if ok {
			n = p.which(k, pk.At)
		}
		if n < 0 {
			r.concealed++
			continue
		}
		if payload[n] != nil {
			continue // a duplicate
		}
		r.delay = append(r.delay, pk.At.Sub(p.sentAt(n)))
		if n < newest {
			r.reordered++
		}
		newest = max(newest, n)
		if nRef < 0 {
			nRef, tsRef = n, pk.TS
		}
		if int(int32(pk.TS-tsRef)) != (n-nRef)*160 {
			r.misplaced++
			continue
		}
		payload[n] = pk.Payload
		if first < 0 || n < first {
			first = n
		}
		last = max(last, n)
	}
	if first < 0 {
		return r
	}
	r.frames = last - first + 1
	timeline := make([]int16, r.frames*160)
	for n := first; n <= last; n++ {
		pl := payload[n]
		if pl == nil {
			r.missing++
			continue
		}
		for i, b := range pl {
			timeline[(n-first)*160+i] = g711.DecodeUlawFrame(b)
		}
	}
	r.blocks = audiotest.Blocks(timeline, probeHz, 800)
	return r
}

// impaired sends the probe from a SIP phone's call through im; after a
// second of warming up, listen starts the far end's ear, and after d
// heard returns what it got.
func impaired(call *siptest.Call, im siptest.Impairment, d time.Duration, listen func(), heard func(*probe) mediaResult) mediaResult {
	p := newProbe()
	call.Impair(im)
	call.Send(p.fill)
	defer call.Send(nil)
	defer call.Impair(siptest.Impairment{})
	time.Sleep(time.Second)
	listen()
	time.Sleep(d)
	return heard(p)
}

// impairedToAnalog runs the probe from a SIP phone through im to the
// analog phone on FXS 1 for d.
func impairedToAnalog(call *siptest.Call, ph *sim.Phone, im siptest.Impairment, d time.Duration) mediaResult {
	return impaired(call, im, d, ph.Record, func(p *probe) mediaResult {
		rec := ph.StopRecording()
		return matchAnalog(p, rec, ph.RecordingTimes())
	})
}

// impairedToSIP runs the probe from one SIP phone through im to another
// through the box for d.
func impairedToSIP(from, to *siptest.Call, im siptest.Impairment, d time.Duration) mediaResult {
	return impaired(from, im, d, to.LogPackets, func(p *probe) mediaResult { return matchRelayed(p, to.Packets()) })
}

// callAnalogPhone calls extension 101 (FXS 1) from SIP phone a and
// answers.
func callAnalogPhone(t *testing.T, b *testBox, a *siptest.Phone) (*siptest.Call, *sim.Phone) {
	t.Helper()
	ph := b.Sim().Phone(1)
	ctx := tctx(t, 20*time.Second)
	answered := make(chan error, 1)
	go func() {
		err := ph.WaitRing(ctx)
		if err == nil {
			ph.OffHook()
		}
		answered <- err
	}()
	call, err := a.Dial(ctx, "101", 0) // PCMU: what the phone hears is then the payload decoded, bit for bit
	if err != nil {
		t.Fatalf("call to 101: %v", err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = call.Hangup(context.Background()); ph.OnHook() })
	return call, ph
}

// alice registers SIP extension 201 and returns its phone.
func (b *testBox) alice(t *testing.T) *siptest.Phone {
	return b.phone(t, "201", b.addSIPExtension(t, "201", "Alice", false))
}

// callSIPPhone calls extension 202 from 201, both SIP phones, and answers.
func callSIPPhone(t *testing.T, b *testBox) (caller, callee *siptest.Call) {
	t.Helper()
	a, c := b.alice(t), b.phone(t, "202", b.addSIPExtension(t, "202", "Bob", false))
	ctx := tctx(t, 20*time.Second)
	incoming := make(chan *siptest.Call, 1)
	go func() {
		in, err := c.Incoming(ctx)
		if err == nil && in.Answer() != nil {
			in = nil
		}
		incoming <- in
	}()
	call, err := a.Dial(ctx, "202", 0)
	if err != nil {
		t.Fatalf("call 201→202: %v", err)
	}
	in := <-incoming
	if in == nil {
		t.Fatal("202 did not answer")
	}
	t.Cleanup(func() { _ = call.Hangup(context.Background()) })
	return call, in
}

// jitter40 is the review's impaired network: every packet delayed by a
// uniform 0–40 ms, so about one packet in eight overtakes another.
var jitter40 = siptest.Impairment{Jitter: 40 * time.Millisecond, Seed: 1}

// TestReorderedRTPToAnalogPhone: 40 ms of jitter with reordering from a
// SIP phone reaches an analog phone as well as 1 % random loss would:
// reordered packets are put back in place by the jitter buffer, not
// dropped (dropping them lost 11–14 % of the audio). The box's leg must
// have used every packet that came after a later one and dropped none;
// what the phone hears may lose a few more frames than 1 % would when
// the test machine stalls the box (a busy 2-core machine lost 3–5 %), but
// never as many as dropping the reordered packets did.
func TestReorderedRTPToAnalogPhone(t *testing.T) {
	var tap legTap
	b := startBox(t, "", func(c *Config) { c.SIPTune = tap.wrap })
	call, ph := callAnalogPhone(t, b, b.alice(t))
	r := impairedToAnalog(call, ph, jitter40, 8*time.Second)
	t.Logf("SIP→analog, 40 ms jitter with reordering: %v", r)
	legs := tap.perLeg()
	if len(legs) != 1 {
		t.Fatalf("%d inbound SIP legs, want 1", len(legs))
	}
	if st := legs[0]; st.Reordered == 0 || st.Ignored > 0 {
		t.Errorf("the box's leg used %d packets that came after a later one and dropped %d: want some used, none dropped", st.Reordered, st.Ignored)
	}
	if lost := r.missing + r.concealed; lost > r.frames*8/100 {
		t.Errorf("%d of %d frames lost or concealed: reordered packets were dropped", lost, r.frames)
	}
	if r.frames < 350 {
		t.Errorf("only %d frames reached the phone in 8 s", r.frames)
	}
}

// TestReorderedRTPBetweenSIPPhones: with 40 ms of jitter and reordering
// on the caller's link, every packet is relayed (dropping those that came
// after a later one lost 12–13 % of them), each with the timestamp of its
// place, so the callee's jitter buffer can put it back in order.
func TestReorderedRTPBetweenSIPPhones(t *testing.T) {
	b := startBox(t, "")
	call, in := callSIPPhone(t, b)
	r := impairedToSIP(call, in, jitter40, 8*time.Second)
	t.Logf("SIP→SIP, 40 ms jitter with reordering: %v", r)
	if r.reordered == 0 {
		t.Error("no packet arrived out of order: the impairment did not reorder")
	}
	if r.missing > r.frames/200 || r.misplaced > 0 {
		t.Errorf("%d of %d packets not relayed, %d with a timestamp not of their place", r.missing, r.frames, r.misplaced)
	}
	if r.frames < 350 {
		t.Errorf("only %d frames relayed in 8 s", r.frames)
	}
}

// TestMediaFigures measures media through the box over a clean link, 1, 3
// and 5 % random loss, and 40 ms of jitter with reordering, to an analog
// phone and to a SIP phone: the README's figures. MEDIA_FIGURES=1 runs it
// (MEDIA_SECONDS sets each measurement's length, default 30).
func TestMediaFigures(t *testing.T) {
	if os.Getenv("MEDIA_FIGURES") == "" {
		t.Skip("MEDIA_FIGURES=1 measures the README's figures for impaired networks")
	}
	d := time.Duration(envInt(t, "MEDIA_SECONDS", 30)) * time.Second
	conds := []struct {
		name string
		im   siptest.Impairment
	}{
		{"clean", siptest.Impairment{}},
		{"1 % loss", siptest.Impairment{Loss: 0.01, Seed: 2}},
		{"3 % loss", siptest.Impairment{Loss: 0.03, Seed: 3}},
		{"5 % loss", siptest.Impairment{Loss: 0.05, Seed: 4}},
		{"40 ms jitter, reordering", jitter40},
	}
	t.Run("analog", func(t *testing.T) {
		b := startBox(t, "")
		a := b.alice(t)
		// The delay a clean network sees depends on where in the board's
		// 20 ms the packets land, which each call draws anew: measure it
		// over several calls.
		var clean mediaResult
		for i := range envInt(t, "MEDIA_CALLS", 10) {
			call, ph := callAnalogPhone(t, b, a)
			r := impairedToAnalog(call, ph, siptest.Impairment{}, d/5)
			t.Logf("SIP→analog, clean, call %d: %v", i+1, r)
			clean.frames += r.frames
			clean.missing += r.missing
			clean.concealed += r.concealed
			clean.delay = append(clean.delay, r.delay...)
			clean.blocks = append(clean.blocks, r.blocks...)
			if err := call.Hangup(context.Background()); err != nil {
				t.Fatal(err)
			}
			ph.OnHook()
			b.waitPortIdle(t, 0)
		}
		t.Logf("SIP→analog, clean, all calls: %v", clean)
		call, ph := callAnalogPhone(t, b, a)
		for _, c := range conds {
			r := impairedToAnalog(call, ph, c.im, d)
			t.Logf("SIP→analog, %s: %v", c.name, r)
		}
	})
	t.Run("sip", func(t *testing.T) {
		b := startBox(t, "")
		call, in := callSIPPhone(t, b)
		for _, c := range conds {
			r := impairedToSIP(call, in, c.im, d)
			t.Logf("SIP→SIP, %s: %v", c.name, r)
		}
	})
}
