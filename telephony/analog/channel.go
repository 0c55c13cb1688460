package analog

import (
	"sync/atomic"

	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// eventBuffer is the capacity of a channel's Events.
const eventBuffer = 64

// ErrStopped is returned by channel methods once the Manager stopped.
var ErrStopped = errors.New("analog: manager stopped")

// analogChannel is one call leg on an analog port. All its state changes
// happen on its port's signalling goroutine; its methods send that goroutine
// a request and wait for the answer.
type analogChannel struct {
	p      *port
	info   channel.Info
	events chan channel.Event
	ep     *endpoint

	// owned by the port goroutine
	ended    bool
	answered bool

	// vbd is set once the call's audio is in voice-band data mode.
	vbd atomic.Bool
}

func newChannel(p *port, dir string, caller channel.CallerID) *analogChannel {
	return &analogChannel{
		p: p,
		info: channel.Info{
			ID:        fmt.Sprintf("%s%d-%d", p.kindName(), p.num, p.m.seq.Add(1)),
			Kind:      p.channelKind(),
			Endpoint:  p.endpointName(),
			Direction: dir,
			Caller:    caller,
		},
		events: make(chan channel.Event, eventBuffer),
		ep:     newEndpoint(),
	}
}

func (c *analogChannel) Info() channel.Info           { return c.info }
func (c *analogChannel) Events() <-chan channel.Event { return c.events }
func (c *analogChannel) Media() media.Endpoint        { return c.ep }

// Progress plays ringback to an inbound FXS caller; on other legs it does
// nothing (an FXO line's caller hears the telco's own ringback).
func (c *analogChannel) Progress() error {
	return c.p.do(context.Background(), func() error { return c.p.progress(c) })
}

// Answer stops the inbound FXS caller's tones and connects the audio. FXO
// inbound channels are answered (the line seized) before the exchange sees
// them, and outbound channels are answered by their far end, so for them
// it does nothing.
func (c *analogChannel) Answer(ctx context.Context) error {
	return c.p.do(ctx, func() error { return c.p.answer(c) })
}

// SendDigit plays a DTMF digit to the analog line (100 ms tone, 100 ms
// pause: dsp.DTMFGenerator's defaults), mixed with the call's audio.
func (c *analogChannel) SendDigit(d byte) error {
	if !strings.ContainsRune("0123456789*#ABCD", rune(d)) {
		return fmt.Errorf("analog: %s: send digit %q: not a DTMF digit", c.info.ID, d)
	}
	return c.p.do(context.Background(), func() error {
		if c.ended {
			return fmt.Errorf("analog: %s: send digit: call ended", c.info.ID)
		}
		var err error
		c.p.audio.set(func(a *portAudio) { err = a.gen.Queue(string(d)) })
		return err
	})
}

// Hangup ends the leg (see the package documentation for what each port
// does). It is idempotent.
func (c *analogChannel) Hangup(cause channel.Cause) error {
	err := c.p.do(context.Background(), func() error { c.p.hangup(c, cause); return nil })
	if errors.Is(err, ErrStopped) {
		return nil // the manager ended every channel when it stopped
	}
	return err
}

// emit delivers an event without blocking the port goroutine. Only
// EventHangup must never be lost: if the buffer is full of events nobody
// read, the oldest is dropped to make room for it.
func (c *analogChannel) emit(t channel.EventType, digit byte, cause channel.Cause) {
	if c.ended {
		return
	}
	ev := channel.Event{Type: t, Digit: digit, Cause: cause, Time: time.Now()}
	select {
	case c.events <- ev:
		return
	default:
	}
	if t != channel.EventHangup {
		c.p.log.Warn("channel event dropped: nobody reads the channel", "channel", c.info.ID, "event", t.String())
		return
	}
	select {
	case old := <-c.events:
		c.p.log.Warn("channel event dropped to make room for hang-up", "channel", c.info.ID, "event", old.Type.String())
	default:
	}
	c.events <- ev
}

// end emits EventHangup, closes Events and detaches the media (on the port
// goroutine).
func (c *analogChannel) end(cause channel.Cause) {
	if c.ended {
		return
	}
	c.emit(channel.EventHangup, 0, cause)
	c.ended = true
	c.ep.closed.Store(true)
	close(c.events)
	c.p.log.Info("channel ended", "channel", c.info.ID, "cause", cause.String())
}
