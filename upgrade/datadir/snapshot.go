package datadir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"minipbx/internal/atomicfile"
)

// SnapshotInfo describes the configuration snapshot taken before the
// last upgrade.
type SnapshotInfo struct {
	// FromVersion is the firmware that was running (and wrote the
	// database); ToVersion the firmware being installed.
	FromVersion string    `json:"from_version"`
	ToVersion   string    `json:"to_version"`
	Created     time.Time `json:"created"`
	Size        int64     `json:"size"`
}

// ErrNoSnapshot means there is no snapshot to restore.
var ErrNoSnapshot = errors.New("datadir: no configuration snapshot")

const (
	snapDB       = DBName
	snapInfo     = "info.json"
	snapRejected = DBName + ".rejected"
)

// SaveSnapshot keeps a consistent copy of the database, written by
// write (pass the open database's (*store.DB).Snapshot, which copies it
// in one read transaction while pbxd runs), as the snapshot of the
// configuration before upgrading from firmware `from` to `to`. It
// replaces any earlier snapshot only once the new one is complete and
// synced. The upgrade engine's Config.Snapshot calls it.
func SaveSnapshot(dir, from, to string, write func(io.Writer) (int64, error), now time.Time) error {
	if err := Check(dir); err != nil {
		return err
	}
	sd := filepath.Join(dir, SnapshotDir)
	if err := os.MkdirAll(sd, 0o700); err != nil {
		return fmt.Errorf("datadir: snapshot: %w", err)
	}
	f, err := os.CreateTemp(sd, ".pbx.db.tmp*")
	if err != nil {
		return fmt.Errorf("datadir: snapshot: %w", err)
	}
	tmp := f.Name()
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(sd, snapDB))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("datadir: snapshot: %w", err)
	}
	info, _ := json.MarshalIndent(SnapshotInfo{FromVersion: from, ToVersion: to, Created: now.UTC(), Size: n}, "", "  ")
	if err := atomicfile.Write(filepath.Join(sd, snapInfo), append(info, '\n'), 0o600); err != nil {
		return fmt.Errorf("datadir: snapshot: %w", err)
	}
	return nil
}

// Snapshot reads the snapshot's description.
func Snapshot(dir string) (SnapshotInfo, error) {
	var info SnapshotInfo
	sd := filepath.Join(dir, SnapshotDir)
	if _, err := os.Stat(filepath.Join(sd, snapDB)); err != nil {
		return info, ErrNoSnapshot
	}
	b, err := os.ReadFile(filepath.Join(sd, snapInfo))
	if err != nil {
		return info, fmt.Errorf("datadir: snapshot info: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("datadir: snapshot info: %w", err)
	}
	return info, nil
}

// RestoreSnapshot puts the snapshot back as the database, keeping the
// database it replaces as upgrade-snapshot/pbx.db.rejected (one, the
// latest). The snapshot itself stays. Nothing may have the database open.
func RestoreSnapshot(dir string) (SnapshotInfo, error) {
	if err := Check(dir); err != nil {
		return SnapshotInfo{}, err
	}
	info, err := Snapshot(dir)
	if err != nil {
		return info, err
	}
	sd := filepath.Join(dir, SnapshotDir)
	src, err := os.Open(filepath.Join(sd, snapDB))
	if err != nil {
		return info, fmt.Errorf("datadir: restore snapshot: %w", err)
	}
	defer src.Close()
	f, err := os.CreateTemp(dir, ".pbx.db.restore*")
	if err != nil {
		return info, fmt.Errorf("datadir: restore snapshot: %w", err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, src)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return info, fmt.Errorf("datadir: restore snapshot: %w", err)
	}
	db := filepath.Join(dir, DBName)
	if err := os.Rename(db, filepath.Join(sd, snapRejected)); err != nil && !os.IsNotExist(err) {
		os.Remove(tmp)
		return info, fmt.Errorf("datadir: restore snapshot: keep the current database: %w", err)
	}
	if err := os.Rename(tmp, db); err != nil {
		return info, fmt.Errorf("datadir: restore snapshot: %w", err)
	}
	_ = atomicfile.SyncDir(sd)  // best effort
	_ = atomicfile.SyncDir(dir) // best effort
	return info, nil
}
