// Command gen speaks the box's built-in prompts, a directory per language
// (en, ru, hy, ky, it under the prompts package): for every line
// NAME<TAB>TEXT of a language's texts.txt it writes NAME.wav there, the
// text spoken by espeak-ng (the language's voice, at a clear rate),
// band-limited and resampled to 8 kHz mono by sox, trimmed of leading and
// trailing silence, normalised to an active speech level of -16 dBFS
// with a look-ahead limiter keeping the peaks below -1 dBFS, and stored
// as μ-law. WAV files there that texts.txt no longer names are removed.
//
// The output is deterministic, so regenerating unchanged texts changes no
// file. Run it with `make prompts` (needs espeak-ng and sox); the results
// are committed, so building the firmware needs neither.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
)

const (
	rate = 8000
	// targetDB is the active speech level every prompt is brought to: loud
	// and clear on a handset, with room for the peaks.
	targetDB = -16.0
	// ceiling is the peak the limiter allows (-1 dBFS): μ-law coding and a
	// phone's receive path stay clear of clipping.
	ceiling = 29204
	// lookAhead is how early the limiter starts turning down before a peak
	// (and how slowly it may turn down), release how slowly it turns back
	// up: smooth enough not to distort the voice.
	lookAhead = 2 * rate / 1000 // 2 ms
	release   = 50 * rate / 1000
	// head and tail are the silence kept around the speech: a soft start,
	// and a short breath between prompts played one after the other
	// ("You are caller number" "3" "in line").
	head = 20 * rate / 1000
	tail = 80 * rate / 1000
	// maxPause is the longest pause kept within a prompt: a clear break
	// between sentences, no longer.
	maxPause = 300 * rate / 1000
)

// voice is how one language is spoken.
type voice struct {
	espeak string // espeak-ng voice
	// speed in words per minute: espeak-ng's default, 175, is hurried on
	// a phone; slower makes every prompt longer (and the firmware bigger).
	speed int
}

// voices are the languages the box speaks, by directory.
func voices() map[string]voice {
	return map[string]voice{
		"en": {"en-us", 160},
		"ru": {"ru", 180},
		"hy": {"hy", 190},
		"ky": {"ky", 180},
		"it": {"it", 180},
	}
}

func main() {
	root := flag.String("root", "telephony/prompts", "the prompts package: a directory per language holding texts.txt")
	langs := flag.String("lang", "en,ru,hy,ky,it", "the languages to speak, comma-separated")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	for _, l := range strings.Split(*langs, ",") {
		v, ok := voices()[l]
		if !ok {
			log.Error("prompts: no voice for the language", "lang", l)
			os.Exit(2)
		}
		if err := run(filepath.Join(*root, l), v.espeak, v.speed, log.With("lang", l)); err != nil {
			log.Error("prompts", "lang", l, "err", err)
			os.Exit(1)
		}
	}
}

type line struct{ name, text string }

func run(dir, voice string, speed int, log *slog.Logger) error {
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is needed to make the prompts: %w", tool, err)
		}
	}
	lines, err := readTexts(filepath.Join(dir, "texts.txt"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "prompts")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	keep := map[string]bool{}
	var total int64
	for _, l := range lines {
		keep[l.name+".wav"] = true
		s, gainDB, err := speak(tmp, l, voice, speed)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := audiofile.WriteWAV(&b, s, audiofile.ULaw); err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
		out := filepath.Join(dir, l.name+".wav")
		if old, err := os.ReadFile(out); err != nil || !bytes.Equal(old, b.Bytes()) {
			if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
				return err
			}
		}
		total += int64(b.Len())
		log.Info("prompt", "name", l.name, "seconds", float64(len(s))/rate,
			"level_db", math.Round(audiotest.ActiveLevel(s)*10)/10, "limiter_db", math.Round(gainDB*10)/10)
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if !keep[filepath.Base(f)] {
			log.Info("removing a prompt texts.txt no longer names", "file", f)
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	log.Info("prompts made", "count", len(lines), "bytes", total)
	return nil
}

// readTexts reads the script: NAME<TAB>TEXT lines, # comments.
func readTexts(path string) ([]line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []line
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		t := sc.Text()
		if strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#") {
			continue
		}
		name, text, ok := strings.Cut(t, "\t")
		if !ok || name == "" || strings.TrimSpace(text) == "" || strings.ContainsAny(name, "/\\. ") {
			return nil, fmt.Errorf("%s:%d: want NAME<TAB>TEXT", path, n)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s:%d: %s twice", path, n, name)
		}
		seen[name] = true
		out = append(out, line{name, strings.TrimSpace(text)})
	}
	return out, sc.Err()
}

// speak makes one prompt's samples; gainDB is the most the limiter
// turned the speech down.
func speak(tmp string, l line, voice string, speed int) ([]int16, float64, error) {
	raw := filepath.Join(tmp, l.name+".raw.wav")
	pcm := filepath.Join(tmp, l.name+".8k.wav")
	// "--" ends the options: a text never turns into one.
	if out, err := exec.Command("espeak-ng", "-v", voice, "-s", fmt.Sprint(speed), "-w", raw, "--", l.text).CombinedOutput(); err != nil {
		return nil, 0, fmt.Errorf("%s: espeak-ng: %w: %s", l.name, err, out)
	}
	// The telephone band: below 200 Hz is rumble a handset cannot play;
	// sox's rate filters out everything above 4 kHz before resampling.
	// -R seeds sox's randomness the same every time and -D leaves out the
	// dither (μ-law coding follows anyway): the same text, the same file.
	if out, err := exec.Command("sox", "-R", "-D", raw, "-b", "16", "-e", "signed-integer", "-c", "1", pcm,
		"highpass", "200", "rate", "-v", fmt.Sprint(rate)).CombinedOutput(); err != nil {
		return nil, 0, fmt.Errorf("%s: sox: %w: %s", l.name, err, out)
	}
	f, err := os.Open(pcm)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	s, r, err := audiofile.ReadWAV(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", l.name, err)
	}
	if r != rate {
		return nil, 0, fmt.Errorf("%s: sox made %d Hz", l.name, r)
	}
	s = shortenPauses(trim(s))
	if len(s) == 0 {
		return nil, 0, errors.New(l.name + ": espeak-ng made silence")
	}
	padded := make([]int16, head+len(s)+tail)
	copy(padded[head:], s)
	x, gainDB := normalise(padded)
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(math.Round(v))
	}
	return out, gainDB, nil
}

// trim cuts the silence before and after the speech: everything below
// -40 dB of the loudest sample, keeping 10 ms before the first sound so
// its onset is not clipped.
func trim(s []int16) []int16 {
	var peak int
	for _, v := range s {
		peak = max(peak, abs(int(v)))
	}
	thr := peak / 100
	first, last := -1, -1
	for i, v := range s {
		if abs(int(v)) > thr {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil
	}
	first = max(0, first-10*rate/1000)
	return s[first : last+1]
}

// shortenPauses cuts every pause between words longer than maxPause down
// to maxPause: espeak-ng rests long after each sentence, and a menu of
// five choices should not keep a caller waiting for its last one.
func shortenPauses(s []int16) []int16 {
	const window = 5 * rate / 1000 // pauses are judged in 5 ms steps
	var peak int
	for _, v := range s {
		peak = max(peak, abs(int(v)))
	}
	thr := peak / 100 // -40 dB
	quiet := func(w []int16) bool {
		for _, v := range w {
			if abs(int(v)) > thr {
				return false
			}
		}
		return true
	}
	out := make([]int16, 0, len(s))
	run := 0 // samples of the current pause already kept
	for i := 0; i < len(s); i += window {
		w := s[i:min(i+window, len(s))]
		if !quiet(w) {
			run = 0
			out = append(out, w...)
			continue
		}
		if run < maxPause {
			out = append(out, w...)
		}
		run += len(w)
	}
	return out
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// normalise scales s to the target active speech level and limits its
// peaks to the ceiling. The limiter's gain is the least gain any sample
// within lookAhead needs, ramped so it falls over lookAhead samples and
// rises over release samples, never above what a sample needs: no sample
// exceeds the ceiling, and the gain never jumps. The active level is
// measured again after limiting and the whole made up once more (the
// limiter took a little off the loudest syllables).
func normalise(s []int16) ([]float64, float64) {
	x := make([]float64, len(s))
	for i, v := range s {
		x[i] = float64(v)
	}
	least := 1.0
	for range 3 {
		lvl := activeLevel(x)
		scale(x, math.Pow(10, (targetDB-lvl)/20))
		least = min(least, limit(x))
	}
	return x, 20 * math.Log10(least)
}

func activeLevel(x []float64) float64 {
	s := make([]int16, len(x))
	for i, v := range x {
		s[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return audiotest.ActiveLevel(s)
}

func scale(x []float64, g float64) {
	for i := range x {
		x[i] *= g
	}
}

// limit applies the look-ahead limiter in place and returns its least gain.
func limit(x []float64) float64 {
	n := len(x)
	need := make([]float64, n)
	for i, v := range x {
		need[i] = 1
		if a := math.Abs(v); a > ceiling {
			need[i] = ceiling / a
		}
	}
	g := make([]float64, n)
	// Forward: rise no faster than the release allows.
	prev := 1.0
	for i := range n {
		prev = min(need[i], prev+1.0/release)
		g[i] = prev
	}
	// Backward: fall no faster than over lookAhead samples, starting early.
	next := 1.0
	for i := n - 1; i >= 0; i-- {
		next = min(g[i], next+1.0/lookAhead)
		g[i] = next
	}
	least := 1.0
	for i := range x {
		x[i] *= g[i]
		least = min(least, g[i])
	}
	return least
}
