package sip

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// Hold as phones do it: a re-INVITE with a=sendonly, a=inactive, or the
// RFC 2543 c=0.0.0.0. Each gives EventHold and an answer that sends nothing
// the holder does not want (recvonly, inactive); resuming gives
// EventUnhold and the audio flows again. While the box holds a phone's
// party it sends that phone music over the same session: nothing in the
// SIP leg stops it, for the phone never said it would not listen.
func TestHoldForms(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	a := newPhone(t, s.Addr(), "201", "secret201")
	ma := newMedia(t)
	heard := &recorder{}
	ma.SetSink(heard)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := a.call(ctx, "555", ma, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := <-chans
	// The exchange's side sends a tone all along (the party's voice, or
	// the music on hold the exchange plays to a held party).
	go toneSource(ctx, ch.Media(), 425, 8000)

	reinvite := func(sdp string) *sip.Response {
		t.Helper()
		req := sip.NewRequest(sip.INVITE, d.InviteResponse.Contact().Address)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody([]byte(sdp))
		res, err := d.Do(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.WriteRequest(sip.NewRequest(sip.ACK, d.InviteResponse.Contact().Address)); err != nil {
			t.Fatal(err)
		}
		return res
	}
	offer := func(dir media.Direction) string {
		t.Helper()
		b, err := ma.Offer(nil, dir)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// flowing reports whether the phone hears the box within a second.
	flowing := func() bool {
		n := len(heard.snapshot())
		time.Sleep(time.Second)
		return len(heard.snapshot())-n > 8000/2
	}
	if !flowing() {
		t.Fatal("no audio from the box before any hold")
	}
	for _, tc := range []struct {
		name, sdp, answer string
	}{
		{"a=sendonly", offer(media.SendOnly), "a=recvonly"},
		{"a=inactive", offer(media.Inactive), "a=inactive"},
		{"c=0.0.0.0", strings.Replace(offer(media.SendRecv), "c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0", 1), "a=recvonly"},
	} {
		res := reinvite(tc.sdp)
		if res.StatusCode != 200 || !strings.Contains(string(res.Body()), tc.answer) {
			t.Fatalf("%s: %d, want 200 with %s:\n%s", tc.name, res.StatusCode, tc.answer, res.Body())
		}
		nextEvent(t, ch, channel.EventHold)
		time.Sleep(100 * time.Millisecond) // packets already on their way
		if flowing() {
			t.Errorf("%s: the box still sends to the phone that holds", tc.name)
		}
		res = reinvite(offer(media.SendRecv))
		if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=sendrecv") {
			t.Fatalf("resume after %s: %d\n%s", tc.name, res.StatusCode, res.Body())
		}
		nextEvent(t, ch, channel.EventUnhold)
		if !flowing() {
			t.Errorf("resume after %s: no audio from the box", tc.name)
		}
	}
}
