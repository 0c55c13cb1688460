package box

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony/store"
)

// headerCheck is one check of the provider's INVITE: header's value
// matches (or, absent, has no match for) the regular expression re.
type headerCheck struct {
	header, re string
	absent     bool
}

// identityScenario writes the provider scenario checking checks.
func identityScenario(t *testing.T, checks []headerCheck) string {
	t.Helper()
	tmpl, err := os.ReadFile(scenario("uas_identity.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var vars []string
	for i, c := range checks {
		v := fmt.Sprintf("h%d", i)
		vars = append(vars, v)
		inverse := ""
		if c.absent {
			inverse = ` check_it_inverse="true"`
		} else {
			inverse = ` check_it="true"`
		}
		fmt.Fprintf(&b, `      <ereg regexp="%s" search_in="hdr" header="%s:"%s assign_to="%s"/>`+"\n",
			xmlAttr(c.re), c.header, inverse, v)
	}
	s := strings.Replace(string(tmpl), "CHECKS\n", b.String(), 1)
	s = strings.Replace(s, "VARS", strings.Join(vars, ","), 1)
	p := filepath.Join(t.TempDir(), "uas_identity.xml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func xmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// TestSIPpCallerIDPresentation: SIPp as the provider of a peer trunk
// checks the headers of each kind of outbound call. A direct call from
// an extension with a number of its own shows it in P-Asserted-Identity
// (the trunk says so) with From the account; a withheld one (*67) an
// anonymous From and Privacy: id; a telco caller forwarded out by an
// extension shows the caller with a Diversion naming the extension's
// number, or (its setting) the extension itself.
func TestSIPpCallerIDPresentation(t *testing.T) {
	freeUDPPortOn(t, peerIP)
	b := startBox(t, "")
	secret := b.addSIPExtension(t, "201", "Anna", true)
	b.addSIPExtension(t, "203", "Boss", true)
	for number, direct := range map[string]string{"201": "74951112201", "203": "74951112203"} {
		e, err := b.Service().Extension(context.Background(), number)
		if err != nil {
			t.Fatal(err)
		}
		e.OutboundCallerID = direct
		if number == "201" {
			e.OutboundCallerName = "Anna Direct"
		}
		if _, err := b.Service().UpdateExtension(context.Background(), number, e); err != nil {
			t.Fatal(err)
		}
	}
	setTrunk := func(header string) {
		b.importDialPlan(t, func(c *store.Config) {
			c.Numbering.FeatureCodes = true
			c.Trunks = []store.Trunk{{Name: "carrier", Mode: store.TrunkPeer, Host: peerIP + ":5060",
				AllowedIPs: []string{peerIP}, CallerID: "74951112200", CallerIDHeader: header}}
			c.OutboundRoutes = []store.OutboundRoute{{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"carrier"}}}
			c.ExtensionRules = []store.ExtensionRule{
				{Extension: "201", Class: "national"},
				{Extension: "203", Class: "national", ForwardAlways: "number:89161234567"},
			}
			c.FXOLines = []store.FXOLine{{Port: 1, Name: "Line 1", Enabled: true, AnswerAfterRings: 2, Destination: "203"}}
		})
	}
	ph := b.phone(t, "201", secret)
	ctx := tctx(t, 120*time.Second)
	provider := func(checks ...headerCheck) (func() string, <-chan struct{}) {
		t.Helper()
		wait, exited := startSIPp(t, ctx, "-sf", identityScenario(t, checks), "-i", peerIP, "-p", "5060",
			"-mi", peerIP, "-mp", strconv.Itoa(freeUDPPortOn(t, peerIP)), "-rtp_echo",
			"-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin")
		waitUDPBound(t, peerIP, 5060)
		return wait, exited
	}
	callOut := func(number string) {
		t.Helper()
		call, err := ph.Dial(ctx, number)
		if err != nil {
			t.Fatalf("dial %s: %v", number, err)
		}
		time.Sleep(300 * time.Millisecond)
		if err := call.Hangup(ctx); err != nil {
			t.Fatalf("hang up: %v", err)
		}
	}

	// P-Asserted-Identity: From is the account, the asserted identity
	// the extension's own number.
	setTrunk(store.CallerIDInPAI)
	wait, _ := provider(
		headerCheck{header: "From", re: `<sip:74951112200@`},
		headerCheck{header: "P-Asserted-Identity", re: `"Anna Direct" <sip:74951112201@`},
		headerCheck{header: "Privacy", re: `.`, absent: true})
	callOut("89161234567")
	wait()

	// From, withheld by *67: anonymous, with Privacy: id.
	setTrunk(store.CallerIDInFrom)
	wait, _ = provider(
		headerCheck{header: "From", re: `<sip:anonymous@anonymous\.invalid>`},
		headerCheck{header: "Privacy", re: `^ *id`},
		headerCheck{header: "P-Asserted-Identity", re: `.`, absent: true})
	callOut("*6789161234567")
	wait()

	// A telco caller on line 1 reaches 203, which forwards everything to
	// a mobile: the mobile sees the telco caller, the provider is told
	// 203 (by its own number) diverted it.
	forwarded := func(checks ...headerCheck) {
		t.Helper()
		wait, exited := provider(checks...)
		line := b.Sim().Line(1)
		line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond})
		if err := line.Ring(dsp.CallerIDMessage{Number: "5551234", Name: "CUSTOMER", Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
			t.Fatal(err)
		}
		if err := line.WaitSeized(ctx); err != nil {
			t.Fatalf("line 1 was not answered: %v", err)
		}
		select {
		case <-exited:
			wait()
			t.Fatal("the provider ended before the call was put down")
		case <-time.After(1500 * time.Millisecond):
		}
		if err := line.Hangup(sim.HangupLoopDrop); err != nil {
			t.Fatal(err)
		}
		wait()
		if err := line.WaitReleased(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1200 * time.Millisecond) // the loop drop's second without voltage
	}
	forwarded(
		headerCheck{header: "From", re: `"CUSTOMER" <sip:5551234@`},
		headerCheck{header: "Diversion", re: `<sip:74951112203@[^>]*>;reason=unconditional;counter=1`})
	b.importDialPlan(t, func(c *store.Config) {
		c.ExtensionRules[1].ForwardCallerID = "box"
	})
	forwarded(
		headerCheck{header: "From", re: `<sip:74951112203@`},
		headerCheck{header: "Diversion", re: `<sip:74951112203@[^>]*>;reason=unconditional`})
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "5551234" && strings.Contains(r.Destination, "trunk:carrier")
	})
}
