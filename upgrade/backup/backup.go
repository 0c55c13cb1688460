// Package backup saves and restores the box's configuration (and
// optionally its prompts and its voicemail) as one file, and opens the database so that a
// firmware rollback finds a configuration it can read (OpenStore).
package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"minipbx/internal/strictjson"
	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
)

// Backup file: a gzip-compressed tar archive (readable with any tar)
// holding, in this order:
//
//	minipbx-backup.json   BackupInfo: format, firmware, schema, time
//	config.json           the configuration document (store.EncodeConfig)
//	prompts/NAME          the prompts, when included
//	voicemail/EXT/FILE    the voicemail messages and greetings, when
//	                      included (see voicemail.go)
//
// A backup without voicemail is what earlier firmware wrote and reads;
// one with voicemail is refused by firmware that predates it ("unexpected
// entry"), so the format number stays 1 and such a backup still restores
// on a box rolled back, once made without voicemail.
//
// The admin password is never in a backup (Config never holds it); the
// SIP secrets are, so a restore brings the phones back: keep backups
// private.
const (
	BackupFormat   = 1
	backupInfoName = "minipbx-backup.json"
	backupConfig   = "config.json"
	// MaxPromptBytes bounds one prompt file in a backup; MaxBackupPrompts
	// bounds their number.
	MaxPromptBytes   = 16 << 20
	MaxBackupPrompts = 1000
)

// BackupInfo describes a backup.
type BackupInfo struct {
	Format   int       `json:"format"`
	Firmware string    `json:"firmware"`
	Schema   int       `json:"schema"`
	Created  time.Time `json:"created"`
	Prompts  int       `json:"prompts"`
	// Voicemail says the backup holds the voicemail (possibly none):
	// Messages and Greetings are how many there were when it was made.
	Voicemail bool `json:"voicemail,omitempty"`
	Messages  int  `json:"messages,omitempty"`
	Greetings int  `json:"greetings,omitempty"`
}

// BackupOptions tune Backup.
type BackupOptions struct {
	// Firmware is the running firmware's version (recorded).
	Firmware string
	// Prompts includes DataDir/prompts.
	Prompts bool
	// Voicemail includes the voicemail messages and greetings
	// (DataDir/recordings/voicemail), up to MaxBackupVoicemailBytes.
	Voicemail bool
	// DataDir is the data directory (for prompts and voicemail).
	DataDir string
	// Now stamps the backup; zero means time.Now.
	Now time.Time
	// Logger receives Handler's internal errors, which the client is
	// told of without their details (paths). Nil: discarded.
	Logger *slog.Logger
}

// ErrBackup means a file is not a usable backup; nothing was changed.
var ErrBackup = errors.New("not a valid minipbx backup")

// Backup writes the configuration of db (and, optionally, the prompts
// and the voicemail) as one backup file to w.
func Backup(w io.Writer, db *store.DB, o BackupOptions) error {
	p, err := prepare(db, o)
	if err != nil {
		return err
	}
	return p.write(w)
}

// plan is a backup ready to be written: the configuration read, the
// files to include listed and their bounds checked, so that what can
// fail before the first byte is written does.
type plan struct {
	o       BackupOptions
	info    []byte
	doc     bytes.Buffer
	prompts []string
	vm      []vmFile
	now     time.Time
}

func prepare(db *store.DB, o BackupOptions) (*plan, error) {
	p := &plan{o: o}
	cfg, err := db.ExportConfig()
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := store.EncodeConfig(&p.doc, cfg); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if o.Prompts {
		entries, err := os.ReadDir(datadir.Of(o.DataDir).Prompts())
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("backup: prompts: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && validPromptName(e.Name()) {
				p.prompts = append(p.prompts, e.Name())
			}
		}
		sort.Strings(p.prompts)
	}
	info := BackupInfo{Format: BackupFormat, Firmware: o.Firmware, Schema: cfg.Version, Prompts: len(p.prompts), Voicemail: o.Voicemail}
	if o.Voicemail {
		if p.vm, info.Messages, info.Greetings, err = listVoicemail(o.DataDir); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	p.now = o.Now
	if p.now.IsZero() {
		p.now = time.Now()
	}
	p.now = p.now.UTC().Truncate(time.Second)
	info.Created = p.now
	p.info, _ = json.MarshalIndent(info, "", "  ")
	return p, nil
}

// write writes the backup file.
func (p *plan) write(w io.Writer) error {
	o, now, info, doc, prompts := p.o, p.now, p.info, &p.doc, p.prompts
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	add := func(name string, mode int64, data io.Reader, size int64) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: size, ModTime: now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := io.Copy(tw, data)
		return err
	}
	if err := add(backupInfoName, 0o600, bytes.NewReader(info), int64(len(info))); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := add(backupConfig, 0o600, bytes.NewReader(doc.Bytes()), int64(doc.Len())); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	for _, name := range prompts {
		f, err := os.Open(filepath.Join(datadir.Of(o.DataDir).Prompts(), name))
		if err != nil {
			return fmt.Errorf("backup: prompt %s: %w", name, err)
		}
		fi, err := f.Stat()
		if err == nil && fi.Size() > MaxPromptBytes {
			err = fmt.Errorf("larger than %d bytes", MaxPromptBytes)
		}
		if err == nil {
			err = add(datadir.PromptsDir+"/"+name, 0o644, io.LimitReader(f, fi.Size()), fi.Size())
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("backup: prompt %s: %w", name, err)
		}
	}
	if err := writeVoicemail(o.DataDir, p.vm, add); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// validPromptName accepts plain file names: letters, digits, '.', '_',
// '-', not starting with '.', at most 100 bytes. Nothing in a backup can
// name a path outside the prompts directory.
func validPromptName(n string) bool {
	if n == "" || len(n) > 100 || n[0] == '.' {
		return false
	}
	for _, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// DataDir is the data directory (prompts are restored into its
	// prompts directory).
	DataDir string
	// SkipPrompts ignores prompts in the backup.
	SkipPrompts bool
	// Voicemail says what to do with the backup's voicemail: add what
	// the box lacks (the default), skip it, or replace the box's.
	Voicemail VoicemailMode
	// Logger receives RestoreHandler's internal errors, which the client
	// is told of without their details (paths). Nil: discarded.
	Logger *slog.Logger
}

// RestoreReport says what Restore did.
type RestoreReport struct {
	Info      BackupInfo
	Prompts   []string
	Voicemail VoicemailReport
}

// Restore reads a backup and, only if all of it is valid, replaces the
// configuration with the backup's and writes its prompts and voicemail
// (as o.Voicemail says; a running exchange's message store must then
// re-read its directory: voicemail.Store.Reindex). The document
// goes through store.DecodeConfig, which migrates an older schema
// forward, then db.ValidateConfig; field problems come back as a
// *store.ValidationError and nothing is changed. Extensions keep their
// stored SIP secrets when the backup has none (ImportConfig's rule).
func Restore(r io.Reader, db *store.DB, o RestoreOptions) (RestoreReport, error) {
	var rep RestoreReport
	gz, err := gzip.NewReader(r)
	if err != nil {
		return rep, fmt.Errorf("restore: %w: %v", ErrBackup, err)
	}
	tr := tar.NewReader(gz)
	var (
		haveInfo, haveConfig bool
		cfg                  store.Config
		staged               = map[string]string{} // prompt name → staged temp file
		stageDir             string
		promptsMade          []string // directories made for staging, outermost first
		vm                   = &vmStage{dataDir: o.DataDir, skip: o.Voicemail == VoicemailSkip}
		done                 bool
	)
	defer func() {
		// A refused backup leaves the data directory as it was: no
		// staged file, no directory made for one.
		if stageDir != "" {
			os.RemoveAll(stageDir)
		}
		vm.cleanup(!done)
		for i := len(promptsMade) - 1; i >= 0 && !done; i-- {
			os.Remove(promptsMade[i])
		}
	}()
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("restore: %w: %v", ErrBackup, err)
		}
		if h.Typeflag != tar.TypeReg {
			return rep, fmt.Errorf("restore: %w: %q is not a regular file", ErrBackup, h.Name)
		}
		switch {
		case h.Name == backupInfoName && !haveInfo:
			b, err := io.ReadAll(io.LimitReader(tr, 64<<10))
			if err != nil {
				return rep, fmt.Errorf("restore: %w: %v", ErrBackup, err)
			}
			// Strict JSON (one object, no key twice, valid UTF-8), but
			// fields a later firmware adds to the description are
			// ignored: the format number says what must be understood.
			if err := strictjson.Check(b); err != nil {
				return rep, fmt.Errorf("restore: %w: %s: %v", ErrBackup, backupInfoName, err)
			}
			if err := json.Unmarshal(b, &rep.Info); err != nil {
				return rep, fmt.Errorf("restore: %w: %s: %v", ErrBackup, backupInfoName, err)
			}
			if rep.Info.Format != BackupFormat {
				return rep, fmt.Errorf("restore: %w: backup format %d (this firmware reads %d)", ErrBackup, rep.Info.Format, BackupFormat)
			}
			haveInfo = true
		case h.Name == backupConfig && haveInfo && !haveConfig:
			if cfg, err = store.DecodeConfig(tr); err != nil {
				return rep, fmt.Errorf("restore: %s: %w", backupConfig, err)
			}
			haveConfig = true
		case strings.HasPrefix(h.Name, datadir.PromptsDir+"/") && haveConfig:
			name := strings.TrimPrefix(h.Name, datadir.PromptsDir+"/")
			if !validPromptName(name) || staged[name] != "" {
				return rep, fmt.Errorf("restore: %w: bad or repeated prompt name %q", ErrBackup, h.Name)
			}
			if h.Size > MaxPromptBytes || len(staged) >= MaxBackupPrompts {
				return rep, fmt.Errorf("restore: %w: prompt %q too large or too many prompts", ErrBackup, name)
			}
			if o.SkipPrompts {
				continue
			}
			if stageDir == "" {
				if promptsMade, err = mkdirs(datadir.Of(o.DataDir).Prompts(), 0o755); err != nil {
					return rep, fmt.Errorf("restore: %w", err)
				}
				if stageDir, err = os.MkdirTemp(datadir.Of(o.DataDir).Prompts(), ".restore"); err != nil {
					return rep, fmt.Errorf("restore: %w", err)
				}
			}
			tmp := filepath.Join(stageDir, name)
			if err := stage(tmp, tr, h.Size, 0o644); err != nil {
				return rep, fmt.Errorf("restore: prompt %s: %w", name, err)
			}
			staged[name] = tmp
		case strings.HasPrefix(h.Name, voicemailPrefix) && haveConfig && rep.Info.Voicemail:
			if err := vm.add(h.Name, tr, h.Size); err != nil {
				return rep, fmt.Errorf("restore: %w", err)
			}
		default:
			return rep, fmt.Errorf("restore: %w: unexpected entry %q", ErrBackup, h.Name)
		}
	}
	if !haveConfig {
		return rep, fmt.Errorf("restore: %w: no configuration in it", ErrBackup)
	}
	if err := db.ValidateConfig(cfg); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	if err := vm.check(); err != nil {
		return rep, err
	}
	// Everything is checked: now write.
	if err := db.ImportConfig(cfg); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	for name, tmp := range staged {
		if err := os.Rename(tmp, filepath.Join(datadir.Of(o.DataDir).Prompts(), name)); err != nil {
			return rep, fmt.Errorf("restore: prompt %s: %w", name, err)
		}
		rep.Prompts = append(rep.Prompts, name)
	}
	sort.Strings(rep.Prompts)
	if len(staged) > 0 {
		if d, err := os.Open(datadir.Of(o.DataDir).Prompts()); err == nil {
			d.Sync()
			d.Close()
		}
	}
	done = true
	rep.Voicemail.Included = rep.Info.Voicemail
	rep.Voicemail.Mode = string(o.Voicemail)
	if rep.Voicemail.Mode == "" {
		rep.Voicemail.Mode = "merge"
	}
	if rep.Info.Voicemail && o.Voicemail != VoicemailSkip {
		if err := vm.apply(o.Voicemail, &rep.Voicemail); err != nil {
			return rep, fmt.Errorf("restore: the configuration and prompts are restored, the voicemail only in part: %w", err)
		}
	}
	return rep, nil
}

func stage(path string, r io.Reader, size int64, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, size))
	if err == nil && n != size {
		err = fmt.Errorf("%w: prompt cut short", ErrBackup)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
