package box

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// refusedScenario writes the refused-call scenario expecting status.
func refusedScenario(t *testing.T, status int) string {
	t.Helper()
	tmpl, err := os.ReadFile(scenario("uac_refused.xml"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "uac_refused.xml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(tmpl), "EXPECTED_STATUS", strconv.Itoa(status))), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSIPpDialPlanResponses: SIPp, a real SIP user agent, gets the right
// final responses from the dial plan: 403 for an international number an
// internal-only extension dials, and 486 when a ring group is at its
// concurrent-call limit.
func TestSIPpDialPlanResponses(t *testing.T) {
	b := startBox(t, "")
	caller := b.addSIPExtension(t, "401", "SIPp caller", false) // internal only
	memberSecret := b.addSIPExtension(t, "402", "Member", false)
	firstSecret := b.addSIPExtension(t, "403", "First caller", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}}
		c.OutboundRoutes = []store.OutboundRoute{{Name: "international", Pattern: "810X.", Class: "international", Via: []string{"city"}}}
		c.RingGroups = []store.RingGroup{{Name: "sales", Number: "300", Strategy: "ringall",
			Members: []store.GroupMember{{Destination: "ext:402"}}, MaxCalls: 1}}
	})
	ctx := tctx(t, 60*time.Second)
	run := func(number string, status int) {
		t.Helper()
		sipp(t, ctx, "-sf", refusedScenario(t, status), "-inf", injection(t, "401"), "-au", "401", "-ap", caller,
			"-s", number, "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-m", "1",
			"-timeout", "20s", "-timeout_error", "-nostdin", b.SIPAddr())
	}

	run("810441234567", 403)
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "401" && r.Disposition == "forbidden" })
	if b.Sim().Line(1).Seized() {
		t.Error("a line was seized for a forbidden call")
	}

	// A first caller occupies the ring group's only place (402 rings).
	member := b.phone(t, "402", memberSecret)
	first := b.phone(t, "403", firstSecret)
	dialCtx, hangUp := context.WithCancel(ctx)
	dialled := make(chan error, 1)
	go func() {
		_, err := first.Dial(dialCtx, "300")
		dialled <- err
	}()
	if _, err := member.Incoming(ctx); err != nil {
		t.Fatalf("the group member does not ring: %v", err)
	}
	run("300", 486)
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "401" && r.Callee == "300" && r.Disposition == "busy"
	})
	hangUp()
	<-dialled
}

// TestSIPpVoiceMenuKey: a SIPp caller reaches a voice menu by its number
// and presses 1 as an RFC 4733 event during the prompt; the menu sends the
// call to the key's extension (another SIPp, which answers).
func TestSIPpVoiceMenuKey(t *testing.T) {
	b := startBox(t, "")
	answeringSIPp(t, b, "402", 1)
	caller := b.addSIPExtension(t, "401", "SIPp caller", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Menus = []store.Menu{{Name: "main", Number: "500", Prompts: []store.Prompt{{Tone: "1000", MS: 4000}},
			Keys: map[string]string{"1": "ext:402"}, DefaultDestination: "hangup"}}
	})
	ctx := tctx(t, 60*time.Second)
	sipp(t, ctx, "-sf", scenario("uac_dtmf.xml"), "-inf", injection(t, "401"), "-au", "401", "-ap", caller, "-d", "3000",
		"-s", "500", "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-mi", "127.0.0.1",
		"-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin", b.SIPAddr())
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "401" && r.Callee == "500" })
	if r.Disposition != "answered" || r.Destination != "sip:402" {
		t.Errorf("record %+v: want the menu's key 1 to reach sip:402", r)
	}
}

// TestSIPpEarlyMediaAnnouncement: SIPp calls a short number for an
// early-media announcement whose next destination is another SIPp (which
// answers): the caller must get 183 Session Progress with an SDP answer
// (SIPp's scenario checks the body) before the 200 OK, and the call is
// billed from the answer, after the announcement.
func TestSIPpEarlyMediaAnnouncement(t *testing.T) {
	b := startBox(t, "")
	answeringSIPp(t, b, "402", 1)
	caller := b.addSIPExtension(t, "401", "SIPp caller", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Announcements = []store.Announcement{{Name: "hold", Prompts: []store.Prompt{{Tone: "1000", MS: 1500}}, Then: "ext:402", EarlyMedia: true}}
		c.Numbering.ShortNumbers = []store.ShortNumber{{Number: "500", Destination: "announce:hold"}}
	})
	ctx := tctx(t, 60*time.Second)
	sipp(t, ctx, "-sf", scenario("uac_early.xml"), "-inf", injection(t, "401"), "-au", "401", "-ap", caller, "-d", "1000",
		"-s", "500", "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-mi", "127.0.0.1",
		"-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin", b.SIPAddr())
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "401" && r.Callee == "500" })
	if r.Disposition != "answered" || r.Destination != "sip:402" {
		t.Errorf("record %+v: want the announcement's destination sip:402 to answer", r)
	}
	if d := r.Answer.Sub(r.Start); d < 1500*time.Millisecond {
		t.Errorf("answered %v after the call began: within the 1.5 s announcement played as early media", d)
	}
}
