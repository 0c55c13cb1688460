// Package testutil holds helpers shared by minipbx's tests.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the environment variable `make test` sets so that a test
// whose external tool (sipp, chromium, espeak-ng, qemu-arm-static) is
// missing fails instead of skipping: CI must never pass by skipping.
const RequireEnv = "MINIPBX_REQUIRE_TOOLS"

// Tool returns the path of an external program a test needs. When it is
// missing the test is skipped, or failed when MINIPBX_REQUIRE_TOOLS=1.
func Tool(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("required test tool %v not found (make test installs it)", names)
	}
	t.Skipf("test tool %v not installed; run make test to install it", names)
	return ""
}
