package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"minipbx/internal/atomicfile"
)

// exitReboot is upgrade.ExitReboot (a test checks they agree): the exit
// status with which pbxd asks for a reboot. Not imported, so that the
// init does not link the upgrade engine's HTTP and crypto code.
const exitReboot = 75

// Outcome says why Supervisor.Run returned.
type Outcome int

const (
	// Stopped: the context ended (shutdown); the child was stopped.
	Stopped Outcome = iota
	// RebootRequested: the child exited with upgrade.ExitReboot.
	RebootRequested
)

// Supervisor runs one child (pbxd), restarting it when it dies with an
// exponential back-off that resets once a run has been stable, and keeps
// its output in a Ring.
type Supervisor struct {
	Path string
	Args []string // after argv[0]
	Env  []string
	// Ring receives the child's stdout and stderr and the supervisor's
	// own notes; Console, if set, gets a copy (the serial console).
	Ring    *Ring
	Console io.Writer
	Reaper  *Reaper
	Logger  *slog.Logger
	// MinBackoff (1 s), MaxBackoff (60 s): the delay before a restart
	// doubles from Min to Max while the child keeps dying within
	// StableAfter (60 s) of its start, and goes back to Min after a
	// stable run. StopTimeout (10 s) is the grace between SIGTERM and
	// SIGKILL at shutdown.
	MinBackoff, MaxBackoff, StableAfter, StopTimeout time.Duration
	// StatusPath, if set, receives a JSON Status after every change.
	StatusPath string

	mu     sync.Mutex
	status Status
}

// Status is the supervisor's view of the child, written to StatusPath
// for the web UI.
type Status struct {
	Running   bool      `json:"running"`
	PID       int       `json:"pid,omitempty"`
	Started   time.Time `json:"started,omitzero"`
	Restarts  int       `json:"restarts"`
	LastExit  string    `json:"last_exit,omitempty"`
	NextStart time.Time `json:"next_start,omitzero"`
}

func (s *Supervisor) defaults() {
	if s.MinBackoff <= 0 {
		s.MinBackoff = time.Second
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = time.Minute
	}
	if s.StableAfter <= 0 {
		s.StableAfter = time.Minute
	}
	if s.StopTimeout <= 0 {
		s.StopTimeout = 10 * time.Second
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Ring == nil {
		s.Ring = NewRing(256 << 10)
	}
}

// Status returns the current status.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Supervisor) update(fn func(*Status)) {
	s.mu.Lock()
	fn(&s.status)
	st := s.status
	s.mu.Unlock()
	if s.StatusPath != "" {
		b, _ := json.Marshal(st)
		if err := writeFileAtomic(s.StatusPath, append(b, '\n')); err != nil {
			s.Logger.Warn("pbxinit: status file", "err", err)
		}
	}
}

func (s *Supervisor) note(format string, args ...any) {
	line := fmt.Sprintf("%s pbxinit: %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
	s.Ring.Write([]byte(line))
	if s.Console != nil {
		io.WriteString(s.Console, line)
	}
}

// Run supervises the child until ctx ends (it then stops the child:
// SIGTERM, and SIGKILL after StopTimeout) or the child asks for a reboot.
func (s *Supervisor) Run(ctx context.Context) (Outcome, error) {
	s.defaults()
	backoff := s.MinBackoff
	for {
		start := time.Now()
		status, stopped, err := s.runOnce(ctx)
		if stopped {
			return Stopped, nil
		}
		ran := time.Since(start)
		var what string
		switch {
		case err != nil:
			what = err.Error()
		case status.Exited():
			what = fmt.Sprintf("exited with status %d", status.ExitStatus())
		case status.Signaled():
			what = fmt.Sprintf("killed by signal %v", status.Signal())
			if status.CoreDump() {
				what += " (core dumped)"
			}
		default:
			what = fmt.Sprintf("ended (%#x)", uint32(status))
		}
		if err == nil && status.Exited() && status.ExitStatus() == exitReboot {
			s.note("%s asked for a reboot", s.Path)
			s.update(func(st *Status) { st.Running, st.PID, st.LastExit = false, 0, "reboot requested" })
			return RebootRequested, nil
		}
		if ran >= s.StableAfter {
			backoff = s.MinBackoff
		}
		delay := backoff
		backoff = min(2*backoff, s.MaxBackoff)
		s.note("%s %s after %v; restarting in %v", s.Path, what, ran.Round(time.Millisecond), delay)
		s.Logger.Warn("pbxinit: child died", "path", s.Path, "how", what, "ran", ran, "restart_in", delay)
		s.update(func(st *Status) {
			st.Running, st.PID, st.LastExit, st.NextStart = false, 0, what, time.Now().Add(delay)
			st.Restarts++
		})
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return Stopped, nil
		case <-t.C:
		}
	}
}

// runOnce starts the child and waits for it. stopped is true when ctx
// ended and the child was stopped.
func (s *Supervisor) runOnce(ctx context.Context) (status syscall.WaitStatus, stopped bool, err error) {
	if ctx.Err() != nil {
		return 0, true, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, false, err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		pr.Close()
		pw.Close()
		return 0, false, err
	}
	argv := append([]string{s.Path}, s.Args...)
	pid, exited, err := s.Reaper.Start(s.Path, argv, &os.ProcAttr{
		Env:   s.Env,
		Files: []*os.File{devnull, pw, pw},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	pw.Close()
	devnull.Close()
	if err != nil {
		pr.Close()
		return 0, false, err
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		var w io.Writer = s.Ring
		if s.Console != nil {
			w = io.MultiWriter(s.Ring, s.Console)
		}
		io.Copy(w, pr)
	}()
	// The copier ends at EOF, or when the read end is closed because a
	// grandchild keeps the pipe open after the child is gone.
	defer func() {
		select {
		case <-copied:
		case <-time.After(time.Second):
			pr.Close()
			<-copied
		}
		pr.Close()
	}()
	s.note("started %s (pid %d)", s.Path, pid)
	s.update(func(st *Status) { st.Running, st.PID, st.Started, st.NextStart = true, pid, time.Now(), time.Time{} })

	select {
	case ws := <-exited:
		return ws, false, nil
	case <-ctx.Done():
	}
	s.note("stopping %s (pid %d)", s.Path, pid)
	syscall.Kill(pid, syscall.SIGTERM)
	t := time.NewTimer(s.StopTimeout)
	defer t.Stop()
	select {
	case ws := <-exited:
		s.update(func(st *Status) { st.Running, st.PID, st.LastExit = false, 0, "stopped" })
		return ws, true, nil
	case <-t.C:
	}
	s.note("%s did not stop within %v; killing it", s.Path, s.StopTimeout)
	syscall.Kill(-pid, syscall.SIGKILL) // its whole process group
	ws := <-exited
	s.update(func(st *Status) { st.Running, st.PID, st.LastExit = false, 0, "killed at shutdown" })
	return ws, true, nil
}

// mirror writes the ring to path whenever it changed, at most once per
// interval, until ctx ends (then once more). The web UI shows the file.
func mirror(ctx context.Context, r *Ring, path string, interval time.Duration) {
	var last uint64 = ^uint64(0)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if seq := r.Seq(); seq != last {
			if err := writeFileAtomic(path, r.Bytes()); err == nil {
				last = seq
			}
		}
		select {
		case <-ctx.Done():
			writeFileAtomic(path, r.Bytes())
			return
		case <-t.C:
		}
	}
}

// writeFileAtomic replaces a status file under /run so a reader never
// sees half of it (0640: pbxd's log may hold its first-start password).
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o640)
}
