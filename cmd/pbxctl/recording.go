package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"

	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
)

// The API paths of the recordings (webui/recordings.go).
const pathRecordings = "/api/v1/recordings"

const recordingUsage = `Usage:
  pbxctl [connection] recording list [-builtin]
  pbxctl [connection] recording import NAME FILE
  pbxctl [connection] recording delete NAME

The installer's recordings: the audio files voice menus, queues (music on
hold) and announcements play by name, e.g. welcome.wav. The web UI's
Recordings page does the same.

list shows each recording with its length and what plays it, and the
files the dial plan names that are missing. -builtin lists the box's
built-in voice prompts instead, with the words each says: a recording
named after one (goodbye) replaces it.

import converts FILE ("-" reads standard input) and stores it as NAME
("welcome", "welcome.wav" and "welcome.mp3" all store welcome.wav). FILE
is WAV (any rate from 8 to 48 kHz, mono or stereo, 8- to 32-bit PCM,
float, μ-law or A-law) or MP3, at most 10 MB and 10 minutes. The box
stores it as 8 kHz μ-law WAV at the level of its own prompts, replacing a
recording of that name at once. NAME of a built-in prompt replaces it.

delete removes a recording; one that a menu, queue or announcement still
plays is refused (choose another there first). Deleting the replacement
of a built-in prompt brings the built-in back.

Connection: -data DIR (pbxd stopped) or -url https://HOST:PORT (running).
`

func runRecording(e *env, args []string) error {
	if len(args) == 0 {
		return usagef(recordingUsage, "recording: say list, import or delete")
	}
	sub, args := args[0], args[1:]
	fs := e.flags("recording " + sub)
	builtin := fs.Bool("builtin", false, "list the built-in voice prompts")
	pos, err := parse(fs, recordingUsage, args)
	if err != nil {
		return err
	}
	want := map[string]int{"list": 0, "import": 2, "delete": 1}
	n, ok := want[sub]
	if !ok {
		return usagef(recordingUsage, "recording: unknown subcommand %q (list, import or delete)", sub)
	}
	if len(pos) != n {
		return usagef(recordingUsage, "recording %s: want %d argument(s), got %d", sub, n, len(pos))
	}
	if *builtin && sub != "list" {
		return usagef(recordingUsage, "-builtin goes with list")
	}
	if sub != "list" && strings.ContainsAny(pos[0], `/\?#%`) {
		return usagef(recordingUsage, "NAME is a recording's name (welcome), not a path: %q", pos[0])
	}
	box, err := e.recordingBox()
	if err != nil {
		return err
	}
	defer box.close()
	switch sub {
	case "list":
		if *builtin {
			bs, err := box.builtins()
			if err != nil {
				return err
			}
			printBuiltins(e.stdout, bs)
			return nil
		}
		recs, err := box.list()
		if err != nil {
			return err
		}
		printRecordings(e.stdout, recs)
		return nil
	case "import":
		name, file := pos[0], pos[1]
		data, err := readUpload(e, file)
		if err != nil {
			return err
		}
		rec, err := box.save(name, data)
		if err != nil {
			return err
		}
		used := "not played by anything yet: choose it in a voice menu, queue or announcement"
		if len(rec.UsedBy) > 0 {
			used = "played by " + strings.Join(rec.UsedBy, ", ")
		}
		if rec.Replaces != "" {
			used = fmt.Sprintf("callers hear it instead of the built-in prompt %q (%s)", rec.Replaces, rec.Language)
		}
		fmt.Fprintf(e.stdout, "%s saved: %s, 8 kHz μ-law; %s\n", rec.Name, length(rec.DurationMS), used)
		return nil
	default: // delete
		if err := box.delete(pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s deleted\n", pos[0])
		return nil
	}
}

// readUpload reads the file to import, refusing one over the limit
// before sending anything.
func readUpload(e *env, file string) ([]byte, error) {
	var r io.Reader = e.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, recordings.MaxUploadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if len(data) > recordings.MaxUploadBytes {
		return nil, fmt.Errorf("%s is larger than %d MB, the most the box takes: use a shorter recording, or an MP3", file, recordings.MaxUploadBytes>>20)
	}
	return data, nil
}

// length is a duration as m:ss.
func length(ms int) string {
	s := (ms + 500) / 1000
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func printRecordings(w io.Writer, recs []recordings.Recording) {
	if len(recs) == 0 {
		fmt.Fprintln(w, "no recordings (pbxctl recording import NAME FILE adds one)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLENGTH\tPLAYED BY\tNOTE")
	for _, r := range recs {
		l, note := length(r.DurationMS), ""
		switch {
		case r.Missing:
			l, note = "-", "missing: the dial plan names it; import it"
		case r.Problem != "":
			l, note = "-", r.Problem
		case r.Replaces != "":
			note = fmt.Sprintf("replaces the built-in %q", r.Replaces)
		}
		used := strings.Join(r.UsedBy, ", ")
		if used == "" {
			used = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, l, used, note)
	}
	tw.Flush()
}

// printBuiltins lists the built-in prompts of every language by the name
// a replacement is imported under ("goodbye", "goodbye.ru").
func printBuiltins(w io.Writer, bs []recordings.BuiltinPrompt) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLANGUAGE\tLENGTH\tSTATE\tSAYS")
	for _, b := range bs {
		state := "built-in"
		if b.Replaced {
			state = "replaced by " + b.File
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strings.TrimSuffix(b.File, ".wav"), b.Language, length(b.DurationMS), state, b.Text)
	}
	tw.Flush()
}

// recordingBox is the box's recordings, offline (the prompts directory
// beside the database, the dial plan read from it) or through the API.
type recordingBox struct {
	list     func() ([]recordings.Recording, error)
	builtins func() ([]recordings.BuiltinPrompt, error)
	save     func(name string, data []byte) (recordings.Recording, error)
	delete   func(name string) error
	close    func()
}

func (e *env) recordingBox() (*recordingBox, error) {
	b, err := e.open(recordingUsage, true)
	if err != nil {
		return nil, err
	}
	switch c := b.(type) {
	case *offline:
		return offlineRecordings(c, e.conn.data), nil
	case *apiClient:
		return onlineRecordings(e, c), nil
	}
	b.Close()
	return nil, errors.New("recording: unknown connection")
}

// offlineRecordings works on DATA/prompts with the same rules as the
// running box (package recordings); the database is only read, for the
// dial plan (what plays each recording).
func offlineRecordings(o *offline, data string) *recordingBox {
	dir := recordings.New(datadir.Of(data).Prompts())
	cfg := func() (*store.Config, error) {
		c, err := o.db.ExportConfig()
		if err != nil {
			return nil, err
		}
		return &c, nil
	}
	return &recordingBox{
		list: func() ([]recordings.Recording, error) {
			c, err := cfg()
			if err != nil {
				return nil, err
			}
			return dir.List(c)
		},
		builtins: dir.Builtins,
		save: func(name string, data []byte) (recordings.Recording, error) {
			c, err := cfg()
			if err != nil {
				return recordings.Recording{}, err
			}
			return dir.Save(c, name, bytes.NewReader(data))
		},
		delete: func(name string) error {
			c, err := cfg()
			if err != nil {
				return err
			}
			if err := dir.Delete(c, name); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("there is no recording %s in %s", name, dir.Path())
			} else if err != nil {
				return err
			}
			return nil
		},
		close: func() { o.Close() },
	}
}

func onlineRecordings(e *env, a *apiClient) *recordingBox {
	listAll := func() (recordingsList, error) {
		var l recordingsList
		data, err := a.do(e.ctx, http.MethodGet, pathRecordings, nil)
		if err != nil {
			return l, err
		}
		if err := json.Unmarshal(data, &l); err != nil {
			return l, fmt.Errorf("the box's list of recordings is not what pbxctl expects: %w", err)
		}
		return l, nil
	}
	return &recordingBox{
		list: func() ([]recordings.Recording, error) {
			l, err := listAll()
			return l.Recordings, err
		},
		builtins: func() ([]recordings.BuiltinPrompt, error) {
			l, err := listAll()
			return l.BuiltinPrompts, err
		},
		save: func(name string, data []byte) (recordings.Recording, error) {
			var rec recordings.Recording
			resp, err := a.stream(e.ctx, http.MethodPut, pathRecordings+"/"+name, nil, bytes.NewReader(data), int64(len(data)), "application/octet-stream")
			if err != nil {
				return rec, err
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&rec); err != nil {
				return rec, fmt.Errorf("the box's answer to the upload is not what pbxctl expects: %w", err)
			}
			return rec, nil
		},
		delete: func(name string) error {
			_, err := a.do(e.ctx, http.MethodDelete, pathRecordings+"/"+name, nil)
			return err
		},
		close: func() { a.Close() },
	}
}

// recordingsList is the body of GET /api/v1/recordings.
type recordingsList struct {
	Recordings     []recordings.Recording     `json:"recordings"`
	BuiltinPrompts []recordings.BuiltinPrompt `json:"builtin_prompts"`
}
