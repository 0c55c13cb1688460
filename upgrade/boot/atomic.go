package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// WriteFileAtomic replaces path with data so that a power cut leaves
// either the old file or the new one: write a temporary file beside it,
// fsync it, rename it over path, fsync the directory. (On FAT, the
// Raspberry Pi's boot partition, the rename is as close to atomic as the
// file system allows.)
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("boot: replace %s: %w", path, err)
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
		return fmt.Errorf("boot: replace %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some file systems cannot sync a directory
		d.Close()
	}
	return nil
}

// readVarsFile reads "name=value" lines; a missing file is empty.
func readVarsFile(path string) (vars, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return vars{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("boot: read %s: %w", path, err)
	}
	v := vars{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%w: %s: line %q", ErrState, path, line)
		}
		v[k] = val
	}
	return v, nil
}

func formatVars(v vars) []byte {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%s\n", k, v[k])
	}
	return []byte(b.String())
}
