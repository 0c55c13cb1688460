package sip

import (
	"context"
	"encoding/xml"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
)

// Busy lamps (RFC 4235): subscriptions to extensions and park slots, the
// dialog-info NOTIFYs through idle, ringing, busy and back, and pickup by
// a BLF key with the dialog a NOTIFY named.

// lampBoard is a test's exchange side: the lamps it says exist.
type lampBoard struct {
	mu    sync.Mutex
	lamps map[string]Lamp
}

func (b *lampBoard) source(n string) (Lamp, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.lamps[n]
	return l, ok
}

func newLampBoard(numbers ...string) *lampBoard {
	b := &lampBoard{lamps: map[string]Lamp{}}
	for _, n := range numbers {
		b.lamps[n] = Lamp{Number: n, State: LampIdle}
	}
	return b
}

// dialogNotify reads a dialog-event NOTIFY's document, checking its
// headers.
func dialogNotify(t *testing.T, n *sip.Request) parsedDialogInfo {
	t.Helper()
	if reqHeader(n, "Event") != "dialog" || reqHeader(n, "Content-Type") != "application/dialog-info+xml" {
		t.Fatalf("NOTIFY headers:\n%s", n)
	}
	var p parsedDialogInfo
	if err := xml.Unmarshal(n.Body(), &p); err != nil {
		t.Fatalf("body is not dialog-info: %v\n%s", err, n.Body())
	}
	if p.State != "full" || len(p.Dialogs) != 1 {
		t.Fatalf("document:\n%s", n.Body())
	}
	return p
}

func TestDialogEventLamps(t *testing.T) {
	board := newLampBoard("202", "701")
	s := startServer(t, Config{Lamps: board.source})
	u := newMWIUA(t, s)
	const ctype = "application/dialog-info+xml"

	// Refusals: a number that is no lamp, a body the phone cannot read.
	if res := u.authSubscribeTo("dialog", ctype, "201", "secret201", "999", "600"); res.StatusCode != 404 {
		t.Fatalf("SUBSCRIBE to 999: %d, want 404", res.StatusCode)
	}
	if res := u.send(u.subscribe("201", "202", "dialog", "600", "Accept: application/pidf+xml")); res == nil || res.StatusCode != 406 {
		t.Fatalf("SUBSCRIBE accepting only PIDF: %v, want 406", res)
	}
	if res := u.send(u.subscribe("201", "202", "dialog", "10", "Accept: "+ctype)); res == nil || res.StatusCode != 423 {
		t.Fatalf("SUBSCRIBE for 10 s: %v, want 423", res)
	}

	res := u.authSubscribeTo("dialog", ctype, "201", "secret201", "202", "600")
	if res.StatusCode != 200 || header(res, "Expires") != "600" {
		t.Fatalf("SUBSCRIBE: %d, Expires %q", res.StatusCode, header(res, "Expires"))
	}
	u.toTag, _ = res.To().Params.Get("tag")
	if s.Watchers("202") != 1 {
		t.Fatalf("%d watchers of 202", s.Watchers("202"))
	}
	host := s.Addr().Addr().String()
	p := dialogNotify(t, u.notify())
	if p.Version != "0" || p.Entity != "sip:202@"+host || p.Dialogs[0].State != "terminated" || p.Dialogs[0].ID != "202" {
		t.Fatalf("idle: %+v", p)
	}

	// Ringing: the dialog a BLF key picks up, and who calls.
	s.SetLamp(Lamp{Number: "202", State: LampRinging, Dialog: "fxs-1", Caller: "5551234", Direction: "recipient"})
	p = dialogNotify(t, u.notify())
	d := p.Dialogs[0]
	if p.Version != "1" || d.State != "early" || d.ID != "fxs-1" || d.Direction != "recipient" ||
		d.CallID != "blf-fxs-1@"+host || d.LocalTag == "" || d.RemoteTag == "" ||
		d.Remote.Identity.URI != "sip:5551234@"+host || d.Local.Identity != "sip:202@"+host {
		t.Fatalf("ringing: %+v", p)
	}
	ringing := d
	s.SetLamp(Lamp{Number: "202", State: LampRinging, Dialog: "fxs-1", Caller: "5551234", Direction: "recipient"})
	u.quiet(300 * time.Millisecond) // nothing changed
	s.SetLamp(Lamp{Number: "202", State: LampBusy, Dialog: "fxs-1", Caller: "5551234", Direction: "recipient"})
	if p = dialogNotify(t, u.notify()); p.Version != "2" || p.Dialogs[0].State != "confirmed" {
		t.Fatalf("busy: %+v", p)
	}
	s.SetLamp(Lamp{Number: "202", State: LampIdle})
	if p = dialogNotify(t, u.notify()); p.Version != "3" || p.Dialogs[0].State != "terminated" || p.Dialogs[0].ID != "fxs-1" {
		t.Fatalf("idle again: %+v", p)
	}
	s.SetLamp(Lamp{Number: "701", State: LampBusy}) // nobody watches it
	u.quiet(300 * time.Millisecond)

	// The synthetic dialog of a ringing analog phone resolves, with its
	// tags in either order, and only with the tags the box gave out.
	for _, tc := range []struct {
		to, from string
		ok       bool
	}{{ringing.RemoteTag, ringing.LocalTag, true}, {ringing.LocalTag, ringing.RemoteTag, true}, {ringing.LocalTag, "guess", false}} {
		m, ok := s.findDialog(dialogID{callID: ringing.CallID, toTag: tc.to, fromTag: tc.from})
		if ok != tc.ok || ok && m.id != "fxs-1" {
			t.Errorf("tags %s/%s: %+v %v, want ok=%v", tc.to, tc.from, m, ok, tc.ok)
		}
	}

	// Unsubscribe: the last NOTIFY says terminated.
	res = u.send(u.subscribe("201", "202", "dialog", "0", "Accept: "+ctype))
	if res == nil || res.StatusCode != 401 {
		t.Fatalf("unsubscribe: %v", res)
	}
	auth := digestFor(header(res, "WWW-Authenticate"), "SUBSCRIBE", "sip:202@"+u.pbx, "201", "secret201", 2)
	if res = u.send(u.subscribe("201", "202", "dialog", "0", "Accept: "+ctype, "Authorization: "+auth)); res == nil || res.StatusCode != 200 {
		t.Fatalf("unsubscribe: %v", res)
	}
	if n := u.notify(); !strings.HasPrefix(reqHeader(n, "Subscription-State"), "terminated") {
		t.Fatalf("last NOTIFY:\n%s", n)
	}
	if s.Watchers("202") != 0 {
		t.Fatal("subscription kept after unsubscribing")
	}

	// A park slot is watched the same way.
	v := newMWIUA(t, s)
	if res := v.authSubscribeTo("dialog", ctype, "201", "secret201", "701", "600"); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE to 701: %d", res.StatusCode)
	}
	if p = dialogNotify(t, v.notify()); p.Dialogs[0].State != "confirmed" || p.Entity != "sip:701@"+host {
		t.Fatalf("slot: %+v", p)
	}
}

// Without Config.Lamps the box serves no busy lamps: 489, and OPTIONS
// lists only message-summary.
func TestDialogEventOff(t *testing.T) {
	s := startServer(t, Config{})
	u := newMWIUA(t, s)
	res := u.send(u.subscribe("201", "202", "dialog", "600", "Accept: application/dialog-info+xml"))
	if res == nil || res.StatusCode != 489 || header(res, "Allow-Events") != "message-summary" {
		t.Fatalf("dialog SUBSCRIBE without lamps: %v", res)
	}
	s2 := startServer(t, Config{Lamps: newLampBoard().source})
	u2 := newMWIUA(t, s2)
	res = u2.send(u2.subscribe("201", "202", "presence", "600", "Accept: application/pidf+xml"))
	if res == nil || res.StatusCode != 489 || header(res, "Allow-Events") != "message-summary, dialog" {
		t.Fatalf("presence SUBSCRIBE: %v", res)
	}
}

// A BLF key picks up a call ringing a SIP phone: the watcher sends an
// INVITE with Replaces made of the dialog the NOTIFY named (tags as a
// phone copies them), and the exchange is handed the ringing leg's ID.
func TestBLFPickupOfARingingSIPPhone(t *testing.T) {
	board := newLampBoard("202")
	r := newRouter(t)
	picked := make(chan channel.Info, 1)
	s := startServer(t, Config{Lamps: board.source, OnCall: func(ch channel.Channel) {
		if ch.Info().Replaces != "" {
			picked <- ch.Info()
			_ = ch.Hangup(channel.CauseForbidden)
			drain(ch)
			return
		}
		r.onCall(ch)
	}})
	r.s = s
	a := newPhone(t, s.Addr(), "201", "secret201")
	b := newPhone(t, s.Addr(), "202", "secret202")
	c := newPhone(t, s.Addr(), "203", "secret203")
	a.register("secret201", 300)
	b.register("secret202", 300)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	go func() { _, _ = a.call(ctx, "202", newMedia(t), nil) }()
	in := b.nextCall(t, 3*time.Second)
	if err := in.dlg.Respond(180, "Ringing", nil); err != nil {
		t.Fatal(err)
	}
	defer in.done()
	var out *leg
	waitFor(t, func() bool {
		for _, l := range s.legList() {
			l.mu.Lock()
			ok := !l.inbound && l.out != nil && len(l.out.forks) == 1 && l.out.forks[0].toTag != ""
			l.mu.Unlock()
			if ok {
				out = l
				return true
			}
		}
		return false
	}, "the ringing leg to 202 with its tag")

	u := newMWIUA(t, s)
	if res := u.authSubscribeTo("dialog", "application/dialog-info+xml", "203", "secret203", "202", "600"); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %d", res.StatusCode)
	}
	u.notify()
	s.SetLamp(Lamp{Number: "202", State: LampRinging, Dialog: out.info.ID, Caller: "201", Direction: "recipient"})
	d := dialogNotify(t, u.notify()).Dialogs[0]
	if d.CallID != in.req.CallID().Value() {
		t.Fatalf("NOTIFY names Call-ID %q, the ringing INVITE had %q", d.CallID, in.req.CallID().Value())
	}
	// A phone puts the watched phone's tag (local-tag) in from-tag and the
	// box's in to-tag: the box is the UA the INVITE goes to.
	replaces := sip.NewHeader("Replaces", d.CallID+";to-tag="+d.RemoteTag+";from-tag="+d.LocalTag+";early-only")
	if _, err := c.callWith(ctx, "202", newMedia(t), nil, replaces); statusOf(err) != 403 {
		t.Fatalf("pickup INVITE: %v, want the test exchange's 403", err)
	}
	select {
	case info := <-picked:
		if info.Replaces != out.info.ID || info.Caller.Number != "203" {
			t.Fatalf("picker's channel %+v, want Replaces %s", info, out.info.ID)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the exchange got no INVITE with Replaces")
	}
}

// INVITE with Replaces (RFC 3891 §3): the answers the SIP layer gives
// itself, and the channel ID it hands over for a dialog of the box.
func TestInviteWithReplaces(t *testing.T) {
	got := make(chan channel.Channel, 4)
	s := startServer(t, Config{OnCall: func(ch channel.Channel) {
		switch {
		case ch.Info().Replaces != "":
			got <- ch
			_ = ch.Hangup(channel.CauseForbidden)
		case ch.Info().Dialled == "ring":
			_ = ch.Progress() // rings until the caller gives up
			got <- ch
		default:
			_ = ch.Answer(context.Background())
			got <- ch
		}
	}})
	a := newPhone(t, s.Addr(), "201", "secret201")
	a2 := newPhone(t, s.Addr(), "201", "secret201") // the same user's other phone
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	talking := placeCall(ctx, t, a, got, "555")
	cid := talking.d.InviteRequest.CallID().Value()
	boxTag, _ := talking.d.InviteResponse.To().Params.Get("tag")
	phoneTag, _ := talking.d.InviteRequest.From().Params.Get("tag")

	// An inbound call still ringing: an early dialog the box did not
	// start, which may not be replaced (481).
	ringTag := make(chan string, 1)
	ringCtx, stopRinging := context.WithCancel(ctx)
	go func() {
		_, _ = a.call(ringCtx, "ring", newMedia(t), func(r *sip.Response) {
			if tag, ok := r.To().Params.Get("tag"); ok && r.StatusCode == 180 {
				select {
				case ringTag <- tag + " " + r.CallID().Value():
				default:
				}
			}
		})
	}()
	defer stopRinging()
	<-got
	var early string
	select {
	case early = <-ringTag:
	case <-time.After(3 * time.Second):
		t.Fatal("no 180")
	}
	earlyTag, earlyCID, _ := strings.Cut(early, " ")

	for _, tc := range []struct {
		name string
		hdrs []sip.Header
		code int
	}{
		{"malformed", []sip.Header{sip.NewHeader("Replaces", cid+";to-tag="+boxTag)}, 400},
		{"twice", []sip.Header{sip.NewHeader("Replaces", cid+";to-tag="+boxTag+";from-tag="+phoneTag), sip.NewHeader("Replaces", cid+";to-tag="+boxTag+";from-tag="+phoneTag)}, 400},
		{"no such dialog", []sip.Header{sip.NewHeader("Replaces", "nosuch;to-tag="+boxTag+";from-tag="+phoneTag)}, 481},
		{"a guessed tag", []sip.Header{sip.NewHeader("Replaces", cid+";to-tag=guess;from-tag="+phoneTag)}, 481},
		{"early-only, confirmed", []sip.Header{sip.NewHeader("Replaces", cid+";to-tag="+boxTag+";from-tag="+phoneTag+";early-only")}, 486},
		{"an inbound early dialog", []sip.Header{sip.NewHeader("Replaces", earlyCID+";to-tag="+earlyTag+";from-tag=x")}, 481},
	} {
		if _, err := a2.callWith(ctx, "555", newMedia(t), nil, tc.hdrs...); statusOf(err) != tc.code {
			t.Errorf("%s: %v, want %d", tc.name, err, tc.code)
		}
	}
	select {
	case ch := <-got:
		t.Fatalf("a refused INVITE reached the exchange: %+v", ch.Info())
	default:
	}
	// The confirmed call, taken over by the user's other phone: the
	// exchange gets the dialog's channel ID (and refuses it here, 403).
	if _, err := a2.callWith(ctx, "555", newMedia(t), nil, sip.NewHeader("Replaces", url.PathEscape(cid)+";to-tag="+boxTag+";from-tag="+phoneTag)); statusOf(err) != 403 {
		t.Fatalf("takeover: %v", err)
	}
	if ch := <-got; ch.Info().Replaces != talking.ch.Info().ID {
		t.Fatalf("Replaces %q, want %s", ch.Info().Replaces, talking.ch.Info().ID)
	}
}

// An intercom call asks the phone to answer by itself, in every form
// phones read.
func TestAutoAnswerHeaders(t *testing.T) {
	s := startServer(t, Config{})
	b := newPhone(t, s.Addr(), "202", "secret202")
	b.register("secret202", 300)
	ch, err := s.Dialer().Dial(context.Background(), channel.Request{Target: "202", Caller: channel.CallerID{Number: "201"}, AutoAnswer: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer drain(ch)
	defer ch.Hangup(channel.CauseNormal)
	in := b.nextCall(t, 3*time.Second)
	defer in.done()
	host := s.Addr().Addr().String()
	for name, want := range map[string]string{
		"Call-Info":   "<sip:" + host + ">;answer-after=0",
		"Alert-Info":  "<http://www.notused.com>;info=alert-autoanswer;delay=0",
		"Answer-Mode": "Auto",
	} {
		if got := reqHeader(in.req, name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if v, _ := in.req.Recipient.UriParams.Get("intercom"); v != "true" {
		t.Errorf("Request-URI %s: no intercom=true", in.req.Recipient.String())
	}
	// An ordinary call carries none of it.
	ch2, err := s.Dialer().Dial(context.Background(), channel.Request{Target: "202", Caller: channel.CallerID{Number: "201"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer drain(ch2)
	defer ch2.Hangup(channel.CauseNormal)
	in2 := b.nextCall(t, 3*time.Second)
	defer in2.done()
	if h := in2.req.GetHeader("Call-Info"); h != nil || in2.req.GetHeader("Answer-Mode") != nil {
		t.Errorf("an ordinary call asks for auto-answer:\n%s", in2.req)
	}
}
