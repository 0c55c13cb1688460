package box

import (
	"context"
	"encoding/binary"
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"minipbx/dsp"
	"minipbx/internal/audiotest"
	"minipbx/telephony"
	"minipbx/telephony/store"
)

// An analog phone records a call on demand (*1 dialled as tones during
// the call) with a SIP phone; the two-channel recording has each side's
// tone on its own channel, and the call record names it.
func TestAnalogPhoneRecordsOnDemand(t *testing.T) {
	b := startBox(t, "")
	ctx := tctx(t, 60*time.Second)
	svc := b.Service()
	plan, err := svc.ExportConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := plan.DialPlan()
	d.Recording = store.CallRecording{Mode: store.RecordOnDemand, Stereo: true}
	if _, err := svc.UpdateDialPlan(ctx, d); err != nil {
		t.Fatal(err)
	}
	sa := b.addSIPExtension(t, "201", "Alice", false)
	a := b.phone(t, "201", sa)
	ph := b.Sim().Phone(1) // extension 101
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF("201"); err != nil {
		t.Fatal(err)
	}
	call, err := a.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := call.Answer(); err != nil {
		t.Fatal(err)
	}
	// Each side talks its own tone.
	phTone := &audiotest.Tone{Freq: 440, Peak: 6000}
	sipTone := &audiotest.Tone{Freq: 1300, Peak: 6000}
	ph.Talk(phTone.Fill)
	call.Send(sipTone.Fill)
	time.Sleep(500 * time.Millisecond)
	if err := ph.DialDTMF("*1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if err := ph.DialDTMF("*1"); err != nil {
		t.Fatal(err)
	}
	var recs []telephony.CallRecording
	deadline := time.Now().Add(5 * time.Second)
	for len(recs) == 0 && time.Now().Before(deadline) {
		recs, _ = svc.CallRecordings(ctx, telephony.CallRecordingFilter{})
		time.Sleep(50 * time.Millisecond)
	}
	if len(recs) != 1 {
		t.Fatalf("recordings %+v", recs)
	}
	rec := recs[0]
	if !rec.Stereo || rec.Duration < 2*time.Second || rec.Duration > 4*time.Second {
		t.Errorf("recording %+v, want two channels of about 3 s", rec)
	}
	left, right := recordedChannels(ctx, t, svc, rec.ID)
	// Judge the middle, away from the keys' tones at either end, by the
	// median of its 100 ms blocks: a host stall (the test machine's, not
	// the recorder's) spoils a block or two; a wrong channel, gain or
	// mix spoils them all.
	mid := func(s []int16) []int16 { return s[len(s)/4 : 3*len(s)/4] }
	l, r := medianSNR(mid(left), 440), medianSNR(mid(right), 1300)
	if l < 20 || r < 20 {
		t.Errorf("left (the phone) 440 Hz SNR %.1f dB, right (the SIP phone) 1300 Hz SNR %.1f dB; want each > 20", l, r)
	}
	if x := medianSNR(mid(left), 1300); x > -10 {
		t.Errorf("the SIP phone's tone is on the left channel too (%.1f dB)", x)
	}
	ph.OnHook()
	<-call.Ended()
	cr := b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "201" })
	if cr.Recording != rec.ID {
		t.Errorf("the call record names recording %q, want %q", cr.Recording, rec.ID)
	}
}

// medianSNR is the median over s's 100 ms blocks of freq's SNR.
func medianSNR(s []int16, freq float64) float64 {
	var snrs []float64
	for i := 0; i+800 <= len(s); i += 800 {
		snrs = append(snrs, audiotest.Analyze(s[i:i+800], freq).SNR)
	}
	if len(snrs) == 0 {
		return math.Inf(-1)
	}
	slices.Sort(snrs)
	return snrs[len(snrs)/2]
}

// recordedChannels reads a recording's browser view as two channels.
func recordedChannels(ctx context.Context, t *testing.T, svc telephony.Service, id string) (left, right []int16) {
	t.Helper()
	rc, _, err := svc.CallRecordingAudio(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	for i := 44; i+3 < len(raw); i += 4 {
		left = append(left, int16(binary.LittleEndian.Uint16(raw[i:])))
		right = append(right, int16(binary.LittleEndian.Uint16(raw[i+2:])))
	}
	return left, right
}
