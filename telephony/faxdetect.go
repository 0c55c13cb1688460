package telephony

import (
	"sync"

	"minipbx/dsp"
	"minipbx/telephony/bridge"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// Automatic fax detection (issue 17): while a voice menu or an
// announcement answers a call of an inbound route with fax_detect, a
// call-progress detector listens to the caller; when it hears a calling
// fax machine's CNG (1100 Hz, 0.5 s) the menu or announcement stops and
// the call goes to the route's fax destination.

// ctlFaxHeard tells the call's goroutine that CNG was heard.
type ctlFaxHeard struct{}

// faxWatch listens to the caller for CNG.
type faxWatch struct {
	r  router
	br *bridge.Bridge
	to dest

	mu    sync.Mutex
	det   *dsp.ProgressDetector
	heard bool
}

// watchFax starts listening to the router's caller for CNG when its
// call came by an inbound route with fax_detect, and makes k stop when
// it is heard; nil otherwise.
func (r router) watchFax(k *keypad) *faxWatch {
	r.c.mu.Lock()
	route := r.c.route
	r.c.mu.Unlock()
	var to dest
	for _, ir := range r.p.inbound {
		if ir.Name == route {
			to = ir.faxDetect
		}
	}
	if to.Kind == "" || r.in.isEnded() {
		return nil
	}
	zone, err := dsp.LookupZone(r.p.cfg.System.ToneZone)
	if err != nil {
		return nil
	}
	w := &faxWatch{r: r, br: r.solo(r.in), to: to, det: dsp.NewProgressDetector(zone)}
	if err := w.br.Listen(r.in.info.ID, w); err != nil {
		r.log.Warn("fax detection: cannot listen to the caller", "err", err)
		return nil
	}
	prev := k.other
	k.other = func(m msg) bool {
		if _, ok := m.ctl.(*ctlFaxHeard); ok {
			return false
		}
		return prev == nil || prev(m)
	}
	return w
}

// WriteFrame implements media.Sink: the caller's audio, on its clock.
func (w *faxWatch) WriteFrame(f *media.Frame) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.heard {
		return
	}
	for _, ev := range w.det.Process(f.Linear()[:]) {
		if ev.Tone == dsp.ToneFaxCNG {
			w.heard = true
			w.r.c.box.post(msg{ctl: &ctlFaxHeard{}})
			return
		}
	}
}

// stop stops listening. Safe on nil.
func (w *faxWatch) stop() {
	if w != nil {
		_ = w.br.Listen(w.r.in.info.ID, nil)
	}
}

// divert reports whether CNG was heard and, if so, sends the call to
// the fax destination. Safe on nil.
func (w *faxWatch) divert() (*leg, channel.Cause, bool) {
	if w == nil {
		return nil, 0, false
	}
	w.stop()
	w.mu.Lock()
	heard := w.heard
	w.mu.Unlock()
	if !heard || w.r.in.isEnded() {
		return nil, 0, false
	}
	w.r.log.Info("fax detected: CNG heard", "to", w.to.String())
	w.r.c.step("fax-detected", w.r.in, w.to.String(), "")
	l, cause := w.r.next().reach(w.to)
	return l, cause, true
}
