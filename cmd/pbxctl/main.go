// Command pbxctl is the maintenance tool of a minipbx box.
//
// It works either on a box's data directory while pbxd is stopped
// (-data DIR: it opens the database directly), or on a running box
// through the web UI's REST API (-url https://HOST:PORT, as admin with
// HTTP Basic authentication). See `pbxctl help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command runs with; tests build it directly.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	conn   *connFlags
	getenv func(string) string
}

// usageError is a mistake in the command line: exit status 2, with the
// command's usage.
type usageError struct {
	msg   string
	usage string
}

func (e *usageError) Error() string { return e.msg }

func usagef(usage, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), usage: usage}
}

// command is one subcommand.
type command struct {
	name  string
	usage string // full usage text
	run   func(e *env, args []string) error
}

const mainUsage = `Usage: pbxctl [connection] COMMAND [arguments]

The maintenance tool of a minipbx box.

Connection (before or after COMMAND):
  -data DIR         work on the box's data directory while pbxd is stopped
  -url URL          work on a running box through its API (https://HOST:PORT)
  -password PW      the admin password for -url (better: env PBXCTL_PASSWORD,
                    since a command line is visible to other users)
  -insecure         accept the box's certificate without checking it
  -cacert FILE      trust the box's certificate in FILE (PEM; e.g. the box's
                    self-signed certificate, pinned even if its name differs)

Commands:
  config export [-o FILE]   write the whole configuration as JSON
  config import FILE.json   replace the configuration (validated first)
  passwd [-set]             reset the admin password
  version                   print the versions of pbxctl (and of the box)
  dsp ...                   signal-processing tools on WAV files
  diag run [-tests LIST]    run the diagnostics on the running box (-url)
  upgrade FILE [-force]     install a signed firmware bundle (-url)
  backup [-o FILE] [-prompts]  back the configuration up as one file
  restore FILE              restore a backup (validated first)
  recording list|import NAME FILE|delete NAME
                            the recordings menus and queues play (WAV/MP3)
  calls export [-o FILE] [-from DAY ...]
                            the call records as CSV (searched like the page)
  factory-reset [-yes]      erase all user data; the box comes back as new
  help [COMMAND]            explain a command

Exit status: 0 success, 1 failure, 2 wrong usage.
`

func commands() []command {
	return []command{
		{"config", configUsage, runConfig},
		{"passwd", passwdUsage, runPasswd},
		{"version", versionUsage, runVersion},
		{"dsp", dspHelp, dspCommand},
		{"diag", diagUsage, runDiag},
		{"upgrade", upgradeUsage, runUpgrade},
		{"factory-reset", factoryResetUsage, runFactoryReset},
		{"backup", backupUsage, runBackup},
		{"restore", restoreUsage, runRestore},
		{"recording", recordingUsage, runRecording},
		{"calls", callsUsage, runCalls},
	}
}

// run is the whole program: main only adds the process around it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, conn: &connFlags{}, getenv: os.Getenv}
	fs := flag.NewFlagSet("pbxctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.conn.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, mainUsage)
			return exitOK
		}
		fmt.Fprintf(stderr, "pbxctl: %v\n\n%s", err, mainUsage)
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	name, rest := rest[0], rest[1:]
	if name == "help" || name == "-h" || name == "--help" {
		return help(e, rest)
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(e, rest)
		return report(e, c.usage, err)
	}
	fmt.Fprintf(stderr, "pbxctl: unknown command %q\n\n%s", name, mainUsage)
	return exitUsage
}

func help(e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, mainUsage)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			fmt.Fprint(e.stdout, c.usage)
			return exitOK
		}
	}
	fmt.Fprintf(e.stderr, "pbxctl: no help for %q\n\n%s", args[0], mainUsage)
	return exitUsage
}

// report prints err the way an installer reads it best and returns the
// exit status.
func report(e *env, usage string, err error) int {
	if err == nil {
		return exitOK
	}
	var de *dspUsageError
	if errors.As(err, &de) {
		fmt.Fprintf(e.stderr, "pbxctl: %v (see pbxctl dsp -h)\n", de.err)
		return exitUsage
	}
	var ue *usageError
	if errors.As(err, &ue) {
		if ue.msg == "" { // -h
			fmt.Fprint(e.stdout, ue.usage)
			return exitOK
		}
		u := ue.usage
		if u == "" {
			u = usage
		}
		fmt.Fprintf(e.stderr, "pbxctl: %s\n\n%s", ue.msg, u)
		return exitUsage
	}
	printError(e.stderr, err)
	return exitError
}

// printError prints field errors one per line with their path.
func printError(w io.Writer, err error) {
	if fe := fieldsOf(err); len(fe) > 0 {
		fmt.Fprintln(w, "pbxctl: refused, nothing was changed:")
		for _, f := range fe {
			if f.Field == "" {
				fmt.Fprintf(w, "  %s\n", f.Message)
			} else {
				fmt.Fprintf(w, "  %s: %s\n", f.Field, f.Message)
			}
		}
		return
	}
	fmt.Fprintf(w, "pbxctl: %s\n", strings.TrimPrefix(err.Error(), "pbxctl: "))
}
