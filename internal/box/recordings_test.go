package box

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"minipbx/internal/audiotest"
	"minipbx/telephony/store"
)

// TestUploadedRecordingOnATelcoLine: the whole box, as an installer uses
// it: a 44.1 kHz stereo WAV of the studio's greeting goes up through the
// REST API (what the Recordings page and pbxctl use), an announcement
// names it, and a caller on a telco line hears it — the same tone,
// converted to the line's 8 kHz.
func TestUploadedRecordingOnATelcoLine(t *testing.T) {
	b := startBox(t, "")
	ctx := tctx(t, 60*time.Second)
	if err := b.Service().SetAdminPassword(ctx, "installer-pass-1"); err != nil {
		t.Fatal(err)
	}
	wav := audiotest.StudioWAV(1000, 2)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "https://"+b.WebAddr()+"/api/v1/recordings/greeting", bytes.NewReader(wav))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", "installer-pass-1")
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // the box's own certificate
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: HTTP %d", resp.StatusCode)
	}

	s201 := b.addSIPExtension(t, "201", "Reception", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Announcements = []store.Announcement{{Name: "greeting", Prompts: []store.Prompt{{File: "greeting.wav"}}, Then: "ext:201"}}
		c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "announce:greeting"}}
	})
	reception := b.phone(t, "201", s201)
	line := b.Sim().Line(1)
	ringFromTelco(t, line, "5551234")
	if err := line.WaitSeized(ctx); err != nil {
		t.Fatalf("the box did not answer: %v", err)
	}
	line.Record()
	in, err := reception.Incoming(ctx)
	if err != nil {
		t.Fatalf("201 did not ring after the greeting: %v", err)
	}
	heard := line.StopRecording()
	if len(heard) < 12000 {
		t.Fatalf("the caller heard %d samples before 201 rang, want the 2 s greeting", len(heard))
	}
	// The loudest second is the greeting; judge it block by block.
	best := 0.0
	for _, m := range audiotest.Blocks(heard, 1000, 800) {
		best = max(best, m.SNR)
	}
	if best < 20 {
		t.Errorf("the caller does not hear the uploaded 1 kHz greeting: best block SNR %.1f dB", best)
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
}
