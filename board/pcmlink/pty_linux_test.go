package pcmlink

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"minipbx/board"
)

// openPTY returns the master side of a new pseudo-terminal and the path of
// its slave, which go.bug.st/serial opens like a UART.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("ptsname: %v", err)
	}
	// Non-blocking, so that os.File uses the poller and read deadlines work.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	m := os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { m.Close() })
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

// TestPTY runs the Link over a real tty opened by go.bug.st/serial (whose
// Read returns (0, nil) on its timeout), with an MCU simulated on the
// pseudo-terminal's master side: frames in, answers out, silence, cancel.
func TestPTY(t *testing.T) {
	master, slave := openPTY(t)
	states := make(chan bool, 4)
	l, err := Open(slave, 0, Config{Slots: 1, PlayoutDelay: MaxPlayoutDelay, OnLinkState: func(up bool) { states <- up }})
	if err != nil {
		t.Skipf("go.bug.st/serial cannot open a pty here: %v", err)
	}
	defer l.Close()
	calls := make(chan struct{}, 16)
	l.Attach(0, func(rx, tx *board.Frame) {
		copy(tx[:], rx[:])
		calls <- struct{}{}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()

	m := &mcu{t: t, slots: 1}
	for range 8 {
		if _, err := master.Write(m.frame()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(Period)
	}
	if !<-states {
		t.Fatal("link not up over the pty")
	}
	<-calls
	<-calls
	// Read what the Link sent: a CONFIG, then 8 answers (fewer if this
	// machine's scheduler made some late: they are counted instead).
	d := NewDeframer()
	var down, ctl int
	master.SetReadDeadline(time.Now().Add(5 * time.Second))
	for down+int(l.Stats().Late) < 8 {
		n, err := master.Read(d.Space())
		if err != nil {
			t.Fatalf("after %d answers: %v", down, err)
		}
		d.Commit(n)
		for {
			f, ok := d.Next()
			if !ok {
				break
			}
			switch f.Type {
			case TypeAudioDown:
				if f.Ack < uint16(down) || f.Ack > 7 {
					t.Fatalf("answer %d acks %d", down, f.Ack)
				}
				down++
			case TypeControl:
				ctl++
			}
		}
	}
	if ctl != 1 || d.Stats().Discarded != 0 {
		t.Fatalf("control frames %d, discarded %d", ctl, d.Stats().Discarded)
	}
	// Silence: the read timeouts ((0, nil)) must not end Run; the link
	// goes down.
	if <-states {
		t.Fatal("link still up after silence")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
