package box

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipbx/internal/testutil"
	"minipbx/telephony/store"
)

// sipp runs SIPp against the box and returns its combined output; it fails
// the test when SIPp exits non-zero (a failed call).
func sipp(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	bin := testutil.Tool(t, "sipp")
	dir := t.TempDir()
	errFile := filepath.Join(dir, "errors.log")
	cmd := exec.CommandContext(ctx, bin, append([]string{"-trace_err", "-error_file", errFile}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = dir
	if err := cmd.Run(); err != nil {
		errs, _ := os.ReadFile(errFile)
		t.Fatalf("sipp %s: %v\n%s\nSIPp errors:\n%s", strings.Join(args, " "), err, tail(out.String(), 3000), tail(string(errs), 3000))
	}
	return out.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// freeUDPPort finds a free UDP port on loopback for a SIPp instance.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// injection writes a SIPp injection file (-inf) with one row of fields.
func injection(t *testing.T, fields ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fields.csv")
	if err := os.WriteFile(p, []byte("SEQUENTIAL\n"+strings.Join(fields, ";")+";\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

func scenario(name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", "sipp", name))
	if err != nil {
		panic(err)
	}
	return p
}

func TestSIPpRegisterWithDigest(t *testing.T) {
	b := startBox(t, "")
	secret := b.addSIPExtension(t, "301", "SIPp", false)
	ctx := tctx(t, 30*time.Second)
	port := freeUDPPort(t)
	sipp(t, ctx, "-sf", scenario("register.xml"), "-inf", injection(t, "301"), "-au", "301", "-ap", secret,
		"-key", "uas_port", strconv.Itoa(port), "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin", b.SIPAddr())
	regs := b.registrations()
	if len(regs) != 1 || regs[0].Extension != "301" {
		t.Fatalf("registrations after SIPp: %+v", regs)
	}
}

// answeringSIPp registers extension number with a SIPp UAS that answers
// calls and echoes their RTP; it returns when the registration is done and
// stops the UAS at the end of the test.
func answeringSIPp(t *testing.T, b *testBox, number string, maxCalls int) {
	t.Helper()
	bin := testutil.Tool(t, "sipp")
	secret := b.addSIPExtension(t, number, "SIPp UAS", false)
	port := freeUDPPort(t)
	mport := freeUDPPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	uas := exec.CommandContext(ctx, bin, "-sf", scenario("uas.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(mport), "-rtp_echo", "-aa", "-m", strconv.Itoa(maxCalls), "-nostdin")
	var out bytes.Buffer
	uas.Stdout, uas.Stderr = &out, &out
	uas.Dir = t.TempDir()
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = uas.Wait()
	})
	sipp(t, tctx(t, 20*time.Second), "-sf", scenario("register.xml"),
		"-inf", injection(t, number), "-au", number, "-ap", secret, "-key", "uas_port", strconv.Itoa(port),
		"-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-m", "1", "-timeout", "15s", "-timeout_error", "-nostdin", b.SIPAddr())
}

func TestSIPpCallWithRTP(t *testing.T) {
	b := startBox(t, "")
	answeringSIPp(t, b, "302", 1)
	caller := b.addSIPExtension(t, "303", "SIPp UAC", false)
	ctx := tctx(t, 40*time.Second)
	out := sipp(t, ctx, "-sf", scenario("uac.xml"),
		"-inf", injection(t, "303"), "-au", "303", "-ap", caller, "-d", "3000",
		"-s", "302", "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-mi", "127.0.0.1",
		"-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_stat", "-fd", "1", b.SIPAddr())
	_ = out
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "303" && r.Callee == "302" })
	if r.Disposition != "answered" || r.DurationS < 2 {
		t.Errorf("call record %+v: want answered and about 3 s long", r)
	}
}

// TestSIPpLoad drives calls through the box with SIPp: by default 10 calls
// per second for 30 seconds, every one answered. SIPP_RATE and
// SIPP_SECONDS raise the load to measure what the box sustains (the
// README's figure).
func TestSIPpLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test in -short mode")
	}
	rate, seconds := envInt(t, "SIPP_RATE", 10), envInt(t, "SIPP_SECONDS", 30)
	b := startBox(t, "")
	answeringSIPp(t, b, "402", rate*seconds)
	caller := b.addSIPExtension(t, "401", "SIPp load", false)
	ctx := tctx(t, time.Duration(seconds+60)*time.Second)
	statDir := t.TempDir()
	out := sipp(t, ctx, "-sf", scenario("uac.xml"),
		"-inf", injection(t, "401"), "-au", "401", "-ap", caller, "-d", "1000",
		"-s", "402", "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-mi", "127.0.0.1",
		"-r", strconv.Itoa(rate), "-m", strconv.Itoa(rate*seconds), "-timeout", fmt.Sprintf("%ds", seconds+45),
		"-timeout_error", "-nostdin", "-trace_screen", "-screen_file", filepath.Join(statDir, "screen.txt"), b.SIPAddr())
	screen, _ := os.ReadFile(filepath.Join(statDir, "screen.txt"))
	if !strings.Contains(string(screen)+out, "Successful call") {
		t.Logf("sipp output: %s", tail(out, 2000))
	}
	// The last calls' records are written as their legs end, a moment after
	// SIPp has seen its final 200: wait for them rather than race.
	answered := 0
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs, err := b.Service().CallRecords(context.Background(), 0, rate*seconds+10)
		if err != nil {
			t.Fatal(err)
		}
		answered = 0
		for _, r := range recs {
			if r.Caller == "401" && r.Disposition == "answered" {
				answered++
			}
		}
		if answered >= rate*seconds || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if answered != rate*seconds {
		t.Errorf("%d of %d calls answered", answered, rate*seconds)
	}
}
