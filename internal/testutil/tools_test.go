package testutil

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// moduleRoot is the repository's top folder, two up from this package.
const moduleRoot = "../.."

// toolCall matches testutil.Tool(t, "a", "b") and Tool(t, "a") in this
// package, capturing the quoted names.
var toolCall = regexp.MustCompile(`\bTool\(\s*\w+\s*((?:,\s*"[^"]+"\s*)+)\)`)

var quoted = regexp.MustCompile(`"([^"]+)"`)

// TestEveryToolCallIsListed reads every Go file of the module for
// testutil.Tool calls and checks that each program they name is in the
// tool list, so a test added with a new tool fails here at once — not on
// a fresh machine, where make test-tools would not have installed it.
func TestEveryToolCallIsListed(t *testing.T) {
	tools, err := Tools()
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	err = filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != moduleRoot || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "tools_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range toolCall.FindAllStringSubmatch(string(src), -1) {
			calls++
			for _, q := range quoted.FindAllStringSubmatch(m[1], -1) {
				if _, ok := tools[q[1]]; !ok {
					t.Errorf("%s: test tool %q is not in %s", path, q[1], ToolListPath)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 10 {
		t.Fatalf("found only %d testutil.Tool calls in the module; the scan is broken", calls)
	}
}

// TestMakefileInstallsTheList runs the Makefile's own selection of what to
// install with a PATH that holds none of the tools (and no C headers): it must name exactly
// the packages of the list, so the Makefile cannot keep a list of its own.
func TestMakefileInstallsTheList(t *testing.T) {
	mk := Tool(t, "make")
	tools, err := Tools()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for _, name := range []string{"sh", "sed", "sort", "tr"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("%s not found: %v", name, err)
		}
		if err := os.Symlink(p, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(mk, "-s", "--no-print-directory", "-C", moduleRoot, "test-tools-missing")
	cmd.Env = append(os.Environ(), "PATH="+bin, "INCLUDEDIR="+bin) // no library headers either
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make test-tools-missing: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	var want []string
	for _, pkg := range tools {
		if !slices.Contains(want, pkg) {
			want = append(want, pkg)
		}
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("make test-tools-missing with no tool on PATH printed %q, want the list's packages %q", got, want)
	}
}

// TestParseTools checks the list's grammar: comments and blank lines
// skipped, a malformed line or a command listed twice refused with its
// line number.
func TestParseTools(t *testing.T) {
	got, err := ParseTools("# c\n\nsox  sox  # note\nmksquashfs squashfs-tools\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["sox"] != "sox" || got["mksquashfs"] != "squashfs-tools" {
		t.Fatalf("ParseTools = %v", got)
	}
	for text, want := range map[string]string{
		"sox\n":                 ":1: want",
		"a b c\n":               ":1: want",
		"sox sox\n\nsox sox2\n": `:3: command "sox" listed twice`,
	} {
		if _, err := ParseTools(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTools(%q) error %v, want %q", text, err, want)
		}
	}
	if _, err := Tools(); err != nil {
		t.Fatalf("the committed list: %v", err)
	}
}

// recorder is a testing.TB whose Fatalf and Skipf record the message and
// end the goroutine, as the real ones do.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = format
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("fatal") }
func (r *recorder) Skipf(format string, args ...any) {
	r.skip = format
	runtime.Goexit()
}

func runTool(t *testing.T, names ...string) *recorder {
	r := &recorder{TB: t}
	var wg sync.WaitGroup
	wg.Go(func() { Tool(r, names...) })
	wg.Wait()
	return r
}

// TestToolRefusesUnlisted: a program not in the list fails the test even
// when it is installed (sh always is), and a listed one that is missing
// skips, or fails under MINIPBX_REQUIRE_TOOLS=1.
func TestToolRefusesUnlisted(t *testing.T) {
	if r := runTool(t, "sh"); !strings.Contains(r.fatal, "is not in") {
		t.Errorf("Tool(sh), unlisted: fatal %q skip %q, want a failure naming the list", r.fatal, r.skip)
	}
	t.Setenv("PATH", t.TempDir())
	t.Setenv(RequireEnv, "")
	if r := runTool(t, "sox"); r.skip == "" || r.fatal != "" {
		t.Errorf("Tool(sox), listed but missing: fatal %q skip %q, want a skip", r.fatal, r.skip)
	}
	t.Setenv(RequireEnv, "1")
	if r := runTool(t, "sox"); !strings.Contains(r.fatal, "required test tool") {
		t.Errorf("Tool(sox), missing under %s=1: fatal %q skip %q, want a failure", RequireEnv, r.fatal, r.skip)
	}
}
