package webui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// The fake service's voicemail: mailboxes are the dial plan's voicemail
// boxes (f.plan.Voicemail), messages live in memory (f.vm, by mailbox)
// with their WAV files, as the real service keeps them on disk. A box
// with messages but no longer configured is listed with Configured false,
// as the real service lists a directory left behind. Changes emit the
// "voicemail" status event the pages refresh on.

// fakeVM is one message with its audio.
type fakeVM struct {
	msg telephony.VoicemailMessage
	wav []byte
}

// fakeVoicemail is the fake's message store; greetings by mailbox.
type fakeVoicemail struct {
	boxes     map[string][]fakeVM
	greetings map[string][]string
	// plainReader makes VoicemailAudio return a reader that cannot seek,
	// as a service streaming from something other than a file would.
	plainReader bool
	// audio, when set, serves every message's audio instead (a real
	// message store's files, for the browser).
	audio  func(box, id string) (io.ReadCloser, int64, error)
	nextID int
}

// toneWAV is ms milliseconds of a hz tone as an 8 kHz 16-bit PCM WAV.
func toneWAV(ms int, hz float64) []byte {
	s := make([]int16, 8*ms)
	for i := range s {
		s[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
	}
	var b bytes.Buffer
	if err := audiofile.WriteWAV(&b, s, audiofile.PCM16); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// addVoicemail leaves a message of ms milliseconds in box from caller,
// received at t, and returns its ID.
func (f *fakeService) addVoicemail(box string, caller channel.CallerID, t time.Time, ms int) string {
	f.mu.Lock()
	if f.vm.boxes == nil {
		f.vm.boxes = map[string][]fakeVM{}
	}
	f.vm.nextID++
	id := fmt.Sprintf("msg%04d", f.vm.nextID)
	f.vm.boxes[box] = append(f.vm.boxes[box], fakeVM{
		msg: telephony.VoicemailMessage{ID: id, Caller: caller, Received: t, DurationMS: ms},
		wav: toneWAV(ms, 440),
	})
	f.mu.Unlock()
	f.emit("voicemail", func(*telephony.Status) {})
	return id
}

// addMailbox configures a mailbox for ext with pin.
func (f *fakeService) addMailbox(ext, pin string, skip bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan.Voicemail.Boxes = append(f.plan.Voicemail.Boxes, store.Mailbox{Extension: ext, PIN: pin, SkipPIN: skip})
}

// voicemailOf returns a copy of box's messages in store order.
func (f *fakeService) voicemailOf(box string) []telephony.VoicemailMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []telephony.VoicemailMessage
	for _, m := range f.vm.boxes[box] {
		out = append(out, m.msg)
	}
	return out
}

// boxKnown: configured, or messages left behind. Called with f.mu held.
func (f *fakeService) boxKnown(box string) bool {
	_, ok := f.plan.Voicemail.Box(box)
	_, left := f.vm.boxes[box]
	return ok || left
}

func (f *fakeService) Mailboxes(ctx context.Context) ([]telephony.MailboxStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.takeFail(); err != nil {
		return nil, err
	}
	name := func(ext string) string {
		for _, e := range f.exts {
			if e.Number == ext {
				return e.Name
			}
		}
		return ""
	}
	count := func(box string) (n, o int) {
		for _, m := range f.vm.boxes[box] {
			if m.msg.Heard {
				o++
			} else {
				n++
			}
		}
		return n, o
	}
	out := []telephony.MailboxStatus{}
	for _, b := range f.plan.Voicemail.Boxes {
		n, o := count(b.Extension)
		out = append(out, telephony.MailboxStatus{Extension: b.Extension, Name: name(b.Extension), New: n, Old: o,
			Greetings: append([]string{}, f.vm.greetings[b.Extension]...), Configured: true})
	}
	var left []string
	for box := range f.vm.boxes {
		if _, ok := f.plan.Voicemail.Box(box); !ok {
			left = append(left, box)
		}
	}
	slices.Sort(left)
	for _, box := range left {
		n, o := count(box)
		out = append(out, telephony.MailboxStatus{Extension: box, Name: name(box), New: n, Old: o, Greetings: []string{}})
	}
	return out, nil
}

func (f *fakeService) VoicemailMessages(ctx context.Context, box string) ([]telephony.VoicemailMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.boxKnown(box) {
		return nil, fmt.Errorf("fake: mailbox %q: %w", box, store.ErrNotFound)
	}
	out := []telephony.VoicemailMessage{}
	for _, heard := range []bool{false, true} {
		for _, m := range f.vm.boxes[box] {
			if m.msg.Heard == heard {
				out = append(out, m.msg)
			}
		}
	}
	return out, nil
}

// find returns the index of message id in box, or -1. Called with f.mu held.
func (f *fakeService) findVM(box, id string) int {
	return slices.IndexFunc(f.vm.boxes[box], func(m fakeVM) bool { return m.msg.ID == id })
}

// seekCloser is a bytes.Reader that closes, as *os.File would be.
type seekCloser struct{ *bytes.Reader }

func (seekCloser) Close() error { return nil }

func (f *fakeService) VoicemailAudio(ctx context.Context, box, id string) (io.ReadCloser, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.findVM(box, id)
	if i < 0 {
		return nil, 0, fmt.Errorf("fake: message %s/%s: %w", box, id, store.ErrNotFound)
	}
	if f.vm.audio != nil {
		return f.vm.audio(box, id)
	}
	wav := f.vm.boxes[box][i].wav
	if f.vm.plainReader {
		return io.NopCloser(bytes.NewReader(wav)), int64(len(wav)), nil
	}
	return seekCloser{bytes.NewReader(wav)}, int64(len(wav)), nil
}

func (f *fakeService) MarkVoicemail(ctx context.Context, box, id string, heard bool) error {
	f.mu.Lock()
	i := f.findVM(box, id)
	if i < 0 {
		f.mu.Unlock()
		return fmt.Errorf("fake: message %s/%s: %w", box, id, store.ErrNotFound)
	}
	f.vm.boxes[box][i].msg.Heard = heard
	f.mu.Unlock()
	f.emit("voicemail", func(*telephony.Status) {})
	return nil
}

func (f *fakeService) DeleteVoicemail(ctx context.Context, box, id string) error {
	f.mu.Lock()
	i := f.findVM(box, id)
	if i < 0 {
		f.mu.Unlock()
		return fmt.Errorf("fake: message %s/%s: %w", box, id, store.ErrNotFound)
	}
	f.vm.boxes[box] = slices.Delete(f.vm.boxes[box], i, i+1)
	if _, ok := f.plan.Voicemail.Box(box); !ok && len(f.vm.boxes[box]) == 0 {
		delete(f.vm.boxes, box) // the last message of a removed mailbox: its directory goes
	}
	f.mu.Unlock()
	f.emit("voicemail", func(*telephony.Status) {})
	return nil
}

// checkVoicemail is the store's voicemail validation the pages' tests
// need: mailboxes of existing extensions, one each, with acceptable PINs
// (store.CheckPIN itself), limits in range. Called with f.mu held.
func (f *fakeService) checkVoicemail(v store.Voicemail) error {
	var kv []string
	if s := v.MaxMessageS; s != 0 && (s < store.MinVoicemailMessageS || s > store.MaxVoicemailMessageS) {
		kv = append(kv, "voicemail.max_message_s", fmt.Sprintf("must be 0 (default %d) or %d to %d seconds",
			store.DefaultVoicemailMessageS, store.MinVoicemailMessageS, store.MaxVoicemailMessageS))
	}
	if n := v.MaxMessages; n < 0 || n > store.MaxVoicemailMessages {
		kv = append(kv, "voicemail.max_messages", fmt.Sprintf("must be 0 (default %d) or 1 to %d", store.DefaultVoicemailMessages, store.MaxVoicemailMessages))
	}
	seen := map[string]bool{}
	for i, b := range v.Boxes {
		p := fmt.Sprintf("voicemail.boxes[%d].", i)
		switch {
		case !slices.ContainsFunc(f.exts, func(e store.Extension) bool { return e.Number == b.Extension }):
			kv = append(kv, p+"extension", fmt.Sprintf("extension %q does not exist", b.Extension))
		case seen[b.Extension]:
			kv = append(kv, p+"extension", fmt.Sprintf("extension %s has two mailboxes", b.Extension))
		}
		seen[b.Extension] = true
		if msg := store.CheckPIN(b.Extension, b.PIN); msg != "" {
			kv = append(kv, p+"pin", msg)
		}
	}
	if kv != nil {
		return invalid(kv...)
	}
	return nil
}
