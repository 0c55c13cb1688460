package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// vmClock steps a second per call, so each message has its own ID time.
type vmClock struct{ t time.Time }

func (c *vmClock) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func openVM(t testing.TB, dataDir string, clk *vmClock) *voicemail.Store {
	t.Helper()
	o := voicemail.Options{}
	if clk != nil {
		o.Now = clk.Now
	}
	s, err := voicemail.Open(voicemailDir(dataDir), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tone is ms milliseconds of hz at 8 kHz.
func tone(ms int, hz float64) []int16 {
	s := make([]int16, 8*ms)
	for i := range s {
		s[i] = int16(6000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
	}
	return s
}

func leave(t testing.TB, s *voicemail.Store, box, number string, ms int, hz float64) voicemail.Message {
	t.Helper()
	rec, err := s.Create(box, channel.CallerID{Number: number}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Write(tone(ms, hz)); err != nil {
		t.Fatal(err)
	}
	m, err := rec.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// vmState is what a data directory's voicemail holds, as the store
// reads it: per mailbox its messages (with their audio) and greetings.
type vmState map[string]vmBox

type vmBox struct {
	Messages  []voicemail.Message
	Audio     [][]int16
	Greetings map[string][]int16
}

func readVM(t testing.TB, dataDir string) vmState {
	t.Helper()
	s := openVM(t, dataDir, nil)
	boxes, err := s.Boxes()
	if err != nil {
		t.Fatal(err)
	}
	out := vmState{}
	for _, box := range boxes {
		msgs, err := s.Messages(box)
		if err != nil {
			t.Fatal(err)
		}
		b := vmBox{Messages: msgs, Greetings: map[string][]int16{}}
		for _, m := range msgs {
			a, err := s.Samples(box, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			b.Audio = append(b.Audio, a)
		}
		for _, k := range s.Greetings(box) {
			g, _, err := s.Greeting(box, k)
			if err != nil {
				t.Fatal(err)
			}
			b.Greetings[k] = g
		}
		out[box] = b
	}
	return out
}

func (a vmState) equal(b vmState) bool {
	if len(a) != len(b) {
		return false
	}
	for box, x := range a {
		y, ok := b[box]
		if !ok || len(x.Messages) != len(y.Messages) || len(x.Greetings) != len(y.Greetings) {
			return false
		}
		for i := range x.Messages {
			if x.Messages[i] != y.Messages[i] || !slices.Equal(x.Audio[i], y.Audio[i]) {
				return false
			}
		}
		for k, g := range x.Greetings {
			if !slices.Equal(g, y.Greetings[k]) {
				return false
			}
		}
	}
	return true
}

func (a vmState) ids(box string) []string {
	var out []string
	for _, m := range a[box].Messages {
		out = append(out, m.ID)
	}
	return out
}

// vmSource is a box with a configuration and voicemail: mailbox 101
// with two messages (one heard) and both greetings, 102 with one
// message, and its backup with voicemail.
func vmSource(t testing.TB) (dir string, backup []byte, state vmState) {
	t.Helper()
	dir = newDataDir(t)
	db := openDB(t, dir)
	defer db.Close()
	if _, err := db.CreateExtension(store.Extension{Number: "150", Name: "Warehouse", Secret: "Wh-secret-150x"}); err != nil {
		t.Fatal(err)
	}
	clk := &vmClock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	s := openVM(t, dir, clk)
	m1 := leave(t, s, "101", "0301234567", 1500, 440)
	leave(t, s, "101", "0897654321", 2001, 620) // odd length: a RIFF pad byte
	leave(t, s, "102", "+4940111", 1200, 350)
	if err := s.SetHeard("101", m1.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveGreeting("101", voicemail.GreetingUnavailable, tone(800, 500)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveGreeting("101", voicemail.GreetingBusy, tone(600, 700)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Backup(&buf, db, BackupOptions{Firmware: "1.2.0", Voicemail: true, DataDir: dir, Now: time.Unix(2e9, 0)}); err != nil {
		t.Fatal(err)
	}
	return dir, buf.Bytes(), readVM(t, dir)
}

// TestVoicemailRoundTrip: a backup with voicemail, restored on a fresh
// box, gives back every message (audio, caller, time, heard) and
// greeting, and says so.
func TestVoicemailRoundTrip(t *testing.T) {
	_, backup, want := vmSource(t)
	if len(want) != 2 || len(want["101"].Messages) != 2 || len(want["101"].Greetings) != 2 {
		t.Fatalf("source: %+v", want)
	}
	names := entryNames(t, backup)
	for _, n := range names {
		if strings.HasPrefix(n, "voicemail/") && !strings.HasPrefix(n, "voicemail/101/") && !strings.HasPrefix(n, "voicemail/102/") {
			t.Errorf("unexpected entry %s", n)
		}
	}
	if len(names) != 2+2*3+2 {
		t.Errorf("entries: %v", names)
	}

	dst := newDataDir(t)
	db := openDB(t, dst)
	defer db.Close()
	rep, err := Restore(bytes.NewReader(backup), db, RestoreOptions{DataDir: dst})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Info.Voicemail || rep.Info.Messages != 3 || rep.Info.Greetings != 2 {
		t.Errorf("info: %+v", rep.Info)
	}
	if v := rep.Voicemail; !v.Included || v.Mode != "merge" || v.Messages != 3 || v.Greetings != 2 || v.KeptMessages != 0 || v.RemovedMessages != 0 {
		t.Errorf("report: %+v", v)
	}
	if e, err := db.Extension("150"); err != nil || e.Secret != "Wh-secret-150x" {
		t.Errorf("configuration: %+v %v", e, err)
	}
	if got := readVM(t, dst); !got.equal(want) {
		t.Errorf("restored voicemail differs:\n got %+v\nwant %+v", got, want)
	}
	// Nothing but the store's own files: no staging left.
	assertOnlyStoreFiles(t, dst)
	// A box from the backup's firmware restored twice: the second
	// restore finds everything there and changes nothing.
	rep, err = Restore(bytes.NewReader(backup), db, RestoreOptions{DataDir: dst})
	if err != nil || rep.Voicemail.Messages != 0 || rep.Voicemail.KeptMessages != 3 || rep.Voicemail.KeptGreetings != 2 {
		t.Errorf("second restore: %+v %v", rep.Voicemail, err)
	}
	if got := readVM(t, dst); !got.equal(want) {
		t.Error("second restore changed the voicemail")
	}
}

func entryNames(t *testing.T, backup []byte) []string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(backup))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		out = append(out, h.Name)
	}
	return out
}

func assertOnlyStoreFiles(t *testing.T, dataDir string) {
	t.Helper()
	vm := voicemailDir(dataDir)
	filepath.WalkDir(vm, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == vm {
			return err
		}
		rel, _ := filepath.Rel(vm, path)
		parts := strings.Split(rel, string(filepath.Separator))
		ok := voicemail.ValidBox(parts[0]) && (len(parts) == 1 && d.IsDir() || len(parts) == 2 && d.Type().IsRegular() && voicemail.StoreFile(parts[1]))
		if !ok {
			t.Errorf("%s in the voicemail directory", rel)
		}
		return nil
	})
}

// TestVoicemailRestoreModes: on a box whose voicemail moved on since the
// backup (a message arrived, one was heard, one deleted, a greeting
// re-recorded), the default restore adds only what the box lacks,
// "replace" makes it the backup's exactly, "skip" leaves it alone.
func TestVoicemailRestoreModes(t *testing.T) {
	src, backup, atBackup := vmSource(t)
	// The box goes on after the backup.
	s := openVM(t, src, &vmClock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)})
	ids101 := atBackup.ids("101") // the new one, then the heard one
	newer := leave(t, s, "101", "0301111111", 1100, 300)
	if err := s.SetHeard("101", ids101[0], true); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("102", atBackup.ids("102")[0]); err != nil {
		t.Fatal(err)
	}
	leave(t, s, "103", "0302222222", 1300, 900)
	if err := s.SaveGreeting("101", voicemail.GreetingBusy, tone(900, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGreetings("101"); err != nil { // both gone...
		t.Fatal(err)
	}
	if err := s.SaveGreeting("101", voicemail.GreetingBusy, tone(900, 1000)); err != nil { // ...and busy recorded anew
		t.Fatal(err)
	}
	now := readVM(t, src)

	// The box's state is the base of each mode: copy it per mode.
	copyDir := func(t *testing.T) string {
		t.Helper()
		dst := newDataDir(t)
		if err := os.CopyFS(voicemailDir(dst), os.DirFS(voicemailDir(src))); err != nil {
			t.Fatal(err)
		}
		return dst
	}

	t.Run("merge", func(t *testing.T) {
		dst := copyDir(t)
		db := openDB(t, dst)
		defer db.Close()
		rep, err := Restore(bytes.NewReader(backup), db, RestoreOptions{DataDir: dst})
		if err != nil {
			t.Fatal(err)
		}
		got := readVM(t, dst)
		// 101: the newer message kept; both backed-up ones, with the
		// box's heard state (both heard now, so the older first). 102: the deleted message
		// is back. 103: untouched. Greetings: busy is the box's newer
		// one, unavailable (deleted since) is back.
		if v := rep.Voicemail; v.Messages != 1 || v.KeptMessages != 2 || v.Greetings != 1 || v.KeptGreetings != 1 || v.RemovedMessages != 0 {
			t.Errorf("report %+v", v)
		}
		if !slices.Equal(got.ids("101"), []string{newer.ID, ids101[1], ids101[0]}) || !got["101"].Messages[1].Heard || !got["101"].Messages[2].Heard {
			t.Errorf("101: %+v", got["101"].Messages)
		}
		if !got.equal(vmState{"101": got["101"], "102": atBackup["102"], "103": now["103"]}) {
			t.Error("102 not restored or 103 changed")
		}
		if !slices.Equal(got["101"].Greetings[voicemail.GreetingBusy], now["101"].Greetings[voicemail.GreetingBusy]) ||
			!slices.Equal(got["101"].Greetings[voicemail.GreetingUnavailable], atBackup["101"].Greetings[voicemail.GreetingUnavailable]) {
			t.Error("greetings: the box's newer one was overwritten or the missing one not restored")
		}
		assertOnlyStoreFiles(t, dst)
	})

	t.Run("replace", func(t *testing.T) {
		dst := copyDir(t)
		db := openDB(t, dst)
		defer db.Close()
		rep, err := Restore(bytes.NewReader(backup), db, RestoreOptions{DataDir: dst, Voicemail: VoicemailReplace})
		if err != nil {
			t.Fatal(err)
		}
		if v := rep.Voicemail; v.Mode != "replace" || v.Messages != 3 || v.Greetings != 2 || v.RemovedMessages != 2 || v.RemovedGreetings != 0 {
			t.Errorf("report %+v", v)
		}
		if got := readVM(t, dst); !got.equal(atBackup) {
			t.Errorf("not the backup's voicemail:\n got %+v\nwant %+v", got, atBackup)
		}
		if _, err := os.Lstat(filepath.Join(voicemailDir(dst), "103")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the emptied mailbox directory stays: %v", err)
		}
		assertOnlyStoreFiles(t, dst)
	})

	t.Run("skip", func(t *testing.T) {
		dst := copyDir(t)
		db := openDB(t, dst)
		defer db.Close()
		rep, err := Restore(bytes.NewReader(backup), db, RestoreOptions{DataDir: dst, Voicemail: VoicemailSkip})
		if err != nil {
			t.Fatal(err)
		}
		if v := rep.Voicemail; !v.Included || v.Messages != 0 || v.Greetings != 0 {
			t.Errorf("report %+v", v)
		}
		if got := readVM(t, dst); !got.equal(now) {
			t.Error("skip changed the voicemail")
		}
		if _, err := db.Extension("150"); err != nil {
			t.Errorf("the configuration was not restored: %v", err)
		}
	})
}

// TestRestoreWithoutVoicemail: a backup made without voicemail (as every
// earlier firmware made them) restores and leaves the box's voicemail
// alone, even when the installer asked for a full replace.
func TestRestoreWithoutVoicemail(t *testing.T) {
	src, _, want := vmSource(t)
	for _, mode := range []VoicemailMode{VoicemailMerge, VoicemailReplace} {
		for name, b := range map[string][]byte{
			"older firmware": archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document}),
			"this one":       backupOf(t, src, BackupOptions{Firmware: "1.2.0", DataDir: src}),
		} {
			db := openDB(t, src)
			rep, err := Restore(bytes.NewReader(b), db, RestoreOptions{DataDir: src, Voicemail: mode})
			db.Close()
			if err != nil {
				t.Fatalf("%s, %q: %v", name, mode, err)
			}
			if rep.Info.Voicemail || rep.Voicemail.Included || rep.Voicemail.RemovedMessages != 0 {
				t.Errorf("%s, %q: %+v %+v", name, mode, rep.Info, rep.Voicemail)
			}
			if got := readVM(t, src); !got.equal(want) {
				t.Errorf("%s, %q: the voicemail changed", name, mode)
			}
		}
	}
}

func backupOf(t *testing.T, dir string, o BackupOptions) []byte {
	t.Helper()
	db := openDB(t, dir)
	defer db.Close()
	var buf bytes.Buffer
	if err := Backup(&buf, db, o); err != nil {
		t.Fatal(err)
	}
	if o.Voicemail {
		return buf.Bytes()
	}
	for _, n := range entryNames(t, buf.Bytes()) {
		if strings.HasPrefix(n, "voicemail") {
			t.Fatalf("a backup without voicemail holds %s", n)
		}
	}
	return buf.Bytes()
}

// tree is every path under dir with its content (links as "->target").
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(path)
			out[rel] = "->" + l
		case d.IsDir():
			out[rel] = "/"
		case rel != store.FileName: // the database changes on every open
			b, _ := os.ReadFile(path)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

// TestRestoreRefusesCraftedVoicemail: a backup whose voicemail entries
// name anything but a mailbox file of the store (a path out of the data
// directory, a link, a file of another kind, one too large or not the
// store's audio) is refused with an error naming the entry, and nothing
// is written: not the configuration, not the prompts, not one file.
func TestRestoreRefusesCraftedVoicemail(t *testing.T) {
	_, backup, _ := vmSource(t)
	files := map[string]string{} // real entries to borrow content from
	gz, _ := gzip.NewReader(bytes.NewReader(backup))
	tr := tar.NewReader(gz)
	var wav, details string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var b bytes.Buffer
		b.ReadFrom(tr)
		files[h.Name] = b.String()
		if _, ok := voicemail.MessageWAV(filepath.Base(h.Name)); ok && wav == "" {
			wav = h.Name
			details = strings.TrimSuffix(h.Name, ".wav") + ".json"
		}
	}
	vmInfo := strings.Replace(infoJSON, `"prompts":0`, `"prompts":0,"voicemail":true`, 1)
	id := strings.TrimSuffix(filepath.Base(wav), ".wav")
	good := []entry{{backupInfoName, vmInfo}, {backupConfig, v0Document}, {"prompts/hold.wav", "RIFF hold"}}
	with := func(es ...entry) []byte { return archive(t, append(slices.Clone(good), es...)...) }

	dst := newDataDir(t)
	outside := filepath.Join(filepath.Dir(dst), "outside")
	if err := os.Mkdir(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	// The box already holds some voicemail, which must stay as it is.
	s := openVM(t, dst, &vmClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	leave(t, s, "101", "030", 1000, 440)
	db := openDB(t, dst)
	defer db.Close()

	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"dot-dot out of the data directory": {with(entry{"voicemail/../../outside/x.wav", files[wav]}), `"voicemail/../../outside/x.wav" is not a mailbox file`},
		"dot-dot as the mailbox":            {with(entry{"voicemail/../" + id + ".wav", files[wav]}), "is not a mailbox file"},
		"dot-dot as the file":               {with(entry{"voicemail/101/..", files[wav]}), "is not a mailbox file"},
		"absolute path":                     {with(entry{"/voicemail/101/" + id + ".wav", files[wav]}), "unexpected entry"},
		"sub-directory":                     {with(entry{"voicemail/101/x/" + id + ".wav", files[wav]}), "is not a mailbox file"},
		"mailbox not a number":              {with(entry{"voicemail/ab/" + id + ".wav", files[wav]}), "is not a mailbox file"},
		"foreign file":                      {with(entry{"voicemail/101/evil.sh", "#!/bin/sh"}), "is not a mailbox file"},
		"hidden file":                       {with(entry{"voicemail/101/.tmp-x", files[wav]}), "is not a mailbox file"},
		"symlink":                           {with(entry{"voicemail/101/greeting-busy.wav@link", ""}), "is not a regular file"},
		"repeated":                          {with(entry{wav, files[wav]}, entry{wav, files[wav]}), "twice"},
		"not the store's audio":             {with(entry{wav, "RIFF\x24\x00\x00\x00WAVEfmt "}), "wav"},
		"details not JSON":                  {with(entry{wav, files[wav]}, entry{details, "caller=me"}), "not a JSON object"},
		"details without message":           {with(entry{details, files[details]}), "details of a message that is not in the backup"},
		"a valid file, then an escape":      {with(entry{wav, files[wav]}, entry{"voicemail/101/../../../pbx.db", "x"}), "is not a mailbox file"},
		"voicemail the info does not claim": {archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document}, entry{wav, files[wav]}), "unexpected entry"},
		"too large":                         {with(entry{"voicemail/101/greeting-busy.wav", files[wav] + strings.Repeat("\xff", voicemail.MaxFileBytes)}), "too large"},
	} {
		t.Run(name, func(t *testing.T) {
			before, beforeOut := tree(t, dst), tree(t, outside)
			cfg, _ := db.Config()
			_, err := Restore(bytes.NewReader(tc.data), db, RestoreOptions{DataDir: dst, Voicemail: VoicemailReplace})
			if !errors.Is(err, ErrBackup) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrBackup saying %q", err, tc.want)
			}
			if after := tree(t, dst); !mapsEqual(after, before) {
				t.Errorf("the data directory changed:\nbefore %v\nafter  %v", keys(before), keys(after))
			}
			if after := tree(t, outside); !mapsEqual(after, beforeOut) {
				t.Errorf("written outside the data directory: %v", keys(after))
			}
			if c, _ := db.Config(); len(c.Extensions) != len(cfg.Extensions) || c.System.Name != cfg.System.Name {
				t.Error("the configuration changed")
			}
		})
	}

	// A mailbox directory on the box that is a link (not something a
	// backup can make, but nothing may be written through it).
	link := filepath.Join(voicemailDir(dst), "102")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dst)
	_, err := Restore(bytes.NewReader(backup), db, RestoreOptions{DataDir: dst})
	if err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Fatalf("restore through a linked mailbox: %v", err)
	}
	if after := tree(t, dst); !mapsEqual(after, before) {
		t.Error("the data directory changed")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("written through the link: %v", entries)
	}
}

// TestRestoreRefusesVoicemailWithoutDirectory: a refused backup leaves no
// voicemail directory behind on a box that had none.
func TestRestoreRefusesVoicemailWithoutDirectory(t *testing.T) {
	_, backup, _ := vmSource(t)
	names := entryNames(t, backup)
	var bad []byte
	{
		// The real backup with one more entry that escapes.
		gz, _ := gzip.NewReader(bytes.NewReader(backup))
		tr := tar.NewReader(gz)
		var es []entry
		for _, n := range names {
			tr.Next()
			var b bytes.Buffer
			b.ReadFrom(tr)
			es = append(es, entry{n, b.String()})
		}
		bad = archive(t, append(es, entry{"voicemail/101/../../../../x.wav", "RIFF"})...)
	}
	dst := newDataDir(t)
	db := openDB(t, dst)
	defer db.Close()
	before := tree(t, dst)
	if _, err := Restore(bytes.NewReader(bad), db, RestoreOptions{DataDir: dst}); !errors.Is(err, ErrBackup) {
		t.Fatalf("accepted: %v", err)
	}
	if after := tree(t, dst); !mapsEqual(after, before) {
		t.Errorf("the data directory changed: %v", keys(after))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestBackupVoicemailBounds: a box holding more voicemail than a backup
// may carry fails before writing anything, saying what to do; so does a
// file larger than any message.
func TestBackupVoicemailBounds(t *testing.T) {
	dir := newDataDir(t)
	db := openDB(t, dir)
	defer db.Close()
	vm := voicemailDir(dir)
	// Sparse greetings: sizes without the disk space.
	n := 0
	for box := 200; int64(n)*voicemail.MaxFileBytes <= MaxBackupVoicemailBytes; box++ {
		for _, k := range []string{"busy", "unavailable"} {
			p := filepath.Join(vm, strconv.Itoa(box), "greeting-"+k+".wav")
			os.MkdirAll(filepath.Dir(p), 0o700)
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, voicemail.MaxFileBytes); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	var buf bytes.Buffer
	err := Backup(&buf, db, BackupOptions{Voicemail: true, DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "more than a backup holds") || !strings.Contains(err.Error(), "delete old messages") || buf.Len() != 0 {
		t.Fatalf("%v (%d bytes written)", err, buf.Len())
	}
	// Without voicemail the same box backs up.
	if err := Backup(&buf, db, BackupOptions{DataDir: dir}); err != nil {
		t.Fatal(err)
	}

	dir = newDataDir(t)
	p := filepath.Join(voicemailDir(dir), "101", "greeting-busy.wav")
	os.MkdirAll(filepath.Dir(p), 0o700)
	os.WriteFile(p, nil, 0o600)
	os.Truncate(p, voicemail.MaxFileBytes+1)
	db2 := openDB(t, dir)
	defer db2.Close()
	if err := Backup(&bytes.Buffer{}, db2, BackupOptions{Voicemail: true, DataDir: dir}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized greeting: %v", err)
	}
}

// TestHTTPVoicemail: "?voicemail=1" streams a backup with the voicemail,
// the restore route takes it back (its answer says what it did with the
// voicemail), "?voicemail=replace" replaces, and an unknown value is
// refused before anything is read.
func TestHTTPVoicemail(t *testing.T) {
	src, _, want := vmSource(t)
	db := openDB(t, src)
	defer db.Close()
	dst := newDataDir(t)
	db2 := openDB(t, dst)
	defer db2.Close()
	leave(t, openVM(t, dst, &vmClock{t: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}), "105", "030", 1000, 440)
	mux := http.NewServeMux()
	mux.Handle("/backup", Handler(db, BackupOptions{Firmware: "1.2.0", DataDir: src}))
	mux.Handle("/restore", RestoreHandler(db2, RestoreOptions{DataDir: dst}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(q string) []byte {
		resp, err := http.Get(srv.URL + "/backup" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/gzip" {
			t.Fatalf("backup%s: %d %v", q, resp.StatusCode, resp.Header)
		}
		return b
	}
	if names := entryNames(t, get("")); slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "voicemail/") }) {
		t.Errorf("voicemail without asking: %v", names)
	}
	file := get("?voicemail=1")
	post := func(q string) (int, map[string]any) {
		resp, err := http.Post(srv.URL+"/restore"+q, "application/gzip", bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, m := post("?voicemail=all"); code != http.StatusBadRequest || !strings.Contains(m["error"].(string), "voicemail=") {
		t.Errorf("bad mode: %d %v", code, m)
	}
	code, m := post("")
	vm, _ := m["voicemail"].(map[string]any)
	if code != 200 || vm["included"] != true || vm["messages"] != 3.0 || vm["greetings"] != 2.0 || vm["mode"] != "merge" {
		t.Fatalf("restore: %d %v", code, m)
	}
	if got := readVM(t, dst); len(got["105"].Messages) != 1 || !got.equal(vmState{"101": want["101"], "102": want["102"], "105": got["105"]}) {
		t.Error("merge through HTTP: not the backup's messages beside the box's own")
	}
	code, m = post("?voicemail=replace")
	vm, _ = m["voicemail"].(map[string]any)
	if code != 200 || vm["removed_messages"] != 1.0 {
		t.Fatalf("replace: %d %v", code, m)
	}
	if got := readVM(t, dst); !got.equal(want) {
		t.Error("replace through HTTP: not the backup's voicemail")
	}
}
