package box

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/internal/audiotest"
	"minipbx/telephony/store"
)

// Calls that change hands through the whole box, with baresip as the SIP
// phone: a caller on the telco line talks to baresip (extension 201),
// which transfers them blind, or attended, to the analog phone 101, or
// holds them. What the parties hear is measured on the simulated board,
// and the call record's path is checked.

// telcoCallTo makes the telco line ring the box, its inbound route sending
// the call to extension ext, and waits for baresip to answer it.
func telcoCallTo(t *testing.T, b *testBox, bs *baresip, ext string) *sim.Line {
	t.Helper()
	if _, err := b.Service().UpdateFXOLine(context.Background(), store.FXOLine{Port: 1, Name: "Line 1", Enabled: true,
		AnswerAfterRings: 2, Destination: ext}); err != nil {
		t.Fatal(err)
	}
	line := b.Sim().Line(1)
	ringFromTelco(t, line, "5551234")
	bs.waitEvent(15*time.Second, "CALL_ESTABLISHED")
	return line
}

// hearsTone reports the median SNR of freq over 1.2 s of what ear
// records from now on.
func hearsTone(t *testing.T, ear recorder, freq float64) float64 {
	t.Helper()
	const blockLen, n = 800, 12
	ear.start()
	deadline := time.Now().Add(10 * time.Second)
	rec := ear.got()
	for ; len(rec) < blockLen*n && time.Now().Before(deadline); rec = ear.got() {
		time.Sleep(50 * time.Millisecond)
	}
	if len(rec) < blockLen*n {
		t.Fatalf("only %d samples in 10 s", len(rec))
	}
	blocks := audiotest.Blocks(rec[:blockLen*n], freq, blockLen)
	slices.SortFunc(blocks, func(a, b audiotest.Measurement) int { return int(a.SNR - b.SNR) })
	return blocks[len(blocks)/2].SNR
}

// untilTone waits (up to within) until ear hears freq at 20 dB SNR and
// returns the last figure: what a phone's re-INVITE changes takes a round
// trip or two to be heard.
func untilTone(t *testing.T, ear recorder, freq float64, within time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		snr := hearsTone(t, ear, freq)
		if snr >= 20 || time.Now().After(deadline) {
			return snr
		}
	}
}

// talkTo101 checks that the telco caller and the analog phone 101 hear
// each other, hangs 101 up, and returns the call's record once the line
// is free.
func talkTo101(t *testing.T, b *testBox, line *sim.Line, ph *sim.Phone) store.CallRecord {
	t.Helper()
	if m := measure(t, line.Talk, phoneEar(ph)); m.SNR < 25 {
		t.Errorf("caller→101 1 kHz SNR %.1f dB", m.SNR)
	}
	if m := measure(t, ph.Talk, lineEar(line)); m.SNR < 25 {
		t.Errorf("101→caller 1 kHz SNR %.1f dB", m.SNR)
	}
	ph.OnHook()
	if err := line.WaitReleased(tctx(t, 10*time.Second)); err != nil {
		t.Fatalf("the line was not released when 101 hung up: %v", err)
	}
	return b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "5551234" })
}

// musicOnHold600 makes the box's music on hold a steady 600 Hz, which a
// test tells from anything else the parties send.
func musicOnHold600(t *testing.T, b *testBox) {
	t.Helper()
	b.importDialPlan(t, func(c *store.Config) {
		c.MOHClasses = []store.MOHClass{{Name: "tone", Prompts: []store.Prompt{{Tone: "600", MS: 5000}}}}
		c.Features.MusicOnHold = "tone"
	})
}

// holdAndResume checks that who (listening with ear) hears baresip's
// 1 kHz, then the music on hold while baresip holds, then baresip again.
func holdAndResume(t *testing.T, bs *baresip, ear recorder, who string) {
	t.Helper()
	if snr := untilTone(t, ear, 1000, 3*time.Second); snr < 20 {
		t.Fatalf("%s does not hear baresip's 1 kHz (%.1f dB)", who, snr)
	}
	bs.do("hold", "")
	if snr := untilTone(t, ear, 600, 3*time.Second); snr < 20 {
		t.Errorf("held: %s hears no music on hold (600 Hz at %.1f dB)", who, snr)
	}
	bs.do("resume", "")
	if snr := untilTone(t, ear, 1000, 3*time.Second); snr < 20 {
		t.Errorf("resumed: %s does not hear baresip again (%.1f dB)", who, snr)
	}
}

// pathOf is a record's path as "event:party>to/by" steps.
func pathOf(r store.CallRecord) string {
	var steps []string
	for _, s := range r.Path {
		steps = append(steps, fmt.Sprintf("%s:%s>%s/%s", s.Event, s.Party, s.To, s.By))
	}
	return strings.Join(steps, " ")
}

func legNames(r store.CallRecord) []string {
	var names []string
	for _, l := range r.Legs {
		names = append(names, l.Name)
	}
	return names
}

// TestBaresipBlindTransfer: baresip transfers the telco caller to 101 by
// REFER; the caller hears ringback while 101 rings, then the two talk,
// and baresip's call ends as transferred.
func TestBaresipBlindTransfer(t *testing.T) {
	b := startBox(t, "")
	bs := startBaresip(t, b, "201", "auto")
	line := telcoCallTo(t, b, bs, "201")
	ctx := tctx(t, 60*time.Second)
	ph := b.Sim().Phone(1) // extension 101

	bs.do("line", "1")
	bs.do("transfer", "101")
	if err := line.Hears(ctx, dsp.ToneRingback); err != nil {
		t.Errorf("the transferred caller hears no ringback: %v", err)
	}
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatalf("101 did not ring: %v", err)
	}
	ph.OffHook()
	// The transfer is done (NOTIFY 200) once 101 answered; baresip hangs up.
	if ev := bs.waitEvent(10*time.Second, "CALL_CLOSED"); ev.Param != "Call transfered" {
		t.Errorf("baresip's call ended with %q, want it transferred", ev.Param)
	}
	r := talkTo101(t, b, line, ph)
	if !slices.Equal(legNames(r), []string{"fxo:1", "sip:201", "fxs:1"}) ||
		!strings.Contains(pathOf(r), "transferred:fxo:1>101/201") || r.Disposition != "answered" {
		t.Errorf("record: legs %v, path %s, disposition %s", legNames(r), pathOf(r), r.Disposition)
	}
}

// TestBaresipHold: baresip holds the telco caller, who hears the box's
// music on hold; on resume they hear baresip again.
func TestBaresipHold(t *testing.T) {
	b := startBox(t, "")
	musicOnHold600(t, b)
	bs := startBaresip(t, b, "201", "auto")
	line := telcoCallTo(t, b, bs, "201")
	ear := lineEar(line)
	holdAndResume(t, bs, ear, "the caller")
	bs.do("hangup", "")
	if err := line.WaitReleased(tctx(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "5551234" })
	if p := pathOf(r); !strings.Contains(p, "held:fxo:1>/201") || !strings.Contains(p, "resumed:fxo:1") {
		t.Errorf("path %s: want held by 201 and resumed", p)
	}
}

// TestBaresipHoldsASIPPhone: the held party is a SIP phone (202, calling
// baresip): the music on hold the box plays reaches it over its own RTP
// session, which the hold does not touch (only baresip's is recvonly).
func TestBaresipHoldsASIPPhone(t *testing.T) {
	b := startBox(t, "")
	musicOnHold600(t, b)
	bs := startBaresip(t, b, "201", "auto")
	caller := b.phone(t, "202", b.addSIPExtension(t, "202", "Caller", false))
	ctx := tctx(t, 30*time.Second)
	call, err := caller.Dial(ctx, "201")
	if err != nil {
		t.Fatalf("202 calls baresip: %v", err)
	}
	bs.waitEvent(10*time.Second, "CALL_ESTABLISHED")
	ear := sipEar(call)
	holdAndResume(t, bs, ear, "202")
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	bs.waitEvent(10*time.Second, "CALL_CLOSED")
}

// TestBaresipAttendedTransfer: baresip holds the telco caller, calls 101,
// talks, then transfers the caller into its call with 101 (REFER with
// Replaces naming that call). baresip 1.0.0 has no command for it — its
// /transfer sends what URI it is given as Refer-To — so the test builds
// the Replaces from the consultation's dialog as baresip's own SIP trace
// shows it, as the phone itself would.
func TestBaresipAttendedTransfer(t *testing.T) {
	b := startBox(t, "")
	bs := startBaresip(t, b, "201", "auto")
	line := telcoCallTo(t, b, bs, "201")
	ctx := tctx(t, 60*time.Second)
	ph := b.Sim().Phone(1)

	bs.do("hold", "")
	bs.do("dial", "101")
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatalf("101 did not ring: %v", err)
	}
	ph.OffHook()
	consult := bs.waitEvent(10*time.Second, "CALL_ESTABLISHED")
	toTag, fromTag := bs.dialogTags(t, consult.ID)
	bs.do("line", "1") // the held call
	replaces := strings.NewReplacer("@", "%40", ";", "%3B", "=", "%3D").Replace(consult.ID + ";to-tag=" + toTag + ";from-tag=" + fromTag)
	bs.do("transfer", "sip:101@"+b.SIPAddr()+"?Replaces="+replaces)
	for range 2 {
		bs.waitEvent(10*time.Second, "CALL_CLOSED")
	}
	r := talkTo101(t, b, line, ph)
	t.Logf("record: legs %v, path %s", legNames(r), pathOf(r))
	if p := pathOf(r); !strings.Contains(p, "transferred:fxo:1>fxs:1/201") {
		t.Errorf("record: legs %v, path %s", legNames(r), p)
	}
}

// dialogTags reads the tags of the call with Call-ID callID from
// baresip's SIP trace: the box's (the 200 OK's To tag) and baresip's own
// (From), as RFC 5589's Replaces names them from the target's side.
func (bs *baresip) dialogTags(t *testing.T, callID string) (boxTag, ownTag string) {
	t.Helper()
	toRE := regexp.MustCompile(`(?m)^\s*To: .*;tag=([^;\s>]+)`)
	fromRE := regexp.MustCompile(`(?m)^\s*From: .*;tag=([^;\s>]+)`)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, msg := range strings.Split(bs.log.String(), "\x1b[;m") { // the trace colours each message
			if !strings.Contains(msg, "SIP/2.0 200") || !strings.Contains(msg, "Call-ID: "+callID) || !strings.Contains(msg, " INVITE") {
				continue
			}
			if to, from := toRE.FindStringSubmatch(msg), fromRE.FindStringSubmatch(msg); to != nil && from != nil {
				return to[1], from[1]
			}
		}
	}
	t.Fatalf("no 200 OK for Call-ID %s in baresip's trace", callID)
	return "", ""
}
