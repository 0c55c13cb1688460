package telephony

import (
	"sync"
	"time"

	"minipbx/dsp/fax/faxfile"
	"minipbx/dsp/fax/t30"
	"minipbx/telephony/channel"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/media"
	"minipbx/telephony/store"
)

// The box as a fax machine (issue 17): a call that reaches fax:NAME is
// answered and its audio runs through a T.30 receiver (dsp/fax/t30); the
// pages are kept as PDF and TIFF (telephony/faxstore), named in the call
// record, and mailed where the receiver has an address.
//
// The receiver runs on the clock of the caller's audio: each frame the
// caller's leg delivers (an FXO port's board clock, a SIP leg's packets,
// a lost one as silence once the leg is in voice-band data mode:
// channel.VoiceBandData) goes through it at once, so the modems hear the
// sender's signal as steady as it came. What it sends back waits in a
// small queue for the bridge's clock, which plays it to the caller. Were
// the receiver run on the bridge's clock instead, the drift and jitter
// between the two clocks of a busy box would cut holes in the pages.

// faxBufferFrames is how many frames of the receiver's answer the queue
// holds before it starts playing: 60 ms against the jitter between the
// two clocks. T.30's timing has room for far more delay than this.
const faxBufferFrames = 3

// faxMaxFrames bounds the answer queue; a fuller queue (the bridge's
// clock fell behind) loses its oldest frame.
const faxMaxFrames = 16

// faxIdleTicks: when the caller's leg delivers nothing for this many of
// the bridge's frames (a second: a SIP peer that stopped sending), the
// bridge's clock runs the receiver on silence, so that its timers still
// end a call that went quiet. Far longer than any stall of a busy box's
// clocks, whose late frames would otherwise follow the silence.
const faxIdleTicks = 50

// faxTerminal joins a t30.Receiver to a leg's media: WriteFrame (the
// leg's receiving clock) runs the receiver, source (the bridge's clock)
// plays its answer. Nothing allocates per frame.
type faxTerminal struct {
	mu      sync.Mutex
	rx      *t30.Receiver
	q       [faxMaxFrames][media.FrameSamples]int16
	head, n int
	started bool
	idle    int // bridge frames since the last frame from the caller
	out     [media.FrameSamples]int16
	silence [media.FrameSamples]int16
	// underruns counts answer frames the bridge played as silence;
	// dropped answer frames the queue overflowed; idleFrames frames of
	// silence the receiver heard because the caller's leg sent nothing.
	underruns, dropped, idleFrames int
}

// WriteFrame implements media.Sink: a frame from the caller runs the
// receiver.
func (t *faxTerminal) WriteFrame(f *media.Frame) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.idle = 0
	t.process(f.Linear()[:])
}

// process runs the receiver on one frame and queues its answer (t.mu
// held).
func (t *faxTerminal) process(in []int16) {
	if t.rx.Done() {
		return
	}
	t.rx.Process(in, t.out[:])
	if t.n == len(t.q) {
		t.head = (t.head + 1) % len(t.q)
		t.n--
		t.dropped++
	}
	t.q[(t.head+t.n)%len(t.q)] = t.out
	t.n++
}

// source is the bridge.Source that plays the receiver's answer; it ends
// once the receiver is done and its last answer played.
func (t *faxTerminal) source(out []int16) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle++; t.idle >= faxIdleTicks {
		t.idleFrames++
		t.process(t.silence[:])
	}
	if t.rx.Done() && t.n == 0 {
		return false
	}
	if !t.started && (t.n >= faxBufferFrames || t.rx.Done()) {
		t.started = true
	}
	if !t.started || t.n == 0 {
		if t.started {
			t.underruns++
		}
		clear(out)
		return true
	}
	// The bridge's clock fell behind: the delay is taken back on
	// silence (between the receiver's signals), never from a signal.
	for t.n > faxBufferFrames+1 && silent(&t.q[t.head]) {
		t.head = (t.head + 1) % len(t.q)
		t.n--
	}
	copy(out, t.q[t.head][:])
	t.head = (t.head + 1) % len(t.q)
	t.n--
	return true
}

func silent(f *[media.FrameSamples]int16) bool {
	for _, v := range f {
		if v != 0 {
			return false
		}
	}
	return true
}

// hangup tells the receiver the call ended.
func (t *faxTerminal) hangup() {
	t.mu.Lock()
	t.rx.Hangup()
	t.mu.Unlock()
}

// reachFax receives a fax for f from the router's party; the call ends
// with it.
func (r router) reachFax(f *store.FaxReceiver) (*leg, channel.Cause) {
	l := r.in
	if !r.answerIn() {
		r.log.Warn("fax: answer failed", "fax", f.Name)
		return nil, channel.CauseFailure
	}
	r.c.setState("fax")
	r.c.step("fax", l, "fax:"+f.Name, "")
	if vbd, ok := l.ch.(channel.VoiceBandData); ok {
		vbd.SetVoiceBandData("the box receives a fax")
	}
	id := f.StationID
	if id == "" {
		id = f.Number
	}
	start := r.x.now()
	log := r.log.With("fax", f.Name)
	t := &faxTerminal{rx: t30.NewReceiver(t30.Options{LocalID: id, OnEvent: func(e t30.Event) {
		switch e.Kind {
		case t30.EvPage:
			log.Info("fax: page received", "page", e.Page, "ok", e.OK, "bad_lines", e.BadLines)
		case t30.EvPageStart:
			log.Debug("fax: page starts", "page", e.Page, "rate", e.Rate.String())
		case t30.EvFrameRx, t30.EvFrameTx:
			log.Debug("fax: "+e.Name, "sent", e.Kind == t30.EvFrameTx, "at", e.At)
		case t30.EvTraining:
			log.Debug("fax: training", "ok", e.OK, "at", e.At)
		}
	}})}
	br := r.solo(l)
	if err := br.Listen(l.info.ID, t); err != nil {
		log.Warn("fax: cannot listen to the caller", "err", err)
		return nil, channel.CauseFailure
	}
	defer func() { _ = br.Listen(l.info.ID, nil) }()
	pb := r.playTo(l, t.source)
	if pb != nil {
		k := r.keypad(l)
		for {
			_, why, ok := k.event(nil, pb.Done())
			if !ok || why == doneFired {
				break
			}
		}
		pb.Stop()
	}
	t.hangup() // a no-op once the receiver is done
	t.mu.Lock()
	res := *t.rx.Result()
	underruns, dropped, idle := t.underruns, t.dropped, t.idleFrames
	t.mu.Unlock()
	out := r.keepFax(f, res, start)
	log.Info("fax: "+out.Result, "pages", out.Pages, "rate", res.Rate.String(), "ecm", res.ECM, "cause", out.Cause,
		"remote_id", res.RemoteID, "answer_underruns", underruns, "answer_dropped", dropped, "idle_frames", idle, "id", out.ID)
	r.c.set(func(c *call) { c.fax = &out })
	return nil, channel.CauseNormal
}

// keepFax stores what the receiver got and says what the call record
// will: the fax's ID, pages, speed and result.
func (r router) keepFax(f *store.FaxReceiver, res t30.Result, start time.Time) store.FaxOutcome {
	out := store.FaxOutcome{Receiver: f.Name, Pages: len(res.Pages), Cause: res.Cause, ECM: res.ECM, RemoteID: res.RemoteID}
	if res.Rate.Bps > 0 {
		out.Bps, out.Modem = res.Rate.Bps, res.Rate.String()
	}
	switch {
	case res.Outcome == t30.Success:
		out.Result = store.FaxReceived
	case len(res.Pages) > 0:
		out.Result = store.FaxPartial
	default:
		out.Result = store.FaxFailed
	}
	if len(res.Pages) == 0 || r.x.faxes == nil {
		return out
	}
	pages := make([]faxfile.Page, len(res.Pages))
	for i, p := range res.Pages {
		pages[i] = faxfile.Page{Image: p.Image, XRes: p.XRes, YRes: p.YRes}
	}
	r.c.mu.Lock()
	caller := r.c.caller
	r.c.mu.Unlock()
	kept, err := r.x.faxes.Save(faxstore.Fax{Received: start, Receiver: f.Name, Caller: caller.Number, CallerName: caller.Name,
		RemoteID: res.RemoteID, Complete: res.Outcome == t30.Success, Cause: res.Cause, Bps: out.Bps, Modem: out.Modem, ECM: res.ECM}, pages)
	if err != nil {
		r.log.Error("fax: not kept", "fax", f.Name, "err", err)
		out.Cause = "not kept: " + err.Error()
		return out
	}
	out.ID = kept.ID
	if r.x.onFax != nil {
		r.x.onFax(*f, kept)
	}
	return out
}
