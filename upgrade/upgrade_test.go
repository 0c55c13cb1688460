package upgrade

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/upgrade/boot"
	"minipbx/upgrade/bundle"
)

const board = "minipbx-test"

// box is a simulated box: two slot files, a file-backed bootloader that
// plays the boot side on Reset, and a data directory upgrades must not touch.
type box struct {
	dir   string
	bl    *boot.File
	slots map[boot.Slot]string
	priv  ed25519.PrivateKey
	pub   ed25519.PublicKey
	data  string
}

var oldImage = bytes.Repeat([]byte("old firmware "), 300)

func newBox(t testing.TB) *box {
	t.Helper()
	dir := t.TempDir()
	bl, err := boot.NewFile(filepath.Join(dir, "bootenv"), boot.SlotA)
	if err != nil {
		t.Fatal(err)
	}
	b := &box{dir: dir, bl: bl, slots: map[boot.Slot]string{
		boot.SlotA: filepath.Join(dir, "slot-a"), boot.SlotB: filepath.Join(dir, "slot-b"),
	}, data: filepath.Join(dir, "data")}
	os.WriteFile(b.slots[boot.SlotA], oldImage, 0o644)
	os.WriteFile(b.slots[boot.SlotB], []byte("previous junk in b"), 0o644)
	os.MkdirAll(b.data, 0o755)
	os.WriteFile(filepath.Join(b.data, "pbx.db"), []byte("configuration"), 0o600)
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	b.priv = ed25519.NewKeyFromSeed(seed)
	b.pub = b.priv.Public().(ed25519.PublicKey)
	return b
}

func (b *box) engine(t testing.TB, running string, mod func(*Config)) *Engine {
	t.Helper()
	c := Config{Bootloader: b.bl, Slots: b.slots, Keys: []ed25519.PublicKey{b.pub}, Board: board, Version: running}
	if mod != nil {
		mod(&c)
	}
	e, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (b *box) bundle(t testing.TB, version string, image []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bundle.Write(&buf, bundle.Manifest{Version: version, Board: board, Created: time.Unix(1e9, 0)}, bytes.NewReader(image), b.priv); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (b *box) reset(t *testing.T) boot.Slot {
	t.Helper()
	s, err := b.bl.Reset()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bootsOld checks that a reset boots slot a with the old image intact
// and the data untouched.
func (b *box) bootsOld(t *testing.T, what string) {
	t.Helper()
	if s := b.reset(t); s != boot.SlotA {
		t.Fatalf("%s: box booted %s", what, s)
	}
	if got, _ := os.ReadFile(b.slots[boot.SlotA]); !bytes.Equal(got, oldImage) {
		t.Fatalf("%s: the running slot was modified", what)
	}
	if got, _ := os.ReadFile(filepath.Join(b.data, "pbx.db")); string(got) != "configuration" {
		t.Fatalf("%s: the data partition was modified", what)
	}
}

func newImage(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, n)
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	return img
}

func TestApplyAndConfirm(t *testing.T) {
	b := newBox(t)
	img := newImage(3*chunk + 1234)
	var snapVersion string
	e := b.engine(t, "1.0.0", func(c *Config) {
		c.Snapshot = func(ctx context.Context, to string) error { snapVersion = to; return nil }
	})
	var last, calls int64
	res, err := e.Apply(context.Background(), bytes.NewReader(b.bundle(t, "1.1.0", img)), Options{Progress: func(done, total int64) {
		if done < last || total != int64(len(img)) {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last, calls = done, calls+1
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Slot != boot.SlotB || res.Manifest.Version != "1.1.0" || snapVersion != "1.1.0" {
		t.Fatalf("result %+v, snapshot for %q", res, snapVersion)
	}
	if last != 2*int64(len(img)) || calls < 8 {
		t.Errorf("progress ended at %d after %d calls", last, calls)
	}
	if got, _ := os.ReadFile(b.slots[boot.SlotB]); !bytes.Equal(got, img) {
		t.Fatal("slot b does not hold the image")
	}
	st, _ := b.bl.State()
	if !st.Trial || st.Next != boot.SlotB || st.Booted != boot.SlotA {
		t.Fatalf("after Apply: %+v", st)
	}
	// Not yet rebooted: confirming does nothing.
	if ok, err := e.Confirm(context.Background(), func(context.Context) error { return nil }, ConfirmOptions{}); ok || err != nil {
		t.Fatalf("confirm before reboot: %v %v", ok, err)
	}
	if b.reset(t) != boot.SlotB {
		t.Fatal("did not boot the new slot")
	}
	// The new firmware's first start: healthy after two checks.
	n := 0
	health := func(context.Context) error {
		if n++; n < 3 {
			return errors.New("SIP not listening yet")
		}
		return nil
	}
	newE := b.engine(t, "1.1.0", nil)
	ok, err := newE.Confirm(context.Background(), health, ConfirmOptions{Interval: time.Millisecond, Timeout: 5 * time.Second})
	if !ok || err != nil || n != 3 {
		t.Fatalf("confirm: %v %v after %d checks", ok, err, n)
	}
	for i := 0; i < 4; i++ {
		if b.reset(t) != boot.SlotB {
			t.Fatal("a confirmed slot did not stay")
		}
	}
	if got, _ := os.ReadFile(filepath.Join(b.data, "pbx.db")); string(got) != "configuration" {
		t.Fatal("the data partition was modified by the upgrade")
	}
	// Now b runs; the next upgrade goes to a.
	res, err = newE.Apply(context.Background(), bytes.NewReader(b.bundle(t, "1.2.0", []byte("third"))), Options{})
	if err != nil || res.Slot != boot.SlotA {
		t.Fatalf("second upgrade: %+v %v", res, err)
	}
}

func TestUnhealthyRollsBack(t *testing.T) {
	b := newBox(t)
	e := b.engine(t, "1.0.0", nil)
	if _, err := e.Apply(context.Background(), bytes.NewReader(b.bundle(t, "2.0.0", newImage(5000))), Options{}); err != nil {
		t.Fatal(err)
	}
	sick := func(context.Context) error { return errors.New("database does not open") }
	for try := 1; try <= boot.DefaultMaxTries; try++ {
		if b.reset(t) != boot.SlotB {
			t.Fatalf("try %d did not boot the new slot", try)
		}
		ok, err := b.engine(t, "2.0.0", nil).Confirm(context.Background(), sick, ConfirmOptions{Interval: time.Millisecond, Timeout: 20 * time.Millisecond})
		if ok || !errors.Is(err, ErrUnhealthy) {
			t.Fatalf("try %d: %v %v", try, ok, err)
		}
		// pbxd exits with ExitReboot; pbxinit reboots.
	}
	b.bootsOld(t, "after three unhealthy tries")
	st, _ := b.bl.State()
	if st.Trial {
		t.Fatalf("still on trial after rollback: %+v", st)
	}
	// The old firmware starts: nothing to confirm.
	if ok, err := e.Confirm(context.Background(), sick, ConfirmOptions{}); ok || err != nil {
		t.Fatalf("old firmware confirm: %v %v", ok, err)
	}
}

func TestRefusedBeforeWriting(t *testing.T) {
	b := newBox(t)
	e := b.engine(t, "1.5.0", nil)
	img := newImage(4000)
	good := b.bundle(t, "1.6.0", img)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	var wrongKey bytes.Buffer
	bundle.Write(&wrongKey, bundle.Manifest{Version: "1.6.0", Board: board}, bytes.NewReader(img), other)
	var wrongBoard bytes.Buffer
	bundle.Write(&wrongBoard, bundle.Manifest{Version: "1.6.0", Board: "other-board"}, bytes.NewReader(img), b.priv)
	tampered := bytes.Clone(good)
	tampered[len(tampered)-10] ^= 0x40
	trailing := append(bytes.Clone(good), 0)
	for name, tc := range map[string]struct {
		data    []byte
		want    error
		touched bool // the slot is written, but the box must not switch
	}{
		"wrong signature": {wrongKey.Bytes(), bundle.ErrSignature, false},
		"wrong board":     {wrongBoard.Bytes(), bundle.ErrBoard, false},
		"downgrade":       {b.bundle(t, "1.4.9", img), bundle.ErrDowngrade, false},
		"tampered image":  {tampered, bundle.ErrImageHash, true},
		"data after":      {trailing, bundle.ErrImageTooLong, true},
		"truncated":       {good[:len(good)-1], bundle.ErrFormat, true},
		"garbage":         {[]byte("PK\x03\x04 not a bundle at all"), bundle.ErrFormat, false},
	} {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(b.slots[boot.SlotB], []byte("untouched"), 0o644)
			_, err := e.Apply(context.Background(), bytes.NewReader(tc.data), Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if got, _ := os.ReadFile(b.slots[boot.SlotB]); !tc.touched && string(got) != "untouched" {
				t.Fatal("the inactive slot was written before the bundle was verified")
			}
			b.bootsOld(t, name)
		})
	}
	// Forced downgrade is accepted.
	if _, err := e.Apply(context.Background(), bytes.NewReader(b.bundle(t, "1.4.9", img)), Options{Force: true}); err != nil {
		t.Fatalf("forced downgrade: %v", err)
	}
}

// failingReader fails after n bytes.
type failingReader struct {
	r io.Reader
	n int
}

var errCut = errors.New("power cut")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errCut
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// faultyDevice wraps a slot file and fails writes after writeLimit bytes,
// reads after readLimit bytes, or Sync; corrupt flips a byte as written.
type faultyDevice struct {
	f                     *os.File
	writeLimit, readLimit int64
	failSync, corrupt     bool
	lose                  bool // writes are acknowledged but lost
}

func (d *faultyDevice) WriteAt(p []byte, off int64) (int, error) {
	if d.lose {
		return len(p), nil
	}
	if d.writeLimit >= 0 && int64(len(p)) > d.writeLimit {
		n, _ := d.f.WriteAt(p[:d.writeLimit], off)
		d.writeLimit = 0
		return n, errCut
	}
	if d.writeLimit >= 0 {
		d.writeLimit -= int64(len(p))
	}
	if d.corrupt && len(p) > 100 {
		q := bytes.Clone(p)
		q[100] ^= 1
		p = q
	}
	return d.f.WriteAt(p, off)
}

func (d *faultyDevice) ReadAt(p []byte, off int64) (int, error) {
	if d.readLimit >= 0 && int64(len(p)) > d.readLimit {
		n, _ := d.f.ReadAt(p[:d.readLimit], off)
		d.readLimit = 0
		return n, errCut
	}
	if d.readLimit >= 0 {
		d.readLimit -= int64(len(p))
	}
	return d.f.ReadAt(p, off)
}

func (d *faultyDevice) Sync() error {
	if d.failSync {
		return errCut
	}
	return d.f.Sync()
}

func (d *faultyDevice) Close() error { return d.f.Close() }

func (b *box) faulty(t *testing.T, mod func(*faultyDevice)) *Engine {
	return b.engine(t, "1.0.0", func(c *Config) {
		c.OpenSlot = func(path string) (SlotDevice, error) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				return nil, err
			}
			d := &faultyDevice{f: f, writeLimit: -1, readLimit: -1}
			mod(d)
			return d, nil
		}
	})
}

// An upgrade interrupted anywhere leaves the box booting the old slot,
// also when a previous upgrade was applied but not yet rebooted into.
func TestInterruptedEverywhere(t *testing.T) {
	img := newImage(600)
	pendingImage := bytes.Repeat([]byte("pending "), 90)
	for _, pending := range []bool{false, true} {
		t.Run(fmt.Sprintf("pending=%v", pending), func(t *testing.T) {
			b := newBox(t)
			data := b.bundle(t, "1.1.0", img)
			if pending {
				if _, err := b.engine(t, "1.0.0", nil).Apply(context.Background(), bytes.NewReader(b.bundle(t, "1.0.5", pendingImage)), Options{}); err != nil {
					t.Fatal(err)
				}
			}
			prepare := func() {
				if pending { // a verified upgrade waits for the reboot
					os.WriteFile(b.slots[boot.SlotB], pendingImage, 0o644)
					b.bl.SetTrial(boot.SlotB)
				}
			}
			check := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				st, _ := b.bl.State()
				if pending && st.Next == boot.SlotB {
					// Refused before anything was written: the earlier
					// verified upgrade still waits, intact.
					if got, _ := os.ReadFile(b.slots[boot.SlotB]); !bytes.Equal(got, pendingImage) {
						t.Fatalf("%s: pending trial kept but its slot was overwritten (%v)", what, err)
					}
					return
				}
				if st.Next != boot.SlotA || st.Trial {
					t.Fatalf("%s: boot state %+v after %v", what, st, err)
				}
				b.bootsOld(t, what)
			}
			e := b.engine(t, "1.0.0", nil)
			// Every offset without a pending trial; with one (three more
			// fsyncs per case) a sample, to keep the test quick.
			stride := 1
			if pending {
				stride = 11
			}
			for n := 0; n < len(data); n += stride {
				prepare()
				_, err := e.Apply(context.Background(), &failingReader{bytes.NewReader(data), n}, Options{})
				check(fmt.Sprintf("bundle cut at %d", n), err)
			}
			for n := int64(0); n < int64(len(img)); n += int64(5 * stride) {
				prepare()
				_, err := b.faulty(t, func(d *faultyDevice) { d.writeLimit = n }).Apply(context.Background(), bytes.NewReader(data), Options{})
				check(fmt.Sprintf("write cut at %d", n), err)
				prepare()
				_, err = b.faulty(t, func(d *faultyDevice) { d.readLimit = n }).Apply(context.Background(), bytes.NewReader(data), Options{})
				check(fmt.Sprintf("re-read cut at %d", n), err)
			}
			for name, mod := range map[string]func(*faultyDevice){
				"sync fails":  func(d *faultyDevice) { d.failSync = true },
				"bit flip":    func(d *faultyDevice) { d.corrupt = true },
				"writes lost": func(d *faultyDevice) { d.lose = true },
			} {
				prepare()
				if name == "writes lost" && !pending {
					// An earlier case (a re-read cut after a whole write,
					// or a failed sync) may have left the new image in the
					// slot; writes lost over it would rightly verify. Start
					// from a slot that does not hold it.
					if err := os.WriteFile(b.slots[boot.SlotB], make([]byte, len(img)), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				_, err := b.faulty(t, mod).Apply(context.Background(), bytes.NewReader(data), Options{})
				if name != "sync fails" && !errors.Is(err, ErrVerify) {
					t.Errorf("%s: %v, want ErrVerify", name, err)
				}
				check(name, err)
			}
			prepare()
			_, err := b.engine(t, "1.0.0", func(c *Config) {
				c.Snapshot = func(context.Context, string) error { return errors.New("disk full") }
			}).Apply(context.Background(), bytes.NewReader(data), Options{})
			check("snapshot fails", err)
			prepare()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err = e.Apply(ctx, bytes.NewReader(data), Options{})
			check("cancelled", err)
			// After all that, a clean upgrade still works.
			if _, err := e.Apply(context.Background(), bytes.NewReader(data), Options{}); err != nil {
				t.Fatal(err)
			}
			if b.reset(t) != boot.SlotB {
				t.Fatal("clean upgrade after the failures did not boot")
			}
		})
	}
}

// A large image, cut at chunk boundaries and in between.
func TestInterruptedLargeImage(t *testing.T) {
	b := newBox(t)
	img := newImage(2*chunk + 777)
	data := b.bundle(t, "1.1.0", img)
	e := b.engine(t, "1.0.0", nil)
	for _, n := range []int{0, 100, chunk - 1, chunk, chunk + 1, 2 * chunk, len(data) - 1} {
		_, err := e.Apply(context.Background(), &failingReader{bytes.NewReader(data), n}, Options{})
		if err == nil {
			t.Fatalf("cut at %d: no error", n)
		}
		b.bootsOld(t, fmt.Sprint("cut at ", n))
	}
}

func TestBusyWhileOnTrial(t *testing.T) {
	b := newBox(t)
	e := b.engine(t, "1.0.0", nil)
	if _, err := e.Apply(context.Background(), bytes.NewReader(b.bundle(t, "1.1.0", newImage(100))), Options{}); err != nil {
		t.Fatal(err)
	}
	b.reset(t)
	_, err := b.engine(t, "1.1.0", nil).Apply(context.Background(), bytes.NewReader(b.bundle(t, "1.2.0", newImage(100))), Options{})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("upgrade during an unconfirmed trial: %v", err)
	}
	if s := b.reset(t); s != boot.SlotB { // second try of the trial
		t.Fatalf("booted %s", s)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	b := newBox(t)
	for name, c := range map[string]Config{
		"no bootloader": {Slots: b.slots, Board: board},
		"one slot":      {Bootloader: b.bl, Slots: map[boot.Slot]string{boot.SlotA: "x"}, Board: board},
		"same device":   {Bootloader: b.bl, Slots: map[boot.Slot]string{boot.SlotA: "x", boot.SlotB: "x"}, Board: board},
		"no board":      {Bootloader: b.bl, Slots: b.slots},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// recorder is a fake watchdog device.
type recorder struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}
func (r *recorder) Close() error { r.mu.Lock(); r.closed = true; r.mu.Unlock(); return nil }
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

func TestWatchdogFeedsOnlyWhenHealthy(t *testing.T) {
	rec := &recorder{}
	var mu sync.Mutex
	checks, healthyUntil := 0, 5
	health := func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		checks++
		if checks > healthyUntil {
			return errors.New("SIP not listening")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w := &Watchdog{Interval: time.Millisecond, Health: health, Open: func(p string) (io.WriteCloser, error) {
		if p != "/dev/watchdog" {
			t.Errorf("path %q", p)
		}
		return rec, nil
	}}
	go func() { done <- w.Run(ctx) }()
	for {
		mu.Lock()
		c := checks
		mu.Unlock()
		if c >= 20 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	fedWhileSick := rec.String()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fedWhileSick != strings.Repeat("\x00", 5) {
		t.Fatalf("fed %q: want exactly the 5 healthy checks", fedWhileSick)
	}
	if got := rec.String(); got != strings.Repeat("\x00", 5)+"V" || !rec.closed {
		t.Fatalf("after stop: %q closed=%v (want the magic close)", got, rec.closed)
	}
}

func TestWatchdogRealFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "watchdog")
	os.WriteFile(path, nil, 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	w := &Watchdog{Path: path, Interval: time.Millisecond, Health: func(context.Context) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	}}
	if err := w.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "\x00\x00V" {
		t.Fatalf("device got %q", got)
	}
	if err := (&Watchdog{Path: filepath.Join(t.TempDir(), "none", "x"), Health: func(context.Context) error { return nil }}).Run(context.Background()); err == nil {
		t.Fatal("a missing device was not an error")
	}
}

func TestFromBootConfig(t *testing.T) {
	dir := t.TempDir()
	c, err := boot.ParseConfig(strings.NewReader("board=b1\nbootloader=file\nstate=" + filepath.Join(dir, "st") +
		"\nslot_a=" + filepath.Join(dir, "a") + "\nslot_b=" + filepath.Join(dir, "b") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := FromBootConfig(c, "1.0.0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.Status()
	if err != nil || st.Board != "b1" || st.Version != "1.0.0" || st.Boot.Booted != boot.SlotA || !st.TestKeys {
		t.Fatalf("%+v %v", st, err)
	}
	c, _ = boot.ParseConfig(strings.NewReader("bootloader=none"))
	if _, err := FromBootConfig(c, "1.0.0", nil, nil); !errors.Is(err, ErrNoSlots) {
		t.Fatalf("no slots: %v", err)
	}
}

// BenchmarkApply measures an upgrade of a 16 MiB image into a slot file:
// signature check, streamed write with SHA-256, sync, re-read and hash.
func BenchmarkApply(b *testing.B) {
	bx := newBox(b)
	img := newImage(16 << 20)
	data := bx.bundle(b, "1.1.0", img)
	e := bx.engine(b, "1.0.0", nil)
	b.SetBytes(int64(len(img)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Apply(context.Background(), bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		bx.bl.Cancel()
		b.StartTimer()
	}
}

func TestOneUpgradeAtATime(t *testing.T) {
	b := newBox(t)
	e := b.engine(t, "1.0.0", nil)
	data := b.bundle(t, "1.1.0", newImage(2000))
	pr, pw := io.Pipe()
	first := make(chan error, 1)
	go func() {
		_, err := e.Apply(context.Background(), pr, Options{})
		first <- err
	}()
	pw.Write(data[:100]) // the first upload is under way (blocked mid-header)
	if _, err := e.Apply(context.Background(), bytes.NewReader(data), Options{}); !errors.Is(err, ErrInProgress) {
		t.Fatalf("second upload: %v", err)
	}
	pw.Write(data[100:])
	pw.Close()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}
