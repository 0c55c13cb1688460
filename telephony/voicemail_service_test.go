package telephony

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// vmFixture is an exchange over a message store in a temporary
// directory, wired as the box wires it: the store's OnChange calls
// MailboxChanged, and the lamps are recorded.
type vmFixture struct {
	x    *Exchange
	vm   *voicemail.Store
	mu   sync.Mutex
	mwis []string
}

func newVMFixture(t *testing.T, cfg store.Config) *vmFixture {
	t.Helper()
	fx := &vmFixture{}
	var x *Exchange
	vm, err := voicemail.Open(filepath.Join(t.TempDir(), "recordings", "voicemail"), voicemail.Options{
		OnChange: func(box string, n, h int) { x.MailboxChanged(box, n, h) },
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err = New(Options{Store: newFakeStore(cfg), Voicemail: vm,
		MessageWaiting: func(ext string, n, h int) {
			fx.mu.Lock()
			fx.mwis = append(fx.mwis, fmt.Sprintf("%s:%d/%d", ext, n, h))
			fx.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = x.Shutdown(ctx)
	})
	fx.x, fx.vm = x, vm
	fx.lamps() // what the exchange announces when it starts
	return fx
}

// lamps returns and forgets the message-waiting indications so far.
func (fx *vmFixture) lamps() []string {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	l := fx.mwis
	fx.mwis = nil
	return l
}

// leave records a message of d into box.
func leave(t *testing.T, vm *voicemail.Store, box string, caller channel.CallerID, d time.Duration) voicemail.Message {
	t.Helper()
	r, err := vm.Create(box, caller, 0)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = int16(i * 50)
	}
	for range int(d / (20 * time.Millisecond)) {
		if err := r.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	m, err := r.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func vmConfig() store.Config {
	cfg := testConfig()
	cfg.Voicemail.Boxes = []store.Mailbox{{Extension: "202", PIN: "4711"}, {Extension: "101", PIN: "2580"}}
	return cfg
}

// TestServiceVoicemailWithoutStore: every voicemail method says there
// is no message store.
func TestServiceVoicemailWithoutStore(t *testing.T) {
	x, err := New(Options{Store: newFakeStore(vmConfig())})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, e1 := adminFor(t, x).Mailboxes(ctx)
	_, e2 := adminFor(t, x).VoicemailMessages(ctx, "101")
	_, _, e3 := adminFor(t, x).VoicemailAudio(ctx, "101", "x")
	e4 := adminFor(t, x).MarkVoicemail(ctx, "101", "x", true)
	e5 := adminFor(t, x).DeleteVoicemail(ctx, "101", "x")
	for i, err := range []error{e1, e2, e3, e4, e5} {
		if !errors.Is(err, errNoVoicemail) || err.Error() != "voicemail: no message store" {
			t.Errorf("method %d: %v", i+1, err)
		}
	}
	x.MailboxChanged("101", 1, 0) // harmless without subscribers or lamps
}

// TestServiceMailboxes: configured mailboxes in the configuration's
// order with their owners' names, counts and greetings, then the ones a
// removed mailbox left on disk.
func TestServiceMailboxes(t *testing.T) {
	fx := newVMFixture(t, vmConfig())
	ctx := context.Background()
	leave(t, fx.vm, "101", channel.CallerID{Number: "555"}, time.Second)
	m := leave(t, fx.vm, "101", channel.CallerID{Number: "556"}, time.Second)
	if err := fx.vm.SetHeard("101", m.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := fx.vm.SaveGreeting("202", voicemail.GreetingBusy, make([]int16, 800)); err != nil {
		t.Fatal(err)
	}
	leave(t, fx.vm, "309", channel.CallerID{}, 2*time.Second) // mailbox since removed
	got, err := adminFor(t, fx.x).Mailboxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []MailboxStatus{
		{Extension: "202", Name: "Dave", Greetings: []string{"busy"}, Configured: true},
		{Extension: "101", Name: "Alice", New: 1, Old: 1, Greetings: []string{}, Configured: true},
		{Extension: "309", New: 1, Greetings: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mailboxes\n %+v\nwant\n %+v", got, want)
	}
}

// TestServiceVoicemailMessages: listing, audio, marking and deleting
// through the Service, each change reaching the Voicemail page (a
// "voicemail" event) and the lamps; unknown mailboxes and messages are
// store.ErrNotFound.
func TestServiceVoicemailMessages(t *testing.T) {
	fx := newVMFixture(t, vmConfig())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := fx.x.Subscribe(ctx)
	a := leave(t, fx.vm, "101", channel.CallerID{Number: "555", Name: "Eve"}, 1500*time.Millisecond)
	b := leave(t, fx.vm, "101", channel.CallerID{Withheld: "P"}, 2*time.Second)
	expectEvent := func(what string) {
		t.Helper()
		select {
		case ev := <-events:
			if ev.Kind != "voicemail" {
				t.Errorf("%s: event %q", what, ev.Kind)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no event", what)
		}
	}
	expectEvent("first message")
	expectEvent("second message")
	if l := fx.lamps(); !slices.Equal(l, []string{"101:1/0", "101:2/0"}) {
		t.Errorf("lamps %v", l)
	}

	msgs, err := adminFor(t, fx.x).VoicemailMessages(ctx, "101")
	if err != nil {
		t.Fatal(err)
	}
	want := []VoicemailMessage{
		{ID: a.ID, Caller: a.Caller, Received: a.Received, DurationMS: 1500},
		{ID: b.ID, Caller: b.Caller, Received: b.Received, DurationMS: 2000},
	}
	if a.Received.After(b.Received) || a.Received.Equal(b.Received) && a.ID > b.ID {
		want[0], want[1] = want[1], want[0]
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages\n %+v\nwant\n %+v", msgs, want)
	}
	if msgs, err := adminFor(t, fx.x).VoicemailMessages(ctx, "202"); err != nil || msgs == nil || len(msgs) != 0 {
		t.Errorf("empty configured mailbox: %v, %v", msgs, err)
	}

	rc, size, err := adminFor(t, fx.x).VoicemailAudio(ctx, "101", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || int64(len(data)) != size {
		t.Fatalf("audio: %d bytes of %d, %v", len(data), size, err)
	}
	if s, _, err := audiofile.ReadWAV(bytes.NewReader(data)); err != nil || len(s) != 12000 {
		t.Errorf("audio: %d samples, %v", len(s), err)
	}

	if err := adminFor(t, fx.x).MarkVoicemail(ctx, "101", a.ID, true); err != nil {
		t.Fatal(err)
	}
	expectEvent("mark")
	if err := adminFor(t, fx.x).DeleteVoicemail(ctx, "101", b.ID); err != nil {
		t.Fatal(err)
	}
	expectEvent("delete")
	if l := fx.lamps(); !slices.Equal(l, []string{"101:1/1", "101:0/1"}) {
		t.Errorf("lamps %v", l)
	}
	// A mailbox removed from the configuration keeps its messages but
	// lights no lamp.
	old := leave(t, fx.vm, "309", channel.CallerID{}, time.Second)
	expectEvent("message in a removed mailbox")
	if err := adminFor(t, fx.x).DeleteVoicemail(ctx, "309", old.ID); err != nil {
		t.Fatal(err)
	}
	expectEvent("delete in a removed mailbox")
	if l := fx.lamps(); len(l) != 0 {
		t.Errorf("lamps of a removed mailbox %v", l)
	}
	if msgs, _ := adminFor(t, fx.x).VoicemailMessages(ctx, "101"); len(msgs) != 1 || msgs[0].ID != a.ID || !msgs[0].Heard {
		t.Errorf("after mark and delete %+v", msgs)
	}

	notFound := []struct {
		name string
		err  error
	}{
		{"messages of a mailbox that never was", func() error { _, err := adminFor(t, fx.x).VoicemailMessages(ctx, "102"); return err }()},
		{"messages of a crafted name", func() error { _, err := adminFor(t, fx.x).VoicemailMessages(ctx, "../101"); return err }()},
		{"audio of a deleted message", func() error { _, _, err := adminFor(t, fx.x).VoicemailAudio(ctx, "101", b.ID); return err }()},
		{"audio of a crafted ID", func() error { _, _, err := adminFor(t, fx.x).VoicemailAudio(ctx, "101", "../101/"+a.ID); return err }()},
		{"mark a deleted message", adminFor(t, fx.x).MarkVoicemail(ctx, "101", b.ID, false)},
		{"delete a deleted message", adminFor(t, fx.x).DeleteVoicemail(ctx, "101", b.ID)},
		{"delete in another mailbox", adminFor(t, fx.x).DeleteVoicemail(ctx, "202", a.ID)},
	}
	for _, tc := range notFound {
		if !errors.Is(tc.err, store.ErrNotFound) {
			t.Errorf("%s: %v, want store.ErrNotFound", tc.name, tc.err)
		}
	}
	select {
	case ev := <-events:
		t.Errorf("a refused change published %q", ev.Kind)
	default:
	}
}

// TestServiceGreetings: a greeting uploaded as a WAV of another rate is
// converted and played back; a file that is not audio is refused on
// "file"; a deleted greeting leaves the built-in one; an unknown mailbox
// or greeting is store.ErrNotFound.
func TestServiceGreetings(t *testing.T) {
	fx := newVMFixture(t, vmConfig())
	a := adminFor(t, fx.x)
	ctx := context.Background()
	wav := bytes.NewBuffer(audiotest.StudioWAV(1000, 1)) // 1 s at 44.1 kHz, stereo
	if err := a.SaveGreeting(ctx, "101", "nonsense", bytes.NewReader(wav.Bytes())); err == nil {
		t.Fatal("a greeting of an unknown kind was saved")
	}
	err := a.SaveGreeting(ctx, "101", voicemail.GreetingBusy, bytes.NewReader([]byte("not audio at all")))
	if v, ok := store.AsValidationError(err); !ok || v.Fields[0].Field != "file" {
		t.Fatalf("not audio: %v", err)
	}
	if err := a.SaveGreeting(ctx, "999", voicemail.GreetingBusy, bytes.NewReader(wav.Bytes())); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown mailbox: %v", err)
	}
	if err := a.SaveGreeting(ctx, "101", voicemail.GreetingBusy, bytes.NewReader(wav.Bytes())); err != nil {
		t.Fatal(err)
	}
	if got := fx.vm.Greetings("101"); !slices.Equal(got, []string{voicemail.GreetingBusy}) {
		t.Fatalf("greetings %v", got)
	}
	rc, size, err := a.GreetingAudio(ctx, "101", voicemail.GreetingBusy)
	if err != nil {
		t.Fatal(err)
	}
	samples, rate, err := audiofile.ReadWAV(rc)
	rc.Close()
	if err != nil || rate != 8000 || len(samples) < 7900 || len(samples) > 8100 || size < 15000 {
		t.Fatalf("played back %d samples at %d Hz (%d bytes): %v", len(samples), rate, size, err)
	}
	if err := a.DeleteGreeting(ctx, "101", voicemail.GreetingBusy); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteGreeting(ctx, "101", voicemail.GreetingBusy); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	if _, _, err := a.GreetingAudio(ctx, "101", voicemail.GreetingBusy); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted greeting plays: %v", err)
	}
}
