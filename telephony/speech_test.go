package telephony

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
	"minipbx/telephony/channel"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// testPrompts is a voice of short stand-ins: every prompt of every
// language replaced by 60 ms of noise of its own (seeded by its language
// and name), so tests run fast and can find each prompt, exactly, in what
// a caller heard.
func testPrompts(t *testing.T) *prompts.Set {
	t.Helper()
	dir := t.TempDir()
	for _, l := range prompts.Languages() {
		for _, name := range l.Names() {
			h := fnv.New64a()
			h.Write([]byte(l.File(name)))
			r := rand.New(rand.NewPCG(h.Sum64(), 1))
			s := make([]int16, 480)
			for i := range s {
				s[i] = int16(r.IntN(8001) - 4000)
			}
			f, err := os.Create(filepath.Join(dir, l.File(name)))
			if err != nil {
				t.Fatal(err)
			}
			if err := audiofile.WriteWAV(f, s, audiofile.PCM16); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return prompts.New(dir)
}

// spoken returns the samples of English names said one after the other.
func spoken(t *testing.T, set *prompts.Set, names ...string) []int16 {
	t.Helper()
	return spokenIn(t, set, prompts.English, names...)
}

// spokenIn returns the samples of language l's names said one after the
// other.
func spokenIn(t *testing.T, set *prompts.Set, l prompts.Language, names ...string) []int16 {
	t.Helper()
	var out []int16
	for _, n := range names {
		s, err := set.Load(l, n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s...)
	}
	return out
}

// heardSaying reports whether heard holds English names said one after
// the other, without a gap, sample for sample.
func heardSaying(t *testing.T, heard []int16, set *prompts.Set, names ...string) bool {
	t.Helper()
	return saidAt(heard, spoken(t, set, names...)) >= 0
}

// heardSayingIn is heardSaying in language l.
func heardSayingIn(t *testing.T, heard []int16, set *prompts.Set, l prompts.Language, names ...string) bool {
	t.Helper()
	return saidAt(heard, spokenIn(t, set, l, names...)) >= 0
}

// saidAt is where want starts in heard, or -1.
func saidAt(heard, want []int16) int {
	for i := 0; i+len(want) <= len(heard); i++ {
		if slices.Equal(heard[i:i+len(want)], want) {
			return i
		}
	}
	return -1
}

// waitHeard waits up to limit for ep to have heard l's names said.
func waitHeard(t *testing.T, ep *fakeEndpoint, set *prompts.Set, l prompts.Language, limit time.Duration, names ...string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !heardSayingIn(t, ep.heardSamples(), set, l, names...) {
		if time.Now().After(deadline) {
			t.Fatalf("the caller did not hear %q (%d frames heard)", names, ep.heard())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestQueueSpeaksPositions(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.Queues = []store.Queue{{Name: "support", Strategy: "ringall", MaxWaitS: 30, AnnounceEveryS: 1,
			Members:     []store.GroupMember{{Destination: "ext:201", RingS: 5}},
			MusicOnHold: []store.Prompt{{Tone: "600", MS: 60000}}}}
		c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "queue:support"}}
	}, nil)
	b.x.prompts = testPrompts(t)
	b.sip.fail["201"] = channel.CauseBusy
	first, second := fxoCaller(1, "5550001"), fxoCaller(2, "5550002")
	b.x.Accept(first)
	time.Sleep(100 * time.Millisecond)
	b.x.Accept(second)
	waitHeard(t, &first.ep, b.x.prompts, prompts.English, 3*time.Second, prompts.English.QueuePosition(1)...)
	waitHeard(t, &second.ep, b.x.prompts, prompts.English, 3*time.Second, prompts.English.QueuePosition(2)...)
	// The music goes on after the announcement: a steady 600 Hz tone
	// again, not silence or beeps.
	time.Sleep(300 * time.Millisecond)
	heard := second.ep.heardSamples()
	want := spoken(t, b.x.prompts, prompts.English.QueuePosition(2)...)
	at := saidAt(heard, want) + len(want)
	after := heard[at:]
	after = after[(160-at%160)%160:] // from the next whole frame on
	if len(after) < 1600 {
		t.Fatalf("only %d samples after the announcement", len(after))
	}
	if m := audiotest.Analyze(after[:1600], 600); m.SNR < 30 {
		t.Errorf("after the announcement: not the music (600 Hz at %.1f dB SNR)", m.SNR)
	}
	// Before it, the music too.
	before := heard[:at-len(want)]
	if m := audiotest.Analyze(before[len(before)-1600:len(before)-160], 600); m.SNR < 30 {
		t.Errorf("before the announcement: not the music (SNR %.1f dB)", m.SNR)
	}
	first.end(channel.CauseNormal)
	second.end(channel.CauseNormal)
	b.st.waitRecord(t)
	b.st.waitRecord(t)
}

// TestQueueAnnouncementsWithBuiltins hears the real recordings: the
// announcement of position 1 is the built-in prompts, in order.
func TestQueueAnnouncementsWithBuiltins(t *testing.T) {
	if testing.Short() {
		t.Skip("plays 7 s of speech")
	}
	heardPlaceInQueue(t, prompts.English, nil, nil, 10*time.Second)
}

// heardPlaceInQueue puts a caller from outside in a queue whose agent is
// busy, with edit's changes (nil: none) and the voice set (nil: the
// built-in one), and waits up to limit for them to hear their place said
// in l.
func heardPlaceInQueue(t *testing.T, l prompts.Language, edit func(c *store.Config), set *prompts.Set, limit time.Duration) {
	t.Helper()
	b := newPlanBox(t, func(c *store.Config) {
		c.Queues = []store.Queue{{Name: "support", Strategy: "ringall", MaxWaitS: 30, AnnounceEveryS: 1,
			Members: []store.GroupMember{{Destination: "ext:201", RingS: 5}}}}
		c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "queue:support"}}
		if edit != nil {
			edit(c)
		}
	}, nil)
	if set != nil {
		b.x.prompts = set
	}
	b.sip.fail["201"] = channel.CauseBusy
	in := fxoCaller(1, "5550001")
	b.x.Accept(in)
	waitHeard(t, &in.ep, b.x.prompts, l, limit, l.QueuePosition(1)...)
	in.end(channel.CauseNormal)
	b.st.waitRecord(t)
}

func TestFeatureCodeRefusedByVoiceWhenAnswered(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {}, nil)
	b.x.prompts = testPrompts(t)
	refuse := func(in *fakeChannel, cause channel.Cause) {
		c := b.x.newCall(in)
		r := b.x.newRouter(context.Background(), c, c.first)
		featureApp{r: r}.refuse(cause)
	}
	in := fxoCaller(1, "5550001")
	refuse(in, channel.CauseForbidden)
	if cause := in.waitHangup(t); cause != channel.CauseForbidden {
		t.Errorf("cause %v", cause)
	}
	if !heardSaying(t, in.ep.heardSamples(), b.x.prompts, prompts.FeatureRefused) {
		t.Error("the answered caller was not told the code failed")
	}
	// A caller not yet answered learns it from the cause alone.
	in = fxoCaller(2, "5550002")
	in.info.Kind = channel.SIP
	refuse(in, channel.CauseNotFound)
	if cause := in.waitHangup(t); cause != channel.CauseNotFound || in.ep.heard() != 0 {
		t.Errorf("cause %v, %d frames heard", cause, in.ep.heard())
	}
}

func TestMenuPromptNamingABuiltin(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {}, nil)
	b.x.prompts = testPrompts(t)
	src, err := b.x.promptSource(store.Prompt{File: prompts.VMLeaveMessage + ".wav"}, prompts.English)
	if err != nil {
		t.Fatal(err)
	}
	var got []int16
	frame := make([]int16, 160)
	for src(frame) {
		got = append(got, frame...)
	}
	want := spoken(t, b.x.prompts, prompts.VMLeaveMessage)
	if !slices.Equal(got[:len(want)], want) {
		t.Error("vm-leave-message.wav in a menu does not play the prompt")
	}
	// Any other name is still a file in the prompts directory.
	if _, err := b.x.promptSource(store.Prompt{File: "welcome.wav"}, prompts.English); err == nil || !strings.Contains(err.Error(), "welcome.wav") {
		t.Errorf("a file that is neither: %v", err)
	}
}

// TestFeatureCodeSpeaksBuiltins hears the real recordings confirm a code.
func TestFeatureCodeSpeaksBuiltins(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.Numbering.FeatureCodes = true
		c.ExtensionRules = []store.ExtensionRule{{Extension: "201", ForwardAlways: "ext:202"}}
	}, nil)
	in := sipCaller("201", "*73")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Fatalf("*73: %v", c)
	}
	b.st.waitRecord(t)
	if !heardSaying(t, in.ep.heardSamples(), b.x.prompts, prompts.FwdOff, prompts.Goodbye) {
		t.Error("the caller did not hear \"Call forwarding is off. Goodbye.\"")
	}
}
