package telephony

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/prompts"
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

// speech strings the named voice prompts (package prompts) of language l
// together into one source, without a gap between them: "You are caller
// number" "3" "in line" flows as one sentence. All are loaded first, so
// an unknown name is an error before anything plays.
func (x *Exchange) speech(l prompts.Language, names ...string) (source, error) {
	parts := make([][]int16, 0, len(names))
	for _, n := range names {
		s, err := x.prompts.Load(l, n)
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

// promptDir is where prompt files live (Options.PromptDir).
func (x *Exchange) promptDir() string { return x.promptDirPath }

// maxPromptBytes bounds a prompt file read into memory: the longest
// recording the Recordings page stores (10 minutes of μ-law,
// recordings.MaxSeconds) with room to spare.
const maxPromptBytes = 5 << 20

// promptSource opens one prompt of a menu. A file named after a voice
// prompt (goodbye.wav, vm-leave-message.wav: prompts.Language.Names)
// plays that prompt in language l, one named after a prompt of a language
// (goodbye.ru.wav: prompts.Language.File) that language's: the built-in
// recording, or its replacement in the prompts directory.
func (x *Exchange) promptSource(pr store.Prompt, l prompts.Language) (source, error) {
	if pr.File == "" {
		return toneSource(pr.Tone, time.Duration(pr.MS)*time.Millisecond)
	}
	base := filepath.Base(pr.File)
	if name, ok := strings.CutSuffix(base, ".wav"); ok {
		if fl, n, ok := prompts.ParseFile(base); ok && fl != prompts.English {
			l, name = fl, n
		}
		if s, err := x.prompts.Load(l, name); err == nil {
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
