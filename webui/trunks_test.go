package webui

import (
	"strings"
	"testing"

	"minipbx/telephony"
)

// TestStatusPageTrunks: the status page lists the SIP trunks with their
// state and why a registration failed; without trunks it has no such card.
func TestStatusPageTrunks(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	if strings.Contains(c.get("/status").Body.String(), `id="trunks"`) {
		t.Error("a trunks card without trunks")
	}
	f.svc.emit("registration", func(s *telephony.Status) {
		s.Trunks = []telephony.TrunkStatus{
			{Name: "prov", Mode: "register", State: "failed", Reason: "403 Forbidden"},
			{Name: "peer", Mode: "peer", State: "peer", ActiveCalls: 2},
		}
	})
	body := c.get("/status").Body.String()
	for _, want := range []string{`id="trunk-prov"`, "403 Forbidden", `id="trunk-peer"`, ">2<"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %s", want)
		}
	}
}
