package boot

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"minipbx/internal/atomicfile"
)

// writeFile replaces path with data so that a power cut leaves either
// the old file or the new one (atomicfile). On FAT, the Raspberry Pi's boot
// partition, the rename is as close to atomic as the file system allows.
func writeFile(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("boot: %w", err)
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
