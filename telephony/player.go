package telephony

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
	"minipbx/telephony/store"
)

// frameTime is the length of one media frame.
const frameTime = 20 * time.Millisecond

// promptLevelDBm0 is the level of menu tones (a comfortable, clearly
// audible level, as telcos use for information tones).
const promptLevelDBm0 = -13

// source fills one frame of samples; it reports false when it has no
// more (the frame is then not sent).
type source func(out []int16) bool

// play paces src onto ep, one frame every 20 ms, until src ends or ctx is
// done. It runs in the caller's goroutine.
func play(ctx context.Context, ep media.Endpoint, src source) {
	t := time.NewTicker(frameTime)
	defer t.Stop()
	var f media.Frame
	for {
		f = media.Frame{HasSamples: true}
		if !src(f.Samples[:]) {
			return
		}
		ep.WriteFrame(&f)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// samplesSource plays samples once.
func samplesSource(s []int16) source {
	return func(out []int16) bool {
		if len(s) == 0 {
			return false
		}
		n := copy(out, s)
		clear(out[n:])
		s = s[n:]
		return true
	}
}

// toneSource plays a tone (or silence, for a zero spec) for d.
func toneSource(spec string, d time.Duration) (source, error) {
	frames := int(d / frameTime)
	var tp *dsp.TonePlayer
	if spec != "" {
		ts, err := dsp.ParseToneSpec(spec)
		if err != nil {
			return nil, err
		}
		tp = dsp.NewTonePlayer(ts, promptLevelDBm0)
	}
	return func(out []int16) bool {
		if frames <= 0 {
			return false
		}
		frames--
		if tp == nil {
			clear(out)
			return true
		}
		tp.Read(out)
		return true
	}, nil
}

// speech strings the named voice prompts (package prompts) together into
// one source, without a gap between them: "You are caller number" "3"
// "in line" flows as one sentence. All are loaded first, so an unknown
// name is an error before anything plays.
func (x *Exchange) speech(names ...string) (source, error) {
	parts := make([][]int16, 0, len(names))
	for _, n := range names {
		s, err := x.prompts.Load(n)
		if err != nil {
			return nil, err
		}
		parts = append(parts, s)
	}
	return func(out []int16) bool {
		n := 0
		for n < len(out) && len(parts) > 0 {
			c := copy(out[n:], parts[0])
			n += c
			if parts[0] = parts[0][c:]; len(parts[0]) == 0 {
				parts = parts[1:]
			}
		}
		if n == 0 {
			return false
		}
		clear(out[n:])
		return true
	}, nil
}

// say speaks the named voice prompts to ep in order, paced like every
// prompt, in the caller's goroutine. It returns ctx's error when stopped
// before the end, or the error of a name that does not load (then
// nothing plays).
func (x *Exchange) say(ctx context.Context, ep media.Endpoint, names ...string) error {
	src, err := x.speech(names...)
	if err != nil {
		return fmt.Errorf("say: %w", err)
	}
	play(ctx, ep, src)
	return ctx.Err()
}

// sayTo speaks the named voice prompts to the caller of c while watching
// their leg, and reports whether they heard them to the end: false when
// the caller hung up, the call was stopped, or a prompt is missing
// (logged). Keys pressed meanwhile are ignored.
func (x *Exchange) sayTo(ctx context.Context, c *call, names ...string) bool {
	sayCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- x.say(sayCtx, c.in.Media(), names...) }()
	defer func() { stop(); <-done }()
	for {
		select {
		case err := <-done:
			done <- err // for the deferred wait
			if err != nil && ctx.Err() == nil {
				x.log.Warn("prompt not spoken", "call", c.id, "err", err)
			}
			return err == nil
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				return false
			}
		}
	}
}

// promptDir is where prompt files live: "prompts" beside the database.
func (x *Exchange) promptDir() string {
	if p, ok := x.store.(interface{ Path() string }); ok {
		return filepath.Join(filepath.Dir(p.Path()), "prompts")
	}
	return ""
}

// maxPromptBytes bounds a prompt file read into memory: the longest
// recording the Recordings page stores (10 minutes of μ-law,
// recordings.MaxSeconds) with room to spare.
const maxPromptBytes = 5 << 20

// promptSource opens one prompt of a menu. A file named after a voice
// prompt (goodbye.wav, vm-leave-message.wav: prompts.Names) plays that
// prompt: the built-in recording, or its replacement in the prompts
// directory.
func (x *Exchange) promptSource(pr store.Prompt) (source, error) {
	if pr.File == "" {
		return toneSource(pr.Tone, time.Duration(pr.MS)*time.Millisecond)
	}
	if name, ok := strings.CutSuffix(filepath.Base(pr.File), ".wav"); ok {
		if s, err := x.prompts.Load(name); err == nil {
			return samplesSource(s), nil
		}
	}
	dir := x.promptDir()
	if dir == "" {
		return nil, fmt.Errorf("prompt %s: no prompts directory", pr.File)
	}
	s, err := x.promptFiles.load(filepath.Join(dir, filepath.Base(pr.File)), pr.File)
	if err != nil {
		return nil, err
	}
	return samplesSource(s), nil
}

// defaultRefuseTone is how long a caller whose line is already answered
// hears busy or congestion tone before the box hangs up.
const defaultRefuseTone = 4 * time.Second

// refuse ends the inbound leg before it reached anyone. A caller whose
// line is already answered — a telco line (the box answers FXO calls
// before routing them) or a call a menu or queue answered — cannot be told
// by signalling, so they hear busy tone (busy) or congestion tone (any
// other failure) for a few seconds first: a refusal is never silent.
func (x *Exchange) refuse(ctx context.Context, c *call, cause channel.Cause) {
	answered := c.inInfo.Kind == channel.FXO || c.inAnswered
	if !answered || cause == channel.CauseCancelled || cause == channel.CauseNormal || ctx.Err() != nil {
		c.hangupIn(cause)
		return
	}
	zone, err := dsp.LookupZone(x.config().System.ToneZone)
	if err != nil {
		c.hangupIn(cause)
		return
	}
	spec := zone.Congestion
	if cause == channel.CauseBusy {
		spec = zone.Busy
	}
	d := x.dp.refuseTone
	if d <= 0 {
		d = defaultRefuseTone
	}
	playCtx, stop := context.WithTimeout(ctx, d)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tp := dsp.NewTonePlayer(spec, promptLevelDBm0)
		play(playCtx, c.in.Media(), func(out []int16) bool { tp.Read(out); return true })
	}()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				stop()
				<-done
				waiting = false
			}
		}
	}
	c.hangupIn(cause)
}
