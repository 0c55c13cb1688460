package box

import (
	"context"
	"fmt"
	"strings"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/diag"
	"minipbx/telephony/sip"
	"minipbx/telephony/store"
)

// sipTrunks turns the configuration's trunks into the SIP layer's.
func sipTrunks(cfg *store.Config) []sip.TrunkConfig {
	out := make([]sip.TrunkConfig, 0, len(cfg.Trunks))
	for _, t := range cfg.Trunks {
		out = append(out, sipTrunk(t))
	}
	return out
}

// sipTrunk turns one configured trunk into the SIP layer's.
func sipTrunk(t store.Trunk) sip.TrunkConfig {
	return sip.TrunkConfig{
		Name:       t.Name,
		Register:   t.Mode == store.TrunkRegister,
		Host:       t.Host,
		Transport:  t.Transport,
		TLSCA:      []byte(t.TLSCA),
		Username:   t.Username,
		AuthUser:   t.AuthUser,
		Password:   t.Password,
		Expires:    time.Duration(t.Expires()) * time.Second,
		Peers:      t.Peers(),
		CallerID:   t.OutboundCallerID(),
		CallerName: t.CallerName,
		MaxCalls:   t.MaxCalls,
		// The store's names are the SIP layer's.
		CallerIDHeader:  t.CallerIDHeader,
		DiversionHeader: t.DiversionHeader,
	}
}

// trunkTestTimeout bounds a test registration: a challenge round trip
// with UDP retransmissions, and a second target after a silent first.
const trunkTestTimeout = 10 * time.Second

// testTrunk is the exchange's TestTrunk: one registration of t with the
// SIP stack (sip.Server.ProbeTrunk), withdrawn at once.
func (b *Box) testTrunk(ctx context.Context, t store.Trunk) (telephony.TrunkTest, error) {
	v := &store.ValidationError{}
	for _, f := range []struct{ name, value, msg string }{
		{"host", t.Host, "enter the provider's host name or address"},
		{"username", t.Username, "enter the account name the provider gave you"},
		{"password", t.Password, "enter the account's password"},
	} {
		if strings.TrimSpace(f.value) == "" {
			v.Fields = append(v.Fields, store.FieldError{Field: f.name, Message: f.msg})
		}
	}
	if len(v.Fields) > 0 {
		return telephony.TrunkTest{}, v
	}
	t.Mode = store.TrunkRegister
	ctx, cancel := context.WithTimeout(ctx, trunkTestTimeout)
	defer cancel()
	p, err := b.sip.ProbeTrunk(ctx, sipTrunk(t))
	if err != nil {
		return telephony.TrunkTest{}, &store.ValidationError{Fields: []store.FieldError{{Field: "host", Message: err.Error()}}}
	}
	return telephony.TrunkTest{Registered: p.Registered, Answer: p.Answer, ExpiresS: int(p.Granted / time.Second)}, nil
}

// trunkPingTimeout bounds the OPTIONS of the trunks test: a provider
// answers at once; 4 s covers UDP retransmissions at 0.5, 1.5 and 3.5 s.
const trunkPingTimeout = 4 * time.Second

// trunkCheck is one trunk as the diagnostics' trunks test sees it.
type trunkCheck struct {
	s    *sip.Server
	name string
}

// Name implements diag.Trunk.
func (c trunkCheck) Name() string { return "trunk:" + c.name }

// Check implements diag.Trunk: a register trunk must be registered, and
// the provider must answer an OPTIONS (any final response counts).
func (c trunkCheck) Check(ctx context.Context) store.DiagResult {
	r := store.DiagResult{Verdict: store.VerdictPass}
	st, ok := c.s.TrunkStatus(c.name)
	if !ok {
		r.Verdict, r.Detail = store.VerdictSkip, "not configured any more"
		return r
	}
	var notes []string
	if st.Mode == "register" {
		if st.State != sip.TrunkRegistered {
			r.Verdict = store.VerdictFail
			msg := "not registered"
			if st.Reason != "" {
				msg += ": " + st.Reason
			}
			notes = append(notes, msg)
		} else {
			notes = append(notes, fmt.Sprintf("registered until %s", st.Expires.UTC().Format(time.RFC3339)))
		}
	}
	pctx, cancel := context.WithTimeout(ctx, trunkPingTimeout)
	defer cancel()
	rtt, err := c.s.TrunkPing(pctx, c.name)
	if err != nil {
		r.Verdict = store.VerdictFail
		notes = append(notes, "the provider does not answer OPTIONS")
	} else {
		ms := float64(rtt.Microseconds()) / 1000
		r.Values = append(r.Values, store.DiagValue{Name: "round trip", Value: float64(int(ms*100)) / 100, Unit: "ms", Verdict: store.VerdictPass})
		notes = append(notes, "the provider answers OPTIONS")
	}
	r.Detail = strings.Join(notes, "; ")
	return r
}

// trunkChecks lists the configured trunks for the diagnostics runner.
func (b *Box) trunkChecks() []diag.Trunk {
	var out []diag.Trunk
	for _, st := range b.sip.Trunks() {
		out = append(out, trunkCheck{s: b.sip, name: st.Name})
	}
	return out
}

// trunkStatus is the trunks' state for the status page.
func (b *Box) trunkStatus() []telephony.TrunkStatus {
	out := []telephony.TrunkStatus{}
	for _, t := range b.sip.Trunks() {
		out = append(out, telephony.TrunkStatus{Name: t.Name, Mode: t.Mode, State: t.State, Reason: t.Reason,
			Expires: t.Expires, ActiveCalls: t.ActiveCalls})
	}
	return out
}
