// Package testutil holds helpers shared by minipbx's tests.
package testutil

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireEnv is the environment variable `make test` sets so that a test
// whose external tool (sipp, chromium, espeak-ng, qemu-arm-static) is
// missing fails instead of skipping: CI must never pass by skipping.
const RequireEnv = "MINIPBX_REQUIRE_TOOLS"

// ToolListPath is where the list of test tools lives, relative to the
// module root; the Makefile's test-tools target reads the same file.
const ToolListPath = "internal/testutil/tools.txt"

//go:embed tools.txt
var toolList string

// Tools returns the list of external programs the tests may use, command
// name to the Debian package that provides it, as `make test-tools`
// installs them.
func Tools() (map[string]string, error) {
	return ParseTools(toolList)
}

// ParseTools reads a tool list: one "command package" pair a line, with
// "#" starting a comment. A line of another shape, or a command listed
// twice, is an error naming the line.
func ParseTools(text string) (map[string]string, error) {
	tools := make(map[string]string)
	for i, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
			continue
		case len(f) != 2:
			return nil, fmt.Errorf("%s:%d: want \"command package\", got %q", ToolListPath, i+1, strings.TrimSpace(line))
		}
		if _, dup := tools[f[0]]; dup {
			return nil, fmt.Errorf("%s:%d: command %q listed twice", ToolListPath, i+1, f[0])
		}
		tools[f[0]] = f[1]
	}
	return tools, nil
}

// Tool returns the path of an external program a test needs, the first of
// names found. When none is installed the test is skipped, or failed when
// MINIPBX_REQUIRE_TOOLS=1. A name missing from the tool list fails the test
// whether or not the program is installed: `make test-tools` would never
// install it on a fresh machine.
func Tool(t testing.TB, names ...string) string {
	t.Helper()
	tools, err := Tools()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, ok := tools[n]; !ok {
			t.Fatalf("test tool %q is not in %s: add it with its Debian package so make test-tools installs it", n, ToolListPath)
		}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("required test tool %v not found (make test-tools installs it)", names)
	}
	t.Skipf("test tool %v not installed; run make test-tools (as root) to install it", names)
	return ""
}
