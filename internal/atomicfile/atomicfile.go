// Package atomicfile replaces files so that a crash or a power cut leaves
// either the old content or the new, never a torn mixture or an empty
// file: the new content is written to a temporary file beside the target,
// fsynced, renamed over it (the rename is the commit), and the directory
// is fsynced so the rename itself survives.
//
// The box writes this way everything a reader must find whole: voicemail
// sidecars and greetings, uploaded recordings, the web UI's TLS key, the
// boot loader's state, the data directory's markers, pbxinit's status.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Write replaces path with data, with permissions perm. On error path is
// untouched and no temporary file is left.
func Write(path string, data []byte, perm fs.FileMode) error {
	return WriteTemp(path, "."+filepath.Base(path)+".tmp*", data, perm)
}

// WriteTemp is Write with the temporary file named by pattern (as
// os.CreateTemp names it), for directories whose leftovers of a crash are
// found and removed by that name.
func WriteTemp(path, pattern string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, err)
	}
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs directory dir, so that renames and removals in it
// survive a power cut. A file system that cannot sync a directory (EINVAL:
// some FAT boot partitions) is not an error: there is nothing more to do.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
