package box

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
	"minipbx/upgrade"
	"minipbx/upgrade/boot"
	"minipbx/upgrade/bundle"
	"minipbx/upgrade/datadir"
)

const (
	testBoard    = "minipbx-test-board"
	testPassword = "maintenance-test-password"
	slotSize     = 256 << 10
)

// upgradeRig is a box's file-backed A/B slots and bootloader, described
// by a boot.conf as the image would carry it.
type upgradeRig struct {
	dir, conf, state, slotA, slotB string
}

func newUpgradeRig(t *testing.T) *upgradeRig {
	t.Helper()
	d := t.TempDir()
	r := &upgradeRig{dir: d, conf: filepath.Join(d, "boot.conf"), state: filepath.Join(d, "boot-state.txt"),
		slotA: filepath.Join(d, "slot-a.img"), slotB: filepath.Join(d, "slot-b.img")}
	for _, p := range []string{r.slotA, r.slotB} {
		if err := os.WriteFile(p, make([]byte, slotSize), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf := "board=" + testBoard + "\nbootloader=file\nslot_a=" + r.slotA + "\nslot_b=" + r.slotB + "\nstate=" + r.state + "\n"
	if err := os.WriteFile(r.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *upgradeRig) bootState(t *testing.T) boot.State {
	t.Helper()
	f, err := boot.NewFile(r.state, boot.SlotA)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.State()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// runningBox is a box started with Open and Run whose end (and exit code)
// the test waits for.
type runningBox struct {
	*Box
	cancel  context.CancelFunc
	done    chan error
	console *bytes.Buffer
}

func runBox(t *testing.T, c Config, prep ...func(*Box)) *runningBox {
	t.Helper()
	c.HTTPAddr, c.SIPAddr, c.Board = "127.0.0.1:0", "127.0.0.1:0", "sim"
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: testLogLevel()}))
	}
	console := &bytes.Buffer{}
	c.Console = console
	if c.RunDir == "" {
		c.RunDir = t.TempDir()
	}
	if c.BootConfig == "" { // hermetic: never the machine's own
		c.BootConfig = filepath.Join(t.TempDir(), "no-boot.conf")
	}
	b, err := Open(context.Background(), c)
	if err != nil {
		t.Fatalf("open box: %v", err)
	}
	for _, p := range prep {
		p(b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rb := &runningBox{Box: b, cancel: cancel, done: make(chan error, 1), console: console}
	go func() { rb.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-rb.done:
		case <-time.After(15 * time.Second):
			t.Error("box did not stop")
		}
	})
	select {
	case <-b.Ready():
	case err := <-rb.done:
		t.Fatalf("box stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("box not ready")
	}
	if strings.Contains(console.String(), "first start") { // a new box: replace its one-time password
		if err := b.Service().SetAdminPassword(context.Background(), testPassword); err != nil {
			t.Fatal(err)
		}
	}
	return rb
}

// exited waits for the box to stop by itself and returns its exit code.
func (rb *runningBox) exited(t *testing.T) int {
	t.Helper()
	select {
	case err := <-rb.done:
		rb.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("box stopped with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the box did not stop by itself")
	}
	return rb.ExitCode()
}

// api calls the box's REST API as admin with HTTP Basic.
func (rb *runningBox) api(t *testing.T, method, path, ctype string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "https://"+rb.WebAddr()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", testPassword)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

func testSigningKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	f, err := os.Open("../../rootfs/keys/TEST-ONLY-signing.key")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, err := bundle.ParsePrivateKey(f)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func makeBundle(t *testing.T, version, board string, image []byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	var b bytes.Buffer
	m := bundle.Manifest{Version: version, Board: board, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := bundle.Write(&b, m, bytes.NewReader(image), key); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestUpgradeThroughTheAPI is issue 7's upgrade on the whole box: bundles
// with a wrong signature, for another board, or older than the running
// firmware are refused through the web API with their code and nothing is
// written; a good one lands in the inactive slot, sets the trial and makes
// the box exit with 75 (pbxinit reboots); after the bootloader's reset the
// new firmware passes its real health check (database, SIP OPTIONS, board,
// HTTPS) and confirms the slot.
func TestUpgradeThroughTheAPI(t *testing.T) {
	rig := newUpgradeRig(t)
	dir := t.TempDir()
	rb := runBox(t, Config{DataDir: dir, Version: "1.0.0", BootConfig: rig.conf})
	if _, err := rb.Service().CreateExtension(context.Background(), store.Extension{Number: "201", Name: "Kept"}); err != nil {
		t.Fatal(err)
	}

	status, body := rb.api(t, "GET", "/api/v1/firmware", "", nil)
	var fi struct {
		Version, Board, Booted string
		Enabled, Trial         bool
	}
	if err := json.Unmarshal(body, &fi); err != nil || status != 200 || !fi.Enabled || fi.Version != "1.0.0" || fi.Board != testBoard || fi.Booted != "a" || fi.Trial {
		t.Fatalf("firmware: %d %s", status, body)
	}

	key := testSigningKey(t)
	image := bytes.Repeat([]byte("minipbx image 1.1.0 "), 5000)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name, code, msg string
		bundle          []byte
		status          int
	}{
		{"wrong signature", "signature", "signature", makeBundle(t, "1.1.0", testBoard, image, otherKey), 422},
		{"wrong board", "board", testBoard, makeBundle(t, "1.1.0", "minipbx-ref-arm64", image, key), 422},
		{"downgrade", "downgrade", "0.9.0", makeBundle(t, "0.9.0", testBoard, image, key), 409},
		{"not a bundle", "format", "not a minipbx update bundle", []byte("this is not a bundle at all, just some text"), 422},
	} {
		status, body := rb.api(t, "POST", "/api/v1/upgrade", "application/octet-stream", tc.bundle)
		var e struct{ Error, Code string }
		_ = json.Unmarshal(body, &e)
		if status != tc.status || e.Code != tc.code || !strings.Contains(e.Error, tc.msg) {
			t.Errorf("%s: %d %s; want %d code %s mentioning %q", tc.name, status, body, tc.status, tc.code, tc.msg)
		}
		if b, _ := os.ReadFile(rig.slotB); !bytes.Equal(b, make([]byte, slotSize)) {
			t.Fatalf("%s: slot b was written", tc.name)
		}
		if st := rig.bootState(t); st.Trial || st.Next != boot.SlotA {
			t.Fatalf("%s: boot state changed: %+v", tc.name, st)
		}
	}
	select {
	case <-rb.done:
		t.Fatal("a refused upgrade stopped the box")
	default:
	}

	status, body = rb.api(t, "POST", "/api/v1/upgrade", "application/octet-stream", makeBundle(t, "1.1.0", testBoard, image, key))
	if status != 200 || !strings.Contains(string(body), `"slot":"b"`) {
		t.Fatalf("good bundle: %d %s", status, body)
	}
	if code := rb.exited(t); code != upgrade.ExitReboot {
		t.Fatalf("exit code after an upgrade %d, want %d", code, upgrade.ExitReboot)
	}
	if b, _ := os.ReadFile(rig.slotB); !bytes.Equal(b[:len(image)], image) {
		t.Fatal("slot b does not hold the image")
	}
	if st := rig.bootState(t); !st.Trial || st.Next != boot.SlotB || st.Fallback != boot.SlotA {
		t.Fatalf("no trial of slot b: %+v", st)
	}
	if _, err := datadir.Snapshot(dir); err != nil {
		t.Fatalf("no configuration snapshot before the upgrade: %v", err)
	}

	// The reboot: the boot side counts the try and boots slot b, whose
	// firmware confirms itself once healthy.
	bl, err := boot.NewFile(rig.state, boot.SlotA)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := bl.Reset(); err != nil || s != boot.SlotB {
		t.Fatalf("reset booted %s, %v", s, err)
	}
	rb2 := runBox(t, Config{DataDir: dir, Version: "1.1.0", BootConfig: rig.conf,
		Confirm: upgrade.ConfirmOptions{Interval: 100 * time.Millisecond, Timeout: 20 * time.Second}})
	deadline := time.Now().Add(20 * time.Second)
	for rig.bootState(t).Trial {
		if time.Now().After(deadline) {
			t.Fatalf("the new firmware did not confirm itself: %+v", rig.bootState(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := rig.bootState(t); st.Booted != boot.SlotB || st.Next != boot.SlotB {
		t.Fatalf("after confirmation: %+v", st)
	}
	if exts, err := rb2.Service().Extensions(context.Background()); err != nil || named(exts)["201"] != "Kept" {
		t.Fatalf("the data did not survive the upgrade: %+v %v", exts, err)
	}
	select {
	case <-rb2.done:
		t.Fatal("a healthy new firmware stopped")
	default:
	}
}

// TestUnhealthyTrialReboots: a trial boot whose health check does not pass
// in time (here the real check plus a board that never comes up) asks
// pbxinit to reboot, using one of the trial's tries, and never confirms.
func TestUnhealthyTrialReboots(t *testing.T) {
	rig := newUpgradeRig(t)
	bl, err := boot.NewFile(rig.state, boot.SlotA)
	if err != nil {
		t.Fatal(err)
	}
	if err := bl.SetTrial(boot.SlotB); err != nil {
		t.Fatal(err)
	}
	if _, err := bl.Reset(); err != nil {
		t.Fatal(err)
	}
	rb := runBox(t, Config{DataDir: t.TempDir(), Version: "1.1.0", BootConfig: rig.conf,
		Confirm: upgrade.ConfirmOptions{Interval: 50 * time.Millisecond, Timeout: 500 * time.Millisecond}},
		func(b *Box) {
			b.healthOverride = upgrade.All(upgrade.Check{Name: "box", Fn: b.health()},
				upgrade.Check{Name: "board", Fn: func(context.Context) error { return errors.New("no port answered") }})
		})
	if code := rb.exited(t); code != upgrade.ExitReboot {
		t.Fatalf("exit code %d, want %d", code, upgrade.ExitReboot)
	}
	if st := rig.bootState(t); !st.Trial {
		t.Fatalf("an unhealthy trial was confirmed: %+v", st)
	}
}

// TestUpgradesDisabledWithoutBootConfig: a box not running from an image
// says so, and refuses an upload with the no_slots code.
func TestUpgradesDisabledWithoutBootConfig(t *testing.T) {
	rb := runBox(t, Config{DataDir: t.TempDir(), Version: "1.0.0", BootConfig: filepath.Join(t.TempDir(), "none.conf")})
	status, body := rb.api(t, "GET", "/api/v1/firmware", "", nil)
	if status != 200 || !strings.Contains(string(body), `"enabled":false`) || !strings.Contains(string(body), "no boot configuration") {
		t.Fatalf("firmware: %d %s", status, body)
	}
	status, body = rb.api(t, "POST", "/api/v1/upgrade", "application/octet-stream", []byte("x"))
	if status != http.StatusConflict || !strings.Contains(string(body), "no_slots") {
		t.Fatalf("upload: %d %s", status, body)
	}
}

// TestBackupRestoreThroughTheAPI: a backup downloaded from the API restores
// the configuration it was taken of; an invalid file is refused with 422 and
// changes nothing.
func TestBackupRestoreThroughTheAPI(t *testing.T) {
	rb := runBox(t, Config{DataDir: t.TempDir(), Version: "1.0.0"})
	ctx := context.Background()
	if _, err := rb.Service().CreateExtension(ctx, store.Extension{Number: "201", Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	status, backupFile := rb.api(t, "GET", "/api/v1/backup", "", nil)
	if status != 200 || len(backupFile) < 20 || backupFile[0] != 0x1f || backupFile[1] != 0x8b {
		t.Fatalf("backup: %d %q", status, backupFile[:min(len(backupFile), 80)])
	}
	if err := rb.Service().DeleteExtension(ctx, "201"); err != nil {
		t.Fatal(err)
	}
	if _, err := rb.Service().CreateExtension(ctx, store.Extension{Number: "202", Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	status, body := rb.api(t, "POST", "/api/v1/restore", "application/gzip", []byte("not a backup"))
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "error") {
		t.Fatalf("bad restore: %d %s", status, body)
	}
	if exts, _ := rb.Service().Extensions(ctx); named(exts)["202"] != "Bob" || named(exts)["201"] != "" {
		t.Fatalf("a refused restore changed the configuration: %+v", exts)
	}
	status, body = rb.api(t, "POST", "/api/v1/restore", "application/gzip", backupFile)
	if status != 200 {
		t.Fatalf("restore: %d %s", status, body)
	}
	if exts, _ := rb.Service().Extensions(ctx); named(exts)["201"] != "Alice" || named(exts)["202"] != "" {
		t.Fatalf("after restore: %+v", exts)
	}
}

// TestFactoryResetThroughTheAPI: the API refuses a reset without
// confirm=erase; with it the box exits 75, pbxinit's wipe leaves nothing
// of the user's data, and the box comes back as new with a new admin
// password.
func TestFactoryResetThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	rb := runBox(t, Config{DataDir: dir, Version: "1.0.0"})
	firstPW := adminPassword(t, rb.console.String())
	if _, err := rb.Service().CreateExtension(context.Background(), store.Extension{Number: "201", Name: "Secret Alice"}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, datadir.RecordingsDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, datadir.RecordingsDir, "call.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if status, body := rb.api(t, "POST", "/api/v1/factory-reset", "", nil); status != 400 || !strings.Contains(string(body), "confirm=erase") {
		t.Fatalf("reset without confirmation: %d %s", status, body)
	}
	if _, err := os.Stat(filepath.Join(dir, datadir.ResetRequestName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a reset was requested without confirmation")
	}
	if status, body := rb.api(t, "POST", "/api/v1/factory-reset?confirm=erase", "", nil); status != 200 {
		t.Fatalf("reset: %d %s", status, body)
	}
	if code := rb.exited(t); code != upgrade.ExitReboot {
		t.Fatalf("exit code %d, want %d", code, upgrade.ExitReboot)
	}
	// What pbxinit does at the next boot, before starting pbxd.
	if done, err := datadir.ResetIfRequested(dir); err != nil || !done {
		t.Fatalf("reset at boot: %v %v", done, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != datadir.MarkerName {
			t.Errorf("left after the factory reset: %s", e.Name())
		}
	}
	rb2 := runBox(t, Config{DataDir: dir, Version: "1.0.0"})
	secondPW := adminPassword(t, rb2.console.String())
	if secondPW == firstPW {
		t.Error("the box came back with the same admin password")
	}
	if exts, _ := rb2.Service().Extensions(context.Background()); named(exts)["201"] != "" {
		t.Errorf("extensions after a factory reset: %+v", exts)
	}
}

var passwordLine = regexp.MustCompile(`(?m)^\s{4,}(\S+)\s*$`)

func adminPassword(t *testing.T, console string) string {
	t.Helper()
	m := passwordLine.FindStringSubmatch(console)
	if m == nil {
		t.Fatalf("no admin password on the console:\n%s", console)
	}
	return m[1]
}

// named maps the extensions' numbers to their names.
func named(exts []store.Extension) map[string]string {
	m := make(map[string]string)
	for _, e := range exts {
		m[e.Number] = e.Name
	}
	return m
}

// TestResetButton: the panel's callbacks as the hardware board calls them.
// A short press asks for a reboot; a 10-second hold requests a factory
// reset and then the reboot.
func TestResetButton(t *testing.T) {
	dir := t.TempDir()
	rb := runBox(t, Config{DataDir: dir, Version: "1.0.0"})
	_, onReset := rb.resetButton()
	onReset()
	if code := rb.exited(t); code != upgrade.ExitReboot {
		t.Fatalf("exit code %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, datadir.ResetRequestName)); err != nil {
		t.Fatalf("no factory reset requested: %v", err)
	}

	rb2 := runBox(t, Config{DataDir: t.TempDir(), Version: "1.0.0"})
	onReboot, _ := rb2.resetButton()
	onReboot()
	onReboot() // a second press changes nothing
	if code := rb2.exited(t); code != upgrade.ExitReboot {
		t.Fatalf("exit code %d", code)
	}
	if _, err := os.Stat(filepath.Join(rb2.cfg.DataDir, datadir.ResetRequestName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a short press requested a factory reset")
	}
}
