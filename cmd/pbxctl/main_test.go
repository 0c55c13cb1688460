package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

type result struct {
	code           int
	stdout, stderr string
}

func pbxctl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// newDataDir makes a stopped box's data directory.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{Limits: &store.Limits{FXSPorts: 2, FXOPorts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.EnsureAdminPassword(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return dir
}

func openData(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func storedConfig(t *testing.T, dir string) store.Config {
	t.Helper()
	db := openData(t, dir)
	defer db.Close()
	c, err := db.Config()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUsage(t *testing.T) {
	dir := newDataDir(t)
	cases := []struct {
		args []string
		code int
		want string // in stdout+stderr
	}{
		{nil, 2, "Usage: pbxctl"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"help"}, 0, "Commands:"},
		{[]string{"-h"}, 0, "Commands:"},
		{[]string{"help", "config"}, 0, "config import FILE.json"},
		{[]string{"help", "passwd"}, 0, "passwd -set"},
		{[]string{"help", "nope"}, 2, "no help"},
		{[]string{"config"}, 2, "say export or import"},
		{[]string{"config", "frob"}, 2, "unknown subcommand"},
		{[]string{"config", "export", "-h"}, 0, "config export [-o FILE]"},
		{[]string{"config", "export", "x"}, 2, "unexpected argument"},
		{[]string{"config", "export"}, 2, "-data DIR (box stopped) or -url"},
		{[]string{"config", "import"}, 2, "exactly one FILE.json"},
		{[]string{"-data", dir, "-url", "https://x", "config", "export"}, 2, "not both"},
		{[]string{"-data", dir, "-insecure", "config", "export"}, 2, "go with -url"},
		{[]string{"-bogus"}, 2, "flag provided but not defined"},
		{[]string{"config", "export", "-bogus"}, 2, "flag provided but not defined"},
		{[]string{"passwd", "secret"}, 2, "unexpected argument"},
		{[]string{"version"}, 0, "pbxctl dev (configuration schema 1)"},
		{[]string{"version", "x"}, 2, "unexpected argument"},
	}
	for _, tc := range cases {
		r := pbxctl(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("pbxctl %v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
}

func TestOfflineExport(t *testing.T) {
	dir := newDataDir(t)
	want := storedConfig(t, dir)
	r := pbxctl(t, "", "-data", dir, "config", "export")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	got, err := store.DecodeConfig(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exported %+v, want %+v", got, want)
	}
	if !strings.Contains(r.stdout, "\n  \"system\": {") {
		t.Errorf("not indented:\n%s", r.stdout)
	}
	// -o FILE, flags after the command, private file.
	file := filepath.Join(t.TempDir(), "backup.json")
	r = pbxctl(t, "", "config", "export", "-o", file, "-data", dir)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", fi, err)
	}
	b, _ := os.ReadFile(file)
	if string(b) != r.stdout && !strings.Contains(r.stderr, file) {
		t.Error("file content differs")
	}
}

func TestOfflineImport(t *testing.T) {
	dir := newDataDir(t)
	c := storedConfig(t, dir)
	c.System.Name = "office"
	c.Extensions = append(c.Extensions, store.Extension{Number: "150", Name: "Lobby"})
	doc := encode(t, c)
	file := writeTemp(t, doc)
	r := pbxctl(t, "", "-data", dir, "config", "import", file)
	if r.code != 0 || !strings.Contains(r.stdout, "3 extensions, 2 FXO lines") {
		t.Fatalf("%+v", r)
	}
	got := storedConfig(t, dir)
	if got.System.Name != "office" || len(got.Extensions) != 3 || got.Extensions[2].Secret == "" {
		t.Errorf("%+v", got)
	}
	// From standard input too.
	c.System.Name = "stdin"
	if r := pbxctl(t, encode(t, c), "-data", dir, "config", "import", "-"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if storedConfig(t, dir).System.Name != "stdin" {
		t.Error("stdin import not applied")
	}
}

func TestOfflineImportRefused(t *testing.T) {
	dir := newDataDir(t)
	before := storedConfig(t, dir)
	bad := before
	bad.Extensions = append(append([]store.Extension{}, before.Extensions...), store.Extension{Number: "101"}, store.Extension{Number: "9x"})
	bad.FXOLines = append([]store.FXOLine{}, before.FXOLines...)
	bad.FXOLines[1].AnswerAfterRings = 99
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"invalid fields", encode(t, bad), []string{
			"refused, nothing was changed:",
			"  extensions[2].number: extension 101 already exists",
			"  extensions[3].number: must be digits only",
			"  fxo_lines[1].answer_after_rings: must be 1 to 10 rings",
		}},
		{"wrong type", `{"version":1,"system":{"extension_length":"3"},"extensions":[{"number":101}]}`, []string{
			"  system.extension_length: must be an integer, not string",
			"  extensions[0].number: must be a string, not number",
		}},
		{"syntax", "{\n  \"version\": 1,\n  \"system\": {,}\n}\n", []string{":3:14: invalid character ','"}},
		{"newer", `{"version": 7, "system": {}}`, []string{"newer than this firmware"}},
		{"unknown field", `{"version": 1, "system": {}, "extras": 1}`, []string{"  extras: unknown field"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := pbxctl(t, "", "-data", dir, "config", "import", writeTemp(t, tc.doc))
			if r.code != 1 {
				t.Fatalf("exit %d: %+v", r.code, r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if !reflect.DeepEqual(storedConfig(t, dir), before) {
				t.Error("a refused import changed the configuration")
			}
		})
	}
	if r := pbxctl(t, "", "-data", dir, "config", "import", "/nonexistent.json"); r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("%+v", r)
	}
}

func TestOfflineErrors(t *testing.T) {
	empty := t.TempDir()
	if r := pbxctl(t, "", "-data", empty, "config", "export"); r.code != 1 || !strings.Contains(r.stderr, "no database in") {
		t.Errorf("%+v", r)
	}
	if _, err := os.Stat(filepath.Join(empty, store.FileName)); err == nil {
		t.Error("pbxctl created a database")
	}
	// A running box holds the lock.
	dir := newDataDir(t)
	db := openData(t, dir)
	defer db.Close()
	for _, args := range [][]string{{"config", "export"}, {"passwd"}} {
		r := pbxctl(t, "", append([]string{"-data", dir}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "the box is running") || !strings.Contains(r.stderr, "-url") {
			t.Errorf("%v: %+v", args, r)
		}
	}
	// A corrupt database is reported, not reset.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, store.FileName), []byte("garbage garbage garbage"), 0o600)
	if r := pbxctl(t, "", "-data", bad, "passwd"); r.code != 1 || !strings.Contains(r.stderr, store.FileName) {
		t.Errorf("%+v", r)
	}
	if b, _ := os.ReadFile(filepath.Join(bad, store.FileName)); string(b) != "garbage garbage garbage" {
		t.Error("corrupt database modified")
	}
}

func TestOfflinePasswd(t *testing.T) {
	dir := newDataDir(t)
	r := pbxctl(t, "", "-data", dir, "passwd")
	if r.code != 0 || !strings.Contains(r.stdout, "must be changed") {
		t.Fatalf("%+v", r)
	}
	pw := strings.Fields(strings.TrimPrefix(r.stdout, "new admin password: "))[0]
	db := openData(t, dir)
	ok, must, err := db.CheckAdminPassword(pw)
	db.Close()
	if !ok || !must || err != nil {
		t.Fatalf("printed password %q: ok=%v must=%v %v", pw, ok, must, err)
	}
	r = pbxctl(t, "my new admin password\r\n", "-data", dir, "passwd", "-set")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	db = openData(t, dir)
	ok, must, _ = db.CheckAdminPassword("my new admin password")
	db.Close()
	if !ok || must {
		t.Errorf("after -set: ok=%v must=%v", ok, must)
	}
	r = pbxctl(t, "short\n", "-data", dir, "passwd", "-set")
	if r.code != 1 || !strings.Contains(r.stderr, "  password: must be at least 10 characters") {
		t.Errorf("%+v", r)
	}
	r = pbxctl(t, "", "-data", dir, "passwd", "-set")
	if r.code != 1 || !strings.Contains(r.stderr, "standard input") {
		t.Errorf("%+v", r)
	}
}

func encode(t *testing.T, c store.Config) string {
	t.Helper()
	var b bytes.Buffer
	if err := store.EncodeConfig(&b, c); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func writeTemp(t *testing.T, s string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// pbxctl dsp is dispatched to runDSP with the right exit statuses.
func TestDSPDispatch(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"dsp", "zones"}, 0, "us\t"},
		{[]string{"dsp", "-h"}, 0, "Usage: pbxctl dsp"},
		{[]string{"help", "dsp"}, 0, "Usage: pbxctl dsp"},
		{[]string{"dsp"}, 2, "missing subcommand"},
		{[]string{"dsp", "frob"}, 2, "unknown subcommand"},
		{[]string{"dsp", "dtmf", "-bogus", "x.wav"}, 2, "not defined"},
		{[]string{"dsp", "dtmf", "-h"}, 0, "Usage: pbxctl dsp"},
		{[]string{"dsp", "dtmf", "/nonexistent.wav"}, 1, "nonexistent.wav"},
	}
	for _, tc := range cases {
		r := pbxctl(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("pbxctl %v: exit %d, want %d with %q\nstdout: %.300s\nstderr: %.300s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
}
