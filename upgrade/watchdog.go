package upgrade

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Watchdog feeds the hardware watchdog (/dev/watchdog) while, and only
// while, the health check passes. If pbxd hangs, or runs but is not
// healthy, the watchdog is starved and resets the box; during a trial
// boot that reset counts one of the trial's tries.
//
// When Run's context ends (a clean stop of pbxd) it writes the magic
// character 'V' before closing, which disarms the watchdog on drivers
// that allow it (not built with nowayout): a clean stop is not a hang.
// pbxinit restarts pbxd; a crash (no magic close) leaves the watchdog
// armed, and the box resets unless pbxd is back and healthy within the
// watchdog's timeout.
type Watchdog struct {
	// Path is the device; "" means /dev/watchdog.
	Path string
	// Interval between health checks and feeds; 0 means 5 s (the
	// kernel's default timeout is typically 60 s; keep Interval well
	// below it).
	Interval time.Duration
	// Timeout, if set, is programmed into the device (WDIOC_SETTIMEOUT)
	// when it is a real watchdog: how long a starved watchdog waits
	// before it resets the box. 0 keeps the driver's (often 60 s).
	Timeout time.Duration
	// CheckTimeout bounds one health check; 0 means Interval.
	CheckTimeout time.Duration
	// Health reports whether the firmware is healthy.
	Health func(context.Context) error
	// Logger; nil is silent.
	Logger *slog.Logger
	// Open opens the device (tests); nil means os.OpenFile(Path, O_WRONLY).
	Open func(path string) (io.WriteCloser, error)
}

// Run feeds the watchdog until ctx ends. It returns an error only if the
// device cannot be opened or written.
func (w *Watchdog) Run(ctx context.Context) error {
	path := w.Path
	if path == "" {
		path = "/dev/watchdog"
	}
	interval := w.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	checkTimeout := w.CheckTimeout
	if checkTimeout <= 0 {
		checkTimeout = interval
	}
	log := w.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	open := w.Open
	if open == nil {
		open = func(p string) (io.WriteCloser, error) { return os.OpenFile(p, os.O_WRONLY, 0) }
	}
	dev, err := open(path)
	if err != nil {
		return fmt.Errorf("watchdog: open %s: %w", path, err)
	}
	if f, ok := dev.(*os.File); ok && w.Timeout > 0 {
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.WDIOC_SETTIMEOUT, int(w.Timeout/time.Second)); err != nil {
			log.Warn("watchdog: cannot set the timeout; keeping the driver's", "path", path, "err", err)
		}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	healthy := true
	for {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		herr := w.Health(cctx)
		cancel()
		if ctx.Err() != nil {
			break
		}
		switch {
		case herr == nil:
			if _, err := dev.Write([]byte{0}); err != nil {
				dev.Close()
				return fmt.Errorf("watchdog: feed %s: %w", path, err)
			}
			if !healthy {
				log.Info("watchdog: healthy again; feeding")
			}
			healthy = true
		case healthy:
			log.Error("watchdog: health check failed; not feeding the watchdog", "err", herr)
			healthy = false
		}
		select {
		case <-ctx.Done():
		case <-t.C:
			continue
		}
		break
	}
	// Magic close: a deliberate stop disarms the watchdog.
	_, err = dev.Write([]byte("V"))
	if cerr := dev.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("watchdog: close %s: %w", path, err)
	}
	return nil
}
