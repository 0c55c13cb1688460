package box

import (
	"context"
	"testing"
	"time"

	"minipbx/dsp"
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
	line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond})
	if err := line.Ring(dsp.CallerIDMessage{Number: "5551234", Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
		t.Fatal(err)
	}
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
	in, err := reception.Incoming(ctx)
	if err != nil {
		t.Fatalf("201 did not ring after the announcement: %v", err)
	}
	if n, _ := in.Caller(); n != "5551234" {
		t.Errorf("201 sees caller %q", n)
	}
	if err := in.Answer(); err != nil {
		t.Fatal(err)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxo:1" && r.Destination == "sip:201" })
}
