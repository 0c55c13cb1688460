package main

import (
	"errors"
	"flag"
	"strings"
)

// dspCommand hands `pbxctl dsp ...` to runDSP (dsp.go, the dsp tools'
// own file), which prints its own usage text (dspHelp); here its errors
// only get their exit status.
func dspCommand(e *env, args []string) error {
	err := runDSP(e.ctx, args, e.stdout, e.stderr)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return nil // -h: runDSP printed the usage
	case isDSPUsage(err):
		return &dspUsageError{err}
	}
	return err
}

// isDSPUsage tells a command-line mistake (exit status 2) from a failure
// of the work itself (exit status 1) among runDSP's plain errors: its flag
// sets' parse errors and its argument checks.
func isDSPUsage(err error) bool {
	msg := err.Error()
	for _, s := range []string{"missing subcommand", "unknown subcommand", "flag provided but not defined",
		"flag needs an argument", "invalid value", "invalid boolean", "want one WAV file",
		"are all required", "unexpected arguments"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// dspUsageError is a usage mistake whose usage text runDSP already printed.
type dspUsageError struct{ err error }

func (e *dspUsageError) Error() string { return e.err.Error() }
func (e *dspUsageError) Unwrap() error { return e.err }
