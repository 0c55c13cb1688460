package telephony

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"minipbx/internal/audiotest"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// An uploaded recording is what an announcement plays to the next caller:
// the 44.1 kHz stereo file comes out of the exchange as the same tone at
// 8 kHz.
func TestSaveRecordingPlaysInAnnouncement(t *testing.T) {
	b := announceBox(t, func(c *store.Config) {
		c.Announcements = []store.Announcement{{Name: "welcome", Prompts: []store.Prompt{{File: "welcome.wav"}}, Then: "ext:202"}}
		c.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "announce:welcome"}}
	})
	ctx := context.Background()
	rec, err := adminFor(t, b.x).SaveRecording(ctx, "welcome", bytes.NewReader(audiotest.StudioWAV(1000, 0.6)))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "welcome.wav" || !slices.Equal(rec.UsedBy, []string{"announcement welcome"}) {
		t.Errorf("SaveRecording = %+v", rec)
	}
	in := fxoCaller(1, "5551234")
	b.x.Accept(in)
	expect(t, b.sip, "202")
	heard := in.ep.heardSamples()
	if len(heard) < 4000 {
		t.Fatalf("caller heard %d samples, want the 0.6 s recording", len(heard))
	}
	if m := audiotest.Analyze(heard[1000:4000], 1000); m.SNR < 25 {
		t.Errorf("caller did not hear the uploaded 1 kHz recording: SNR %.1f dB", m.SNR)
	}

	list, err := adminFor(t, b.x).Recordings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// notice.wav is announceBox's own file.
	if len(list) != 2 || list[1].Name != "welcome.wav" || list[1].DurationMS < 550 {
		t.Errorf("Recordings = %+v", list)
	}
	err = adminFor(t, b.x).DeleteRecording(ctx, "welcome")
	if v, ok := store.AsValidationError(err); !ok || !strings.Contains(v.Error(), "announcement welcome") {
		t.Errorf("delete of a recording in use: %v, want refused naming the announcement", err)
	}
	rc, size, err := adminFor(t, b.x).RecordingAudio(ctx, "welcome.wav")
	if err != nil || size < 9000 {
		t.Fatalf("RecordingAudio: %d bytes, %v", size, err)
	}
	rc.Close()
}

// Replacing a built-in voice prompt changes what the exchange says, and
// deleting the replacement brings the built-in back.
func TestSaveRecordingReplacesBuiltin(t *testing.T) {
	b := announceBox(t, func(c *store.Config) {})
	ctx := context.Background()
	// (The exchange's prompts look at a replacement again within seconds
	// of loading a phrase; nothing said goodbye yet, so the first load
	// sees it at once.)
	rec, err := adminFor(t, b.x).SaveRecording(ctx, "goodbye.wav", bytes.NewReader(audiotest.StudioWAV(600, 1)))
	if err != nil || rec.Replaces != "goodbye" {
		t.Fatalf("SaveRecording(goodbye) = %+v, %v", rec, err)
	}
	bs, err := adminFor(t, b.x).BuiltinPrompts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(bs, func(p BuiltinPrompt) bool { return p.Name == "goodbye" && p.Language == "en" }); i < 0 || !bs[i].Replaced {
		t.Errorf("goodbye not listed as replaced: %+v", bs)
	}
	src, err := b.x.promptSource(store.Prompt{File: "goodbye.wav"}, prompts.English)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 4000)
	for i := 0; i < len(out); i += 160 {
		src(out[i : i+160])
	}
	if m := audiotest.Analyze(out[1000:], 600); m.SNR < 25 {
		t.Errorf("a menu prompt goodbye.wav does not play the replacement: SNR %.1f dB", m.SNR)
	}
	rc, _, err := adminFor(t, b.x).BuiltinPromptAudio(ctx, "goodbye")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if err := adminFor(t, b.x).DeleteRecording(ctx, "goodbye"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.x.promptDir() + "/goodbye.wav"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("replacement still on disk: %v", err)
	}
}

func TestRecordingsWithoutPromptDir(t *testing.T) {
	x, err := New(Options{Store: newFakeStore(testConfig())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adminFor(t, x).Recordings(context.Background()); !errors.Is(err, errNoPromptDir) {
		t.Errorf("Recordings without a data directory: %v", err)
	}
	if _, err := adminFor(t, x).SaveRecording(context.Background(), "x", bytes.NewReader(audiotest.StudioWAV(440, 0.2))); !errors.Is(err, errNoPromptDir) {
		t.Errorf("SaveRecording without a data directory: %v", err)
	}
}

// The recordings menus and queues play are decoded once and shared by
// every call (a queue's music on hold, to every waiting caller), and read
// again when an upload changes the file.
func TestPromptFilesShared(t *testing.T) {
	b := announceBox(t, func(c *store.Config) {})
	ctx := context.Background()
	if _, err := adminFor(t, b.x).SaveRecording(ctx, "music", bytes.NewReader(audiotest.StudioWAV(500, 1))); err != nil {
		t.Fatal(err)
	}
	first := func() []int16 {
		t.Helper()
		src, err := b.x.promptSource(store.Prompt{File: "music.wav"}, prompts.English)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int16, 160*25)
		for i := 0; i < len(out); i += 160 {
			src(out[i : i+160])
		}
		return out
	}
	a := first()
	b.x.promptFiles.mu.Lock()
	s1 := b.x.promptFiles.files[b.x.promptDir()+"/music.wav"].samples
	b.x.promptFiles.mu.Unlock()
	first()
	b.x.promptFiles.mu.Lock()
	s2 := b.x.promptFiles.files[b.x.promptDir()+"/music.wav"].samples
	n := len(b.x.promptFiles.files)
	b.x.promptFiles.mu.Unlock()
	if &s1[0] != &s2[0] || n != 1 {
		t.Errorf("the second caller got a new copy of the recording (%d cached)", n)
	}
	if m := audiotest.Analyze(a[1000:], 500); m.SNR < 25 {
		t.Errorf("first play: SNR %.1f", m.SNR)
	}
	if _, err := adminFor(t, b.x).SaveRecording(ctx, "music", bytes.NewReader(audiotest.StudioWAV(900, 2))); err != nil {
		t.Fatal(err)
	}
	if m := audiotest.Analyze(first()[1000:], 900); m.SNR < 25 {
		t.Errorf("after a new upload the old recording still plays: SNR %.1f", m.SNR)
	}
	if err := os.Remove(b.x.promptDir() + "/music.wav"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.x.promptSource(store.Prompt{File: "music.wav"}, prompts.English); err == nil {
		t.Error("a removed recording still plays from the cache")
	}
}
