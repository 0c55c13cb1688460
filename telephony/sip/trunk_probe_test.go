package sip

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func (p *provider) seenExpiries() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.expiries)
}

// TestProbeTrunkRegistersAndWithdraws: a test registration answers the
// provider's challenge, reports its answer and granted lifetime, and
// withdraws the registration at once; it leaves no trunk behind.
func TestProbeTrunkRegistersAndWithdraws(t *testing.T) {
	p := newProvider(t)
	s := startServer(t, Config{TrunkTimeout: 500 * time.Millisecond})
	tc := p.trunk()
	tc.Name = ""
	got, err := s.ProbeTrunk(context.Background(), tc)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Registered || got.Answer != "200 OK" || got.Granted != 2*time.Second {
		t.Errorf("probe %+v, want registered, 200 OK, for 2 s (the provider's grant)", got)
	}
	if e := p.seenExpiries(); !slices.Equal(e, []string{"60", "0"}) {
		t.Errorf("the provider saw REGISTERs with Expires %q, want 60 then 0 (withdrawn)", e)
	}
	if ts := s.Trunks(); len(ts) != 0 {
		t.Errorf("the probe left trunks %+v", ts)
	}
}

// TestProbeTrunkReportsRefusals: wrong credentials, a refusal and
// silence are answers for the installer, not errors; settings that
// cannot be tried are errors.
func TestProbeTrunkReportsRefusals(t *testing.T) {
	p := newProvider(t)
	s := startServer(t, Config{TrunkTimeout: 500 * time.Millisecond})
	ctx := context.Background()

	wrong := p.trunk()
	wrong.Password = "not-the-password"
	got, err := s.ProbeTrunk(ctx, wrong)
	if err != nil || got.Registered || !strings.HasPrefix(got.Answer, "401 ") || !strings.Contains(got.Answer, "credentials refused") {
		t.Errorf("wrong password: %+v, %v; want 401 with the credentials refused", got, err)
	}

	p.mu.Lock()
	p.refuse = 403
	p.mu.Unlock()
	if got, err := s.ProbeTrunk(ctx, p.trunk()); err != nil || got.Registered || got.Answer != "403 Refused" {
		t.Errorf("refused: %+v, %v; want the provider's 403", got, err)
	}

	// Nobody answers on this port.
	c, err := net.ListenPacket("udp4", "127.0.0.2:0")
	if err != nil {
		t.Skip(err)
	}
	silent := c.LocalAddr().String()
	defer c.Close()
	tc := p.trunk()
	tc.Host = silent
	if got, err := s.ProbeTrunk(ctx, tc); err != nil || got.Registered || !strings.Contains(got.Answer, "no response from "+silent) {
		t.Errorf("silent provider: %+v, %v", got, err)
	}

	tc = p.trunk()
	tc.Password = ""
	if _, err := s.ProbeTrunk(ctx, tc); err == nil {
		t.Error("a probe without a password was tried")
	}
	if e := p.seenExpiries(); len(e) != 0 {
		t.Errorf("the provider accepted REGISTERs %q", e)
	}
}

// TestProbeTrunkKeepsALiveTrunksBinding: testing the account a trunk
// already registers does not withdraw the trunk's registration (the
// probe's Contact is the trunk's own).
func TestProbeTrunkKeepsALiveTrunksBinding(t *testing.T) {
	p := newProvider(t)
	p.mu.Lock()
	p.expires = 60
	p.mu.Unlock()
	s := trunkServer(t, p.trunk(), nil)
	waitTrunk(t, s, "prov", TrunkRegistered)
	before := len(p.seenExpiries())
	tc := p.trunk()
	tc.Name = "test"
	got, err := s.ProbeTrunk(context.Background(), tc)
	if err != nil || !got.Registered {
		t.Fatalf("probe %+v, %v", got, err)
	}
	if e := p.seenExpiries()[before:]; !slices.Equal(e, []string{"60"}) {
		t.Errorf("after the probe the provider saw Expires %q, want one registration and no withdrawal", e)
	}
	if st, _ := s.TrunkStatus("prov"); st.State != TrunkRegistered {
		t.Errorf("the live trunk: %+v", st)
	}
}
