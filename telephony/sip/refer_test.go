package sip

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
)

// Transfer by REFER, with sipgo's dialog code as the phone: the refusals
// (another domain, another scheme, malformed, one at a time), the 202 and
// its NOTIFYs, attended transfer with Replaces and its ownership check.

// referCall is a call from phone ext (registered) to number, answered by
// the server: the phone's dialog and the server's channel.
type referCall struct {
	d  *sipgo.DialogClientSession
	ch channel.Channel
}

func placeCall(ctx context.Context, t *testing.T, p *phone, chans chan channel.Channel, number string) referCall {
	t.Helper()
	d, err := p.call(ctx, number, newMedia(t), nil)
	if err != nil {
		t.Fatalf("call %s→%s: %v", p.ext, number, err)
	}
	select {
	case ch := <-chans:
		return referCall{d: d, ch: ch}
	case <-time.After(3 * time.Second):
		t.Fatal("the server got no call")
	}
	return referCall{}
}

// refer sends a REFER in c's dialog with the Refer-To values and extra
// headers given, and returns the final response.
func (c referCall) refer(ctx context.Context, t *testing.T, referTo []string, extra ...sip.Header) *sip.Response {
	t.Helper()
	req := sip.NewRequest(sip.REFER, c.d.InviteResponse.Contact().Address)
	for _, v := range referTo {
		req.AppendHeader(sip.NewHeader("Refer-To", v))
	}
	req.AppendHeader(sip.NewHeader("Referred-By", "<sip:201@127.0.0.1>"))
	for _, h := range extra {
		req.AppendHeader(h)
	}
	res, err := c.d.Do(ctx, req)
	if err != nil {
		t.Fatalf("REFER: %v", err)
	}
	return res
}

// replacesOf is the ?Replaces= of a Refer-To naming c's dialog (to-tag the
// box's, from-tag the phone's, RFC 5589 §7), URL-escaped.
func (c referCall) replacesOf(swap bool) string {
	box, _ := c.d.InviteResponse.To().Params.Get("tag")
	ph, _ := c.d.InviteRequest.From().Params.Get("tag")
	if swap {
		box, ph = ph, box
	}
	v := c.d.InviteRequest.CallID().Value() + ";to-tag=" + box + ";from-tag=" + ph
	return url.QueryEscape(v)
}

func nextNotify(t *testing.T, p *phone) *sip.Request {
	t.Helper()
	select {
	case n := <-p.notifies:
		return n
	case <-time.After(3 * time.Second):
		t.Fatal("no NOTIFY")
	}
	return nil
}

func noNotify(t *testing.T, p *phone, d time.Duration) {
	t.Helper()
	select {
	case n := <-p.notifies:
		t.Fatalf("unexpected NOTIFY:\n%s", n)
	case <-time.After(d):
	}
}

// checkFrag checks a transfer NOTIFY's headers and sipfrag.
func checkFrag(t *testing.T, n *sip.Request, event, frag, state string) {
	t.Helper()
	if got := reqHeader(n, "Event"); got != event {
		t.Errorf("Event %q, want %q", got, event)
	}
	if got := reqHeader(n, "Content-Type"); got != "message/sipfrag;version=2.0" {
		t.Errorf("Content-Type %q", got)
	}
	if got := reqHeader(n, "Subscription-State"); !strings.HasPrefix(got, state) {
		t.Errorf("Subscription-State %q, want %s…", got, state)
	}
	if got := strings.TrimSpace(string(n.Body())); got != frag {
		t.Errorf("sipfrag %q, want %q", got, frag)
	}
}

func nextTransfer(t *testing.T, ch channel.Channel) *channel.Transfer {
	t.Helper()
	ev := nextEvent(t, ch, channel.EventTransfer)
	if ev.Transfer == nil {
		t.Fatal("EventTransfer without a Transfer")
	}
	return ev.Transfer
}

// noEvent checks that ch emits nothing for d.
func noEvent(t *testing.T, ch channel.Channel, d time.Duration) {
	t.Helper()
	select {
	case ev := <-ch.Events():
		t.Fatalf("unexpected event %v %+v", ev.Type, ev.Transfer)
	case <-time.After(d):
	}
}

func TestReferBlindTransfer(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	a := newPhone(t, s.Addr(), "201", "secret201")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := placeCall(ctx, t, a, chans, "555")
	host := s.Addr().Addr().String()

	res := c.refer(ctx, t, []string{"<sip:202@" + host + ">"})
	if res.StatusCode != 202 {
		t.Fatalf("REFER: %d %s, want 202", res.StatusCode, res.Reason)
	}
	checkFrag(t, nextNotify(t, a), "refer", "SIP/2.0 100 Trying", "active")
	tr := nextTransfer(t, c.ch)
	if tr.Target != "202" || tr.Replaces != "" {
		t.Fatalf("transfer %+v, want a blind transfer to 202", tr)
	}
	n := c.ch.(channel.TransferNotifier)
	if err := n.NotifyTransfer(100); err != nil { // the exchange's own 100: told already
		t.Fatal(err)
	}
	noNotify(t, a, 300*time.Millisecond)
	if err := n.NotifyTransfer(180); err != nil {
		t.Fatal(err)
	}
	checkFrag(t, nextNotify(t, a), "refer", "SIP/2.0 180 Ringing", "active")
	if err := n.NotifyTransfer(200); err != nil {
		t.Fatal(err)
	}
	checkFrag(t, nextNotify(t, a), "refer", "SIP/2.0 200 OK", "terminated")
	if err := n.NotifyTransfer(503); err != nil {
		t.Fatal(err)
	}
	noNotify(t, a, 300*time.Millisecond)

	// A second transfer in the same dialog names its REFER in Event.
	res = c.refer(ctx, t, []string{"sip:203@" + host})
	if res.StatusCode != 202 {
		t.Fatalf("second REFER: %d", res.StatusCode)
	}
	first := nextNotify(t, a)
	if want := fmt.Sprintf("refer;id=%d", res.CSeq().SeqNo); reqHeader(first, "Event") != want {
		t.Errorf("second transfer's Event %q, want %q", reqHeader(first, "Event"), want)
	}
	if tr := nextTransfer(t, c.ch); tr.Target != "203" {
		t.Errorf("second transfer to %q, want 203", tr.Target)
	}
	// One at a time: a REFER before the last one's end waits (491).
	if res := c.refer(ctx, t, []string{"<sip:204@" + host + ">"}); res.StatusCode != 491 {
		t.Errorf("REFER during a transfer: %d, want 491", res.StatusCode)
	}
	if err := n.NotifyTransfer(486); err != nil {
		t.Fatal(err)
	}
	checkFrag(t, nextNotify(t, a), fmt.Sprintf("refer;id=%d", res.CSeq().SeqNo), "SIP/2.0 486 Busy Here", "terminated")

	// Refer-Sub: false (RFC 4488): accepted, said so, and no NOTIFY.
	res = c.refer(ctx, t, []string{"<sip:205@" + host + ">"}, sip.NewHeader("Refer-Sub", "false"))
	if res.StatusCode != 202 || header(res, "Refer-Sub") != "false" {
		t.Fatalf("REFER with Refer-Sub: false: %d, Refer-Sub %q", res.StatusCode, header(res, "Refer-Sub"))
	}
	if tr := nextTransfer(t, c.ch); tr.Target != "205" {
		t.Errorf("transfer to %q, want 205", tr.Target)
	}
	_ = n.NotifyTransfer(200)
	noNotify(t, a, 300*time.Millisecond)
}

func TestReferRefusals(t *testing.T) {
	s, chans := answeringServer(t, Config{Domains: []string{"pbx.example.com"}})
	a := newPhone(t, s.Addr(), "201", "secret201")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := placeCall(ctx, t, a, chans, "555")
	host := s.Addr().Addr().String()
	for _, tc := range []struct {
		referTo []string
		code    int
	}{
		{[]string{"<sip:9001@evil.example.com>"}, 403},                 // toll fraud: another domain
		{[]string{"<sips:9001@198.51.100.7:5061;transport=tls>"}, 403}, // an address that is not the box's
		{[]string{"<tel:+15551234>"}, 416},                             // not a SIP URI
		{[]string{"<sip:202@" + host}, 400},                            // unclosed
		{[]string{"<sip:" + host + ">"}, 400},                          // no number
		{[]string{"<sip:202@" + host + ">", "<sip:203@" + host + ">"}, 400},
		{[]string{"<sip:202@" + host + "?Replaces=nonsense>"}, 400}, // Replaces without tags
		{nil, 400},
	} {
		if res := c.refer(ctx, t, tc.referTo); res.StatusCode != tc.code {
			t.Errorf("Refer-To %q: %d %s, want %d", tc.referTo, res.StatusCode, res.Reason, tc.code)
		}
	}
	noEvent(t, c.ch, 200*time.Millisecond)
	noNotify(t, a, 10*time.Millisecond)
	// The call carries on, and names of the box are welcome: its domain,
	// its realm, and the address in upper case with a port.
	for _, to := range []string{"<sip:202@PBX.example.com>", "<sip:203@minipbx;user=phone>", "\"Bob\" <sip:204@" + host + ":5060>;x=y"} {
		res := c.refer(ctx, t, []string{to})
		if res.StatusCode != 202 {
			t.Fatalf("Refer-To %s: %d", to, res.StatusCode)
		}
		nextNotify(t, a)
		nextTransfer(t, c.ch)
		_ = c.ch.(channel.TransferNotifier).NotifyTransfer(200)
		nextNotify(t, a)
	}
}

func TestReferAttendedTransfer(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	a := newPhone(t, s.Addr(), "201", "secret201")
	b := newPhone(t, s.Addr(), "202", "secret202")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	host := s.Addr().Addr().String()
	held := placeCall(ctx, t, a, chans, "555")
	consult := placeCall(ctx, t, a, chans, "556")
	other := placeCall(ctx, t, b, chans, "557")

	for _, swap := range []bool{false, true} { // phones disagree on which tag is which
		res := held.refer(ctx, t, []string{"<sip:556@" + host + "?Replaces=" + consult.replacesOf(swap) + ">"})
		if res.StatusCode != 202 {
			t.Fatalf("attended REFER: %d %s", res.StatusCode, res.Reason)
		}
		event := "refer" // the dialog's first REFER; then each names its own
		if swap {
			event = fmt.Sprintf("refer;id=%d", res.CSeq().SeqNo)
		}
		checkFrag(t, nextNotify(t, a), event, "SIP/2.0 100 Trying", "active")
		tr := nextTransfer(t, held.ch)
		if tr.Replaces != consult.ch.Info().ID || tr.Target != "556" {
			t.Fatalf("transfer %+v, want Replaces %s", tr, consult.ch.Info().ID)
		}
		_ = held.ch.(channel.TransferNotifier).NotifyTransfer(503)
		nextNotify(t, a)
	}

	// Another user's dialog: accepted, refused in the NOTIFY, not passed on.
	res := held.refer(ctx, t, []string{"<sip:557@" + host + "?Replaces=" + other.replacesOf(false) + ">"})
	if res.StatusCode != 202 {
		t.Fatalf("REFER naming 202's dialog: %d", res.StatusCode)
	}
	checkFrag(t, nextNotify(t, a), "refer;id="+fmt.Sprint(res.CSeq().SeqNo), "SIP/2.0 403 Forbidden", "terminated")
	noEvent(t, held.ch, 200*time.Millisecond)
	// A dialog that does not exist: 481 in the NOTIFY.
	res = held.refer(ctx, t, []string{"<sip:556@" + host + "?Replaces=nosuch%40host%3Bto-tag%3Da%3Bfrom-tag%3Db>"})
	if res.StatusCode != 202 {
		t.Fatalf("REFER naming no dialog: %d", res.StatusCode)
	}
	checkFrag(t, nextNotify(t, a), "refer;id="+fmt.Sprint(res.CSeq().SeqNo), "SIP/2.0 481 Call/Transaction Does Not Exist", "terminated")
	noEvent(t, held.ch, 200*time.Millisecond)
}

// A phone that refuses the progress NOTIFYs ends the subscription; one
// that hung up is told nothing.
func TestReferPhoneGone(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	a := newPhone(t, s.Addr(), "201", "secret201")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	host := s.Addr().Addr().String()
	c := placeCall(ctx, t, a, chans, "555")

	a.mu.Lock()
	a.notifyCode = 481
	a.mu.Unlock()
	if res := c.refer(ctx, t, []string{"<sip:202@" + host + ">"}); res.StatusCode != 202 {
		t.Fatalf("REFER: %d", res.StatusCode)
	}
	nextNotify(t, a) // refused with 481
	nextTransfer(t, c.ch)
	time.Sleep(100 * time.Millisecond)
	n := c.ch.(channel.TransferNotifier)
	_ = n.NotifyTransfer(200)
	noNotify(t, a, 300*time.Millisecond)

	a.mu.Lock()
	a.notifyCode = 200
	a.mu.Unlock()
	if res := c.refer(ctx, t, []string{"<sip:203@" + host + ">"}); res.StatusCode != 202 {
		t.Fatalf("REFER after the refused subscription: %d", res.StatusCode)
	}
	nextNotify(t, a)
	nextTransfer(t, c.ch)
	if err := c.d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, c.ch, channel.EventHangup)
	if err := n.NotifyTransfer(200); err == nil {
		t.Error("NotifyTransfer to a phone that hung up: no error")
	}
	noNotify(t, a, 300*time.Millisecond)
}
