package telephony

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// announceBox is an exchange whose store sits in a directory with a
// prompts folder holding notice.wav (200 ms), with extension 203 and the
// dial plan edit makes.
func announceBox(t *testing.T, edit func(c *store.Config)) *testBox {
	t.Helper()
	cfg := testConfig()
	cfg.Extensions = append(cfg.Extensions, store.Extension{Number: "203", Name: "Erin"})
	edit(&cfg)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "prompts"), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "prompts", "notice.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := audiofile.WriteWAV(f, make([]int16, 8000/5), audiofile.PCM16); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st := newFakeStore(cfg)
	sip, analog := newFakeDialer(channel.SIP), newFakeDialer(channel.FXS)
	x, err := New(Options{Store: st, SIP: sip, Analog: analog, PromptDir: filepath.Join(dir, "prompts")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compilePlan(x.config()); err != nil {
		t.Fatalf("test configuration does not compile: %v", err)
	}
	x.dp.refuseTone = 200 * time.Millisecond
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := x.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return &testBox{x: x, st: st, sip: sip, analog: analog}
}

func TestAnnouncements(t *testing.T) {
	// 200 ms of tone, the 200 ms file, a missing file (skipped): 20 frames.
	notice := store.Announcement{Name: "notice", Prompts: []store.Prompt{{Tone: "1000", MS: 200}, {File: "notice.wav"}, {File: "missing.wav"}},
		Then: "ext:202"}
	const frames = 20

	t.Run("the prompts play, then the destination rings", func(t *testing.T) {
		b := announceBox(t, func(c *store.Config) {
			c.Announcements = []store.Announcement{notice}
			c.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "announce:notice"}}
		})
		in := fxoCaller(1, "5551234")
		start := time.Now()
		b.x.Accept(in)
		leg := expect(t, b.sip, "202")
		if d := time.Since(start); d < 350*time.Millisecond {
			t.Errorf("202 rang %v after the call came in: before the prompts had played", d)
		}
		if h := in.ep.heard(); h < frames {
			t.Errorf("caller heard %d frames before 202 rang, want the %d of the prompts", h, frames)
		}
		in.mu.Lock()
		answered := in.answered
		in.mu.Unlock()
		if answered != 1 {
			t.Errorf("caller answered %d times, want once", answered)
		}
		if r := answerAndEnd(t, b, in, leg); r.Disposition != "answered" || r.Destination != "sip:202" {
			t.Errorf("record %+v", r)
		}
	})

	t.Run("with nothing next the call ends after the prompts", func(t *testing.T) {
		b := announceBox(t, func(c *store.Config) {
			a := notice
			a.Then = ""
			c.Announcements = []store.Announcement{a}
			c.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "announce:notice"}}
		})
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		if c := in.waitHangup(t); c != channel.CauseNormal {
			t.Errorf("hung up with %v, want normal", c)
		}
		if h := in.ep.heard(); h < frames {
			t.Errorf("caller heard %d frames, want %d", h, frames)
		}
		if r := b.st.waitRecord(t); r.Disposition != "answered" || r.Callee != "announce:notice" {
			t.Errorf("record %+v", r)
		}
		b.sip.none(t)
	})

	t.Run("a caller who hangs up during the prompts goes nowhere", func(t *testing.T) {
		b := announceBox(t, func(c *store.Config) {
			c.Announcements = []store.Announcement{{Name: "long", Prompts: []store.Prompt{{Tone: "425", MS: 5000}}, Then: "ext:202"}}
			c.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "announce:long"}}
		})
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		for in.ep.heard() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		in.end(channel.CauseNormal)
		if r := b.st.waitRecord(t); r.Disposition != "abandoned" {
			t.Errorf("record %+v", r)
		}
		b.sip.none(t)
	})

	t.Run("announcements in a row, from an extension's forwarding", func(t *testing.T) {
		b := announceBox(t, func(c *store.Config) {
			c.Announcements = []store.Announcement{
				{Name: "first", Prompts: []store.Prompt{{Tone: "1000", MS: 200}}, Then: "announce:second"},
				{Name: "second", Prompts: []store.Prompt{{MS: 200}}, Then: "ext:203"},
			}
			c.ExtensionRules = []store.ExtensionRule{{Extension: "202", ForwardAlways: "announce:first"}}
		})
		in := sipCaller("201", "202")
		b.x.Accept(in)
		leg := expect(t, b.sip, "203")
		if h := in.ep.heard(); h < 20 {
			t.Errorf("caller heard %d frames before 203 rang, want both announcements' 20", h)
		}
		answerAndEnd(t, b, in, leg)
	})

	t.Run("a loop is cut by the hop limit", func(t *testing.T) {
		// Validation refuses it; a hand-edited database must still not
		// keep a caller forever.
		b := announceBox(t, func(c *store.Config) {
			c.Announcements = []store.Announcement{
				{Name: "a", Prompts: []store.Prompt{{MS: 100}}, Then: "announce:b"},
				{Name: "b", Prompts: []store.Prompt{{MS: 100}}, Then: "announce:a"},
			}
			c.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "announce:a"}}
		})
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		if c := in.waitHangup(t); c != channel.CauseCongestion {
			t.Errorf("hung up with %v, want congestion", c)
		}
		if h := in.ep.heard(); h < (maxHops+1)*5 {
			t.Errorf("heard %d frames, want the %d of %d announcements", h, (maxHops+1)*5, maxHops+1)
		}
		b.st.waitRecord(t)
	})
}

// earlyCaller is a SIP caller whose leg can open early media.
type earlyCaller struct {
	*fakeChannel
	mu    sync.Mutex
	early int
	fail  error
}

func (c *earlyCaller) EarlyMedia() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.early++
	return nil
}

func (c *earlyCaller) counts() (early, progress, answered int) {
	c.mu.Lock()
	early = c.early
	c.mu.Unlock()
	c.fakeChannel.mu.Lock()
	defer c.fakeChannel.mu.Unlock()
	return early, c.progress, c.answered
}

// An early-media announcement plays before the answer: the caller's leg
// opens early media instead of answering, the prompts and then the box's
// ringback play into it, and the call is answered only when the
// destination answers; busy then refuses it unanswered; with nowhere to
// go it ends unanswered; a leg that cannot have early media is answered
// as before.
func TestEarlyMediaAnnouncement(t *testing.T) {
	notice := store.Announcement{Name: "notice", Prompts: []store.Prompt{{Tone: "1000", MS: 200}}, Then: "ext:202", EarlyMedia: true}
	box := func(t *testing.T, a store.Announcement) *testBox {
		return announceBox(t, func(c *store.Config) {
			c.Announcements = []store.Announcement{a}
			c.Numbering.ShortNumbers = []store.ShortNumber{{Number: "500", Destination: "announce:notice"}}
		})
	}

	t.Run("answered only when the destination answers", func(t *testing.T) {
		b := box(t, notice)
		in := &earlyCaller{fakeChannel: sipCaller("201", "500")}
		b.x.Accept(in)
		leg := expect(t, b.sip, "202")
		if e, _, a := in.counts(); e != 1 || a != 0 {
			t.Fatalf("while 202 rings: early media opened %d times, answered %d; want 1, 0", e, a)
		}
		heard := in.ep.heard()
		leg.emit(channel.Event{Type: channel.EventProgress})
		time.Sleep(200 * time.Millisecond)
		if e, p, a := in.counts(); p != 0 || a != 0 || e != 1 {
			t.Errorf("202 ringing: progress %d, answered %d, early %d; want the ringback in the early media, not a 180", p, a, e)
		}
		if in.ep.heard() <= heard {
			t.Error("the caller hears nothing while 202 rings: want the box's ringback")
		}
		if r := answerAndEnd(t, b, in.fakeChannel, leg); r.Disposition != "answered" || r.Destination != "sip:202" {
			t.Errorf("record %+v", r)
		}
		if _, _, a := in.counts(); a != 1 {
			t.Errorf("answered %d times, want once, when 202 answered", a)
		}
	})

	t.Run("busy after the announcement is refused unanswered", func(t *testing.T) {
		b := box(t, notice)
		in := &earlyCaller{fakeChannel: sipCaller("201", "500")}
		b.x.Accept(in)
		leg := expect(t, b.sip, "202")
		leg.end(channel.CauseBusy)
		if c := in.waitHangup(t); c != channel.CauseBusy {
			t.Errorf("caller refused with %v, want busy", c)
		}
		if _, _, a := in.counts(); a != 0 {
			t.Errorf("answered %d times", a)
		}
		if r := b.st.waitRecord(t); r.Disposition != "busy" || !r.Answer.IsZero() {
			t.Errorf("record %+v", r)
		}
	})

	t.Run("nowhere to go: unanswered after the prompts", func(t *testing.T) {
		a := notice
		a.Then = ""
		b := box(t, a)
		in := &earlyCaller{fakeChannel: sipCaller("201", "500")}
		b.x.Accept(in)
		if c := in.waitHangup(t); c != channel.CauseUnavailable {
			t.Errorf("ended with %v, want unavailable", c)
		}
		if h := in.ep.heard(); h < 10 {
			t.Errorf("caller heard %d frames, want the prompt's 10", h)
		}
		if e, _, ans := in.counts(); e != 1 || ans != 0 {
			t.Errorf("early %d, answered %d", e, ans)
		}
	})

	t.Run("a leg without early media is answered", func(t *testing.T) {
		b := box(t, notice)
		in := &earlyCaller{fakeChannel: sipCaller("201", "500"), fail: errors.New("the INVITE had no SDP")}
		b.x.Accept(in)
		leg := expect(t, b.sip, "202")
		if _, _, a := in.counts(); a != 1 {
			t.Errorf("answered %d times before 202 rang, want once", a)
		}
		answerAndEnd(t, b, in.fakeChannel, leg)
	})
}

// The called party's early media (a provider's announcement before it
// answers or refuses) reaches a SIP caller: the caller's leg opens early
// media instead of hearing a 180, the leg's audio is routed to the caller,
// and when the far end then refuses, the caller gets that refusal,
// unanswered, and the leg's audio is cut off.
func TestCalledPartysEarlyMediaThroughTheExchange(t *testing.T) {
	b := announceBox(t, func(*store.Config) {})
	in := &earlyCaller{fakeChannel: sipCaller("201", "202")}
	b.x.Accept(in)
	leg := expect(t, b.sip, "202")
	leg.emit(channel.Event{Type: channel.EventProgress})
	leg.emit(channel.Event{Type: channel.EventEarlyMedia})
	// The far end's early audio reaches the caller.
	deadline := time.Now().Add(2 * time.Second)
	for in.ep.heard() == 0 && time.Now().Before(deadline) {
		leg.ep.speak()
		time.Sleep(5 * time.Millisecond)
	}
	if in.ep.heard() == 0 {
		t.Fatal("the far end's early audio does not reach the caller")
	}
	if e, _, a := in.counts(); e != 1 || a != 0 {
		t.Errorf("caller: early media opened %d times, answered %d; want 1, 0", e, a)
	}
	leg.end(channel.CauseBusy)
	if c := in.waitHangup(t); c != channel.CauseBusy {
		t.Errorf("caller refused with %v, want busy", c)
	}
	n := in.ep.heard()
	leg.ep.speak()
	if in.ep.heard() != n {
		t.Error("the ended leg's audio still goes to the caller")
	}
	if r := b.st.waitRecord(t); r.Disposition != "busy" || !r.Answer.IsZero() {
		t.Errorf("record %+v", r)
	}
}
