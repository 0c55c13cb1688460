// Package datadir manages the box's data partition as a whole: the marker
// that makes a directory a data directory, factory reset, and the
// configuration snapshot an upgrade takes for a rollback. It does not
// import the store, so pbxinit stays small; backup and restore of the
// configuration, and opening the database with the rollback restore,
// are in package upgrade/backup.
//
// The data partition holds everything that is the installer's, and
// nothing an upgrade writes:
//
//	.minipbx-data          the marker (see Init)
//	pbx.db                 the database (store.FileName)
//	pbx.db.schema-v*.bak   the store's own copies before a schema migration
//	pbx.db.cdr-spool       call records kept while the disk was full (a reserved 256 KB)
//	tls/                   the web UI's certificate and key
//	prompts/               audio prompts (PromptsDir)
//	recordings/voicemail/  voicemail messages and greetings
//	recordings/calls/      call recordings
//	faxes/                 received faxes
//	provisioning/templates/ the installer's overrides of the phone templates (telephony/provision)
//	spool/mail/            e-mail messages waiting for the server
//	upgrade-snapshot/      the configuration before the last upgrade
//	.factory-reset         a factory reset waits for the next boot
//
// Layout is the one place that knows these names: pbxd's wiring, the
// exchange (through its options), pbxctl, backup and restore ask it.
package datadir

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"minipbx/internal/atomicfile"
)

// Names in the data directory.
const (
	MarkerName       = ".minipbx-data"
	PromptsDir       = "prompts"
	RecordingsDir    = "recordings"
	FaxesDir         = "faxes"
	ProvisioningDir  = "provisioning"
	SpoolDir         = "spool"
	TLSDir           = "tls"
	SnapshotDir      = "upgrade-snapshot"
	ResetRequestName = ".factory-reset"
	DBName           = "pbx.db" // = store.FileName
)

// Layout is where each kind of the installer's data lives in the data
// directory Root. Ask it rather than joining names: a firmware that moves
// something moves it here, for every part of the box at once.
type Layout struct {
	Root string
}

// Of is the layout of the data directory dir.
func Of(dir string) Layout { return Layout{Root: dir} }

// Database is the configuration and records database.
func (l Layout) Database() string { return filepath.Join(l.Root, DBName) }

// TLS holds the web UI's certificate and key.
func (l Layout) TLS() string { return filepath.Join(l.Root, TLSDir) }

// Prompts holds the installer's recordings that menus, announcements and
// queues play, and replacements of the built-in voice prompts.
func (l Layout) Prompts() string { return filepath.Join(l.Root, PromptsDir) }

// Voicemail holds one directory per mailbox (telephony/voicemail).
func (l Layout) Voicemail() string { return filepath.Join(l.Root, RecordingsDir, "voicemail") }

// CallRecordings holds the recordings of calls.
func (l Layout) CallRecordings() string { return filepath.Join(l.Root, RecordingsDir, "calls") }

// Faxes holds received faxes.
func (l Layout) Faxes() string { return filepath.Join(l.Root, FaxesDir) }

// ProvisioningTemplates holds the installer's overrides of the phones'
// configuration templates, one file per brand named as the built-in
// (yealink.cfg, grandstream.xml, snom.xml, fanvil.cfg, spa.xml).
func (l Layout) ProvisioningTemplates() string {
	return filepath.Join(l.Root, ProvisioningDir, "templates")
}

// MailSpool holds the e-mail messages waiting for the mail server (their
// queue entries are in the database).
func (l Layout) MailSpool() string { return filepath.Join(l.Root, SpoolDir, "mail") }

// Snapshot holds the configuration saved before the last upgrade.
func (l Layout) Snapshot() string { return filepath.Join(l.Root, SnapshotDir) }

const markerText = "minipbx data partition: everything here is the installer's data; factory reset deletes it\n"

// ErrNotDataDir means a path is not a minipbx data directory (no marker):
// nothing is deleted or written there.
var ErrNotDataDir = errors.New("not a minipbx data directory")

// known are the entries a data directory may hold before it has its
// marker (a box first started by an older firmware, or a fresh partition).
func known(name string) bool {
	switch name {
	case DBName, TLSDir, PromptsDir, RecordingsDir, FaxesDir, ProvisioningDir, SpoolDir, SnapshotDir, ResetRequestName, "lost+found", MarkerName:
		return true
	}
	return strings.HasPrefix(name, DBName+".")
}

// Init makes dir a data directory: it creates dir if needed and writes
// the marker. It refuses a directory that holds anything a minipbx data
// directory would not, so that `pbxd -data $HOME` cannot make a home
// directory wipeable by a factory reset. pbxinit calls it after mounting
// the data partition; pbxd may call it at start.
func Init(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("datadir: %w", err)
	}
	if err := Check(dir); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("datadir: %w", err)
	}
	for _, e := range entries {
		if !known(e.Name()) {
			return fmt.Errorf("datadir: %s: %w (it holds %q; use an empty directory)", dir, ErrNotDataDir, e.Name())
		}
	}
	if err := atomicfile.Write(filepath.Join(dir, MarkerName), []byte(markerText), 0o644); err != nil {
		return fmt.Errorf("datadir: mark %s: %w", dir, err)
	}
	return nil
}

// Check reports whether dir is a marked data directory: a real directory
// (not a symbolic link, not the root) holding the marker as a regular
// file with the marker's text.
func Check(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("datadir: %w", err)
	}
	if abs == "/" {
		return fmt.Errorf("datadir: %s: %w (the root)", dir, ErrNotDataDir)
	}
	fi, err := os.Lstat(abs)
	if err != nil {
		return fmt.Errorf("datadir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("datadir: %s: %w (not a directory)", dir, ErrNotDataDir)
	}
	m, err := os.Lstat(filepath.Join(abs, MarkerName))
	if err != nil || !m.Mode().IsRegular() {
		return fmt.Errorf("datadir: %s: %w (no %s marker)", dir, ErrNotDataDir, MarkerName)
	}
	b, err := os.ReadFile(filepath.Join(abs, MarkerName))
	if err != nil || !bytes.Equal(b, []byte(markerText)) {
		return fmt.Errorf("datadir: %s: %w (the %s marker is not ours)", dir, ErrNotDataDir, MarkerName)
	}
	return nil
}
