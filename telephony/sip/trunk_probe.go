package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TrunkProbe is the outcome of a test registration (ProbeTrunk).
type TrunkProbe struct {
	// Registered: the provider accepted the registration.
	Registered bool
	// Answer is the provider's final answer ("200 OK", "403 Forbidden",
	// "401 Unauthorized (credentials refused)") or why there was none
	// ("no response from 192.0.2.1:5060", a failed DNS lookup, a
	// certificate refused).
	Answer string
	// Granted is the registration lifetime the provider granted.
	Granted time.Duration
}

// probeUnregisterTimeout bounds the withdrawal of a test registration.
const probeUnregisterTimeout = 2 * time.Second

// ProbeTrunk registers once to c's provider exactly as a trunk with c
// would (the provider located afresh, a digest challenge answered, a
// TLS certificate checked against c's CA, a 423 answered with the
// interval asked for) and reports the provider's answer: an installer
// tries credentials before saving them. The probe is no trunk: it takes
// no calls, keeps no state and starts no goroutine. A granted
// registration is withdrawn at once (Expires: 0), unless a configured
// trunk registers the same account at the same host: the probe's Contact
// is that trunk's own, and withdrawing it would unregister the trunk.
// The error is for settings that cannot be tried at all (a malformed
// host, no credentials); a refusal or silence is a result.
func (s *Server) ProbeTrunk(ctx context.Context, c TrunkConfig) (TrunkProbe, error) {
	c.Register = true
	if c.Name == "" {
		c.Name = "test"
	}
	if err := c.normalize(); err != nil {
		return TrunkProbe{}, fmt.Errorf("sip: test registration: %w", err)
	}
	t := newTrunk(s, c)
	s.mu.Lock()
	if s.probes == nil {
		s.probes = map[*trunk]struct{}{}
	}
	s.probes[t] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.probes, t)
		s.mu.Unlock()
	}()

	s.waitListening(ctx)
	granted, err := t.register(ctx, c.Expires)
	var brief *intervalTooBrief
	if errors.As(err, &brief) && brief.min > c.Expires && brief.min <= 24*time.Hour {
		granted, err = t.register(ctx, brief.min)
	}
	if err != nil {
		return TrunkProbe{Answer: err.Error()}, nil
	}
	t.mu.Lock()
	p := TrunkProbe{Registered: true, Answer: t.answer, Granted: granted}
	t.mu.Unlock()
	if !s.registersAccount(c) {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeUnregisterTimeout)
		if _, err := t.register(uctx, 0); err != nil {
			s.log.Info("sip: test registration not withdrawn", "host", c.Host, "err", err)
		}
		cancel()
	}
	return p, nil
}

// registersAccount reports whether a configured trunk registers c's
// account at c's host.
func (s *Server) registersAccount(c TrunkConfig) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.trunks {
		if t.cfg.Register && strings.EqualFold(t.cfg.Host, c.Host) && t.cfg.Username == c.Username {
			return true
		}
	}
	return false
}
