package sip

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// TestCalleeAnswersAndHangsUpAtOnce: a callee that sends its 200 and, in
// the same breath, a BYE (without waiting for the ACK, so the BYE may
// overtake the box's handling of the 200) ends the box's outbound leg,
// and its BYE gets 200, not 481. Repeated, so both orders of arrival are
// met.
func TestCalleeAnswersAndHangsUpAtOnce(t *testing.T) {
	s := startServer(t, Config{QualifyInterval: -1})
	r := newRaw(t, s.Addr())
	if res := authRegister(t, r, "202", "secret202", "300"); res.StatusCode != 200 {
		t.Fatalf("register: %d", res.StatusCode)
	}
	for i := range 20 {
		ch, err := s.Dialer().Dial(context.Background(), channel.Request{Target: "202",
			Caller: channel.CallerID{Number: "201"}, Codecs: []media.Codec{media.PCMU}})
		if err != nil {
			t.Fatal(err)
		}
		inv := r.readRequest(t, sip.INVITE, 2*time.Second)
		answer, _, err := newMedia(t).AnswerOffer(inv.Body())
		if err != nil {
			t.Fatal(err)
		}
		tag := fmt.Sprintf("uas%d", i)
		ok := sip.NewResponseFromRequest(inv, 200, "OK", answer)
		ok.To().Params.Add("tag", tag)
		ok.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "202", Host: "127.0.0.1", Port: r.conn.LocalAddr().(*net.UDPAddr).Port}})
		ok.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		bye := fmt.Sprintf("BYE %s SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP %s;branch=z9hG4bK-bye%d-%d\r\n"+
			"Max-Forwards: 70\r\n"+
			"From: <sip:202@127.0.0.1>;tag=%s\r\n"+
			"To: %s\r\n"+
			"Call-ID: %s\r\n"+
			"CSeq: 1 BYE\r\n"+
			"Content-Length: 0\r\n\r\n",
			inv.Contact().Address.String(), r.local(), i, time.Now().UnixNano(), tag, inv.From().Value(), inv.CallID().Value())
		if _, err := r.conn.Write([]byte(ok.String())); err != nil {
			t.Fatal(err)
		}
		if _, err := r.conn.Write([]byte(bye)); err != nil {
			t.Fatal(err)
		}
		res := r.readResponse(t, sip.BYE, 2*time.Second)
		if res.StatusCode != 200 {
			t.Fatalf("call %d: the callee's BYE got %d %s", i, res.StatusCode, res.Reason)
		}
		if ev := nextEvent(t, ch, channel.EventHangup); ev.Cause != channel.CauseNormal {
			t.Errorf("call %d: leg ended %v, want normal", i, ev.Cause)
		}
		waitFor(t, func() bool { return s.ActiveCalls() == 0 }, "leg released")
	}
}

// readRequest reads until a request with method arrives (responses and
// other requests, e.g. the ACK, are passed over).
func (r *rawUA) readRequest(t *testing.T, method sip.RequestMethod, wait time.Duration) *sip.Request {
	t.Helper()
	m := r.readMessage(t, wait, func(m sip.Message) bool {
		req, ok := m.(*sip.Request)
		return ok && req.Method == method
	})
	return m.(*sip.Request)
}

// readResponse reads until a final response to a method arrives.
func (r *rawUA) readResponse(t *testing.T, method sip.RequestMethod, wait time.Duration) *sip.Response {
	t.Helper()
	m := r.readMessage(t, wait, func(m sip.Message) bool {
		res, ok := m.(*sip.Response)
		return ok && res.StatusCode >= 200 && res.CSeq() != nil && res.CSeq().MethodName == method
	})
	return m.(*sip.Response)
}

func (r *rawUA) readMessage(t *testing.T, wait time.Duration, want func(sip.Message) bool) sip.Message {
	t.Helper()
	buf := make([]byte, 65535)
	deadline := time.Now().Add(wait)
	for {
		_ = r.conn.SetReadDeadline(deadline)
		n, err := r.conn.Read(buf)
		if err != nil {
			t.Fatalf("waiting for a message: %v", err)
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			t.Fatalf("unparseable message: %v\n%s", err, buf[:n])
		}
		if want(m) {
			return m
		}
	}
}
