package datadir

import (
	"fmt"
	"os"
	"path/filepath"

	"minipbx/internal/atomicfile"
)

// FactoryReset deletes everything in the data directory except its
// marker (and an ext4 lost+found): the configuration and database, call
// records, recordings, prompts, certificates, the admin password hash,
// snapshots and backups. The next pbxd start finds an empty directory and
// starts as a new box, with a new unique admin password. dir must pass
// Check; nothing is deleted otherwise. Symbolic links are removed, never
// followed. Nothing may have the database open (pbxinit runs it at boot,
// before pbxd; a running box asks for one with RequestFactoryReset).
func FactoryReset(dir string) error {
	if err := Check(dir); err != nil {
		return fmt.Errorf("factory reset refused: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("factory reset: %w", err)
	}
	// The request file goes last: a power cut mid-way repeats the reset
	// at the next boot.
	var request bool
	for _, e := range entries {
		switch e.Name() {
		case MarkerName:
			continue
		case ResetRequestName:
			request = true
			continue
		case "lost+found":
			if err := emptyDir(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("factory reset: %w", err)
		}
	}
	_ = atomicfile.SyncDir(dir) // best effort
	if request {
		if err := os.Remove(filepath.Join(dir, ResetRequestName)); err != nil {
			return fmt.Errorf("factory reset: %w", err)
		}
		_ = atomicfile.SyncDir(dir) // best effort
	}
	return nil
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("factory reset: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("factory reset: %w", err)
		}
	}
	return nil
}

// RequestFactoryReset asks for a factory reset at the next boot (the web
// UI, pbxctl factory-reset and the 10-second button hold call it, then
// pbxd exits with upgrade.ExitReboot); pbxinit calls
// ResetIfRequested before starting pbxd.
func RequestFactoryReset(dir string) error {
	if err := Check(dir); err != nil {
		return fmt.Errorf("factory reset refused: %w", err)
	}
	return atomicfile.Write(filepath.Join(dir, ResetRequestName), []byte("requested\n"), 0o600)
}

// ResetIfRequested runs FactoryReset if one was requested; it reports
// whether it did.
func ResetIfRequested(dir string) (bool, error) {
	if _, err := os.Lstat(filepath.Join(dir, ResetRequestName)); err != nil {
		return false, nil
	}
	return true, FactoryReset(dir)
}
