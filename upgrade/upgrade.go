// Package upgrade installs signed firmware bundles into the inactive root
// slot and manages the trial boot that follows.
//
// The life of an upgrade:
//
//  1. Apply (pbxd, on an upload from the web UI or pbxctl upgrade):
//     verify the bundle's signature, board and version before anything
//     is written; withdraw any trial still pending; stream the image to
//     the inactive slot while hashing; sync; drop the cache and re-read
//     the slot to compare its hash; snapshot the configuration; switch
//     the boot slot for a trial boot (boot.Bootloader.SetTrial). The
//     caller then reboots.
//  2. The boot side boots the new slot, counting the try.
//  3. Confirm (pbxd, on its first start in the new slot): runs the health
//     check until it passes, and only then confirms the slot. Meanwhile
//     the Watchdog feeds the hardware watchdog only while the health
//     check passes, so a firmware that hangs is reset and counted too.
//  4. After 3 unconfirmed boots the boot side returns to the old slot,
//     whose pbxd finds the configuration snapshot if the new firmware
//     migrated the database to a schema it cannot read (see datadir).
//
// An error or a power cut at any point before SetTrial leaves the box
// booting the old slot, because the boot state is changed only by
// SetTrial (after the image is verified in place) and Cancel (before it
// is touched), each atomically.
package upgrade

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"minipbx/upgrade/boot"
	"minipbx/upgrade/bundle"
)

// ExitReboot is the exit status with which pbxd asks pbxinit (PID 1) to
// reboot the box cleanly: after an upgrade has been applied, or when the
// new firmware's health check has failed during a trial boot.
const ExitReboot = 75

// SlotDevice is where a slot's image goes: the file the engine writes.
type SlotDevice interface {
	io.WriterAt
	io.ReaderAt
	Sync() error
	Close() error
}

// Config configures an Engine.
type Config struct {
	// Bootloader switches the slots.
	Bootloader boot.Bootloader
	// Slots maps each slot to its block device or image file.
	Slots map[boot.Slot]string
	// Keys are the trusted signing keys; nil means bundle.ReleaseKeys().
	Keys []ed25519.PublicKey
	// Board is this box's board name (bundles for others are refused).
	Board string
	// Version is the running firmware's version.
	Version string
	// Snapshot, if set, is called after the image is verified in place
	// and before the boot slot switches, to save the configuration for a
	// rollback (pbxd passes a func that calls datadir.SaveSnapshot with
	// its open database's Snapshot method). An error aborts the upgrade.
	Snapshot func(ctx context.Context, toVersion string) error
	// OpenSlot opens a slot for writing and reading; nil opens the path
	// (tests inject failing devices).
	OpenSlot func(path string) (SlotDevice, error)
	// Logger; nil is silent.
	Logger *slog.Logger
}

// Engine applies upgrades and confirms trial boots.
type Engine struct {
	c   Config
	log *slog.Logger
	// applying is held during Apply: two uploads at once (web UI and
	// pbxctl) must not write the same slot.
	applying sync.Mutex
	prog     progress
}

// Options for one Apply.
type Options struct {
	// Force installs an older version (downgrade).
	Force bool
	// Progress, if set, is called as the image is written (done and
	// total bytes; the re-read after the write counts in the same
	// total, so done runs to 2*total).
	Progress func(done, total int64)
}

// Result says what Apply installed.
type Result struct {
	Manifest bundle.Manifest
	Slot     boot.Slot
	// Elapsed is the time the write and the check took.
	Elapsed time.Duration
}

// Errors.
var (
	ErrInProgress  = errors.New("upgrade: another upgrade is being installed")
	ErrBusy        = errors.New("upgrade: the booted slot is on trial; confirm it before installing another upgrade")
	ErrUnknownBoot = errors.New("upgrade: cannot tell which slot is booted")
	ErrVerify      = errors.New("upgrade: the slot does not read back as written")
	ErrTooLarge    = errors.New("upgrade: the image is larger than the slot")
	ErrUnhealthy   = errors.New("upgrade: the health check did not pass")
)

// New makes an Engine.
func New(c Config) (*Engine, error) {
	if c.Bootloader == nil {
		return nil, errors.New("upgrade: no bootloader")
	}
	for _, s := range []boot.Slot{boot.SlotA, boot.SlotB} {
		if c.Slots[s] == "" {
			return nil, fmt.Errorf("upgrade: no device for slot %s", s)
		}
	}
	if c.Slots[boot.SlotA] == c.Slots[boot.SlotB] {
		return nil, errors.New("upgrade: both slots on one device")
	}
	if c.Board == "" {
		return nil, errors.New("upgrade: no board name")
	}
	if c.Keys == nil {
		c.Keys = bundle.ReleaseKeys()
	}
	if c.OpenSlot == nil {
		c.OpenSlot = openSlot
	}
	e := &Engine{c: c, log: c.Logger}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

func openSlot(path string) (SlotDevice, error) {
	return os.OpenFile(path, os.O_RDWR, 0)
}

// Apply installs the bundle read from r into the inactive slot and sets
// it to boot next on trial. The caller reboots afterwards (pbxd exits
// with ExitReboot). On any error the box still boots the running slot.
func (e *Engine) Apply(ctx context.Context, r io.Reader, o Options) (Result, error) {
	if !e.applying.TryLock() {
		return Result{}, ErrInProgress
	}
	defer e.applying.Unlock()
	res, err := e.apply(ctx, r, o)
	if err != nil {
		e.prog.set(func(p *Progress) { p.State, p.Error = "failed", err.Error() })
	} else {
		e.prog.set(func(p *Progress) { p.State, p.Error = "installed", "" })
	}
	return res, err
}

func (e *Engine) apply(ctx context.Context, r io.Reader, o Options) (Result, error) {
	e.prog.set(func(p *Progress) { *p = Progress{State: "writing"} })
	start := time.Now()
	br, err := bundle.Open(r, bundle.Policy{Keys: e.c.Keys, Board: e.c.Board, Running: e.c.Version, AllowDowngrade: o.Force})
	if err != nil {
		return Result{}, err
	}
	m := br.Manifest
	st, err := e.c.Bootloader.State()
	if err != nil {
		return Result{}, fmt.Errorf("upgrade: boot state: %w", err)
	}
	if !st.Booted.Valid() {
		return Result{}, ErrUnknownBoot
	}
	if st.Trial && st.Next == st.Booted {
		return Result{}, ErrBusy
	}
	// The inactive slot may be set to boot next (an upgrade applied but
	// not rebooted into): withdraw that before overwriting it.
	if err := e.c.Bootloader.Cancel(); err != nil {
		return Result{}, fmt.Errorf("upgrade: withdraw pending trial: %w", err)
	}
	target := st.Booted.Other()
	path := e.c.Slots[target]
	e.log.Info("upgrade: installing", "version", m.Version, "board", m.Board, "size", m.ImageSize, "slot", target, "device", path)

	dev, err := e.c.OpenSlot(path)
	if err != nil {
		return Result{}, fmt.Errorf("upgrade: open slot %s: %w", target, err)
	}
	defer dev.Close()
	if err := checkCapacity(dev, m.ImageSize); err != nil {
		return Result{}, err
	}
	progress := func(done int64) {
		e.prog.set(func(p *Progress) {
			p.Version, p.Total = m.Version, m.ImageSize
			if done <= m.ImageSize {
				p.State, p.Done = "writing", done
			} else {
				p.State, p.Done = "checking", done-m.ImageSize
			}
		})
		if o.Progress != nil {
			o.Progress(done, m.ImageSize)
		}
	}
	if err := copyToSlot(ctx, dev, br, m.ImageSize, progress); err != nil {
		return Result{}, err
	}
	if err := dev.Sync(); err != nil {
		return Result{}, fmt.Errorf("upgrade: sync slot %s: %w", target, err)
	}
	if t, ok := dev.(interface{ Truncate(int64) error }); ok && isRegular(dev) {
		if err := t.Truncate(m.ImageSize); err != nil {
			return Result{}, fmt.Errorf("upgrade: slot %s: %w", target, err)
		}
	}
	dropCache(dev)
	if err := verifySlot(ctx, dev, m, progress); err != nil {
		return Result{}, err
	}
	if e.c.Snapshot != nil {
		if err := e.c.Snapshot(ctx, m.Version); err != nil {
			return Result{}, fmt.Errorf("upgrade: configuration snapshot: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("upgrade: %w", err)
	}
	if err := e.c.Bootloader.SetTrial(target); err != nil {
		return Result{}, fmt.Errorf("upgrade: switch to slot %s: %w", target, err)
	}
	e.log.Info("upgrade: installed; reboot to try it", "version", m.Version, "slot", target)
	return Result{Manifest: m, Slot: target, Elapsed: time.Since(start)}, nil
}

const chunk = 256 << 10

func copyToSlot(ctx context.Context, dev SlotDevice, src io.Reader, size int64, progress func(int64)) error {
	buf := make([]byte, chunk)
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("upgrade: %w", err)
		}
		n, rerr := io.ReadFull(src, buf)
		if n > 0 {
			if _, err := dev.WriteAt(buf[:n], off); err != nil {
				return fmt.Errorf("upgrade: write slot at %d: %w", off, err)
			}
			off += int64(n)
			progress(off)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			// The bundle reader reports a bad hash or extra data at its
			// end, where ReadFull sees it as the error of a last read.
			if _, err := src.Read(buf[:0]); err != nil && err != io.EOF {
				return fmt.Errorf("upgrade: %w", err)
			}
			break
		}
		if rerr != nil {
			return fmt.Errorf("upgrade: read bundle: %w", rerr)
		}
	}
	if off != size {
		return fmt.Errorf("upgrade: wrote %d of %d bytes", off, size)
	}
	return nil
}

func verifySlot(ctx context.Context, dev SlotDevice, m bundle.Manifest, progress func(int64)) error {
	want, _ := hex.DecodeString(m.ImageSHA256)
	h := sha256.New()
	buf := make([]byte, chunk)
	for off := int64(0); off < m.ImageSize; {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("upgrade: %w", err)
		}
		n := int64(len(buf))
		if m.ImageSize-off < n {
			n = m.ImageSize - off
		}
		got, err := dev.ReadAt(buf[:n], off)
		if int64(got) != n {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("%w: read at %d: %v", ErrVerify, off, err)
		}
		h.Write(buf[:n])
		off += n
		progress(m.ImageSize + off)
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%w: SHA-256 differs", ErrVerify)
	}
	return nil
}

func isRegular(dev SlotDevice) bool {
	f, ok := dev.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

// checkCapacity refuses an image larger than a block device slot.
func checkCapacity(dev SlotDevice, size int64) error {
	f, ok := dev.(*os.File)
	if !ok || isRegular(dev) {
		return nil
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil // not seekable: the write will tell
	}
	if size > end {
		return fmt.Errorf("%w: %d bytes, slot %d", ErrTooLarge, size, end)
	}
	return nil
}

// dropCache asks the kernel to forget the slot's cached pages, so the
// re-read comes from the medium and not from the page cache.
func dropCache(dev SlotDevice) {
	if f, ok := dev.(*os.File); ok {
		_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		if !isRegular(dev) {
			_ = unix.IoctlSetInt(int(f.Fd()), unix.BLKFLSBUF, 0)
		}
	}
}

// ConfirmOptions tune Confirm.
type ConfirmOptions struct {
	// Interval between health checks; 0 means 2 s.
	Interval time.Duration
	// Timeout after which an unhealthy trial gives up; 0 means 3 min.
	Timeout time.Duration
}

// Confirm is called once on every start of pbxd. If the booted slot is on
// trial it runs health until it passes and then confirms the slot,
// returning confirmed = true. If the health check has not passed within
// the timeout it returns ErrUnhealthy: pbxd then exits with ExitReboot
// (the reset counts one of the trial's tries; after the last, the boot
// side returns to the old slot). Not on trial, it returns at once.
func (e *Engine) Confirm(ctx context.Context, health func(context.Context) error, o ConfirmOptions) (confirmed bool, err error) {
	return Confirm(ctx, e.c.Bootloader, health, o, e.log)
}

// Confirm is Engine.Confirm for callers that have only a bootloader.
func Confirm(ctx context.Context, bl boot.Bootloader, health func(context.Context) error, o ConfirmOptions, log *slog.Logger) (bool, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Minute
	}
	st, err := bl.State()
	if err != nil {
		return false, fmt.Errorf("upgrade: boot state: %w", err)
	}
	if !st.Trial || st.Booted != st.Next {
		return false, nil
	}
	log.Info("upgrade: trial boot; checking health before confirming", "slot", st.Booted, "try", st.Tries, "of", st.MaxTries)
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	t := time.NewTicker(o.Interval)
	defer t.Stop()
	for {
		err := health(ctx)
		if err == nil {
			if err := bl.Confirm(); err != nil {
				return false, fmt.Errorf("upgrade: confirm slot %s: %w", st.Booted, err)
			}
			log.Info("upgrade: healthy; slot confirmed", "slot", st.Booted)
			return true, nil
		}
		log.Warn("upgrade: trial boot not healthy yet", "err", err)
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("%w within %v: %v", ErrUnhealthy, o.Timeout, err)
		case <-t.C:
		}
	}
}

// ErrNoSlots means the box has no A/B slots configured (bootloader=none
// in boot.conf, or a development machine): upgrades are refused.
var ErrNoSlots = errors.New("upgrade: this box has no A/B slots (boot.conf bootloader=none)")

// FromBootConfig builds the Engine from the box's boot configuration
// (boot.LoadConfig("/etc/minipbx/boot.conf")), with the built-in keys.
func FromBootConfig(c boot.Config, running string, snapshot func(ctx context.Context, toVersion string) error, log *slog.Logger) (*Engine, error) {
	bl, err := c.Open()
	if err != nil {
		return nil, err
	}
	if bl == nil {
		return nil, ErrNoSlots
	}
	return New(Config{Bootloader: bl, Slots: c.Slots, Board: c.Board, Version: running, Snapshot: snapshot, Logger: log})
}

// Status is what the web UI's firmware page shows.
type Status struct {
	Version string
	Board   string
	Boot    boot.State
	// TestKeys is true when the firmware trusts the repository's TEST
	// key (a development build: show a warning).
	TestKeys bool
}

// Status reads the running version, board and boot state.
func (e *Engine) Status() (Status, error) {
	st, err := e.c.Bootloader.State()
	if err != nil {
		return Status{}, fmt.Errorf("upgrade: boot state: %w", err)
	}
	return Status{Version: e.c.Version, Board: e.c.Board, Boot: st, TestKeys: bundle.IsTestKey()}, nil
}
