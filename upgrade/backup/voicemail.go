package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"minipbx/telephony/voicemail"
	"minipbx/upgrade/datadir"
)

// Voicemail in a backup: the message store's files (telephony/voicemail,
// doc.go) under voicemail/EXTENSION/FILE, each a message's WAV and its
// details or a greeting, byte for byte. The names are the only ones the
// store itself uses (voicemail.StoreFile), so a restore refuses every
// other path, and every entry is a regular file (the archive reader
// refuses links), so no backup can write outside the mailbox
// directories.
const (
	voicemailSubdir = "voicemail"
	voicemailPrefix = voicemailSubdir + "/"
	// MaxBackupVoicemailBytes bounds the voicemail in one backup, so that
	// every backup the box writes is one it can take back through the web
	// UI (MaxUpload, with room for the configuration and prompts). A box
	// holding more refuses to write one (with pbxctl -data too: the same
	// file must restore anywhere); delete old messages or back up without
	// voicemail.
	MaxBackupVoicemailBytes = 192 << 20
	// MaxBackupVoicemailFiles bounds their number (two per message).
	MaxBackupVoicemailFiles = 20000
)

// VoicemailMode says what Restore does with a backup's voicemail.
type VoicemailMode string

const (
	// VoicemailMerge (the default) adds the backup's messages and
	// greetings that the box does not have and keeps everything it has:
	// messages that arrived since the backup, and the box's state of the
	// ones in both (heard since, say), and greetings recorded since.
	// Restoring twice changes nothing the second time.
	VoicemailMerge VoicemailMode = ""
	// VoicemailSkip leaves voicemail as it is (the backup's is still
	// checked).
	VoicemailSkip VoicemailMode = "skip"
	// VoicemailReplace makes the box's voicemail exactly the backup's:
	// messages and greetings the backup lacks are deleted, the ones it
	// has are written over. Only a backup that holds voicemail
	// (BackupInfo.Voicemail) replaces anything: an older backup, or one
	// made without voicemail, leaves it alone whatever the mode.
	VoicemailReplace VoicemailMode = "replace"
)

// ParseVoicemailMode reads the restore API's "voicemail" query value:
// empty, "1" or "merge"; "0" or "skip"; "replace".
func ParseVoicemailMode(v string) (VoicemailMode, error) {
	switch v {
	case "", "1", "merge":
		return VoicemailMerge, nil
	case "0", "skip":
		return VoicemailSkip, nil
	case "replace":
		return VoicemailReplace, nil
	}
	return "", fmt.Errorf("voicemail=%.20q: want 1 (add what the box lacks), 0 (leave voicemail alone) or replace", v)
}

// VoicemailReport says what Restore did with voicemail.
type VoicemailReport struct {
	// Included: the backup holds voicemail.
	Included bool   `json:"included"`
	Mode     string `json:"mode"`
	// Messages and Greetings written from the backup.
	Messages  int `json:"messages"`
	Greetings int `json:"greetings"`
	// Kept: the box's own, left as they were (merge).
	KeptMessages  int `json:"kept_messages"`
	KeptGreetings int `json:"kept_greetings"`
	// Removed: the box's own that the backup lacked (replace).
	RemovedMessages  int `json:"removed_messages"`
	RemovedGreetings int `json:"removed_greetings"`
}

func voicemailDir(dataDir string) string {
	return datadir.Of(dataDir).Voicemail()
}

// vmFile is one mailbox file to back up.
type vmFile struct{ box, name string }

func (f vmFile) entry() string { return voicemailPrefix + f.box + "/" + f.name }

// listVoicemail lists the message store's files for a backup: per
// mailbox (sorted), its messages oldest first, each WAV before its
// details, then its greetings; a details file whose WAV is gone (a delete or
// commit halfway) is left out. It checks the bounds on what it lists, so
// a box holding too much voicemail fails before any byte is sent.
func listVoicemail(dataDir string) (files []vmFile, messages, greetings int, err error) {
	dir := voicemailDir(dataDir)
	boxes, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("voicemail: %w", err)
	}
	var total int64
	for _, b := range boxes {
		if !b.IsDir() || !voicemail.ValidBox(b.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(dir, b.Name()))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("voicemail: mailbox %s: %w", b.Name(), err)
		}
		have := map[string]bool{}
		for _, e := range entries {
			if e.Type().IsRegular() && voicemail.StoreFile(e.Name()) {
				have[e.Name()] = true
			}
		}
		for _, e := range entries { // sorted by name: messages by time, then greetings
			name := e.Name()
			if !have[name] {
				continue
			}
			var add []string
			if details, ok := voicemail.MessageWAV(name); ok {
				messages++
				add = append(add, name)
				if have[details] {
					add = append(add, details)
				}
			} else if strings.HasSuffix(name, ".wav") {
				greetings++
				add = append(add, name)
			}
			for _, n := range add {
				fi, err := os.Lstat(filepath.Join(dir, b.Name(), n))
				if errors.Is(err, fs.ErrNotExist) {
					continue // deleted meanwhile; the writer skips it too
				}
				if err != nil {
					return nil, 0, 0, fmt.Errorf("voicemail: %w", err)
				}
				if fi.Size() > voicemail.MaxFileBytes {
					return nil, 0, 0, fmt.Errorf("voicemail %s/%s: larger than %d bytes, which no message or greeting is", b.Name(), n, voicemail.MaxFileBytes)
				}
				total += fi.Size()
				files = append(files, vmFile{b.Name(), n})
			}
		}
	}
	if len(files) > MaxBackupVoicemailFiles || total > MaxBackupVoicemailBytes {
		return nil, 0, 0, fmt.Errorf("voicemail is %d files of %d MiB, more than a backup holds (%d files, %d MiB): delete old messages first, or back up without voicemail",
			len(files), total>>20, MaxBackupVoicemailFiles, MaxBackupVoicemailBytes>>20)
	}
	return files, messages, greetings, nil
}

// writeVoicemail adds the listed files to the archive. A message deleted
// since the listing is left out (its details with it); the bounds are
// checked again on what is really written.
func writeVoicemail(dataDir string, files []vmFile, add func(name string, mode int64, data io.Reader, size int64) error) error {
	dir := voicemailDir(dataDir)
	var total int64
	skip := ""
	for _, f := range files {
		if _, ok := voicemail.MessageWAV(f.name); !ok && f.name == skip {
			continue
		}
		file, err := os.Open(filepath.Join(dir, f.box, f.name))
		if errors.Is(err, fs.ErrNotExist) {
			if d, ok := voicemail.MessageWAV(f.name); ok {
				skip = d // the message went: its details too
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("voicemail %s/%s: %w", f.box, f.name, err)
		}
		// Size from the open file: a details file is replaced by rename,
		// never rewritten in place, so this is the file that is read.
		fi, err := file.Stat()
		switch {
		case err != nil:
		case !fi.Mode().IsRegular():
			err = errors.New("not a regular file")
		case fi.Size() > voicemail.MaxFileBytes:
			err = fmt.Errorf("larger than %d bytes", voicemail.MaxFileBytes)
		case total+fi.Size() > MaxBackupVoicemailBytes:
			err = fmt.Errorf("voicemail grew past %d MiB during the backup", MaxBackupVoicemailBytes>>20)
		}
		if err == nil {
			total += fi.Size()
			err = add(f.entry(), 0o600, io.LimitReader(file, fi.Size()), fi.Size())
		}
		file.Close()
		if err != nil {
			return fmt.Errorf("voicemail %s/%s: %w", f.box, f.name, err)
		}
	}
	return nil
}

// vmStage collects a backup's voicemail during Restore: every entry is
// checked (path, size, content) and written to a staging directory
// inside the message store's, from which the files are renamed into
// place once the whole backup proved valid.
type vmStage struct {
	dataDir string
	skip    bool
	dir     string              // staging directory, once made
	created []string            // directories made for it, outermost first
	files   map[string][]string // box → names staged
	count   int
	total   int64
}

// parseVoicemailEntry splits "voicemail/BOX/NAME", refusing every other
// shape: the only names are the store's own, which hold no separator
// and no "..".
func parseVoicemailEntry(name string) (box, file string, err error) {
	rest := strings.TrimPrefix(name, voicemailPrefix)
	box, file, ok := strings.Cut(rest, "/")
	if !ok || !voicemail.ValidBox(box) || !voicemail.StoreFile(file) {
		return "", "", fmt.Errorf("%w: %.80q is not a mailbox file (voicemail/EXTENSION/MESSAGE.wav|.json or greeting-KIND.wav)", ErrBackup, name)
	}
	return box, file, nil
}

// add checks one voicemail entry and stages it.
func (s *vmStage) add(name string, r io.Reader, size int64) error {
	box, file, err := parseVoicemailEntry(name)
	if err != nil {
		return err
	}
	if slices.Contains(s.files[box], file) {
		return fmt.Errorf("%w: %q twice", ErrBackup, name)
	}
	s.count++
	s.total += size
	if size > voicemail.MaxFileBytes || s.count > MaxBackupVoicemailFiles || s.total > MaxBackupVoicemailBytes {
		return fmt.Errorf("%w: %q too large, or more voicemail than a backup holds (%d files, %d MiB)", ErrBackup, name, MaxBackupVoicemailFiles, MaxBackupVoicemailBytes>>20)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBackup, name, err)
	}
	if err := voicemail.CheckFile(file, bytes.NewReader(b), size); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBackup, name, err)
	}
	if s.files == nil {
		s.files = map[string][]string{}
	}
	s.files[box] = append(s.files[box], file)
	if s.skip {
		return nil
	}
	if s.dir == "" {
		vm := voicemailDir(s.dataDir)
		if s.created, err = mkdirs(vm, 0o700); err != nil {
			return err
		}
		if s.dir, err = os.MkdirTemp(vm, ".tmp-restore-"); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(s.dir, box), 0o700); err != nil {
		return err
	}
	return stage(filepath.Join(s.dir, box, file), bytes.NewReader(b), size, 0o600)
}

// check is the last look before anything is written: every message's
// details come with its WAV, and no mailbox directory on the box is
// anything but a directory (a link there would lead the files
// elsewhere).
func (s *vmStage) check() error {
	for box, names := range s.files {
		for _, n := range names {
			if strings.HasSuffix(n, ".json") && !slices.Contains(names, strings.TrimSuffix(n, ".json")+".wav") {
				return fmt.Errorf("%w: voicemail/%s/%s: details of a message that is not in the backup", ErrBackup, box, n)
			}
		}
		if s.skip {
			continue
		}
		fi, err := os.Lstat(filepath.Join(voicemailDir(s.dataDir), box))
		if err == nil && !fi.IsDir() {
			return fmt.Errorf("restore: voicemail: %s on the box is not a directory; nothing restored", filepath.Join(voicemailDir(s.dataDir), box))
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore: voicemail: %w", err)
		}
	}
	return nil
}

// cleanup removes the staging directory, and after a failure the
// directories made for it.
func (s *vmStage) cleanup(failed bool) {
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
	if failed {
		for i := len(s.created) - 1; i >= 0; i-- {
			os.Remove(s.created[i]) // only if still empty
		}
	}
}

// apply moves the staged files into the message store's directory,
// as mode says; see VoicemailMode. Each message's details go in before
// its WAV, which is what makes a message exist (the store's commit
// order), so a crash halfway leaves whole messages.
func (s *vmStage) apply(mode VoicemailMode, rep *VoicemailReport) error {
	vm := voicemailDir(s.dataDir)
	var existing map[string][]string
	if mode == VoicemailReplace {
		var err error
		if existing, err = storeFiles(vm); err != nil {
			return err
		}
	}
	boxes := make([]string, 0, len(s.files))
	for b := range s.files {
		boxes = append(boxes, b)
	}
	slices.Sort(boxes)
	for _, box := range boxes {
		dst := filepath.Join(vm, box)
		if err := os.MkdirAll(dst, 0o700); err != nil {
			return err
		}
		names := slices.Clone(s.files[box])
		// Details before WAVs: ".json" sorts before ".wav".
		slices.Sort(names)
		for _, n := range names {
			target := filepath.Join(dst, n)
			_, isMsg := voicemail.MessageWAV(n)
			isDetails := strings.HasSuffix(n, ".json")
			if mode == VoicemailMerge {
				// A message is on the box when its WAV is; a greeting
				// when its file is.
				have := n
				if isDetails {
					have = strings.TrimSuffix(n, ".json") + ".wav"
				}
				if _, err := os.Lstat(filepath.Join(dst, have)); err == nil {
					switch {
					case isMsg:
						rep.KeptMessages++
					case !isDetails:
						rep.KeptGreetings++
					}
					continue
				}
			}
			if err := os.Rename(filepath.Join(s.dir, box, n), target); err != nil {
				return fmt.Errorf("voicemail %s/%s: %w", box, n, err)
			}
			switch {
			case isMsg:
				rep.Messages++
			case !isDetails:
				rep.Greetings++
			}
		}
		if err := syncDir(dst); err != nil {
			return err
		}
	}
	if mode != VoicemailReplace {
		return nil
	}
	for box, names := range existing {
		dst := filepath.Join(vm, box)
		// WAVs first (a message ends when its WAV goes), then details.
		slices.SortFunc(names, func(a, b string) int {
			return strings.Compare(filepath.Ext(b), filepath.Ext(a))
		})
		for _, n := range names {
			if slices.Contains(s.files[box], n) {
				continue
			}
			if err := os.Remove(filepath.Join(dst, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("voicemail %s/%s: %w", box, n, err)
			}
			switch _, isMsg := voicemail.MessageWAV(n); {
			case isMsg:
				rep.RemovedMessages++
			case !strings.HasSuffix(n, ".json"):
				rep.RemovedGreetings++
			}
		}
		syncDir(dst)
		os.Remove(dst) // a mailbox left empty goes, as the store's own delete does
	}
	return nil
}

// storeFiles lists the store's files on the box, by mailbox.
func storeFiles(vm string) (map[string][]string, error) {
	out := map[string][]string{}
	boxes, err := os.ReadDir(vm)
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	for _, b := range boxes {
		if !b.IsDir() || !voicemail.ValidBox(b.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(vm, b.Name()))
		if err != nil {
			return nil, fmt.Errorf("voicemail: mailbox %s: %w", b.Name(), err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && voicemail.StoreFile(e.Name()) {
				out[b.Name()] = append(out[b.Name()], e.Name())
			}
		}
	}
	return out, nil
}

// mkdirs makes dir and its missing parents, returning the ones it made,
// outermost first.
func mkdirs(dir string, perm os.FileMode) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	for i, d := range missing {
		if err := os.Mkdir(d, perm); err != nil && !errors.Is(err, fs.ErrExist) {
			return missing[:i], err
		}
	}
	return missing, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
