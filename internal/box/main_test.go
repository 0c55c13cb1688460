package box

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain quiets sipgo's package-level logging (it logs through
// slog.Default from the test phones' transport layers); the box's own logs
// go to each test's log.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	os.Exit(m.Run())
}

// testLogLevel is the level of the box's logs in tests: warnings, or
// everything with BOX_TEST_LOG=debug.
func testLogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("BOX_TEST_LOG"))); err != nil {
		return slog.LevelWarn
	}
	return l
}
