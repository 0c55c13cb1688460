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
// The receiver runs on the clock of the caller's audio and answers on
// it: the fax terminal takes the caller's media endpoint over (the leg
// leaves its bridge), each frame the leg delivers (an FXO port's board
// clock, a SIP leg's packets, a lost one as silence once the leg is in
// voice-band data mode: channel.VoiceBandData) goes through the receiver
// at once, and its answer goes straight back to the leg: into the FXO
// port's jitter buffer, popped by the same board clock, or out as the
// SIP leg's next packet. No second clock sits in the path: the jitter
// and drift between a bridge's mixer and a busy box's port clock cut
// holes in the pages when the receiver ran on the mixer.

// faxIdle: when the caller's leg delivers nothing for this long (a SIP
// peer that stopped sending), the receiver runs on silence, so that its
// timers still end a call that went quiet.
const faxIdle = time.Second

// faxTerminal joins a t30.Receiver to a leg's media endpoint. Nothing
// allocates per frame.
type faxTerminal struct {
	mu   sync.Mutex
	rx   *t30.Receiver
	ep   media.Endpoint
	buf  [media.FrameSamples]int16
	out  media.Frame
	last time.Time // when the leg last delivered a frame
	done chan struct{}
	// stream and ts are the RTP stream and timestamp of the last frame.
	stream, ts uint32
	// idleFrames counts frames of silence the receiver heard because the
	// caller's leg sent nothing; lostFrames those put in for lost packets.
	idleFrames, lostFrames int
}

// WriteFrame implements media.Sink: a frame from the caller runs the
// receiver, and its answer goes back at once.
func (t *faxTerminal) WriteFrame(f *media.Frame) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = time.Now()
	// Frames of an RTP stream say where they belong: a packet lost
	// before this one (a gap of up to maxLossFill frames) is heard as
	// silence, so the modems keep their timing.
	if f.Stream != 0 && f.Stream == t.stream {
		gap := int32(f.TS-t.ts)/media.FrameSamples - 1
		if gap > 0 && gap <= maxLossFill {
			var silence [media.FrameSamples]int16
			for range gap {
				t.process(&silence)
				t.lostFrames++
			}
		}
	}
	t.stream, t.ts = f.Stream, f.TS
	t.process(f.Linear())
}

// maxLossFill bounds the silence put in for lost packets: 10 frames
// (200 ms); a longer gap is a pause of the sender, not loss.
const maxLossFill = 10

// process runs the receiver on one frame and sends its answer (t.mu
// held).
func (t *faxTerminal) process(in *[media.FrameSamples]int16) {
	if t.rx.Done() {
		return
	}
	t.rx.Process(in[:], t.buf[:])
	t.out.SetLinear(&t.buf)
	t.ep.WriteFrame(&t.out)
	if t.rx.Done() {
		close(t.done)
	}
}

// idle runs the receiver on silence for the time the leg has been quiet
// beyond faxIdle.
func (t *faxTerminal) idle(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var silence [media.FrameSamples]int16
	for now.Sub(t.last) >= faxIdle && !t.rx.Done() {
		t.process(&silence)
		t.idleFrames++
		t.last = t.last.Add(frameTime)
	}
}

// hangup tells the receiver the call ended.
func (t *faxTerminal) hangup() {
	t.mu.Lock()
	if !t.rx.Done() {
		t.rx.Hangup()
	}
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
	t.ep, t.last, t.done = l.media, time.Now(), make(chan struct{})
	// The terminal takes the leg's media over (see above).
	l.leaveBridge()
	l.media.SetSink(t)
	defer l.media.SetSink(nil)
	k := r.keypad(l)
	tick := time.NewTicker(faxIdle / 2)
	defer tick.Stop()
	for {
		_, why, ok := k.event(tick.C, t.done)
		if !ok || why == doneFired {
			break
		}
		if why == timedOut {
			t.idle(time.Now())
		}
	}
	t.hangup() // a no-op once the receiver is done
	t.mu.Lock()
	res := *t.rx.Result()
	idle, lost := t.idleFrames, t.lostFrames
	t.mu.Unlock()
	out := r.keepFax(f, res, start)
	log.Info("fax: "+out.Result, "pages", out.Pages, "rate", res.Rate.String(), "ecm", res.ECM, "cause", out.Cause,
		"remote_id", res.RemoteID, "idle_frames", idle, "lost_frames", lost, "id", out.ID)
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
