package box

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	"minipbx/internal/audiotest"
	"minipbx/internal/siptest"
	"minipbx/telephony/store"
)

// TestAnnouncementOnATelcoLine: a call on a telco line meets an
// announcement: the box answers, the caller hears its prompt (real audio
// on the line) while nobody rings, then extension 201 rings and takes
// the call.
func TestAnnouncementOnATelcoLine(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Reception", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Announcements = []store.Announcement{{Name: "notice", Prompts: []store.Prompt{{Tone: "440", MS: 2000}}, Then: "ext:201"}}
		c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "announce:notice"}}
	})
	reception := b.phone(t, "201", s201)
	ctx := tctx(t, 60*time.Second)
	line := b.Sim().Line(1)
	ringFromTelco(t, line, "5551234")
	if err := line.WaitSeized(ctx); err != nil {
		t.Fatalf("the box did not answer: %v", err)
	}
	line.Record()
	early, cancel := context.WithTimeout(ctx, time.Second)
	_, err := reception.Incoming(early)
	cancel()
	if err == nil {
		t.Fatal("201 rang while the announcement played")
	}
	rec := line.StopRecording()
	var peak int16
	for _, s := range rec {
		peak = max(peak, s, -s)
	}
	if len(rec) < 4000 || peak < 1000 {
		t.Errorf("the caller hears %d samples peaking at %d: no announcement", len(rec), peak)
	}
	in := takeCall(ctx, t, reception, "5551234", "201 did not ring after the announcement")
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxo:1" && r.Destination == "sip:201" })
}

// TestEarlyMediaAnnouncementToSIP: extension 201's SIP phone dials 500, a
// short number for an early-media announcement. The phone gets 183 Session
// Progress and hears the announcement's 1 kHz before any answer, then the
// box's ringback while 202 rings; the call is answered (200 OK) only when
// 202 answers, and billed from then, not from the announcement.
func TestEarlyMediaAnnouncementToSIP(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Alice", false)
	s202 := b.addSIPExtension(t, "202", "Reception", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Announcements = []store.Announcement{{Name: "connecting", Prompts: []store.Prompt{{Tone: "1000", MS: 1500}},
			Then: "ext:202", EarlyMedia: true}}
		c.Numbering.ShortNumbers = []store.ShortNumber{{Number: "500", Destination: "announce:connecting"}}
	})
	alice, reception := b.phone(t, "201", s201), b.phone(t, "202", s202)
	ctx := tctx(t, 60*time.Second)
	type dialled struct {
		call *siptest.Call
		err  error
	}
	done := make(chan dialled, 1)
	start := time.Now()
	go func() {
		c, err := alice.Dial(ctx, "500")
		done <- dialled{c, err}
	}()
	in, err := reception.Incoming(ctx)
	if err != nil {
		t.Fatalf("202 did not ring after the announcement: %v", err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("202 rang %v after the call began, before the 1.5 s announcement had played", d)
	}
	time.Sleep(time.Second) // 202 rings: the caller should hear ringback
	select {
	case d := <-done:
		t.Fatalf("the call was answered before 202 answered (%v)", d.err)
	default:
	}
	if err := in.Answer(); err != nil {
		t.Fatal(err)
	}
	d := <-done
	if d.err != nil {
		t.Fatalf("call to 500: %v", d.err)
	}
	if !slices.Contains(d.call.Provisional(), 183) {
		t.Errorf("provisional responses %v: want 183 Session Progress", d.call.Provisional())
	}
	early := d.call.Early()
	tone := 0
	for _, m := range audiotest.Blocks(early, 1000, 800) {
		if m.SNR > 30 {
			tone++
		}
	}
	if tone < 10 {
		t.Errorf("before the answer the phone heard %d blocks of 100 ms of the announcement's 1 kHz (of %d ms of audio), want 10 or more",
			tone, len(early)/8)
	}
	// The us ringback (440+480 Hz) after the announcement.
	if n := len(early); n < 8000*2 || audiotest.Analyze(early[n-4000:n-2000], 440).Peak < 300 {
		t.Errorf("no ringback at the end of the early media (%d samples)", len(early))
	}
	if err := d.call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "201" && r.Destination == "sip:202" && r.Disposition == "answered"
	})
	if billed := r.Answer.Sub(r.Start); billed < 2*time.Second {
		t.Errorf("answered %v after the call began: the early announcement and the ringing must not count", billed)
	}
}

// TestCalledPartysEarlyMedia: the called SIP phone (standing in for a
// provider's network) answers the INVITE with 183 and plays a 1 kHz
// announcement before it answers; the calling SIP phone gets 183 too and
// hears that announcement — not the box's silence or a 180 — then the
// call is answered. When the far end plays its announcement and then
// refuses (486), the caller gets the 486.
func TestCalledPartysEarlyMedia(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Alice", false)
	s202 := b.addSIPExtension(t, "202", "Provider", false)
	alice, far := b.phone(t, "201", s201), b.phone(t, "202", s202)
	ctx := tctx(t, 60*time.Second)
	for _, refuse := range []bool{false, true} {
		type dialled struct {
			call *siptest.Call
			err  error
		}
		done := make(chan dialled, 1)
		go func() {
			c, err := alice.Dial(ctx, "202")
			done <- dialled{c, err}
		}()
		in, err := far.Incoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tone := audiotest.Tone{Freq: 1000, Peak: 8000}
		in.Send(tone.Fill)
		if err := in.EarlyMedia(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if refuse {
			if err := in.Reject(486, "Busy Here"); err != nil {
				t.Fatal(err)
			}
			d := <-done
			var res *sipgo.ErrDialogResponse
			if !errors.As(d.err, &res) || res.Res.StatusCode != 486 {
				t.Fatalf("after the far end's announcement and 486: %v", d.err)
			}
			b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "201" && r.Disposition == "busy" })
			continue
		}
		if err := in.Answer(); err != nil {
			t.Fatal(err)
		}
		d := <-done
		if d.err != nil {
			t.Fatal(d.err)
		}
		if !slices.Contains(d.call.Provisional(), 183) {
			t.Errorf("provisional responses %v: want 183 Session Progress", d.call.Provisional())
		}
		heard := 0
		for _, m := range audiotest.Blocks(d.call.Early(), 1000, 800) {
			if m.SNR > 30 {
				heard++
			}
		}
		if heard < 8 {
			t.Errorf("before the answer the caller heard %d blocks of 100 ms of the far end's 1 kHz, want 8 or more", heard)
		}
		if err := d.call.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "201" && r.Disposition == "answered" })
	}
}
