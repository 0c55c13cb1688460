package modem

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"minipbx/board"
)

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
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	m := os.NewFile(uintptr(fd), "/dev/ptmx")
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

// TestPTY runs the driver over a real tty opened by go.bug.st/serial, with
// the scripted modem on the pseudo-terminal's master side: initialisation,
// a ring, a call with audio both ways, release.
func TestPTY(t *testing.T) {
	master, slave := openPTY(t)
	fm := newFakeModem()
	fm.SetReadTimeout(20 * time.Millisecond)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(2)
	go func() { // modem → host
		defer wg.Done()
		buf := make([]byte, 512)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, _ := fm.Read(buf)
			if n > 0 {
				if _, err := master.Write(buf[:n]); err != nil {
					return
				}
			}
		}
	}()
	go func() { // host → modem
		defer wg.Done()
		buf := make([]byte, 512)
		for {
			master.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			n, err := master.Read(buf)
			if n > 0 {
				fm.Write(buf[:n])
			}
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	defer func() {
		close(stop)
		master.Close()
		wg.Wait()
	}()

	events := make(chan board.Event, 32)
	p, err := Open(slave, 0, Config{Emit: func(e board.Event) { events <- e }, CommandTimeout: time.Second, VoiceTimeout: 5 * time.Second})
	if err != nil {
		t.Skipf("go.bug.st/serial cannot open a pty here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		p.Close()
	}()

	end := time.Now().Add(10 * time.Second)
	for p.Status().Fault != "" {
		if time.Now().After(end) {
			t.Fatalf("not initialised over the pty: %s", p.Status().Fault)
		}
		time.Sleep(5 * time.Millisecond)
	}
	fm.sendLine("RING")
	if e := <-events; e.Type != board.EventRingStart {
		t.Fatalf("event %v", e)
	}
	frames := make(chan int16, 4)
	p.SetAudio(func(rx, tx *board.Frame) {
		tx[0] = 1234
		select {
		case frames <- rx[0]:
		default:
		}
	})
	if err := p.Seize(); err != nil {
		t.Fatal(err)
	}
	fm.send(shield(nil, append([]byte{DLE, 0x7F}, make([]byte, 158)...)))
	select {
	case <-frames:
	case <-time.After(5 * time.Second):
		t.Fatal("no audio frame over the pty")
	}
	if err := p.Release(); err != nil {
		t.Fatal(err)
	}
	if a := fm.takeAudio(); len(a) < 2*board.FrameSamples {
		t.Fatalf("modem got %d audio bytes, want the priming frame and an answer", len(a))
	}
}
