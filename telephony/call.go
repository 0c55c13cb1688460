package telephony

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// firstDigitTimeout is how long an analog phone may hear dial tone before
// the exchange gives up on it (permanent signal) and plays congestion.
const firstDigitTimeout = 15 * time.Second

// call is one call in progress: an inbound leg and, once answered, the
// outbound leg it is bridged to.
type call struct {
	id      string
	in      channel.Channel
	inInfo  channel.Info
	started time.Time

	mu          sync.Mutex
	caller      channel.CallerID
	callee      string
	state       string // dialling, ringing, answered
	out         channel.Channel
	outInfo     channel.Info
	answered    time.Time
	disposition string
}

func (c *call) set(f func(c *call)) {
	c.mu.Lock()
	f(c)
	c.mu.Unlock()
}

func (c *call) status() CallStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := CallStatus{ID: c.id, Caller: c.caller, Callee: c.callee, From: legName(c.inInfo),
		State: c.state, Started: c.started, Answered: c.answered}
	if c.out != nil {
		s.To = legName(c.outInfo)
	}
	return s
}

// legName is how a channel appears in status pages and call records:
// "sip:101", "fxs:1", "fxo:2".
func legName(i channel.Info) string {
	if i.Endpoint == "" {
		return string(i.Kind)
	}
	if strings.HasPrefix(i.Endpoint, string(i.Kind)+":") {
		return i.Endpoint
	}
	return string(i.Kind) + ":" + i.Endpoint
}

// runCall is the script of one call, from the inbound leg's arrival to its
// call record.
func (x *Exchange) runCall(ctx context.Context, in channel.Channel) {
	c := x.newCall(in)
	defer x.endCall(c)
	cfg := x.config()
	log := x.log.With("call", c.id, "from", legName(c.inInfo))

	var callerExt *store.Extension
	var number string
	switch c.inInfo.Kind {
	case channel.SIP:
		if e, ok := findExtension(cfg, c.inInfo.Caller.Number); ok {
			callerExt = &e
			c.set(func(c *call) { c.caller = channel.CallerID{Number: e.Number, Name: e.Name} })
		}
		number = c.inInfo.Dialled
	case channel.FXS:
		port, _ := portNumber(c.inInfo.Endpoint)
		if e, ok := extensionForFXS(cfg, port); ok {
			callerExt = &e
			c.set(func(c *call) { c.caller = channel.CallerID{Number: e.Number, Name: e.Name} })
		}
		var ok bool
		number, ok = x.collectDigits(ctx, c, cfg)
		if !ok {
			return
		}
	case channel.FXO:
		port, _ := portNumber(c.inInfo.Endpoint)
		number = fxoDestination(cfg, port)
		if number == "" {
			log.Warn("call on an FXO line with no destination", "port", port)
			c.hangupIn(channel.CauseUnavailable)
			return
		}
	default:
		number = c.inInfo.Dialled
	}
	c.set(func(c *call) { c.callee = number })
	x.publish("call")

	dest, cause, err := route(cfg, callerExt, number)
	if err != nil {
		log.Info("call not routed", "number", number, "cause", cause, "err", err)
		c.hangupIn(cause)
		return
	}
	out, cause := x.dial(ctx, c, cfg, dest)
	if out == nil {
		c.hangupIn(cause)
		return
	}
	x.talk(ctx, c, out)
}

// hangupIn ends the inbound leg before answer with cause and records it.
func (c *call) hangupIn(cause channel.Cause) {
	c.set(func(c *call) {
		if c.disposition == "" {
			c.disposition = disposition(cause)
		}
	})
	_ = c.in.Hangup(cause)
}

// collectDigits gathers the number an analog phone dials, deciding by the
// numbering plan when it is complete. It reports false when the caller hung
// up or gave up.
func (x *Exchange) collectDigits(ctx context.Context, c *call, cfg *store.Config) (string, bool) {
	interDigit := time.Duration(cfg.System.InterDigitTimeoutMS) * time.Millisecond
	if interDigit <= 0 {
		interDigit = 4 * time.Second
	}
	timer := time.NewTimer(firstDigitTimeout)
	defer timer.Stop()
	var digits []byte
	for {
		select {
		case <-ctx.Done():
			c.hangupIn(channel.CauseNormal)
			return "", false
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				c.set(func(c *call) { c.disposition = "abandoned" })
				return "", false
			}
			if ev.Type != channel.EventDigit {
				continue
			}
			if ev.Digit == '#' && len(digits) > 0 {
				return string(digits), true
			}
			digits = append(digits, ev.Digit)
			c.set(func(c *call) { c.callee = string(digits) })
			switch classify(cfg, string(digits)) {
			case dialComplete:
				return string(digits), true
			case dialInvalid:
				c.set(func(c *call) { c.disposition = disposition(channel.CauseNotFound) })
				_ = c.in.Hangup(channel.CauseNotFound)
				return "", false
			}
			timer.Reset(interDigit)
		case <-timer.C:
			if len(digits) > 0 && classify(cfg, string(digits)) == dialOpenEnded {
				return string(digits), true
			}
			c.set(func(c *call) {
				c.disposition = "abandoned"
				if len(digits) > 0 {
					c.disposition = disposition(channel.CauseNotFound)
				}
			})
			_ = c.in.Hangup(channel.CauseCongestion)
			return "", false
		}
	}
}

// legEvent is an event of one of a call's outbound legs.
type legEvent struct {
	leg int
	ev  channel.Event
}

// dial rings every channel the destination stands for at once and returns
// the one that answers, or nil and the cause to give the caller.
func (x *Exchange) dial(ctx context.Context, c *call, cfg *store.Config, dest Destination) (channel.Channel, channel.Cause) {
	c.set(func(c *call) { c.state = "dialling" })
	caller := c.caller
	if caller.Number == "" {
		caller = c.inInfo.Caller
	}
	type target struct {
		d      channel.Dialer
		target string
	}
	var targets []target
	timeout := time.Duration(cfg.System.NoAnswerTimeoutS) * time.Second
	switch dest.Kind {
	case DestExtension:
		e := dest.Extension
		if e.FXSPort > 0 {
			if c.inInfo.Kind == channel.FXS && c.inInfo.Endpoint == "fxs:"+strconv.Itoa(e.FXSPort) {
				// The phone calling its own extension: its port is busy.
			} else {
				targets = append(targets, target{x.analogDialer, "fxs:" + strconv.Itoa(e.FXSPort)})
			}
		}
		targets = append(targets, target{x.sipDialer, e.Number})
	case DestOutside:
		targets = append(targets, target{x.analogDialer, "fxo:" + dest.Digits})
		timeout = 0 // an outside line has no answer supervision to wait for
	}

	events := make(chan legEvent, 16)
	var legs []channel.Channel
	var pumps sync.WaitGroup
	best := channel.CauseUnavailable
	for _, t := range targets {
		if t.d == nil {
			continue
		}
		leg, err := t.d.Dial(ctx, channel.Request{Target: t.target, Caller: caller, Timeout: timeout})
		if err != nil {
			var de *channel.DialError
			if errors.As(err, &de) {
				best = betterCause(best, de.Cause)
			} else {
				best = betterCause(best, channel.CauseFailure)
			}
			x.log.Debug("dial failed", "call", c.id, "target", t.target, "err", err)
			continue
		}
		i := len(legs)
		legs = append(legs, leg)
		pumps.Add(1)
		go func() {
			defer pumps.Done()
			for ev := range leg.Events() {
				select {
				case events <- legEvent{i, ev}:
				case <-ctx.Done():
					// the call is over; drain so the leg can close.
				}
			}
		}()
	}
	if len(legs) == 0 {
		return nil, best
	}

	var noAnswer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		noAnswer = t.C
	}
	live := len(legs)
	ended := make([]bool, len(legs))
	hangupAll := func(cause channel.Cause, except int) {
		for i, l := range legs {
			if i != except && !ended[i] {
				_ = l.Hangup(cause)
			}
		}
	}
	// drain waits for the losing legs to close so their pumps end.
	drain := func() {
		go func() {
			for range events {
			}
		}()
		go func() { pumps.Wait(); close(events) }()
	}
	progressed := false
	for {
		select {
		case <-ctx.Done():
			hangupAll(channel.CauseCancelled, -1)
			drain()
			return nil, channel.CauseNormal
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				hangupAll(channel.CauseCancelled, -1)
				drain()
				c.set(func(c *call) { c.disposition = disposition(channel.CauseCancelled) })
				return nil, channel.CauseCancelled
			}
		case <-noAnswer:
			hangupAll(channel.CauseNoAnswer, -1)
			drain()
			return nil, channel.CauseNoAnswer
		case le := <-events:
			switch le.ev.Type {
			case channel.EventProgress:
				if !progressed {
					progressed = true
					c.set(func(c *call) { c.state = "ringing" })
					_ = c.in.Progress()
					x.publish("call")
				}
			case channel.EventAnswer:
				hangupAll(channel.CauseCancelled, le.leg)
				// the winner's pump keeps running; talk reads its events
				// through the same channel.
				return &answeredLeg{Channel: legs[le.leg], events: events, leg: le.leg, pumps: &pumps}, 0
			case channel.EventHangup:
				if !ended[le.leg] {
					ended[le.leg] = true
					live--
					best = betterCause(best, le.ev.Cause)
				}
				if live == 0 {
					drain()
					return nil, best
				}
			}
		}
	}
}

// answeredLeg is the leg that won a dial, whose events still flow through
// the dial's shared event channel (shared with losing legs that are ending).
type answeredLeg struct {
	channel.Channel
	events chan legEvent
	leg    int
	pumps  *sync.WaitGroup
}

// betterCause picks the cause a caller should hear when several legs fail:
// busy beats no answer beats unavailable beats not found beats the rest.
func betterCause(a, b channel.Cause) channel.Cause {
	rank := func(c channel.Cause) int {
		switch c {
		case channel.CauseBusy:
			return 6
		case channel.CauseRejected:
			return 5
		case channel.CauseNoAnswer:
			return 4
		case channel.CauseCongestion:
			return 3
		case channel.CauseUnavailable:
			return 2
		case channel.CauseNotFound:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// talk answers the caller, bridges the two legs and waits for one side to
// hang up.
func (x *Exchange) talk(ctx context.Context, c *call, out channel.Channel) {
	al := out.(*answeredLeg)
	defer func() {
		go func() {
			for range al.events {
			}
		}()
		go func() { al.pumps.Wait(); close(al.events) }()
	}()
	c.set(func(c *call) {
		c.out, c.outInfo = al.Channel, al.Channel.Info()
		c.state, c.answered, c.disposition = "answered", x.now(), "answered"
	})
	// Connect the media before answering so no first word is lost.
	inM, outM := c.in.Media(), al.Channel.Media()
	inM.SetSink(outM)
	outM.SetSink(inM)
	defer func() {
		inM.SetSink(nil)
		outM.SetSink(nil)
	}()
	if err := c.in.Answer(ctx); err != nil {
		x.log.Warn("answer failed", "call", c.id, "err", err)
		_ = al.Channel.Hangup(channel.CauseFailure)
		_ = c.in.Hangup(channel.CauseFailure)
		c.set(func(c *call) { c.disposition = "failed" })
		return
	}
	x.publish("call")
	inDigitsInBand := c.inInfo.Kind != channel.SIP
	outDigitsInBand := c.outInfo.Kind != channel.SIP
	for {
		select {
		case <-ctx.Done():
			_ = al.Channel.Hangup(channel.CauseNormal)
			_ = c.in.Hangup(channel.CauseNormal)
			return
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				_ = al.Channel.Hangup(channel.CauseNormal)
				return
			}
			// In-band DTMF already crosses in the audio; relay only digits
			// that came out of band (RFC 4733, SIP INFO).
			if ev.Type == channel.EventDigit && !inDigitsInBand {
				_ = al.Channel.SendDigit(ev.Digit)
			}
		case le := <-al.events:
			if le.leg != al.leg {
				continue // a losing leg finishing its hang-up
			}
			switch le.ev.Type {
			case channel.EventHangup:
				_ = c.in.Hangup(channel.CauseNormal)
				return
			case channel.EventDigit:
				if !outDigitsInBand {
					_ = c.in.SendDigit(le.ev.Digit)
				}
			}
		}
	}
}

// newCall registers a call for an inbound channel.
func (x *Exchange) newCall(in channel.Channel) *call {
	info := in.Info()
	x.mu.Lock()
	x.seq++
	c := &call{
		id:      fmt.Sprintf("c%d", x.seq),
		in:      in,
		inInfo:  info,
		started: x.now(),
		caller:  info.Caller,
		callee:  info.Dialled,
		state:   "dialling",
	}
	x.calls[c.id] = c
	x.mu.Unlock()
	x.publish("call")
	return c
}

// endCall makes sure both legs are down, writes the call record and
// forgets the call.
func (x *Exchange) endCall(c *call) {
	_ = c.in.Hangup(channel.CauseNormal)
	c.mu.Lock()
	if c.out != nil {
		_ = c.out.Hangup(channel.CauseNormal)
	}
	rec := store.CallRecord{
		Start:       c.started,
		Answer:      c.answered,
		End:         x.now(),
		Caller:      c.caller.Number,
		CallerName:  c.caller.Name,
		Callee:      c.callee,
		Source:      legName(c.inInfo),
		Disposition: c.disposition,
	}
	if c.out != nil {
		rec.Destination = legName(c.outInfo)
	}
	c.mu.Unlock()
	if rec.Caller == "" && c.inInfo.Caller.Withheld != "" {
		rec.Caller = c.inInfo.Caller.String()
	}
	if rec.Disposition == "" {
		rec.Disposition = "failed"
	}
	if !rec.Answer.IsZero() {
		rec.DurationS = int(rec.End.Sub(rec.Answer).Round(time.Second) / time.Second)
	}
	if _, err := x.store.AppendCallRecord(rec); err != nil {
		x.log.Error("call record not written", "call", c.id, "err", err)
	}
	x.mu.Lock()
	delete(x.calls, c.id)
	x.mu.Unlock()
	x.publish("call")
}

// disposition names a cause as call records do.
func disposition(c channel.Cause) string {
	switch c {
	case channel.CauseNormal:
		return "answered"
	case channel.CauseFailure:
		return "failed"
	}
	return c.String()
}

// portNumber parses the N of an endpoint "fxs:N" / "fxo:N".
func portNumber(endpoint string) (int, bool) {
	i := strings.LastIndexByte(endpoint, ':')
	n, err := strconv.Atoi(endpoint[i+1:])
	return n, err == nil
}

// fxoDestination is the number an incoming call on FXO port (1-based)
// reaches.
func fxoDestination(cfg *store.Config, port int) string {
	for _, l := range cfg.FXOLines {
		if l.Port == port {
			return l.Destination
		}
	}
	return ""
}
