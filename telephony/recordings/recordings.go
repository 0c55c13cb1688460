// Package recordings manages the installer's recordings: the audio files
// in the prompts directory (prompts/ in the data directory) that voice
// menus, queues' music on hold and announcements play by name
// (store.Prompt.File), and that replace a built-in voice prompt when
// named after it (goodbye.wav replaces the English "goodbye",
// goodbye.ru.wav the Russian one: prompts.Language.File).
//
// An installer brings whatever the studio or a phone app produced — WAV
// at any rate and format dsp/audiofile.Import reads, or MP3 — and Save
// converts it to what the exchange plays without effort: 8 kHz mono
// μ-law WAV, level-normalised, written atomically (a call playing the
// old file never hears half of the new one). The exchange's Service
// (telephony/recordings_service.go) and pbxctl's offline mode both work
// through a Dir, so the web UI, the API and the command line apply the
// same rules.
package recordings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/internal/atomicfile"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// Limits of an upload. An MP3 of 10 MB is far longer than 10 minutes at
// any usual bit rate; a WAV file of 10 MB is about a minute of CD audio.
const (
	// MaxUploadBytes bounds what Save reads of an upload.
	MaxUploadBytes = 10 << 20
	// MaxSeconds bounds a recording's length (music on hold loops a few
	// minutes at most; a menu greeting is seconds).
	MaxSeconds = audiofile.MaxImportSeconds
	// MaxBuiltinSeconds bounds a replacement of a built-in prompt:
	// package prompts reads at most 2 MB of an override, four minutes of
	// μ-law, far more than any phrase.
	MaxBuiltinSeconds = 240
	// maxReadBytes bounds a file read back from the directory (a 10-minute
	// 16-bit file put there by hand is 9.6 MB).
	maxReadBytes = 12 << 20
	rate         = 8000
)

// Recording is one audio file in the prompts directory, or one the dial
// plan names but which is missing.
type Recording struct {
	// Name is the file name the dial plan uses (store.Prompt.File),
	// e.g. "welcome.wav".
	Name string `json:"name"`
	// DurationMS is the length; 0 when the file cannot be played.
	DurationMS int `json:"duration_ms"`
	// Size is the file's size in bytes.
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified,omitzero"`
	// UsedBy names what plays it: "menu main", "queue sales (music on
	// hold)", "announcement closed".
	UsedBy []string `json:"used_by"`
	// Replaces is the built-in voice prompt this file replaces ("" for
	// none) and Language the language of that prompt: goodbye.wav
	// replaces "goodbye" in "en", goodbye.ru.wav "goodbye" in "ru".
	Replaces string `json:"replaces,omitempty"`
	Language string `json:"language,omitempty"`
	// Missing: the dial plan names this file but it is not there (the
	// caller hears nothing where it should play). Upload it.
	Missing bool `json:"missing,omitempty"`
	// Problem says why the exchange cannot play the file (put there by
	// hand in a format it does not read); upload it again to convert it.
	Problem string `json:"problem,omitempty"`
}

// BuiltinPrompt is one of the box's built-in voice prompts (package
// prompts) in one language, which a recording named File replaces.
type BuiltinPrompt struct {
	Name string `json:"name"` // "goodbye"
	// Language is the prompt's language: "en", "ru", "hy", "ky", "it".
	Language string `json:"language"`
	// File is the recording that replaces it: "goodbye.wav" (English),
	// "goodbye.ru.wav". Without ".wav" it names the built-in for
	// BuiltinAudio.
	File string `json:"file"`
	// Text is the words it speaks; a replacement must say them too.
	Text       string `json:"text"`
	DurationMS int    `json:"duration_ms"`
	// Replaced: the prompts directory holds File, which callers hear
	// instead of the built-in recording.
	Replaced bool `json:"replaced"`
}

// Dir is a prompts directory. It keeps no state: every method looks at
// the files, so a Dir may be made per request.
type Dir struct {
	path string
}

// New returns the prompts directory at path (created by the first Save).
func New(path string) *Dir { return &Dir{path: path} }

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// invalid is a validation error on one field, in the installer's words.
func invalid(field, format string, args ...any) error {
	return &store.ValidationError{Fields: []store.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// FileName turns what an installer typed into the file name the dial
// plan uses: "welcome", "welcome.wav" and "welcome.mp3" are all
// "welcome.wav" (a recording is always stored as WAV). A name the dial
// plan could not use is a validation error on field "name".
func FileName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" {
		return "", invalid("name", "Give the recording a name, e.g. welcome (it becomes welcome.wav, the name menus and queues use).")
	}
	for _, ext := range []string{".wav", ".mp3"} {
		n = strings.TrimSuffix(n, ext)
	}
	n += ".wav"
	if err := store.CheckPromptFile(n); err != nil {
		return "", invalid("name", "%q cannot be used: the name %v (e.g. welcome or after-hours).", name, err)
	}
	return n, nil
}

// builtinName is the built-in prompt file replaces and its language, or
// "".
func builtinName(file string) (name, lang string) {
	l, n, ok := prompts.ParseFile(file)
	if !ok {
		return "", ""
	}
	return n, l.Code()
}

// replacesBuiltin tells whether file replaces a built-in prompt.
func replacesBuiltin(file string) bool {
	n, _ := builtinName(file)
	return n != ""
}

// UsedBy names what in cfg plays file, in the configuration's order
// (the store's references to recordings).
func UsedBy(cfg *store.Config, file string) []string {
	out := []string{}
	if cfg == nil {
		return out
	}
	for _, r := range cfg.UsersOf(store.TargetRecordings, file) {
		key, i, _ := store.ObjectOf(r.Path)
		names := cfg.Names(key)
		if i < 0 || i >= len(names) {
			continue
		}
		var what string
		switch key {
		case "ivr_menus":
			what = "menu " + names[i]
		case "queues":
			what = "queue " + names[i] + " (music on hold)"
		case "announcements":
			what = "announcement " + names[i]
		default:
			what = cfg.Describe(key + "[" + strconv.Itoa(i) + "]")
		}
		if !slices.Contains(out, what) {
			out = append(out, what)
		}
	}
	return out
}

// referenced lists every file cfg's prompts name.
func referenced(cfg *store.Config) []string {
	var out []string
	if cfg == nil {
		return out
	}
	for _, r := range cfg.References() {
		if r.Target == store.TargetRecordings && !slices.Contains(out, r.Name) {
			out = append(out, r.Name)
		}
	}
	return out
}

// List returns the recordings in the directory, by name, then the files
// cfg's prompts name that are missing (a file named after a built-in
// prompt is never missing: the built-in plays). Hidden files (the
// temporary files of a Save in progress) are left out.
func (d *Dir) List(cfg *store.Config) ([]Recording, error) {
	out := []Recording{}
	ents, err := os.ReadDir(d.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("recordings: list %s: %w", d.path, err)
	}
	have := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(strings.ToLower(name), ".wav") || !e.Type().IsRegular() {
			continue
		}
		have[name] = true
		out = append(out, d.describe(cfg, name))
	}
	for _, f := range referenced(cfg) {
		if !have[f] && !replacesBuiltin(f) {
			out = append(out, Recording{Name: f, UsedBy: UsedBy(cfg, f), Missing: true})
		}
	}
	return out, nil
}

// describe reads one file of the directory for List.
func (d *Dir) describe(cfg *store.Config, name string) Recording {
	rec := Recording{Name: name, UsedBy: UsedBy(cfg, name)}
	rec.Replaces, rec.Language = builtinName(name)
	if err := store.CheckPromptFile(name); err != nil {
		rec.Problem = "the dial plan cannot name this file: the name " + err.Error()
	}
	samples, fi, err := d.read(name)
	if fi != nil {
		rec.Size, rec.Modified = fi.Size(), fi.ModTime().UTC()
	}
	switch {
	case err != nil && rec.Problem == "":
		rec.Problem = err.Error()
	case err == nil:
		rec.DurationMS = len(samples) * 1000 / rate
	}
	return rec
}

// Get describes one recording; a missing file is store.ErrNotFound.
func (d *Dir) Get(cfg *store.Config, name string) (Recording, error) {
	file, err := d.existing(name)
	if err != nil {
		return Recording{}, err
	}
	if _, err := os.Stat(filepath.Join(d.path, file)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Recording{}, fmt.Errorf("recording %s: %w", file, store.ErrNotFound)
		}
		return Recording{}, fmt.Errorf("recordings: %w", err)
	}
	return d.describe(cfg, file), nil
}

// read decodes a file of the directory as the exchange plays it (8 kHz
// mono WAV: 16-bit PCM, μ-law or A-law).
func (d *Dir) read(file string) ([]int16, fs.FileInfo, error) {
	f, err := os.Open(filepath.Join(d.path, file))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("recording %s: %w", file, store.ErrNotFound)
		}
		return nil, nil, fmt.Errorf("recordings: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("recordings: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fi, errors.New("not a regular file")
	}
	if fi.Size() > maxReadBytes {
		return nil, fi, fmt.Errorf("%d MB: too big to play (upload it again to convert it)", fi.Size()>>20)
	}
	samples, r, err := audiofile.ReadWAV(f)
	if err != nil {
		return nil, fi, fmt.Errorf("cannot be played: %v; upload it again and the box converts it", strings.TrimPrefix(err.Error(), "audiofile: "))
	}
	if r != rate || len(samples) == 0 {
		return nil, fi, errors.New("cannot be played: no audio")
	}
	return samples, fi, nil
}

// Save converts the audio in r (WAV or MP3, see audiofile.Import) and
// stores it as name (FileName) in 8 kHz μ-law, replacing a recording of
// that name atomically. cfg (may be nil) fills in UsedBy. Problems the
// installer can fix — a bad name, not audio, too big, too long, silent —
// are a *store.ValidationError on field "name" or "file"; then nothing
// changed.
func (d *Dir) Save(cfg *store.Config, name string, r io.Reader) (Recording, error) {
	file, err := FileName(name)
	if err != nil {
		return Recording{}, err
	}
	samples, err := audiofile.Import(r, MaxUploadBytes)
	if err != nil {
		return Recording{}, importProblem(err)
	}
	limit, what := MaxSeconds, "a recording"
	if replacesBuiltin(file) {
		limit, what = MaxBuiltinSeconds, "a replacement of a built-in prompt"
	}
	if len(samples) > limit*rate {
		return Recording{}, invalid("file", "The recording is %s long; %s may last at most %s. Shorten it and upload it again.",
			minSec(len(samples)/rate), what, minSec(limit))
	}
	var buf bytes.Buffer
	if err := audiofile.WriteWAV(&buf, samples, audiofile.ULaw); err != nil {
		return Recording{}, fmt.Errorf("recordings: save %s: %w", file, err)
	}
	if err := writeAtomic(d.path, file, buf.Bytes()); err != nil {
		return Recording{}, fmt.Errorf("recordings: save %s: %w", file, err)
	}
	return d.describe(cfg, file), nil
}

// importProblem says in words why an upload is not usable audio.
func importProblem(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, audiofile.ErrTooBig):
		return invalid("file", "The file is larger than %d MB. Upload a shorter recording, or an MP3 instead of a WAV file.", MaxUploadBytes>>20)
	case errors.Is(err, audiofile.ErrUnknownFormat):
		return invalid("file", "This is not a WAV or MP3 file. Save the recording as WAV or MP3 and upload that.")
	case strings.Contains(msg, "silent"):
		return invalid("file", "The recording is silent (or almost): check that the file has sound and upload it again.")
	case strings.Contains(msg, "exceeds"):
		return invalid("file", "The recording is longer than %s. Shorten it and upload it again.", minSec(MaxSeconds))
	case strings.Contains(msg, "no audio"):
		return invalid("file", "The file holds no audio.")
	}
	return invalid("file", "The audio could not be read (%s). Save it as 16-bit WAV or MP3 and upload it again.", strings.TrimPrefix(msg, "audiofile: import: "))
}

// minSec is a length in seconds as "2 min 5 s".
func minSec(s int) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s%60 == 0:
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

// writeAtomic replaces dir/name with data (see atomicfile), after
// removing what interrupted uploads left; the temporary file is named for
// removeStale.
func writeAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	removeStale(dir)
	return atomicfile.WriteTemp(filepath.Join(dir, name), ".upload-*.tmp", data, 0o644)
}

// staleAfter is how old a temporary file of a Save must be to be a
// leftover of a power cut rather than an upload in progress.
const staleAfter = time.Hour

// removeStale removes temporary files a Save interrupted by a power cut
// left behind (hidden, so List and the exchange never saw them), so they
// do not pile up in the directory or in backups.
func removeStale(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, ".upload-*.tmp"))
	for _, p := range old {
		if fi, err := os.Stat(p); err == nil && time.Since(fi.ModTime()) > staleAfter {
			os.Remove(p)
		}
	}
}

// existing resolves the name of a recording to delete or play: a file
// put in the directory by hand under a name the dial plan cannot use
// ("Welcome.WAV") is still reachable by its exact name, so that it can be
// heard and removed; anything else goes through FileName.
func (d *Dir) existing(name string) (string, error) {
	if name != "" && !strings.ContainsAny(name, "/\\") && name[0] != '.' && strings.HasSuffix(strings.ToLower(name), ".wav") {
		if fi, err := os.Lstat(filepath.Join(d.path, name)); err == nil && fi.Mode().IsRegular() {
			return name, nil
		}
	}
	return FileName(name)
}

// Delete removes the recording name. A recording that cfg's menus,
// queues or announcements still play is refused with a validation error
// naming them (they would play nothing); a replacement of a built-in
// prompt may always go, as the built-in plays again. A missing file is
// store.ErrNotFound.
func (d *Dir) Delete(cfg *store.Config, name string) error {
	file, err := d.existing(name)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(d.path, file)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("recording %s: %w", file, store.ErrNotFound)
		}
		return fmt.Errorf("recordings: delete %s: %w", file, err)
	}
	if used := UsedBy(cfg, file); len(used) > 0 && !replacesBuiltin(file) {
		return invalid("name", "The recording %s is still played by %s. Choose another recording there first (Dial plan), then delete it.", file, strings.Join(used, ", "))
	}
	if err := os.Remove(filepath.Join(d.path, file)); err != nil {
		return fmt.Errorf("recordings: delete %s: %w", file, err)
	}
	if err := atomicfile.SyncDir(d.path); err != nil {
		return fmt.Errorf("recordings: delete %s: %w", file, err)
	}
	return nil
}

// Audio returns the recording name as a 16-bit PCM WAV file (what every
// browser plays) and its size. The reader can seek, so a web server can
// answer range requests. A missing file is store.ErrNotFound.
func (d *Dir) Audio(name string) (io.ReadCloser, int64, error) {
	file, err := d.existing(name)
	if err != nil {
		return nil, 0, err
	}
	samples, _, err := d.read(file)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("recording %s: %w", file, err)
	}
	return pcmWAV(samples)
}

// Builtins lists the built-in voice prompts of every language (English
// first, then by language and name) with their words, and whether the
// directory holds a replacement.
func (d *Dir) Builtins() ([]BuiltinPrompt, error) {
	var out []BuiltinPrompt
	for _, l := range prompts.Languages() {
		for _, n := range l.Names() {
			s, err := l.Builtin(n)
			if err != nil {
				return nil, fmt.Errorf("recordings: %w", err)
			}
			file := l.File(n)
			_, statErr := os.Stat(filepath.Join(d.path, file))
			out = append(out, BuiltinPrompt{Name: n, Language: l.Code(), File: file, Text: l.Text(n),
				DurationMS: len(s) * 1000 / rate, Replaced: statErr == nil})
		}
	}
	return out, nil
}

// BuiltinAudio returns a built-in recording (not its replacement) as a
// 16-bit PCM WAV file. name is its File without ".wav": "goodbye" for
// the English goodbye, "goodbye.ru" for the Russian one. An unknown name
// is store.ErrNotFound.
func BuiltinAudio(name string) (io.ReadCloser, int64, error) {
	l, n, ok := prompts.ParseFile(name + ".wav")
	if !ok {
		return nil, 0, fmt.Errorf("built-in prompt %q: %w", name, store.ErrNotFound)
	}
	s, err := l.Builtin(n)
	if err != nil {
		return nil, 0, fmt.Errorf("recordings: %w", err)
	}
	return pcmWAV(s)
}

// readSeekNopCloser is a WAV file in memory.
type readSeekNopCloser struct{ *bytes.Reader }

func (readSeekNopCloser) Close() error { return nil }

func pcmWAV(samples []int16) (io.ReadCloser, int64, error) {
	var buf bytes.Buffer
	if err := audiofile.WriteWAV(&buf, samples, audiofile.PCM16); err != nil {
		return nil, 0, fmt.Errorf("recordings: %w", err)
	}
	return readSeekNopCloser{bytes.NewReader(buf.Bytes())}, int64(buf.Len()), nil
}
