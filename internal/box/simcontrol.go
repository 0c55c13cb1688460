package box

import (
	"fmt"
	"time"

	"minipbx/board/sim"
	"minipbx/telephony/analog"
	"minipbx/telephony/channel"
)

// simControl lets the web UI and the API drive the simulated board's
// virtual phones and telco lines (telephony.SimControl).
type simControl struct{ b *sim.Board }

func (s simControl) phone(n int) (*sim.Phone, error) {
	if p := s.b.Phone(n); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("no simulated FXS port %d", n)
}

func (s simControl) line(n int) (*sim.Line, error) {
	if l := s.b.Line(n); l != nil {
		return l, nil
	}
	return nil, fmt.Errorf("no simulated FXO port %d", n)
}

func (s simControl) PhoneOffHook(n int) error {
	p, err := s.phone(n)
	if err != nil {
		return err
	}
	p.OffHook()
	return nil
}

func (s simControl) PhoneOnHook(n int) error {
	p, err := s.phone(n)
	if err != nil {
		return err
	}
	p.OnHook()
	return nil
}

func (s simControl) PhoneDial(n int, digits string, pulse bool) error {
	p, err := s.phone(n)
	if err != nil {
		return err
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		ok := c >= '0' && c <= '9' || !pulse && (c == '*' || c == '#' || c >= 'A' && c <= 'D')
		if !ok {
			if pulse {
				return fmt.Errorf("a rotary phone dials only 0-9, not %q", c)
			}
			return fmt.Errorf("DTMF digits are 0-9, *, # and A-D, not %q", c)
		}
	}
	if pulse {
		return p.DialPulse(digits)
	}
	return p.DialDTMF(digits)
}

func (s simControl) LineRing(n int, caller channel.CallerID) error {
	l, err := s.line(n)
	if err != nil {
		return err
	}
	msg := analog.CallerIDMessage(caller, time.Now())
	return l.Ring(msg)
}

func (s simControl) LineHangup(n int) error {
	l, err := s.line(n)
	if err != nil {
		return err
	}
	return l.Hangup(sim.HangupBusyTone)
}
