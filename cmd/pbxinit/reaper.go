package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reaper owns the wait for every child of the process: as PID 1 (or a
// child subreaper) orphans are re-parented to us and must be reaped, so
// one goroutine waits for any child (wait4(-1)) and hands the status of
// the ones we started to whoever waits for them. Nothing else in the
// process may wait for children (no exec.Cmd.Wait).
type Reaper struct {
	log     *slog.Logger
	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus
	sig     chan os.Signal
	done    chan struct{}
	reaped  int // orphans reaped (tests)
}

// NewReaper starts reaping. Stop ends it.
func NewReaper(log *slog.Logger) *Reaper {
	r := &Reaper{
		log:     log,
		waiting: map[int]chan syscall.WaitStatus{},
		sig:     make(chan os.Signal, 1),
		done:    make(chan struct{}),
	}
	signal.Notify(r.sig, syscall.SIGCHLD)
	go r.loop()
	return r
}

// Stop stops reaping.
func (r *Reaper) Stop() {
	signal.Stop(r.sig)
	close(r.done)
}

func (r *Reaper) loop() {
	for {
		select {
		case <-r.done:
			return
		case <-r.sig:
			r.reapAll()
		}
	}
}

func (r *Reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		if ws.Stopped() || ws.Continued() {
			continue
		}
		r.mu.Lock()
		if ch, ok := r.waiting[pid]; ok {
			delete(r.waiting, pid)
			ch <- ws
		} else {
			r.reaped++ // an orphan: nobody waits for it
		}
		r.mu.Unlock()
	}
}

// Start starts a process and returns its pid and a channel that receives
// its wait status once.
func (r *Reaper) Start(path string, argv []string, attr *os.ProcAttr) (int, <-chan syscall.WaitStatus, error) {
	ch := make(chan syscall.WaitStatus, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := os.StartProcess(path, argv, attr)
	if err != nil {
		return 0, nil, fmt.Errorf("start %s: %w", path, err)
	}
	pid := p.Pid
	p.Release() // the reaper, not os.Process, waits for it
	// Registered under the lock the reaper takes to hand a status over:
	// if the child has already exited and been reaped, the reaper is
	// waiting for this lock and will find it registered.
	r.waiting[pid] = ch
	return pid, ch, nil
}

// Orphans returns how many processes were reaped that nobody started
// through Start.
func (r *Reaper) Orphans() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reaped
}

// becomeSubreaper makes orphaned descendants ours to reap when we are
// not PID 1 (development runs, tests).
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}
