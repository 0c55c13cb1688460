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
// The receiver runs on the bridge's clock: the playback's source takes
// the frame the caller's leg delivered last (a fixed buffer of two
// frames, silence for a frame that never came) and gives what the
// receiver sends back. A modem must hear a steady 8 kHz stream, whatever
// the arrival of RTP packets; the caller's leg is put in voice-band data
// mode first (channel.VoiceBandData).

// faxBufferFrames is the depth of the fixed buffer between the caller's
// frames and the receiver's clock: three 20 ms frames absorb the jitter
// of a LAN and of two clocks in one busy process (the leg's and the
// bridge's); a frame that has not come by then counts as lost. T.30's
// timing has room for far more delay than this.
const faxBufferFrames = 3

// faxMaxFrames bounds the buffer; a fuller queue (a burst) loses its
// oldest frame, and one that stays deeper than faxBufferFrames+2 for a
// second (clocks drifting apart) loses one frame.
const faxMaxFrames = 16

// faxTerminal joins a t30.Receiver to a leg's media: WriteFrame (the
// leg's receiving clock) queues frames, source (the bridge's clock)
// runs the receiver. Nothing allocates per frame.
type faxTerminal struct {
	mu      sync.Mutex
	rx      *t30.Receiver
	q       [faxMaxFrames][media.FrameSamples]int16
	head, n int
	deep    int // frames in a row the queue ran deep
	started bool
	in      [media.FrameSamples]int16
	// lost counts frames the receiver heard as silence (underruns);
	// dropped frames the queue overflowed.
	lost, dropped int
}

// WriteFrame implements media.Sink: a frame from the caller.
func (t *faxTerminal) WriteFrame(f *media.Frame) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == len(t.q) {
		t.head = (t.head + 1) % len(t.q)
		t.n--
		t.dropped++
	}
	t.q[(t.head+t.n)%len(t.q)] = *f.Linear()
	t.n++
}

// source is the bridge.Source that runs the receiver one frame; it ends
// when the receiver is done.
func (t *faxTerminal) source(out []int16) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rx.Done() {
		return false
	}
	if !t.started && t.n >= faxBufferFrames {
		t.started = true
	}
	if t.n > faxBufferFrames+2 {
		if t.deep++; t.deep >= 50 {
			t.head = (t.head + 1) % len(t.q)
			t.n--
			t.dropped++
			t.deep = 0
		}
	} else {
		t.deep = 0
	}
	switch {
	case t.started && t.n > 0:
		t.in = t.q[t.head]
		t.head = (t.head + 1) % len(t.q)
		t.n--
	default:
		if t.started {
			t.lost++
		}
		clear(t.in[:])
	}
	t.rx.Process(t.in[:], out)
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
	lost, dropped := t.lost, t.dropped
	t.mu.Unlock()
	out := r.keepFax(f, res, start)
	log.Info("fax: "+out.Result, "pages", out.Pages, "rate", res.Rate.String(), "ecm", res.ECM, "cause", out.Cause,
		"remote_id", res.RemoteID, "lost_frames", lost, "dropped_frames", dropped, "id", out.ID)
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
