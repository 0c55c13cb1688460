package telephony

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"minipbx/dsp"
	"minipbx/dsp/audiofile"
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

// promptDir is where prompt files live: "prompts" beside the database.
func (x *Exchange) promptDir() string {
	if p, ok := x.store.(interface{ Path() string }); ok {
		return filepath.Join(filepath.Dir(p.Path()), "prompts")
	}
	return ""
}

// maxPromptBytes bounds a prompt file read into memory (about two
// minutes of 16-bit audio).
const maxPromptBytes = 2 << 20

// promptSource opens one prompt of a menu.
func (x *Exchange) promptSource(pr store.Prompt) (source, error) {
	if pr.File == "" {
		return toneSource(pr.Tone, time.Duration(pr.MS)*time.Millisecond)
	}
	dir := x.promptDir()
	if dir == "" {
		return nil, fmt.Errorf("prompt %s: no prompts directory", pr.File)
	}
	f, err := os.Open(filepath.Join(dir, filepath.Base(pr.File)))
	if err != nil {
		return nil, fmt.Errorf("prompt: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxPromptBytes {
		return nil, fmt.Errorf("prompt %s: larger than %d bytes", pr.File, maxPromptBytes)
	}
	s, rate, err := audiofile.ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", pr.File, err)
	}
	if rate != 8000 {
		return nil, fmt.Errorf("prompt %s: %d Hz, want 8000 (import it with pbxctl)", pr.File, rate)
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
