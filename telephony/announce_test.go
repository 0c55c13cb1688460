package telephony

import (
	"context"
	"os"
	"path/filepath"
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
	st := pathStore{newFakeStore(cfg), filepath.Join(dir, "pbx.db")}
	sip, analog := newFakeDialer(channel.SIP), newFakeDialer(channel.FXS)
	x, err := New(Options{Store: st, SIP: sip, Analog: analog})
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
	return &testBox{x: x, st: st.fakeStore, sip: sip, analog: analog}
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
