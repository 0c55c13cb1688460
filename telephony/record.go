package telephony

import (
	"slices"
	"sync"
	"time"

	"minipbx/telephony/bridge"
	"minipbx/telephony/callrec"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// Call recording. One file per call (telephony/callrec), anchored on one
// party — the call's first, or whoever stays when that one leaves by a
// transfer — whose taps (leg.go: legMedia) give what it says and what it
// hears, wherever its media goes: the recording follows the call through
// transfers, pickup, park and conferences without knowing of bridges.
// A small clock of its own takes one frame of each side every 20 ms and
// writes them (two channels, or mixed), so the two sides stay in step
// whatever clocks they came on.
//
// Which calls are recorded is the configuration's (store.CallRecording,
// and the record fields of extension rules, queues and routes: recordMode).
// On demand, the on-demand code dialled during the call starts and stops
// it: from SIP phones (RFC 4733 keys, held back while they may still be
// the code, so the far end does not hear them) and analog ones.

// recordHoldBack is how long keys that may be the start of the on-demand
// code wait for the rest before they are relayed after all.
const recordHoldBack = 1500 * time.Millisecond

// recorder is a call's recording in progress.
type recorder struct {
	x      *Exchange
	w      *callrec.Writer
	stereo bool

	mu     sync.Mutex
	anchor *leg
	says   frameQueue
	hears  frameQueue

	stop chan struct{}
	done chan struct{}
}

// frameQueue holds the frames of one side for the recorder's clock; a
// fuller queue drops its oldest frame, a queue that stays deeper than two
// frames for a second loses one, so neither side drifts away.
type frameQueue struct {
	q       [4][media.FrameSamples]int16
	head, n int
	deep    int
}

func (fq *frameQueue) push(f *media.Frame) {
	if fq.n == len(fq.q) {
		fq.head = (fq.head + 1) % len(fq.q)
		fq.n--
	}
	fq.q[(fq.head+fq.n)%len(fq.q)] = *f.Linear()
	fq.n++
}

func (fq *frameQueue) pop(out *[media.FrameSamples]int16) {
	if fq.n > 2 {
		if fq.deep++; fq.deep >= 50 {
			fq.head = (fq.head + 1) % len(fq.q)
			fq.n--
			fq.deep = 0
		}
	} else {
		fq.deep = 0
	}
	if fq.n == 0 {
		clear(out[:])
		return
	}
	*out = fq.q[fq.head]
	fq.head = (fq.head + 1) % len(fq.q)
	fq.n--
}

// recordMode is how calls between a and b are recorded: the first of the
// extensions taking part, the queue, the inbound route and the box-wide
// mode that says anything ("always" from any extension wins).
func (r router) recordMode(a, b *leg) string {
	p, c := r.p, r.c
	var exts []string
	for _, l := range []*leg{a, b} {
		if l != nil && l.extension() != "" {
			if ru, ok := p.rules[l.extension()]; ok && ru.Record != "" {
				exts = append(exts, ru.Record)
			}
		}
	}
	for _, m := range []string{store.RecordAlways, store.RecordNever, store.RecordOnDemand} {
		if slices.Contains(exts, m) {
			return m
		}
	}
	c.mu.Lock()
	queue, route := c.queue, c.route
	c.mu.Unlock()
	if q, ok := p.queues[queue]; ok && q.Record != "" {
		return q.Record
	}
	for _, ir := range p.inbound {
		if ir.Name == route && ir.Record != "" {
			return ir.Record
		}
	}
	if m := p.cfg.Recording.Mode; m != "" {
		return m
	}
	return store.RecordNever
}

// recording starts or moves the call's recording for the pair a, b now
// talking: started when the mode is always, moved to the party that
// stayed when the recorded one left.
func (cv *conv) recording(a, b *leg) {
	r, c := cv.r, cv.r.c
	c.mu.Lock()
	rec := c.rec
	c.mu.Unlock()
	if rec != nil {
		rec.follow(a, b)
		return
	}
	if r.x.recs != nil && r.recordMode(a, b) == store.RecordAlways {
		cv.startRecording(a, b, "")
	}
}

// startRecording starts the call's recording, anchored on a, and says so
// to b when the configuration asks (by: who asked, for the record).
func (cv *conv) startRecording(a, b *leg, by string) bool {
	r, c, x := cv.r, cv.r.c, cv.r.x
	if x.recs == nil {
		return false
	}
	cfg := r.p.cfg.Recording
	c.mu.Lock()
	caller, callee := c.caller.Number, c.callee
	c.mu.Unlock()
	w, err := x.recs.Create(callrec.Recording{CallID: c.id, Caller: caller, Callee: callee, Stereo: cfg.Stereo, Start: x.now()})
	if err != nil {
		r.log.Warn("call not recorded", "err", err)
		return false
	}
	rec := &recorder{x: x, w: w, stereo: cfg.Stereo, stop: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	c.rec = rec
	c.mu.Unlock()
	if cfg.Announce {
		cv.announceRecording(b)
	}
	rec.follow(a, b)
	go rec.run()
	c.step("recording", a, w.ID(), by)
	r.log.Info("recording the call", "recording", w.ID(), "by", by)
	return true
}

// announceRecording tells l "This call is being recorded", in its
// extension's language (it does not hear the other party meanwhile).
func (cv *conv) announceRecording(l *leg) {
	r := cv.r
	s, err := r.x.prompts.Load(r.p.extLang(l.extension()), prompts.RecordingOn)
	if err != nil {
		r.log.Warn("recording announcement missing", "err", err)
		return
	}
	if br := l.bridge(); br != nil {
		_, _ = br.Play(l.info.ID, bridge.Source(samplesSource(s)))
	}
}

// stopRecording ends the call's recording (on demand, or at the call's
// end) and keeps it; the record names it.
func (c *call) stopRecording() {
	c.mu.Lock()
	rec := c.rec
	c.rec = nil
	c.mu.Unlock()
	if rec == nil {
		return
	}
	kept, err := rec.finish()
	if err != nil {
		c.log.Warn("recording not kept", "err", err)
		return
	}
	c.mu.Lock()
	c.recordings = append(c.recordings, kept.ID)
	c.mu.Unlock()
	c.log.Info("recording kept", "recording", kept.ID, "duration", kept.Duration)
}

// follow keeps the recording on the pair a, b: its anchor stays while it
// talks, else the recording moves to a (the party that stayed).
func (rec *recorder) follow(a, b *leg) {
	rec.mu.Lock()
	anchor := rec.anchor
	rec.mu.Unlock()
	if anchor != a && anchor != b {
		if anchor != nil {
			anchor.media.tap(nil, nil)
		}
		rec.mu.Lock()
		rec.anchor = a
		rec.mu.Unlock()
		a.media.tap(media.SinkFunc(func(f *media.Frame) {
			rec.mu.Lock()
			rec.says.push(f)
			rec.mu.Unlock()
		}), media.SinkFunc(func(f *media.Frame) {
			rec.mu.Lock()
			rec.hears.push(f)
			rec.mu.Unlock()
		}))
	}
	for _, l := range []*leg{a, b} {
		if l != nil {
			rec.w.AddParty(l.name, l.extension())
		}
	}
}

// run is the recording's clock: one frame of each side every 20 ms on an
// absolute schedule, until stop.
func (rec *recorder) run() {
	defer close(rec.done)
	var says, hears [media.FrameSamples]int16
	next := time.Now()
	t := time.NewTimer(frameTime)
	defer t.Stop()
	for {
		select {
		case <-rec.stop:
			return
		case <-t.C:
		}
		rec.mu.Lock()
		rec.says.pop(&says)
		rec.hears.pop(&hears)
		rec.mu.Unlock()
		if err := rec.w.Write(says[:], hears[:]); err != nil {
			return // a full disk: what was written is kept at finish
		}
		next = next.Add(frameTime)
		d := time.Until(next)
		if d < -5*frameTime {
			next = time.Now()
			d = 0
		}
		t.Reset(max(d, 0))
	}
}

// finish stops the recording and keeps it.
func (rec *recorder) finish() (callrec.Recording, error) {
	rec.mu.Lock()
	anchor := rec.anchor
	rec.anchor = nil
	rec.mu.Unlock()
	if anchor != nil {
		anchor.media.tap(nil, nil)
	}
	close(rec.stop)
	<-rec.done
	return rec.w.Commit()
}

// onDemand is the state of the on-demand code's keys during a
// conversation: keys of a leg held back while they may still be the code.
type onDemand struct {
	held map[*leg][]byte
	gen  map[*leg]int
}

// ctlKeysDue tells a conversation that keys it held back for l waited
// long enough: they are relayed after all.
type ctlKeysDue struct {
	l   *leg
	gen int
}

// digit handles a key of leg l (talking to o) in a conversation: the
// on-demand recording code, where it applies, and otherwise the relay of
// keys that came out of band. It reports whether the key was the code's.
func (cv *conv) digit(l, o *leg, d byte) {
	r := cv.r
	code := r.p.cfg.Recording.OnDemandCode
	if code == "" {
		code = store.DefaultOnDemandCode
	}
	inBand := l.info.Kind != channel.SIP
	relay := func(keys []byte) {
		if inBand || cv.held[o] != nil {
			return // analog keys crossed in the audio already
		}
		for _, k := range keys {
			_ = o.ch.SendDigit(k)
		}
	}
	eligible := r.x.recs != nil && l.extension() != "" && r.recordMode(l, o) == store.RecordOnDemand
	if !eligible {
		relay([]byte{d})
		return
	}
	if cv.od.held == nil {
		cv.od.held, cv.od.gen = map[*leg][]byte{}, map[*leg]int{}
	}
	keys := append(cv.od.held[l], d)
	switch {
	case string(keys) == code:
		delete(cv.od.held, l)
		cv.od.gen[l]++
		cv.toggleRecording(l, o)
	case len(keys) < len(code) && code[:len(keys)] == string(keys):
		cv.od.held[l] = keys
		cv.od.gen[l]++
		gen, c := cv.od.gen[l], r.c
		time.AfterFunc(recordHoldBack, func() { c.box.post(msg{ctl: &ctlKeysDue{l: l, gen: gen}}) })
	default:
		delete(cv.od.held, l)
		cv.od.gen[l]++
		relay(keys)
	}
}

// keysDue relays held keys whose time ran out.
func (cv *conv) keysDue(k *ctlKeysDue, a, b *leg) {
	if k.gen != cv.od.gen[k.l] || (k.l != a && k.l != b) {
		return
	}
	keys := cv.od.held[k.l]
	delete(cv.od.held, k.l)
	o := other(k.l, a, b)
	if k.l.info.Kind == channel.SIP && cv.held[o] == nil {
		for _, d := range keys {
			_ = o.ch.SendDigit(d)
		}
	}
}

// toggleRecording starts or stops the recording on demand of phone l
// (talking to o); l hears one beep when it starts, two when it stops.
func (cv *conv) toggleRecording(l, o *leg) {
	c := cv.r.c
	c.mu.Lock()
	recording := c.rec != nil
	c.mu.Unlock()
	if recording {
		c.step("recording-stopped", l, "", l.partyName())
		c.stopRecording()
		cv.beep(l, "1400/120,0/80", 400*time.Millisecond)
		return
	}
	a, b := c.first, o
	if a.isEnded() || (a != l && a != o) {
		a = l
	}
	if a == o {
		b = l
	}
	if cv.startRecording(a, b, l.partyName()) {
		cv.beep(l, "1400/200,0/200", 200*time.Millisecond)
	}
}

// beep plays a short tone (a dsp tone spec) of d to l.
func (cv *conv) beep(l *leg, spec string, d time.Duration) {
	src, err := toneSource(spec, d)
	if err != nil {
		return
	}
	if br := l.bridge(); br != nil {
		_, _ = br.Play(l.info.ID, bridge.Source(src))
	}
}
