package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"minipbx/internal/version"
	"minipbx/telephony/store"
)

// flags makes a subcommand's flag set, with the connection flags.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.conn.register(fs)
	return fs
}

// parse parses a subcommand's arguments; flags may follow positional
// arguments (pbxctl config import x.json -data /d).
func parse(fs *flag.FlagSet, usage string, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &usageError{usage: usage}
			}
			return nil, usagef(usage, "%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func encodeConfig(c store.Config) ([]byte, error) {
	var b bytes.Buffer
	if err := store.EncodeConfig(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

const configUsage = `Usage:
  pbxctl [connection] config export [-o FILE]
  pbxctl [connection] config import FILE.json

export writes the whole configuration of the box (system settings,
extensions with their SIP secrets, FXO lines) as one indented JSON
document, to FILE (created private, mode 0600) or to standard output.
Keep it private: it holds the SIP secrets. It never holds the admin
password.

import replaces the whole configuration with the document in FILE.json
("-" reads standard input). The document is checked completely before
anything is written: syntax errors are shown with their line and column,
and every invalid field on its own line with its path, e.g.
  extensions[2].number: extension 101 already exists
and then nothing changes (exit status 1). An extension with an empty
"secret" keeps its current secret (or gets a generated one). Documents
from older firmware versions are migrated. The fields are documented in
telephony/store/config.md.

Connection: -data DIR (pbxd stopped) or -url https://HOST:PORT (running).
`

func runConfig(e *env, args []string) error {
	if len(args) == 0 {
		return usagef(configUsage, "config: say export or import")
	}
	switch args[0] {
	case "export":
		return configExport(e, args[1:])
	case "import":
		return configImport(e, args[1:])
	case "-h", "-help", "--help":
		return &usageError{usage: configUsage}
	}
	return usagef(configUsage, "config: unknown subcommand %q (export or import)", args[0])
}

func configExport(e *env, args []string) error {
	fs := e.flags("config export")
	out := fs.String("o", "", "write to this file instead of standard output")
	pos, err := parse(fs, configUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(configUsage, "config export: unexpected argument %q (use -o FILE)", pos[0])
	}
	b, err := e.open(configUsage, true)
	if err != nil {
		return err
	}
	defer b.Close()
	doc, err := b.ExportConfig(e.ctx)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if *out == "" || *out == "-" {
		_, err = e.stdout.Write(doc)
		return err
	}
	if err := writeFilePrivate(*out, doc); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(e.stderr, "configuration written to %s\n", *out)
	return nil
}

// writeFilePrivate writes data to path atomically with mode 0600.
func writeFilePrivate(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func configImport(e *env, args []string) error {
	fs := e.flags("config import")
	pos, err := parse(fs, configUsage, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef(configUsage, "config import: give exactly one FILE.json")
	}
	name := pos[0]
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		r = f
	} else {
		name = "standard input"
	}
	// Decode (and migrate) here first: syntax and type errors are shown
	// with positions before the box is even contacted.
	c, err := store.DecodeConfig(r)
	var se *store.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s:%d:%d: %s", name, se.Line, se.Column, se.Msg)
	case errors.Is(err, store.ErrTooNew):
		return fmt.Errorf("%s: %w; use the pbxctl of the firmware that wrote it", name, err)
	case err != nil:
		if _, ok := store.AsValidationError(err); ok {
			return err
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	b, err := e.open(configUsage, false)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.ImportConfig(e.ctx, c); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "configuration imported: %d extensions, %d FXO lines\n", len(c.Extensions), len(c.FXOLines))
	return nil
}

const passwdUsage = `Usage:
  pbxctl [connection] passwd         set a new random admin password and print it
  pbxctl [connection] passwd -set    set the admin password read from standard input

Without -set a new random password is made (4 groups of 4 characters, 80
bits) and printed once; on a stopped box (-data) it must be changed at the
next login. With -set the new password is the first line of standard input
(at least 10 characters, not the current one), e.g.
  printf '%s\n' "$NEWPW" | pbxctl -url https://box:8443 passwd -set

Connection: -data DIR (pbxd stopped) or -url https://HOST:PORT (running; the
current admin password in PBXCTL_PASSWORD).
`

func runPasswd(e *env, args []string) error {
	fs := e.flags("passwd")
	set := fs.Bool("set", false, "read the new password from standard input")
	pos, err := parse(fs, passwdUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(passwdUsage, "passwd: unexpected argument %q (the password is read from standard input with -set)", pos[0])
	}
	var pw string
	if *set {
		if pw, err = readLine(e.stdin); err != nil {
			return fmt.Errorf("passwd: reading the new password from standard input: %w", err)
		}
	}
	b, err := e.open(passwdUsage, false)
	if err != nil {
		return err
	}
	defer b.Close()
	if *set {
		if err := b.SetPassword(e.ctx, pw); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "admin password changed")
		return nil
	}
	pw, err = b.ResetPassword(e.ctx)
	if err != nil {
		return err
	}
	note := ""
	if e.conn.data != "" {
		note = " (it must be changed at the next login)"
	}
	fmt.Fprintf(e.stdout, "new admin password: %s%s\n", pw, note)
	return nil
}

// readLine reads the first line of r, without its line ending.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	if err == io.EOF && line == "" {
		return "", errors.New("nothing to read")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

const versionUsage = `Usage: pbxctl [connection] version

Prints the version of pbxctl and the configuration schema it reads; with
-url, also the version of the firmware the box runs.
`

func runVersion(e *env, args []string) error {
	fs := e.flags("version")
	pos, err := parse(fs, versionUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(versionUsage, "version: unexpected argument %q", pos[0])
	}
	fmt.Fprintf(e.stdout, "pbxctl %s (configuration schema %d)\n", version.Version, store.SchemaVersion)
	if e.conn.url == "" {
		return nil
	}
	b, err := e.open(versionUsage, true)
	if err != nil {
		return err
	}
	defer b.Close()
	v, err := b.Version(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "box %s: pbxd %s\n", e.conn.url, v)
	return nil
}
