// Package version holds the firmware version stamped at build time.
package version

// Version is set by the linker (-X minipbx/internal/version.Version=...).
// It is a var only because the linker can stamp nothing else.
var Version = "dev"
