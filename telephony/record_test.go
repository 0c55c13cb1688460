package telephony

import (
	"encoding/binary"
	"io"
	"slices"
	"testing"
	"time"

	"minipbx/telephony/callrec"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// recordBox is a feature box with a real recordings store.
func recordBox(t *testing.T, edit func(c *store.Config)) (*testBox, *callrec.Store) {
	t.Helper()
	b := featureBox(t, edit)
	recs, err := callrec.Open(t.TempDir(), callrec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.x.recs = recs
	b.x.prompts = testPrompts(t)
	return b, recs
}

// talkFor has a and b speak their voices for d.
func talkFor(a, b *fakeChannel, d time.Duration) {
	a.ep.mu.Lock()
	a.ep.voice = 1111
	a.ep.mu.Unlock()
	b.ep.mu.Lock()
	b.ep.voice = -2222
	b.ep.mu.Unlock()
	for end := time.Now().Add(d); time.Now().Before(end); {
		a.ep.speak()
		b.ep.speak()
		time.Sleep(20 * time.Millisecond)
	}
}

// channelsOf reads a recording's PCM view as its left and right channels.
func channelsOf(t *testing.T, recs *callrec.Store, id string) (left, right []int16) {
	t.Helper()
	rc, _, err := recs.Audio(id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	for i := 44; i+3 < len(b); i += 4 {
		left = append(left, int16(binary.LittleEndian.Uint16(b[i:])))
		right = append(right, int16(binary.LittleEndian.Uint16(b[i+2:])))
	}
	return left, right
}

// near counts samples within 5 % of v.
func near(s []int16, v int16) int {
	n := 0
	for _, x := range s {
		d := int(x) - int(v)
		if d < 0 {
			d = -d
		}
		if d*20 <= int(max(v, -v)) {
			n++
		}
	}
	return n
}

func recordOf(t *testing.T, b *testBox, source string) store.CallRecord {
	t.Helper()
	for {
		if r := b.st.waitRecord(t); r.Source == source {
			return r
		}
	}
}

func TestAlwaysRecordedCallHasEachSideOnItsChannel(t *testing.T) {
	b, recs := recordBox(t, func(c *store.Config) {
		c.Recording = store.CallRecording{Mode: store.RecordAlways, Stereo: true}
	})
	in, out := talking(t, b, "201", "202")
	talkFor(in, out, time.Second)
	in.end(channel.CauseNormal)
	r := recordOf(t, b, "sip:201")
	if r.Recording == "" {
		t.Fatal("the record names no recording")
	}
	rec, err := recs.Get(r.Recording)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Stereo || !slices.Contains(rec.Extensions, "201") || !slices.Contains(rec.Extensions, "202") || rec.CallID == "" {
		t.Errorf("recording %+v", rec)
	}
	left, right := channelsOf(t, recs, r.Recording)
	if l, r := near(left, 1111), near(right, -2222); l < 4000 || r < 4000 {
		t.Errorf("left has the caller in %d samples, right the callee in %d; want each about a second", l, r)
	}
	if near(left, -2222) > 0 || near(right, 1111) > 0 {
		t.Error("the sides are mixed")
	}
}

func TestOnDemandRecordingBySIPKeys(t *testing.T) {
	b, recs := recordBox(t, func(c *store.Config) {
		c.Recording = store.CallRecording{Mode: store.RecordOnDemand, Announce: true}
	})
	in, out := talking(t, b, "201", "202")
	// A key that is not the code goes through at once.
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '5'})
	// *1 starts the recording; the far end does not hear the keys.
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '*'})
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '1'})
	deadline := time.Now().Add(3 * time.Second)
	for len(recs.List(callrec.Filter{})) == 0 && time.Now().Before(deadline) {
		talkFor(in, out, 100*time.Millisecond)
	}
	// '*' alone is relayed once its time is up.
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '*'})
	time.Sleep(recordHoldBack + 300*time.Millisecond)
	in.mu.Lock()
	got := string(in.digitsOut)
	in.mu.Unlock()
	if got != "5*" {
		t.Errorf("the caller got keys %q, want 5 and the late * (not the code)", got)
	}
	talkFor(in, out, 500*time.Millisecond)
	// *1 again stops it.
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '*'})
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '1'})
	deadline = time.Now().Add(3 * time.Second)
	for len(recs.List(callrec.Filter{})) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if l := recs.List(callrec.Filter{}); len(l) != 1 || l[0].Duration < 300*time.Millisecond {
		t.Fatalf("recordings %+v", l)
	}
	in.end(channel.CauseNormal)
	r := recordOf(t, b, "sip:201")
	if !hasStep(r, "recording") || !hasStep(r, "recording-stopped") || r.Recording == "" {
		t.Errorf("record %q, path %v", r.Recording, steps(r))
	}
}

func TestNeverRecordedExtensionIgnoresTheCode(t *testing.T) {
	b, recs := recordBox(t, func(c *store.Config) {
		c.Recording = store.CallRecording{Mode: store.RecordOnDemand}
		c.ExtensionRules = []store.ExtensionRule{{Extension: "202", Record: store.RecordNever}}
	})
	in, out := talking(t, b, "201", "202")
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '*'})
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '1'})
	time.Sleep(200 * time.Millisecond)
	in.mu.Lock()
	got := string(in.digitsOut)
	in.mu.Unlock()
	if got != "*1" {
		t.Errorf("keys relayed %q, want *1 (no recording for 202)", got)
	}
	in.end(channel.CauseNormal)
	recordOf(t, b, "sip:201")
	if l := recs.List(callrec.Filter{}); len(l) != 0 {
		t.Errorf("recorded: %+v", l)
	}
}

func TestRecordingFollowsATransfer(t *testing.T) {
	b, recs := recordBox(t, func(c *store.Config) {
		c.Recording = store.CallRecording{Mode: store.RecordAlways}
	})
	in, out := talking(t, b, "201", "202")
	talkFor(in, out, 300*time.Millisecond)
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "203"}})
	target := expect(t, b.sip, "203")
	target.emit(channel.Event{Type: channel.EventAnswer})
	out.end(channel.CauseNormal)
	connected(t, in, target)
	talkFor(in, target, 300*time.Millisecond)
	in.end(channel.CauseNormal)
	r := recordOf(t, b, "sip:201")
	rec, err := recs.Get(r.Recording)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"sip:201", "sip:202", "sip:203"} {
		if !slices.Contains(rec.Parties, p) {
			t.Errorf("recording parties %v lack %s", rec.Parties, p)
		}
	}
	if len(recs.List(callrec.Filter{})) != 1 {
		t.Error("a transfer split the recording")
	}
}
