package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"minipbx/upgrade"
	"minipbx/upgrade/datadir"
)

func TestMain(m *testing.M) {
	// Orphans of the children under test are re-parented to the test
	// process, as they would be to PID 1.
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper:", err)
	}
	os.Exit(m.Run())
}

func TestExitRebootAgrees(t *testing.T) {
	if exitReboot != upgrade.ExitReboot {
		t.Fatalf("pbxinit reboots on %d, pbxd exits with %d", exitReboot, upgrade.ExitReboot)
	}
}

func TestRingKeepsNewestWholeLines(t *testing.T) {
	r := NewRing(50)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(r, "line %03d\n", i)
	}
	got := string(r.Bytes())
	if len(got) > 50 || !strings.HasSuffix(got, "line 099\n") || !strings.HasPrefix(got, "line 0") {
		t.Fatalf("ring %q", got)
	}
	if strings.Count(got, "\n") != 5 {
		t.Fatalf("want the 5 newest lines (9 bytes each): %q", got)
	}
	r.Write([]byte("part"))
	r.Write([]byte("ial\nnext"))
	if got := string(r.Bytes()); !strings.HasSuffix(got, "partial\nnext") {
		t.Fatalf("partial lines: %q", got)
	}
	long := strings.Repeat("x", 200) + "\n"
	r.Write([]byte(long))
	if got := r.Bytes(); len(got) > 50 {
		t.Fatalf("a long line overflowed the ring: %d bytes", len(got))
	}
}

func newSupervisor(t *testing.T, script string) (*Supervisor, *Reaper) {
	t.Helper()
	reaper := NewReaper(slog.New(slog.DiscardHandler))
	t.Cleanup(reaper.Stop)
	return &Supervisor{
		Path:        "/bin/sh",
		Args:        []string{"-c", script},
		Env:         []string{"PATH=/usr/bin:/bin"},
		Ring:        NewRing(64 << 10),
		Reaper:      reaper,
		MinBackoff:  10 * time.Millisecond,
		MaxBackoff:  40 * time.Millisecond,
		StableAfter: time.Hour,
		StopTimeout: 200 * time.Millisecond,
	}, reaper
}

var delayRE = regexp.MustCompile(`restarting in (\S+)`)

func delays(ring *Ring) []string {
	var out []string
	for _, m := range delayRE.FindAllStringSubmatch(string(ring.Bytes()), -1) {
		out = append(out, m[1])
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRestartBackoff(t *testing.T) {
	s, _ := newSupervisor(t, "echo crashing; exit 3")
	s.StatusPath = filepath.Join(t.TempDir(), "status.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Outcome)
	go func() { o, _ := s.Run(ctx); done <- o }()
	waitFor(t, "5 restarts", func() bool { return s.Status().Restarts >= 5 })
	cancel()
	if o := <-done; o != Stopped {
		t.Fatalf("outcome %v", o)
	}
	got := delays(s.Ring)[:5]
	if strings.Join(got, " ") != "10ms 20ms 40ms 40ms 40ms" {
		t.Fatalf("back-off %v", got)
	}
	log := string(s.Ring.Bytes())
	if !strings.Contains(log, "crashing\n") || !strings.Contains(log, "exited with status 3") {
		t.Fatalf("log %q", log)
	}
	var st Status
	b, _ := os.ReadFile(s.StatusPath)
	if err := json.Unmarshal(b, &st); err != nil || st.Restarts < 5 || st.LastExit != "exited with status 3" {
		t.Fatalf("status file %s: %v", b, err)
	}
}

func TestBackoffResetsAfterStableRun(t *testing.T) {
	s, _ := newSupervisor(t, "sleep 0.08; exit 1")
	s.StableAfter = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitFor(t, "3 restarts", func() bool { return s.Status().Restarts >= 3 })
	cancel()
	<-done
	for _, d := range delays(s.Ring)[:3] {
		if d != "10ms" {
			t.Fatalf("delays after stable runs %v, want the minimum each time", delays(s.Ring))
		}
	}
}

func TestRebootRequested(t *testing.T) {
	s, _ := newSupervisor(t, "exit 75")
	o, err := s.Run(context.Background())
	if o != RebootRequested || err != nil {
		t.Fatalf("%v %v", o, err)
	}
}

func TestSIGTERMForwarded(t *testing.T) {
	s, _ := newSupervisor(t, `trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.01; done`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Outcome)
	go func() { o, _ := s.Run(ctx); done <- o }()
	waitFor(t, "the child", func() bool { return strings.Contains(string(s.Ring.Bytes()), "ready") })
	start := time.Now()
	cancel()
	if o := <-done; o != Stopped {
		t.Fatalf("outcome %v", o)
	}
	if !strings.Contains(string(s.Ring.Bytes()), "got TERM") {
		t.Fatalf("the child did not get SIGTERM: %q", s.Ring.Bytes())
	}
	if time.Since(start) >= s.StopTimeout {
		t.Error("waited for the kill timeout although the child stopped")
	}
}

func TestKilledWhenIgnoringTERM(t *testing.T) {
	s, _ := newSupervisor(t, `trap '' TERM; echo ready; while :; do sleep 0.01; done`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Outcome)
	go func() { o, _ := s.Run(ctx); done <- o }()
	waitFor(t, "the child", func() bool { return strings.Contains(string(s.Ring.Bytes()), "ready") })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a child ignoring SIGTERM was not killed")
	}
	if !strings.Contains(string(s.Ring.Bytes()), "killing it") {
		t.Fatalf("log %q", s.Ring.Bytes())
	}
}

func TestOrphansReaped(t *testing.T) {
	// The child leaves a grandchild behind that outlives it: it is
	// re-parented to us and must not stay a zombie.
	pidFile := filepath.Join(t.TempDir(), "pid")
	s, reaper := newSupervisor(t, fmt.Sprintf(`sh -c 'echo $$ > %s; exec sleep 0.1' & exit 75`, pidFile))
	before := reaper.Orphans()
	if o, _ := s.Run(context.Background()); o != RebootRequested {
		t.Fatal("outcome")
	}
	var pid string
	waitFor(t, "the orphan's pid", func() bool {
		b, _ := os.ReadFile(pidFile)
		pid = strings.TrimSpace(string(b))
		return pid != ""
	})
	// It must go away entirely: a zombie would still have /proc/PID.
	waitFor(t, "the orphan to be reaped", func() bool {
		_, err := os.Stat("/proc/" + pid)
		return os.IsNotExist(err)
	})
	if reaper.Orphans() <= before {
		t.Fatal("the orphan was reaped by someone else")
	}
}

func TestStartFailureBacksOff(t *testing.T) {
	s, _ := newSupervisor(t, "")
	s.Path = "/nonexistent/pbxd"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitFor(t, "2 restarts", func() bool { return s.Status().Restarts >= 2 })
	cancel()
	<-done
	if !strings.Contains(string(s.Ring.Bytes()), "no such file") {
		t.Fatalf("log %q", s.Ring.Bytes())
	}
}

// fakeSystem records what pbxinit asks of the kernel.
type fakeSystem struct {
	mu      sync.Mutex
	calls   []string
	failOn  map[string]error
	reboots []int
}

func (f *fakeSystem) Mount(source, target, fstype string, flags uintptr, data string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("mount %s %s %s %s", source, target, fstype, data))
	return f.failOn[target]
}
func (f *fakeSystem) Unmount(target string, flags int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "umount "+target)
	return nil
}
func (f *fakeSystem) Mkdir(path string) error { return nil }
func (f *fakeSystem) Sync() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "sync")
}
func (f *fakeSystem) Reboot(cmd int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reboots = append(f.reboots, cmd)
	return nil
}

func TestMounts(t *testing.T) {
	sys := &fakeSystem{failOn: map[string]error{"/dev": unix.EBUSY}}
	if err := mountAll(sys, slog.New(slog.DiscardHandler), "/dev/vdb", "/data"); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(sys.calls, "\n")
	for _, want := range []string{"mount proc /proc proc", "mount sysfs /sys sysfs", "mount devtmpfs /dev devtmpfs", "mount tmpfs /run tmpfs", "mount tmpfs /tmp tmpfs mode=1777", "mount /dev/vdb /data ext4"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	// No data partition: RAM instead, and the error is reported.
	sys = &fakeSystem{failOn: map[string]error{"/data": errors.New("bad superblock")}}
	err := mountAll(sys, slog.New(slog.DiscardHandler), "/dev/vdb", "/data")
	if err == nil || !strings.Contains(strings.Join(sys.calls, "\n"), "mount tmpfs /data tmpfs") {
		t.Fatalf("%v\n%s", err, strings.Join(sys.calls, "\n"))
	}
	if kernelArg("console=ttyAMA0 minipbx.data=/dev/vdb root=/dev/vda", "minipbx.data") != "/dev/vdb" {
		t.Error("kernelArg")
	}
}

// The whole program as PID 1 on a fake kernel: mounts, factory reset
// request, pbxd asking for a reboot, clean shutdown.
func TestRunAsInit(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := datadir.Init(data); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(data, "pbx.db"), []byte("old"), 0o600)
	if err := datadir.RequestFactoryReset(data); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "boot.conf")
	os.WriteFile(conf, []byte("board=test\nbootloader=none\ndata=/dev/vdb\n"), 0o644)
	proc := filepath.Join(dir, "cmdline")
	os.WriteFile(proc, []byte("console=ttyAMA0 minipbx.data=/dev/vdc\n"), 0o644)
	pbxd := filepath.Join(dir, "pbxd")
	os.WriteFile(pbxd, []byte("#!/bin/sh\necho pbxd started with \"$@\"\nls \"$2\"\nexit 75\n"), 0o755)
	sys := &fakeSystem{}
	var console bytes.Buffer
	path := os.Getenv("PATH")
	t.Cleanup(func() { os.Setenv("PATH", path) })
	args := filepath.Join(dir, "pbxd.args")
	os.WriteFile(args, []byte("# test\n-data\n\n"+data+"\n"), 0o644)
	code := run([]string{"-pbxd", pbxd, "-pbxd-args", args, "-data", data, "-run", filepath.Join(dir, "run"), "-boot-conf", conf, "-proc-cmdline", proc}, true, sys, &syncWriter{w: &console})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, console.String())
	}
	calls := strings.Join(sys.calls, "\n")
	if !strings.Contains(calls, "mount /dev/vdc "+data+" ext4") {
		t.Errorf("the kernel's minipbx.data= did not win:\n%s", calls)
	}
	if len(sys.reboots) != 1 || sys.reboots[0] != unix.LINUX_REBOOT_CMD_RESTART || !strings.HasSuffix(calls, "umount "+data+"\nsync") {
		t.Errorf("shutdown: %v\n%s", sys.reboots, calls)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "run", "pbxd.log"))
	if !strings.Contains(string(log), "pbxd started with -data "+data) || !strings.Contains(string(log), "asked for a reboot") {
		t.Errorf("pbxd.log: %q", log)
	}
	if strings.Contains(string(log), "pbx.db") {
		t.Errorf("the factory reset did not run before pbxd: %q", log)
	}
	if _, err := os.Stat(filepath.Join(data, "pbx.db")); !os.IsNotExist(err) {
		t.Error("factory reset left the database")
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
