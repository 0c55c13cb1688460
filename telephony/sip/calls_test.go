package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// setup starts a server with a router and registers phones 201 and 202.
func setup(t *testing.T, c Config, opts ...func(*router)) (*Server, *router, *phone, *phone) {
	t.Helper()
	r := newRouter(t)
	for _, o := range opts {
		o(r)
	}
	c.OnCall = r.onCall
	s := startServer(t, c)
	r.s = s
	a := newPhone(t, s.Addr(), "201", "secret201")
	b := newPhone(t, s.Addr(), "202", "secret202")
	a.register("secret201", 300)
	b.register("secret202", 300)
	return s, r, a, b
}

func statusOf(err error) int {
	var e *sipgo.ErrDialogResponse
	if errors.As(err, &e) {
		return e.Res.StatusCode
	}
	return 0
}

func wantEnded(t *testing.T, r *router, want channel.Cause) {
	t.Helper()
	select {
	case c := <-r.ended:
		if c != want {
			t.Errorf("call ended with %v, want %v", c, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("call did not end (want %v)", want)
	}
}

func TestCallBusy(t *testing.T) {
	s, r, a, b := setup(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { _, err := a.call(ctx, "202", newMedia(t), nil); errc <- err }()
	in := b.nextCall(t, 2*time.Second)
	if err := in.dlg.Respond(486, "Busy Here", nil); err != nil {
		t.Fatal(err)
	}
	in.done()
	if code := statusOf(<-errc); code != 486 {
		t.Fatalf("caller got %d, want 486", code)
	}
	wantEnded(t, r, channel.CauseBusy)
	waitFor(t, func() bool { return s.ActiveCalls() == 0 }, "legs released")
}

func TestCallNoAnswerTimeout(t *testing.T) {
	_, r, a, b := setup(t, Config{}, func(r *router) { r.timeout = 300 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { _, err := a.call(ctx, "202", newMedia(t), nil); errc <- err }()
	in := b.nextCall(t, 2*time.Second)
	if err := in.dlg.Respond(180, "Ringing", nil); err != nil {
		t.Fatal(err)
	}
	if code := statusOf(<-errc); code != 480 {
		t.Fatalf("caller got %d, want 480", code)
	}
	wantEnded(t, r, channel.CauseNoAnswer)
	select {
	case <-b.cancels:
	case <-time.After(3 * time.Second):
		t.Fatal("callee's INVITE was not cancelled")
	}
}

func TestCallUnreachable(t *testing.T) {
	_, r, a, _ := setup(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// 203 exists but is not registered; 299 does not exist.
	for _, tc := range []struct {
		to    string
		code  int
		cause channel.Cause
	}{{"203", 480, channel.CauseUnavailable}, {"299", 404, channel.CauseNotFound}} {
		_, err := a.call(ctx, tc.to, newMedia(t), nil)
		if code := statusOf(err); code != tc.code {
			t.Errorf("call %s: %d (%v), want %d", tc.to, code, err, tc.code)
		}
		wantEnded(t, r, tc.cause)
	}
}

func TestCallerCancels(t *testing.T) {
	_, r, a, b := setup(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := a.call(ctx, "202", newMedia(t), nil); errc <- err }()
	in := b.nextCall(t, 2*time.Second)
	if err := in.dlg.Respond(180, "Ringing", nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the 180 reach the caller
	cancel()                           // sipgo sends CANCEL
	<-errc
	wantEnded(t, r, channel.CauseCancelled)
	select {
	case <-b.cancels:
	case <-time.After(3 * time.Second):
		t.Fatal("callee's INVITE was not cancelled")
	}
}

func TestForkingFirstAnswerWins(t *testing.T) {
	s, r, a, b1 := setup(t, Config{})
	b2 := newPhone(t, s.Addr(), "202", "secret202")
	b2.register("secret202", 300)
	if n := len(s.Registrations()); n != 3 {
		t.Fatalf("%d bindings, want 3", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type res struct {
		d   *sipgo.DialogClientSession
		err error
	}
	done := make(chan res, 1)
	go func() { d, err := a.call(ctx, "202", newMedia(t), nil); done <- res{d, err} }()
	c1 := b1.nextCall(t, 2*time.Second)
	c2 := b2.nextCall(t, 2*time.Second)
	if err := c2.dlg.Respond(180, "Ringing", nil); err != nil {
		t.Fatal(err)
	}
	c1.answer(t, newMedia(t))
	got := <-done
	if got.err != nil {
		t.Fatalf("call: %v", got.err)
	}
	select {
	case <-b2.cancels:
	case <-time.After(3 * time.Second):
		t.Fatal("the losing fork was not cancelled")
	}
	b2.mu.Lock()
	reasons := b2.reasons
	b2.mu.Unlock()
	if len(reasons) != 1 || !strings.Contains(reasons[0], "cause=200") {
		t.Errorf("CANCEL Reason %q, want completed elsewhere", reasons)
	}
	if err := got.d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	wantEnded(t, r, channel.CauseNormal)
	select {
	case <-b1.byes:
	case <-time.After(3 * time.Second):
		t.Fatal("answering phone got no BYE")
	}
}

// answeringServer answers every call itself and hands the channel over.
func answeringServer(t *testing.T, c Config) (*Server, chan channel.Channel) {
	chans := make(chan channel.Channel, 4)
	c.OnCall = func(ch channel.Channel) {
		if err := ch.Progress(); err != nil {
			t.Error(err)
		}
		if err := ch.Answer(context.Background()); err != nil {
			t.Error(err)
		}
		chans <- ch
	}
	return startServer(t, c), chans
}

func nextEvent(t *testing.T, ch channel.Channel, want channel.EventType) channel.Event {
	t.Helper()
	for {
		select {
		case ev, ok := <-ch.Events():
			if !ok {
				t.Fatalf("events closed waiting for %v", want)
			}
			if ev.Type == want {
				return ev
			}
			t.Logf("skipping event %v", ev.Type)
		case <-time.After(3 * time.Second):
			t.Fatalf("no %v event", want)
		}
	}
}

func TestInboundHoldDTMFAndHangup(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	a := newPhone(t, s.Addr(), "201", "secret201")
	digits := make(chan byte, 8)
	ma, err := media.NewSession(media.SessionConfig{BindIP: mustAddr("127.0.0.1"), OnDigit: func(d byte) { digits <- d }})
	if err != nil {
		t.Fatal(err)
	}
	defer ma.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := a.call(ctx, "555", ma, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := <-chans
	info := ch.Info()
	if info.Caller.Number != "201" || info.Caller.Name != "Ext 201" || info.Dialled != "555" || info.Direction != "in" {
		t.Errorf("info %+v", info)
	}

	reinvite := func(dir media.Direction) *sip.Response {
		t.Helper()
		offer, err := ma.Offer(nil, dir)
		if err != nil {
			t.Fatal(err)
		}
		req := sip.NewRequest(sip.INVITE, d.InviteResponse.Contact().Address)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(offer)
		res, err := d.Do(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		ack := sip.NewRequest(sip.ACK, d.InviteResponse.Contact().Address)
		if err := d.WriteRequest(ack); err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := reinvite(media.SendOnly)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=recvonly") {
		t.Fatalf("hold re-INVITE: %d\n%s", res.StatusCode, res.Body())
	}
	nextEvent(t, ch, channel.EventHold)
	res = reinvite(media.SendRecv)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=sendrecv") {
		t.Fatalf("unhold re-INVITE: %d\n%s", res.StatusCode, res.Body())
	}
	nextEvent(t, ch, channel.EventUnhold)
	// A re-offer we cannot accept (G.729 only) gets 488 and changes nothing:
	// the codec stays, no event.
	bad := sip.NewRequest(sip.INVITE, d.InviteResponse.Contact().Address)
	bad.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	bad.SetBody([]byte(g729Only))
	if res, err := d.Do(ctx, bad); err != nil || res.StatusCode != 488 {
		t.Fatalf("G.729 re-INVITE: %v %v, want 488", res, err)
	}
	if c := ch.Media().Codec(); c != media.PCMU {
		t.Fatalf("codec %v after a refused re-offer", c)
	}

	// RFC 4733 in: one digit per event, despite the three end packets.
	if err := ma.SendDigit('7'); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ch, channel.EventDigit); ev.Digit != '7' {
		t.Fatalf("digit %q, want 7", ev.Digit)
	}
	// RFC 4733 out.
	if err := ch.SendDigit('#'); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-digits:
		if got != '#' {
			t.Fatalf("phone got digit %q, want #", got)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("phone got no RFC 4733 digit")
	}
	// SIP INFO dtmf-relay.
	info2 := sip.NewRequest(sip.INFO, d.InviteResponse.Contact().Address)
	info2.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	info2.SetBody([]byte("Signal=9\r\nDuration=160\r\n"))
	if res, err := d.Do(ctx, info2); err != nil || res.StatusCode != 200 {
		t.Fatalf("INFO: %v %v", res, err)
	}
	if ev := nextEvent(t, ch, channel.EventDigit); ev.Digit != '9' {
		t.Fatalf("INFO digit %q, want 9", ev.Digit)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case ev := <-ch.Events():
		t.Fatalf("unexpected extra event %v %q (duplicate digit?)", ev.Type, ev.Digit)
	default:
	}
	select {
	case dd := <-digits:
		t.Fatalf("phone got a duplicate digit %q", dd)
	default:
	}

	// The exchange hangs up: BYE reaches the phone.
	if err := ch.Hangup(channel.CauseNormal); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ch, channel.EventHangup); ev.Cause != channel.CauseNormal {
		t.Errorf("cause %v", ev.Cause)
	}
	select {
	case <-a.byes:
	case <-time.After(3 * time.Second):
		t.Fatal("phone got no BYE")
	}
	if _, ok := <-ch.Events(); ok {
		t.Fatal("events not closed after hang-up")
	}
}

func TestInviteRequiresAuthentication(t *testing.T) {
	called := make(chan struct{}, 1)
	s := startServer(t, Config{OnCall: func(ch channel.Channel) { called <- struct{}{}; ch.Hangup(channel.CauseRejected) }})
	r := newRaw(t, s.Addr())
	ma := newMedia(t)
	offer, _ := ma.Offer(nil, media.SendRecv)
	res := r.send(rawInvite(r, "201", "900", offer, ""), time.Second)
	if res == nil || res.StatusCode != 407 || header(res, "Proxy-Authenticate") == "" {
		t.Fatalf("unauthenticated INVITE: %v", res)
	}
	ackRaw(r, res)
	wrong := rawInvite(r, "201", "900", offer, digestFor(header(res, "Proxy-Authenticate"), "INVITE", "sip:900@"+r.pbx.String(), "201", "bad", 1))
	res1 := r.send(wrong, time.Second)
	ackRaw(r, res1)
	res = r.send(rawInvite(r, "201", "900", offer, ""), time.Second)
	ackRaw(r, res)
	unknown := rawInvite(r, "777", "900", offer, digestFor(header(res, "Proxy-Authenticate"), "INVITE", "sip:900@"+r.pbx.String(), "777", "x", 1))
	res2 := r.send(unknown, time.Second)
	ackRaw(r, res2)
	if res1 == nil || res2 == nil || res1.StatusCode != 407 || res2.StatusCode != 407 {
		t.Fatalf("wrong password %v, unknown user %v: want 407 both", res1, res2)
	}
	if a, b := shape(res1), shape(res2); a != b {
		t.Errorf("responses differ:\n%s\n%s", a, b)
	}
	select {
	case <-called:
		t.Fatal("an unauthenticated INVITE reached OnCall")
	case <-time.After(100 * time.Millisecond):
	}
	// Authenticated but no common codec: 488, and nothing reaches OnCall.
	res = r.send(rawInvite(r, "201", "900", []byte(g729Only), ""), time.Second)
	ackRaw(r, res)
	res = r.send(rawInvite(r, "201", "900", []byte(g729Only), digestFor(header(res, "Proxy-Authenticate"), "INVITE", "sip:900@"+r.pbx.String(), "201", "secret201", 1)), time.Second)
	ackRaw(r, res)
	if res == nil || res.StatusCode != 488 {
		t.Fatalf("G.729-only offer: %v, want 488", res)
	}
	// Malformed SDP: 488 too, with a Warning.
	res = r.send(rawInvite(r, "201", "900", []byte("v=0\r\nthis is not sdp"), ""), time.Second)
	ackRaw(r, res)
	res = r.send(rawInvite(r, "201", "900", []byte("v=0\r\nthis is not sdp"), digestFor(header(res, "Proxy-Authenticate"), "INVITE", "sip:900@"+r.pbx.String(), "201", "secret201", 1)), time.Second)
	ackRaw(r, res)
	if res == nil || res.StatusCode != 488 || header(res, "Warning") == "" {
		t.Fatalf("bad SDP: %v, want 488 with Warning", res)
	}
	if n := s.ActiveCalls(); n != 0 {
		t.Fatalf("%d calls after refusals", n)
	}
}

const g729Only = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"

var rawSeq int

// rawInvite writes an INVITE from user to number with optional credentials.
func rawInvite(r *rawUA, user, number string, sdp []byte, auth string) string {
	rawSeq++
	host := r.pbx.String()
	msg := fmt.Sprintf("INVITE sip:%s@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-inv%d-%d\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@%s>;tag=inv%d\r\n"+
		"To: <sip:%s@%s>\r\n"+
		"Call-ID: rawinv-%d\r\n"+
		"CSeq: %d INVITE\r\n"+
		"Contact: <sip:%s@%s>\r\n"+
		"Content-Type: application/sdp\r\n",
		number, host, r.local(), rawSeq, time.Now().UnixNano(), user, host, rawSeq, number, host, rawSeq, rawSeq, user, r.local())
	if auth != "" {
		msg += "Proxy-Authorization: " + auth + "\r\n"
	}
	return msg + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(sdp)) + string(sdp)
}

// ackRaw acknowledges a final non-2xx response (same branch, RFC 3261 §17.1.1.3).
func ackRaw(r *rawUA, res *sip.Response) {
	if res == nil {
		return
	}
	via := res.Via()
	msg := fmt.Sprintf("ACK sip:x@%s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d ACK\r\nContent-Length: 0\r\n\r\n",
		r.pbx, via.Value(), res.From().Value(), res.To().Value(), res.CallID().Value(), res.CSeq().SeqNo)
	_, _ = r.conn.Write([]byte(msg))
}

func TestMaxCallsGives503(t *testing.T) {
	chans := make(chan channel.Channel, 2)
	s := startServer(t, Config{MaxCalls: 1, OnCall: func(ch channel.Channel) { chans <- ch }})
	a := newPhone(t, s.Addr(), "201", "secret201")
	b := newPhone(t, s.Addr(), "202", "secret202")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go a.call(ctx, "500", newMedia(t), nil)
	first := <-chans
	_, err := b.call(ctx, "500", newMedia(t), nil)
	if code := statusOf(err); code != 503 {
		t.Fatalf("second call: %d (%v), want 503", code, err)
	}
	first.Hangup(channel.CauseBusy)
}

func TestShutdownHangsUpCalls(t *testing.T) {
	chans := make(chan channel.Channel, 2)
	cfg := Config{Addr: "127.0.0.1:0", Credentials: staticCreds{"201": "secret201"}, Logger: testLogger(t),
		OnCall: func(ch channel.Channel) { ch.Answer(context.Background()); chans <- ch }}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx) }()
	<-s.Ready()
	a := newPhone(t, s.Addr(), "201", "secret201")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.call(ctx, "500", newMedia(t), nil); err != nil {
		t.Fatal(err)
	}
	ch := <-chans
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.byes:
	case <-time.After(3 * time.Second):
		t.Fatal("no BYE on shutdown")
	}
	nextEvent(t, ch, channel.EventHangup)
}

// TestTCPPhone: a phone registered over TCP is called over its own
// connection, and calls out over TCP.
func TestTCPPhone(t *testing.T) {
	s, r, a, _ := setup(t, Config{})
	c := newPhoneOn(t, s.Addr(), "203", "secret203", true)
	if res := c.register("secret203", 300); res.StatusCode != 200 {
		t.Fatalf("TCP register: %d", res.StatusCode)
	}
	var tcpSeen bool
	for _, b := range s.Registrations() {
		if b.Extension == "203" && b.Transport == "TCP" {
			tcpSeen = true
		}
	}
	if !tcpSeen {
		t.Fatalf("no TCP binding: %+v", s.Registrations())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type result struct {
		d   *sipgo.DialogClientSession
		err error
	}
	done := make(chan result, 1)
	go func() { d, err := a.call(ctx, "203", newMedia(t), nil); done <- result{d, err} }()
	in := c.nextCall(t, 2*time.Second)
	if !strings.EqualFold(in.req.Transport(), "TCP") {
		t.Errorf("INVITE came over %s", in.req.Transport())
	}
	in.answer(t, newMedia(t))
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if err := res.d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	wantEnded(t, r, channel.CauseNormal)
	select {
	case <-c.byes:
	case <-time.After(3 * time.Second):
		t.Fatal("TCP phone got no BYE")
	}
	// And the TCP phone calls the UDP one.
	go func() { d, err := c.call(ctx, "201", newMedia(t), nil); done <- result{d, err} }()
	in = a.nextCall(t, 2*time.Second)
	in.answer(t, newMedia(t))
	res = <-done
	if res.err != nil {
		t.Fatalf("call from TCP phone: %v", res.err)
	}
	if err := res.d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	wantEnded(t, r, channel.CauseNormal)
}

// delayedInvite sends phone a's INVITE to number without SDP (a delayed
// offer, RFC 3261 §13.2.1).
func delayedInvite(ctx context.Context, t *testing.T, a *phone, number string) *sipgo.DialogClientSession {
	t.Helper()
	req := sip.NewRequest(sip.INVITE, a.pbxURI(number))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: a.ext, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: "127.0.0.1"}})
	d, err := a.dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDelayedOffer: an INVITE without SDP gets our offer in the 200 and
// the caller's answer in the ACK; audio then flows.
func TestDelayedOffer(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	a := newPhone(t, s.Addr(), "201", "secret201")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := delayedInvite(ctx, t, a, "600")
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "201", Password: "secret201"}); err != nil {
		t.Fatal(err)
	}
	m := newMedia(t)
	ans, _, err := m.AnswerOffer(d.InviteResponse.Body())
	if err != nil {
		t.Fatalf("our offer in the 200: %v\n%s", err, d.InviteResponse.Body())
	}
	ack := sip.NewRequest(sip.ACK, d.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ack.SetBody(ans)
	if err := d.WriteRequest(ack); err != nil {
		t.Fatal(err)
	}
	ch := <-chans
	rec := &recorder{}
	ch.Media().SetSink(rec)
	toneCtx, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	toneSource(toneCtx, m, 1000, 8000)
	waitFor(t, func() bool { return len(rec.snapshot()) >= 5*media.FrameSamples }, "audio after a delayed offer")
	// We sent the ACK ourselves, so sipgo's dialog is not "confirmed":
	// send the BYE as a plain in-dialog request.
	if res, err := d.Do(ctx, sip.NewRequest(sip.BYE, d.InviteResponse.Contact().Address)); err != nil || res.StatusCode != 200 {
		t.Fatalf("BYE: %v %v", res, err)
	}
	nextEvent(t, ch, channel.EventHangup)
}

// TestForeignBYERefused: a BYE with the right Call-ID and tags from another
// address does not end the call.
func TestForeignBYERefused(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	a := newPhone(t, s.Addr(), "201", "secret201")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := a.call(ctx, "600", newMedia(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := <-chans
	evil := newRawFrom(t, s.Addr(), "127.0.0.2")
	bye := fmt.Sprintf("BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-evil1\r\nMax-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 999 BYE\r\nContent-Length: 0\r\n\r\n",
		d.InviteResponse.Contact().Address.String(), evil.local(), d.InviteRequest.From().Value(), d.InviteResponse.To().Value(), d.InviteRequest.CallID().Value())
	if res := evil.send(bye, time.Second); res == nil || res.StatusCode != 481 {
		t.Fatalf("foreign BYE: %v, want 481", res)
	}
	select {
	case ev := <-ch.Events():
		t.Fatalf("call got %v from a foreign BYE", ev.Type)
	case <-time.After(100 * time.Millisecond):
	}
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, ch, channel.EventHangup)
}

// TestUnspecifiedListenAddress: bound to 0.0.0.0, the server still sends
// its requests from the listening socket and calls work.
func TestUnspecifiedListenAddress(t *testing.T) {
	r := newRouter(t)
	s := startServer(t, Config{Addr: "0.0.0.0:0", Host: "127.0.0.1", OnCall: r.onCall})
	r.s = s
	pbx := netip.AddrPortFrom(mustAddr("127.0.0.1"), s.Addr().Port())
	a := newPhone(t, pbx, "201", "secret201")
	b := newPhone(t, pbx, "202", "secret202")
	a.register("secret201", 300)
	b.register("secret202", 300)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type result struct {
		d   *sipgo.DialogClientSession
		err error
	}
	done := make(chan result, 1)
	go func() { d, err := a.call(ctx, "202", newMedia(t), nil); done <- result{d, err} }()
	in := b.nextCall(t, 2*time.Second)
	if src := in.req.Source(); !strings.HasSuffix(src, fmt.Sprintf(":%d", pbx.Port())) {
		t.Errorf("INVITE came from %s, not from the listening port %d", src, pbx.Port())
	}
	in.answer(t, newMedia(t))
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if err := res.d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	wantEnded(t, r, channel.CauseNormal)
}

// TestCalleeHangsUp: the answering phone's BYE ends the outbound leg
// (EventHangup), and the router's Hangup of the inbound leg BYEs the caller.
func TestCalleeHangsUp(t *testing.T) {
	_, r, a, b := setup(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := a.call(ctx, "202", newMedia(t), nil); done <- err }()
	in := b.nextCall(t, 2*time.Second)
	in.answer(t, newMedia(t))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return in.dlg.LoadState() == sip.DialogStateConfirmed }, "callee's dialog confirmed by ACK")
	if err := in.dlg.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	wantEnded(t, r, channel.CauseNormal)
	select {
	case <-a.byes:
	case <-time.After(3 * time.Second):
		t.Fatal("caller got no BYE")
	}
}

func TestCauseForStatus(t *testing.T) {
	for code, want := range map[int]channel.Cause{
		486: channel.CauseBusy, 600: channel.CauseBusy, 404: channel.CauseNotFound, 604: channel.CauseNotFound,
		480: channel.CauseUnavailable, 408: channel.CauseNoAnswer, 603: channel.CauseRejected,
		403: channel.CauseForbidden, 503: channel.CauseCongestion, 487: channel.CauseCancelled,
		500: channel.CauseFailure, 415: channel.CauseFailure,
	} {
		if got := causeForStatus(code); got != want {
			t.Errorf("%d → %v, want %v", code, got, want)
		}
	}
	if causeRank(channel.CauseBusy) <= causeRank(channel.CauseUnavailable) || causeRank(channel.CauseNoAnswer) <= causeRank(channel.CauseNotFound) {
		t.Error("busy must outrank unavailable, no answer must outrank not found")
	}
}

// TestOKRetransmittedUntilACK: over UDP our 200 is repeated (T1, 2T1...)
// until the caller's ACK arrives, then no more.
func TestOKRetransmittedUntilACK(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	r := newRaw(t, s.Addr())
	offer, _ := newMedia(t).Offer(nil, media.SendRecv)
	res := r.send(rawInvite(r, "201", "700", offer, ""), time.Second)
	ackRaw(r, res)
	inv := rawInvite(r, "201", "700", offer, digestFor(header(res, "Proxy-Authenticate"), "INVITE", "sip:700@"+r.pbx.String(), "201", "secret201", 1))
	first := r.send(inv, 2*time.Second)
	for first != nil && first.StatusCode < 200 {
		first = r.read(2 * time.Second)
	}
	if first == nil || first.StatusCode != 200 {
		t.Fatalf("no 200: %v", first)
	}
	ch := <-chans
	again := r.read(2 * time.Second)
	if again == nil || again.StatusCode != 200 {
		t.Fatalf("200 not retransmitted before the ACK: %v", again)
	}
	// ACK the 2xx: a new transaction (new branch), to our Contact.
	ack := fmt.Sprintf("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ack%d\r\nMax-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d ACK\r\nContent-Length: 0\r\n\r\n",
		first.Contact().Address.String(), r.local(), time.Now().UnixNano(), first.From().Value(), first.To().Value(), first.CallID().Value(), first.CSeq().SeqNo)
	if _, err := r.conn.Write([]byte(ack)); err != nil {
		t.Fatal(err)
	}
	// Drain anything already in flight, then expect silence.
	time.Sleep(100 * time.Millisecond)
	for r.read(10*time.Millisecond) != nil {
	}
	if res := r.read(1200 * time.Millisecond); res != nil {
		t.Fatalf("still retransmitting after the ACK: %d", res.StatusCode)
	}
	bye := strings.Replace(strings.Replace(ack, "ACK ", "BYE ", 1), " ACK\r\n", " BYE\r\n", 1)
	bye = strings.Replace(bye, fmt.Sprintf("CSeq: %d", first.CSeq().SeqNo), fmt.Sprintf("CSeq: %d", first.CSeq().SeqNo+1), 1)
	bye = strings.Replace(bye, "branch=z9hG4bK-ack", "branch=z9hG4bK-bye", 1)
	if res := r.send(bye, time.Second); res == nil || res.StatusCode != 200 {
		t.Fatalf("BYE: %v", res)
	}
	nextEvent(t, ch, channel.EventHangup)
}

// TestForkBothAnswer: two phones of one extension answer at once; the
// loser gets ACK then BYE, the winner keeps the call.
func TestForkBothAnswer(t *testing.T) {
	s, r, a, b1 := setup(t, Config{})
	b2 := newPhone(t, s.Addr(), "202", "secret202")
	b2.register("secret202", 300)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type result struct {
		d   *sipgo.DialogClientSession
		err error
	}
	done := make(chan result, 1)
	go func() { d, err := a.call(ctx, "202", newMedia(t), nil); done <- result{d, err} }()
	c1 := b1.nextCall(t, 2*time.Second)
	c2 := b2.nextCall(t, 2*time.Second)
	m1, m2 := newMedia(t), newMedia(t)
	sdp1, _, _ := m1.AnswerOffer(c1.req.Body())
	sdp2, _, _ := m2.AnswerOffer(c2.req.Body())
	go func() { c1.dlg.RespondSDP(sdp1); c1.done() }()
	go func() { c2.dlg.RespondSDP(sdp2); c2.done() }()
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	// Exactly one of them is hung up.
	var byes int
	deadline := time.After(2 * time.Second)
wait:
	for {
		select {
		case <-b1.byes:
			byes++
			deadline = time.After(300 * time.Millisecond) // a second one would come soon
		case <-b2.byes:
			byes++
			deadline = time.After(300 * time.Millisecond)
		case <-deadline:
			break wait
		}
	}
	if byes != 1 {
		t.Fatalf("%d BYEs to the two answering phones, want 1 (the loser)", byes)
	}
	if err := res.d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	wantEnded(t, r, channel.CauseNormal)
}

// TestEarlyMedia: EarlyMedia sends 183 Session Progress carrying the SDP
// answer the 200 OK repeats, the leg's RTP reaches the caller before the
// answer, and a second call is a no-op; after the answer it is an error,
// and for an INVITE without SDP (our SDP would be an offer) it is refused.
func TestEarlyMedia(t *testing.T) {
	chans := make(chan channel.Channel, 4)
	s := startServer(t, Config{OnCall: func(ch channel.Channel) { chans <- ch }})
	a := newPhone(t, s.Addr(), "201", "secret201")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m := newMedia(t)
	rec := &recorder{}
	m.SetSink(rec)
	var mu sync.Mutex
	var early *sip.Response
	type result struct {
		d   *sipgo.DialogClientSession
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := a.call(ctx, "600", m, func(r *sip.Response) {
			if r.StatusCode == 183 {
				mu.Lock()
				early = r
				mu.Unlock()
			}
		})
		done <- result{d, err}
	}()
	ch := <-chans
	em, ok := ch.(channel.EarlyMedia)
	if !ok {
		t.Fatal("an inbound SIP leg does not implement channel.EarlyMedia")
	}
	if err := em.EarlyMedia(); err != nil {
		t.Fatal(err)
	}
	if err := em.EarlyMedia(); err != nil {
		t.Errorf("second EarlyMedia: %v", err)
	}
	toneCtx, stop := context.WithTimeout(ctx, 400*time.Millisecond)
	toneSource(toneCtx, ch.Media(), 1000, 8000)
	stop()
	waitFor(t, func() bool { return len(rec.snapshot()) >= 5*media.FrameSamples }, "early media before the answer")
	select {
	case r := <-done:
		t.Fatalf("the call completed before the answer: %v", r.err)
	default:
	}
	if err := ch.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	mu.Lock()
	e := early
	mu.Unlock()
	if e == nil {
		t.Fatal("no 183 Session Progress")
	}
	if !bytes.Equal(e.Body(), r.d.InviteResponse.Body()) || len(e.Body()) == 0 {
		t.Errorf("the 183's SDP differs from the 200's:\n%s\n---\n%s", e.Body(), r.d.InviteResponse.Body())
	}
	if ct := e.ContentType(); ct == nil || ct.Value() != "application/sdp" {
		t.Errorf("183 Content-Type %v", ct)
	}
	if err := em.EarlyMedia(); err == nil {
		t.Error("EarlyMedia after the answer: no error")
	}
	_ = ch.Hangup(channel.CauseNormal)

	// A delayed offer: no early media.
	d := delayedInvite(ctx, t, a, "600")
	go func() { _ = d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "201", Password: "secret201"}) }()
	ch = <-chans
	if err := ch.(channel.EarlyMedia).EarlyMedia(); err == nil || !strings.Contains(err.Error(), "no SDP") {
		t.Errorf("early media for a delayed offer: %v, want refused", err)
	}
	_ = ch.Hangup(channel.CauseBusy)
}

// TestOutboundEarlyMedia: a callee that answers the INVITE with 183 and
// SDP (a provider playing its own ringback or announcement) makes the
// outbound leg report EventEarlyMedia, and its audio reaches the leg's
// sink before any answer; a later 200 still answers the leg.
func TestOutboundEarlyMedia(t *testing.T) {
	s := startServer(t, Config{})
	b := newPhone(t, s.Addr(), "202", "secret202")
	b.register("secret202", 300)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := s.Dialer().Dial(ctx, channel.Request{Target: "202", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	out.Media().SetSink(rec)
	in := b.nextCall(t, 2*time.Second)
	m := newMedia(t)
	answer, _, err := m.AnswerOffer(in.req.Body())
	if err != nil {
		t.Fatal(err)
	}
	if err := in.dlg.Respond(183, "Session Progress", answer, sip.NewHeader("Content-Type", "application/sdp")); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, out, channel.EventEarlyMedia)
	toneCtx, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	toneSource(toneCtx, m, 1000, 8000)
	stop()
	waitFor(t, func() bool { return len(rec.snapshot()) >= 5*media.FrameSamples }, "early audio before the answer")
	if err := in.dlg.RespondSDP(answer); err != nil {
		t.Fatal(err)
	}
	in.done()
	nextEvent(t, out, channel.EventAnswer)
	_ = out.Hangup(channel.CauseNormal)
}
