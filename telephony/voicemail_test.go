package telephony

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/dsp"
	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// audioEndpoint is a caller's media as a test hears and feeds it: what
// the exchange plays is kept, and speak pushes audio to the exchange's
// sink.
type audioEndpoint struct {
	mu    sync.Mutex
	sink  media.Sink
	heard []int16
}

func (e *audioEndpoint) WriteFrame(f *media.Frame) {
	e.mu.Lock()
	e.heard = append(e.heard, f.Linear()[:]...)
	e.mu.Unlock()
}
func (e *audioEndpoint) SetSink(s media.Sink) { e.mu.Lock(); e.sink = s; e.mu.Unlock() }
func (e *audioEndpoint) Codec() media.Codec   { return media.Linear }

// heardAudio is a copy of everything played to the caller so far.
func (e *audioEndpoint) heardAudio() []int16 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int16(nil), e.heard...)
}

// waitRecording waits until the exchange starts one more recording (it
// listens to the caller) than the test waited for so far.
func (b *vmBox) waitRecording(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	b.recordings++
	want := b.recordings
	b.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(b.log.String(), "msg=\"recording started\"") >= want {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the exchange never listened to the caller")
}

// speak sends samples to the exchange a frame at a time, five times
// faster than real time: the recorder's queue (64 frames) would have to
// wait a quarter of a second to lose one.
func (e *audioEndpoint) speak(samples []int16) {
	for len(samples) > 0 {
		var f media.Frame
		n := copy(f.Samples[:], samples)
		samples = samples[n:]
		f.HasSamples = true
		e.mu.Lock()
		s := e.sink
		e.mu.Unlock()
		if s != nil {
			s.WriteFrame(&f)
		}
		time.Sleep(4 * time.Millisecond)
	}
}

// vmCaller is a fake inbound channel with real audio.
type vmCaller struct {
	*fakeChannel
	audio audioEndpoint
}

func (c *vmCaller) Media() media.Endpoint { return &c.audio }

func (c *vmCaller) answeredCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered
}

func (c *vmCaller) waitAnswered(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.answeredCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the caller was never answered")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func newVMCaller(from, to string) *vmCaller {
	return &vmCaller{fakeChannel: sipCaller(from, to)}
}

// tone is d of a sine at freq with the given peak.
func tone(freq, peak float64, d time.Duration) []int16 {
	s := make([]int16, int(d/time.Second*8000)+int(d%time.Second*8000/time.Second))
	(&audiotest.Tone{Freq: freq, Peak: peak}).Fill(s)
	return s
}

// vmLog is a log the exchange writes and the test reads.
type vmLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *vmLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *vmLog) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// vmBox is an exchange with a real message store, short silent prompts
// (every built-in name overridden by 20 ms of silence: the tests follow
// the flow through the log and hear only tones and messages) and a
// recorded MWI.
type vmBox struct {
	*testBox
	vm  *voicemail.Store
	log *vmLog

	mu  sync.Mutex
	mwi []string
	// recordings counts the recordings waitRecording waited for.
	recordings int
}

func (b *vmBox) mwiCalls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.mwi...)
}

// said reports whether the exchange said prompts whose names contain
// the whole names s ("vm-password" is not in "vm-password-weak").
func (b *vmBox) said(s string) bool { return b.saidCount(s) > 0 }

// saidCount is how many times the exchange said prompts whose names
// contain the whole names s.
func (b *vmBox) saidCount(s string) int {
	n := 0
	for _, l := range strings.Split(b.log.String(), "\n") {
		_, p, ok := strings.Cut(l, "prompts=")
		if !strings.Contains(l, "msg=say ") || !ok {
			continue
		}
		if " "+strings.Trim(p, `"`)+" " != strings.ReplaceAll(" "+strings.Trim(p, `"`)+" ", " "+s+" ", "") {
			n++
		}
	}
	return n
}

// waitSaid waits until the exchange has said s n times.
func (b *vmBox) waitSaid(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.saidCount(s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%q said %d times, want %d", s, b.saidCount(s), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func silentPrompts(t *testing.T) *prompts.Set {
	t.Helper()
	dir := t.TempDir()
	silence := make([]int16, 160)
	for _, l := range prompts.Languages() {
		for _, n := range l.Names() {
			f, err := os.Create(filepath.Join(dir, l.File(n)))
			if err != nil {
				t.Fatal(err)
			}
			if err := audiofile.WriteWAV(f, silence, audiofile.PCM16); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return prompts.New(dir)
}

func newVMBox(t *testing.T, edit func(c *store.Config), now func() time.Time) *vmBox {
	t.Helper()
	cfg := testConfig()
	cfg.Numbering.FeatureCodes = true
	cfg.Voicemail = store.Voicemail{Boxes: []store.Mailbox{{Extension: "201", PIN: "4826"}, {Extension: "202", PIN: "7391"}}}
	if edit != nil {
		edit(&cfg)
	}
	st := newFakeStore(cfg)
	b := &vmBox{log: &vmLog{}}
	var x *Exchange
	vm, err := voicemail.Open(t.TempDir(), voicemail.Options{Now: now, OnChange: func(box string, n, h int) {
		if x != nil {
			x.MailboxChanged(box, n, h)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	b.vm = vm
	sip, analog := newFakeDialer(channel.SIP), newFakeDialer(channel.FXS)
	x, err = New(Options{Store: st, SIP: sip, Analog: analog, Now: now, Voicemail: vm, Prompts: silentPrompts(t),
		Logger: slog.New(slog.NewTextHandler(b.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MessageWaiting: func(ext string, n, h int) {
			b.mu.Lock()
			b.mwi = append(b.mwi, ext+":"+strconv.Itoa(n)+"/"+strconv.Itoa(h))
			b.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	x.dp.refuseTone = 100 * time.Millisecond
	x.vmState.keyWait = 2 * time.Second
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := x.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("exchange log:\n%s", b.log.String())
		}
	})
	b.testBox = &testBox{x: x, st: st, sip: sip, analog: analog}
	return b
}

// addMessage puts a message of samples from caller into box.
func addMessage(t *testing.T, vm *voicemail.Store, box string, caller channel.CallerID, samples []int16) voicemail.Message {
	t.Helper()
	r, err := vm.Create(box, caller, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(samples); err != nil {
		t.Fatal(err)
	}
	m, err := r.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// loudPart is the samples of s in frames louder than the silence level.
func loudPart(s []int16) []int16 {
	var out []int16
	for i := 0; i+160 <= len(s); i += 160 {
		if dsp.FrameLevel(s[i:i+160]) >= vmSilenceDBm0 {
			out = append(out, s[i:i+160]...)
		}
	}
	return out
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second / 8000 }

// ringUnanswered: 101 calls 201, whose SIP phone rings but nobody answers.
func ringUnanswered(t *testing.T, b *vmBox) (*vmCaller, *fakeChannel) {
	t.Helper()
	in := newVMCaller("101", "201")
	b.x.Accept(in)
	leg := expect(t, b.sip, "201")
	leg.emit(channel.Event{Type: channel.EventProgress})
	return in, leg
}

func TestVoicemailNoAnswerTakesMessage(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.ExtensionRules = []store.ExtensionRule{{Extension: "201", ForwardNoAnswer: "voicemail:201", NoAnswerS: 1}}
	}, nil)
	in, leg := ringUnanswered(t, b)
	leg.waitHangup(t) // no answer: the leg is given up
	in.waitAnswered(t)
	b.waitRecording(t) // the greeting, the invitation and the beep played
	if !b.said("vm-extension 2 0 1 vm-unavailable") || !b.said("vm-leave-message") {
		t.Error("the built-in unavailable greeting was not said")
	}
	heard := loudPart(in.audio.heardAudio())
	if m := audiotest.Analyze(heard, 1000); len(heard) < 2400 || m.SNR < 20 {
		t.Errorf("beep: %v of loud audio, 1 kHz SNR %.1f dB", seconds(len(heard)), m.SNR)
	}
	in.audio.speak(tone(1000, 8000, 1500*time.Millisecond))
	in.audio.speak(make([]int16, 4000)) // half a second of silence, then on hook
	in.end(channel.CauseNormal)
	r := b.st.waitRecord(t)
	if r.Disposition != "voicemail" || r.Answer.IsZero() {
		t.Errorf("call record %+v", r)
	}
	msgs, err := b.vm.Messages("201")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %v, %v", msgs, err)
	}
	m := msgs[0]
	if m.Caller.Number != "101" || m.Caller.Name != "Alice" || m.Heard {
		t.Errorf("message %+v", m)
	}
	if m.Duration < 1400*time.Millisecond || m.Duration > 1600*time.Millisecond {
		t.Errorf("message is %v long, want 1.5 s (the trailing silence trimmed)", m.Duration)
	}
	s, err := b.vm.Samples("201", m.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := audiotest.Analyze(s[800:len(s)-800], 1000)
	if math.Abs(got.Peak-8000)/8000 > 0.05 || got.SNR < 30 {
		t.Errorf("recorded tone: peak %.0f (sent 8000), SNR %.1f dB", got.Peak, got.SNR)
	}
	if calls := b.mwiCalls(); len(calls) == 0 || calls[len(calls)-1] != "201:1/0" {
		t.Errorf("message waiting: %v", calls)
	}
}

func TestVoicemailBusyGreetingAndPoundEnds(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.ExtensionRules = []store.ExtensionRule{{Extension: "201", ForwardBusy: "voicemail:201", ForwardNoAnswer: "ext:202"}}
	}, nil)
	b.sip.fail["201"] = channel.CauseBusy
	// The owner's own busy greeting: 500 Hz for a second.
	if err := b.vm.SaveGreeting("201", voicemail.GreetingBusy, tone(500, 6000, time.Second)); err != nil {
		t.Fatal(err)
	}
	in := newVMCaller("101", "201")
	b.x.Accept(in)
	b.waitRecording(t)
	heard := loudPart(in.audio.heardAudio())
	if len(heard) < 8000 {
		t.Fatalf("heard %v of greeting and beep", seconds(len(heard)))
	}
	if m := audiotest.Analyze(heard[:7200], 500); m.SNR < 20 {
		t.Errorf("the recorded busy greeting was not played: 500 Hz SNR %.1f dB", m.SNR)
	}
	if b.said("vm-unavailable") || b.said("vm-busy") {
		t.Error("the built-in greeting played over the owner's")
	}
	in.audio.speak(tone(1000, 8000, 1200*time.Millisecond))
	in.emit(channel.Event{Type: channel.EventDigit, Digit: '#'})
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("hung up with %v", c)
	}
	if !b.said("vm-saved goodbye") {
		t.Error("the caller was not told the message is saved")
	}
	msgs, _ := b.vm.Messages("201")
	if len(msgs) != 1 || msgs[0].Duration < 1000*time.Millisecond || msgs[0].Duration > 1200*time.Millisecond {
		t.Fatalf("messages %+v, want one of 1.1–1.2 s", msgs)
	}

	// Without a recorded greeting the built-in busy one plays.
	if err := b.vm.DeleteGreetings("201"); err != nil {
		t.Fatal(err)
	}
	b.st.waitRecord(t)
	in = newVMCaller("102", "201")
	b.x.Accept(in)
	b.waitRecording(t)
	if !b.said("vm-extension 2 0 1 vm-busy") {
		t.Error("the built-in busy greeting was not said")
	}
	in.end(channel.CauseNormal) // at the tone: nothing kept
	b.st.waitRecord(t)
	if n, h := b.vm.Counts("201"); n != 1 || h != 0 {
		t.Errorf("counts %d/%d after a caller hung up at the tone", n, h)
	}
}

// A caller on a humming line (mains hum at -38 dBm0, the level a long,
// badly balanced loop picks up): the message keeps their words and ends by
// silence once they stop, though the hum never does — with a fixed
// threshold the hum counted as a talker and the recording ran on to the
// limit (or, here, until the line went quiet).
func TestVoicemailEndsOnAHummingLine(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.ExtensionRules = []store.ExtensionRule{{Extension: "201", ForwardNoAnswer: "voicemail:201", NoAnswerS: 1}}
	}, nil)
	b.x.vmState.silence = time.Second
	in, leg := ringUnanswered(t, b)
	leg.waitHangup(t)
	in.waitAnswered(t)
	b.waitRecording(t)
	words, err := prompts.Builtin("vm-leave-message")
	if err != nil {
		t.Fatal(err)
	}
	hum := func(n int) []int16 {
		out := make([]int16, n)
		for i := range out {
			x := float64(i) / 8000
			out[i] = int16(dsp.DBm0ToPeak(-38) * (0.4*math.Sin(2*math.Pi*50*x) + 0.9*math.Sin(2*math.Pi*150*x+1)) / 1.0)
		}
		return out
	}
	talk := hum(len(words))
	for i, v := range words {
		talk[i] = int16(max(-32768, min(32767, int32(talk[i])+int32(v))))
	}
	spoken := seconds(len(words))
	in.audio.speak(hum(8000)) // the line before the caller speaks
	in.audio.speak(talk)
	// 20 s of hum after the words (at the test's five times real time):
	// the box must end the recording long before it does.
	humDone := make(chan struct{})
	go func() { in.audio.speak(hum(20 * 8000)); close(humDone) }()
	select {
	case <-in.hungUp:
		t.Fatal("the caller was hung up on, not the recording ended")
	case <-humDone:
		t.Fatal("the recording ran on through 20 s of hum")
	case <-waitMessage(t, b, "201"):
	}
	msgs, _ := b.vm.Messages("201")
	if len(msgs) != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	if d := msgs[0].Duration; d < spoken || d > spoken+4*time.Second {
		t.Errorf("message %v long for %v of words over 1 s of hum: want the words, and at most a few seconds of the hum after them", d, spoken)
	}
	<-humDone
	in.end(channel.CauseNormal)
	b.st.waitRecord(t)
}

// waitMessage is closed once extension's mailbox holds a message.
func waitMessage(t *testing.T, b *vmBox, ext string) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if n, _ := b.vm.Counts(ext); n > 0 {
				return
			}
		}
	}()
	return done
}

func TestVoicemailSkipGreetingSilenceEndsAndTooShort(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.Menus = []store.Menu{{Name: "main", Number: "500", Keys: map[string]string{"1": "voicemail:202"}}}
	}, nil)
	b.x.vmState.silence = 500 * time.Millisecond
	// A greeting long enough that the test's '#' lands in it.
	if err := b.vm.SaveGreeting("202", voicemail.GreetingUnavailable, tone(500, 6000, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	in := newVMCaller("101", "500")
	b.x.Accept(in)
	in.emit(channel.Event{Type: channel.EventDigit, Digit: '1'})
	waitLoud(t, in, 800)
	in.emit(channel.Event{Type: channel.EventDigit, Digit: '#'}) // skip to the beep
	start := time.Now()
	b.waitRecording(t)
	if time.Since(start) > 2*time.Second {
		t.Error("'#' did not skip the greeting")
	}
	in.audio.speak(tone(1000, 8000, 1200*time.Millisecond))
	// Then nothing: the recording ends after the silence, and the box
	// hangs up.
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("hung up with %v", c)
	}
	msgs, _ := b.vm.Messages("202")
	if len(msgs) != 1 || msgs[0].Duration > 1200*time.Millisecond+100*time.Millisecond {
		t.Fatalf("messages %+v", msgs)
	}
	b.st.waitRecord(t)

	// Half a second is no message.
	in = newVMCaller("101", "500")
	b.x.Accept(in)
	in.emit(channel.Event{Type: channel.EventDigit, Digit: '1'})
	waitLoud(t, in, 800)
	in.emit(channel.Event{Type: channel.EventDigit, Digit: '#'})
	b.waitRecording(t)
	in.audio.speak(tone(1000, 8000, 500*time.Millisecond))
	in.end(channel.CauseNormal)
	if r := b.st.waitRecord(t); r.Disposition != "voicemail" {
		t.Errorf("record %+v", r)
	}
	if n, _ := b.vm.Counts("202"); n != 1 {
		t.Errorf("a half-second message was kept: %d new", n)
	}
}

// waitLoud waits until the caller heard n loud samples.
func waitLoud(t *testing.T, in *vmCaller, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(loudPart(in.audio.heardAudio())) < n {
		if time.Now().After(deadline) {
			t.Fatal("the caller heard nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestVoicemailFullBox(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.Voicemail.MaxMessages = 1
		c.ExtensionRules = []store.ExtensionRule{{Extension: "201", ForwardAlways: "voicemail:201"}}
	}, nil)
	addMessage(t, b.vm, "201", channel.CallerID{Number: "202"}, tone(1000, 8000, 2*time.Second))
	in := newVMCaller("101", "201")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("hung up with %v", c)
	}
	if !b.said("vm-full") {
		t.Error("the caller was not told the mailbox is full")
	}
	if n, _ := b.vm.Counts("201"); n != 1 {
		t.Errorf("%d messages in a full mailbox of 1", n)
	}
	if r := b.st.waitRecord(t); r.Disposition != "voicemail" {
		t.Errorf("record %+v", r)
	}
}

// keys presses digits on the caller's phone.
func keys(c *vmCaller, digits string) {
	for i := 0; i < len(digits); i++ {
		c.emit(channel.Event{Type: channel.EventDigit, Digit: digits[i]})
	}
}

func TestMailboxWrongPINsHangUpAndLock(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	b := newVMBox(t, nil, clk.now)
	call := func(k string) *vmCaller {
		in := newVMCaller("201", "*97")
		b.x.Accept(in)
		keys(in, k)
		if c := in.waitHangup(t); c != channel.CauseNormal {
			t.Errorf("hung up with %v", c)
		}
		b.st.waitRecord(t)
		return in
	}
	call("1111#2222#3333#")
	if strings.Count(b.log.String(), "voicemail: wrong PIN") != 3 || !b.said("goodbye") || b.said("vm-locked") {
		t.Fatalf("three wrong PINs: not three refusals then goodbye")
	}
	call("4444#5555#") // the fifth in a row locks
	if !b.said("vm-locked") || !strings.Contains(b.log.String(), "mailbox locked after wrong PINs") ||
		!strings.Contains(b.log.String(), "channel=sip:201") {
		t.Fatal("five wrong PINs in a row did not lock the mailbox (logged with the channel)")
	}
	call("4826#") // the right PIN, but locked: not even asked
	if !strings.Contains(b.log.String(), "login to a locked mailbox refused") || strings.Contains(b.log.String(), `msg="voicemail: login" `) {
		t.Error("a locked mailbox let the right PIN in")
	}
	// The lock is against the guessing phone only: another extension's
	// phone still gets in with the right PIN (*98, mailbox 201).
	other := newVMCaller("202", "*98")
	b.x.Accept(other)
	keys(other, "201#4826#*")
	other.waitHangup(t)
	b.st.waitRecord(t)
	if !strings.Contains(b.log.String(), `msg="voicemail: login" `) {
		t.Fatal("five wrong PINs from 201's phone locked 202's phone out too")
	}
	clk.set(clk.now().Add(vmLockFor + time.Second))
	in := newVMCaller("201", "*97")
	b.x.Accept(in)
	keys(in, "4826#*")
	in.waitHangup(t)
	if strings.Count(b.log.String(), `msg="voicemail: login" `) != 2 || !b.said("vm-you-have vm-no-messages") {
		t.Error("after the lockout the right PIN does not open the mailbox")
	}
}

func TestMailboxAnyPlaysDeletesAndSaves(t *testing.T) {
	// The box is in New York; the owner listens at 3:30 PM on Sunday 22
	// November 2026 to a message from yesterday morning and one from a
	// quarter of an hour ago, and hears when each came in New York time.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 21, 9, 5, 0, 0, ny)}
	b := newVMBox(t, func(c *store.Config) { c.System.TimeZone = "America/New_York" }, clk.now)
	addMessage(t, b.vm, "201", channel.CallerID{Number: "102", Name: "Bob"}, tone(1000, 8000, 1200*time.Millisecond))
	clk.set(time.Date(2026, 11, 22, 15, 15, 0, 0, ny))
	addMessage(t, b.vm, "201", channel.CallerID{Withheld: "P"}, tone(700, 8000, 1200*time.Millisecond))
	clk.set(time.Date(2026, 11, 22, 15, 30, 0, 0, ny))
	in := newVMCaller("202", "*98")
	b.x.Accept(in)
	keys(in, "201#4826#1")
	// The first message plays to its end and is marked heard.
	deadline := time.Now().Add(5 * time.Second)
	for n, _ := b.vm.Counts("201"); n != 1; n, _ = b.vm.Counts("201") {
		if time.Now().After(deadline) {
			t.Fatal("the first message was never heard to its end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !b.said("vm-you-have 2 vm-new vm-messages") || !b.said("vm-message-n 1 vm-received yesterday at 9 oh 5 am vm-from 1 0 2") {
		t.Error("counts, or when the first message came and its caller, not said")
	}
	heard := loudPart(in.audio.heardAudio())
	if m := audiotest.Analyze(heard, 1000); len(heard) < 9000 || m.SNR < 20 {
		t.Errorf("the first message was not heard: %v loud, 1 kHz SNR %.1f", seconds(len(heard)), m.SNR)
	}
	keys(in, "7") // delete it; the second plays
	deadline = time.Now().Add(5 * time.Second)
	for !b.said("vm-message-n 1 vm-received today at 3 15 pm vm-unknown-caller") {
		if time.Now().After(deadline) {
			t.Fatal("the second message (withheld caller) was not announced")
		}
		time.Sleep(10 * time.Millisecond)
	}
	keys(in, "9*") // save it (while it plays), then leave
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("hung up with %v", c)
	}
	msgs, _ := b.vm.Messages("201")
	if len(msgs) != 1 || msgs[0].Caller.Withheld == "" || !msgs[0].Heard {
		t.Fatalf("left: %+v, want the second message, saved", msgs)
	}
	if !b.said("vm-deleted") || !b.said("vm-saved") || !b.said("vm-no-more") {
		t.Error("deleted / saved / no more not said")
	}
	if calls := b.mwiCalls(); calls[len(calls)-1] != "201:0/1" {
		t.Errorf("message waiting: %v", calls)
	}
}

func TestMailboxOptionsGreetingAndPIN(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) { c.Voicemail.Boxes[0].SkipPIN = true }, nil)
	in := newVMCaller("201", "*97") // the owner's phone: no PIN
	b.x.Accept(in)
	keys(in, "0"+"4"+"1234#"+"4"+"5829#5820#"+"4"+"5829#5829#"+"1")
	b.waitRecording(t) // recording the unavailable greeting
	in.audio.speak(tone(600, 7000, 1200*time.Millisecond))
	keys(in, "#3") // '3' stops the playback: record it again
	b.waitSaid(t, "vm-record-greeting", 2)
	b.waitRecording(t)
	in.audio.speak(tone(800, 7000, 1500*time.Millisecond))
	keys(in, "#")
	// The second take plays back whole before the question.
	b.waitSaid(t, "vm-greeting-review", 2)
	if _, ok, _ := b.vm.Greeting("201", voicemail.GreetingUnavailable); ok {
		t.Error("the greeting was saved before the owner kept it")
	}
	before := len(in.audio.heardAudio())
	keys(in, "2") // hear it again
	b.waitSaid(t, "vm-greeting-review", 3)
	again := loudPart(in.audio.heardAudio()[before:])
	if m := audiotest.Analyze(again, 800); len(again) < 11000 || m.SNR < 30 {
		t.Errorf("'2' played back %v loud, 800 Hz SNR %.1f; want the 1.5 s take", seconds(len(again)), m.SNR)
	}
	keys(in, "1**") // keep it, leave the options and the mailbox
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("hung up with %v", c)
	}
	if !b.said("vm-password-weak") || !b.said("vm-password-mismatch") || !b.said("vm-password-changed") {
		t.Error("weak, mismatch, changed not all said")
	}
	if mb, _ := b.x.config().Voicemail.Box("201"); mb.PIN != "5829" {
		t.Errorf("PIN %q, want 5829", mb.PIN)
	}
	if b.said("vm-password") {
		t.Error("the owner's phone with skip_pin was asked for the PIN")
	}
	g, ok, err := b.vm.Greeting("201", voicemail.GreetingUnavailable)
	if !ok || err != nil || len(g) < 11000 || len(g) > 12000 {
		t.Fatalf("greeting: %v long, %v, %v", seconds(len(g)), ok, err)
	}
	if m := audiotest.Analyze(g[800:len(g)-800], 800); m.SNR < 30 {
		t.Errorf("greeting 800 Hz SNR %.1f; want the second take", m.SNR)
	}
	if !b.said("vm-greeting-saved") || strings.Count(b.log.String(), "voicemail: greeting recorded by phone") != 1 {
		t.Error("the kept greeting was not confirmed once")
	}
	// *98 to the same box asks for the new PIN even from the owner's phone.
	b.st.waitRecord(t)
	in = newVMCaller("201", "*98")
	b.x.Accept(in)
	keys(in, "201#4826#")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(b.log.String(), "voicemail: wrong PIN") {
		if time.Now().After(deadline) || strings.Contains(b.log.String(), `msg="voicemail: login" `) {
			t.Fatal("the old PIN still opens the mailbox")
		}
		time.Sleep(5 * time.Millisecond)
	}
	in.end(channel.CauseNormal)
}

// TestMailboxGreetingReviewDiscards records three busy greetings the
// owner does not keep: one dropped with '*', one left unanswered at the
// review question, one hung up on; the old greeting stays through all.
func TestMailboxGreetingReviewDiscards(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) { c.Voicemail.Boxes[0].SkipPIN = true }, nil)
	b.x.vmState.keyWait = 300 * time.Millisecond // three unanswered questions go by quickly
	old := tone(500, 6000, time.Second)
	if err := b.vm.SaveGreeting("201", voicemail.GreetingBusy, old); err != nil {
		t.Fatal(err)
	}
	in := newVMCaller("201", "*97")
	b.x.Accept(in)
	take := func(n int) {
		t.Helper()
		b.waitSaid(t, "vm-record-greeting", n)
		b.waitRecording(t)
		in.audio.speak(tone(700, 7000, 1200*time.Millisecond))
	}
	keys(in, "02")
	take(1)
	keys(in, "#*") // '*' stops the playback and drops the take
	b.waitSaid(t, "vm-options", 2)
	keys(in, "2")
	take(2)
	keys(in, "#") // then silence at the question, three times
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(b.log.String(), "voicemail: new greeting discarded") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the unanswered take was not discarded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := b.saidCount("vm-greeting-review"); n != 4 { // once for '*', three unanswered
		t.Errorf("the review question was asked %d times, want 4", n)
	}
	keys(in, "2")
	take(3)
	keys(in, "#")
	b.waitSaid(t, "vm-greeting-review", 5)
	in.end(channel.CauseNormal)
	b.st.waitRecord(t)
	g, ok, err := b.vm.Greeting("201", voicemail.GreetingBusy)
	if !ok || err != nil || len(g) != len(old) {
		t.Fatalf("busy greeting %v long (%v, %v); want the old one kept", seconds(len(g)), ok, err)
	}
	if m := audiotest.Analyze(g[800:len(g)-800], 500); m.SNR < 30 {
		t.Errorf("busy greeting 500 Hz SNR %.1f; want the old one kept", m.SNR)
	}
	if _, ok, _ := b.vm.Greeting("201", voicemail.GreetingUnavailable); ok {
		t.Error("an unavailable greeting appeared")
	}
	if b.said("vm-greeting-saved") || strings.Contains(b.log.String(), "greeting recorded by phone") {
		t.Error("a discarded greeting was reported saved")
	}
}

func TestMessageWaitingAtStartAndOnConfigChange(t *testing.T) {
	b := newVMBox(t, nil, nil)
	if got := strings.Join(b.mwiCalls(), " "); got != "201:0/0 202:0/0" {
		t.Errorf("announced at start: %q", got)
	}
	addMessage(t, b.vm, "202", channel.CallerID{Number: "101"}, tone(1000, 8000, 1100*time.Millisecond))
	b.mu.Lock()
	b.mwi = nil
	b.mu.Unlock()
	b.x.announceMWI()
	if got := strings.Join(b.mwiCalls(), " "); got != "201:0/0 202:1/0" {
		t.Errorf("announced %q", got)
	}
	// A mailbox removed from the configuration has its lamp put out.
	b.st.mu.Lock()
	b.st.cfg.Voicemail.Boxes = b.st.cfg.Voicemail.Boxes[:1]
	b.st.mu.Unlock()
	b.mu.Lock()
	b.mwi = nil
	b.mu.Unlock()
	if err := b.x.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.mwiCalls(), " "); got != "202:0/0 201:0/0" {
		t.Errorf("after removing 202's mailbox: %q", got)
	}
}

// '*' during the greeting: the owner, calling in from anywhere, logs in to
// the mailbox the call reached (PIN asked, no mailbox number).
func TestVoicemailStarInGreetingLetsOwnerIn(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.ExtensionRules = []store.ExtensionRule{{Extension: "201", ForwardAlways: "voicemail:201"}}
	}, nil)
	addMessage(t, b.vm, "201", channel.CallerID{Number: "102"}, tone(1000, 8000, 1100*time.Millisecond))
	if err := b.vm.SaveGreeting("201", voicemail.GreetingUnavailable, tone(500, 6000, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	in := newVMCaller("101", "201")
	b.x.Accept(in)
	waitLoud(t, in, 800)
	keys(in, "*4826#*")
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("hung up with %v", c)
	}
	if b.said("vm-mailbox") || !b.said("vm-password") || !b.said("vm-you-have 1 vm-new vm-message") {
		t.Error("'*' in the greeting did not lead to the PIN and the mailbox")
	}
	if n, _ := b.vm.Counts("201"); n != 1 {
		t.Errorf("%d new messages: the owner's call was recorded as a message", n)
	}
	if r := b.st.waitRecord(t); r.Disposition != "voicemail" {
		t.Errorf("record %+v", r)
	}
}

// The PIN a phone sets goes through the real store's validation and is
// kept in the database.
func TestMailboxPINChangeSavedInTheStore(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := testConfig()
	cfg.System.InterDigitTimeoutMS, cfg.System.NoAnswerTimeoutS = 4000, 30 // the store's ranges
	cfg.Numbering.FeatureCodes = true
	cfg.Voicemail = store.Voicemail{Boxes: []store.Mailbox{{Extension: "201", PIN: "4826", SkipPIN: true}}}
	if err := db.ImportConfig(cfg); err != nil {
		t.Fatal(err)
	}
	vm, err := voicemail.Open(t.TempDir(), voicemail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := New(Options{Store: db, SIP: newFakeDialer(channel.SIP), Analog: newFakeDialer(channel.FXS),
		Voicemail: vm, Prompts: silentPrompts(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := x.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	in := newVMCaller("201", "*97")
	x.Accept(in)
	keys(in, "04"+"9173#9173#"+"**")
	in.waitHangup(t)
	got, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	if mb, _ := got.Voicemail.Box("201"); mb.PIN != "9173" || !mb.SkipPIN {
		t.Errorf("mailbox in the database: %+v, want PIN 9173 (skip_pin kept)", mb)
	}
}

// A message is cut at max_message_s of audio.
func TestVoicemailMessageLimit(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.Voicemail.MaxMessageS = 2 // under the store's minimum: the fake store does not validate
		c.ExtensionRules = []store.ExtensionRule{{Extension: "201", ForwardAlways: "voicemail:201"}}
	}, nil)
	in := newVMCaller("101", "201")
	b.x.Accept(in)
	b.waitRecording(t)
	in.audio.speak(tone(1000, 8000, 3*time.Second))
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("hung up with %v", c)
	}
	msgs, _ := b.vm.Messages("201")
	if len(msgs) != 1 || msgs[0].Duration != 2*time.Second {
		t.Fatalf("messages %+v, want one of exactly 2 s", msgs)
	}
	if !strings.Contains(b.log.String(), "end=limit") {
		t.Error("the recording did not end at the limit")
	}
}

// The busy greeting belongs to busy forwarding straight into the mailbox:
// a busy extension forwarding to a menu whose key leads to a mailbox gets
// the unavailable one.
func TestVoicemailBusyGreetingOnlyStraightFromBusy(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.Menus = []store.Menu{{Name: "main", Keys: map[string]string{"1": "voicemail:202"}}}
		c.ExtensionRules = []store.ExtensionRule{{Extension: "201", ForwardBusy: "menu:main"}}
	}, nil)
	b.sip.fail["201"] = channel.CauseBusy
	in := newVMCaller("101", "201")
	b.x.Accept(in)
	in.waitAnswered(t)
	keys(in, "1")
	b.waitRecording(t)
	in.end(channel.CauseNormal)
	b.st.waitRecord(t)
	if !b.said("vm-extension 2 0 2 vm-unavailable") || b.said("vm-busy") {
		t.Error("the busy greeting played after a menu")
	}
}
