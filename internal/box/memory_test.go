package box

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/internal/audiotest"
	"minipbx/internal/siptest"
)

func TestMemoryLimit(t *testing.T) {
	for ram, want := range map[int64]int64{
		256 << 20: 64 << 20,
		512 << 20: 128 << 20,
		128 << 20: minMemoryLimit,
		24 << 30:  maxMemoryLimit,
	} {
		if got := MemoryLimit(ram); got != want {
			t.Errorf("MemoryLimit(%d MB) = %d MB, want %d MB", ram>>20, got>>20, want>>20)
		}
	}
	dir := t.TempDir()
	meminfo := filepath.Join(dir, "meminfo")
	os.WriteFile(meminfo, []byte("MemTotal:         505432 kB\nMemFree:          100000 kB\n"), 0o644)
	cg := filepath.Join(dir, "memory.max")
	for _, c := range []struct {
		cgroup string // "" = no file
		want   int64
	}{
		{"", 505432 << 10},
		{"max\n", 505432 << 10},
		{"268435456\n", 256 << 20},
		{"9999999999999\n", 505432 << 10},
	} {
		os.Remove(cg)
		if c.cgroup != "" {
			os.WriteFile(cg, []byte(c.cgroup), 0o644)
		}
		if got, err := availableRAM(meminfo, cg); err != nil || got != c.want {
			t.Errorf("availableRAM with cgroup %q = %d, %v; want %d", c.cgroup, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "MemTotal: x kB\n", "MemTotal: 5 MB\n"} {
		if _, err := memTotal([]byte(bad)); err == nil {
			t.Errorf("memTotal(%q) accepted", bad)
		}
	}
}

// rss is the process's resident set size (VmRSS).
func rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestRSSAfterSpike is the measurement of the memory figures,
// kept as a test: a whole box, idle; then a spike — 8 recordings of
// 10 MB uploaded at once through the API, and 100 SIP calls, 20 at a
// time — then quiet. The resident size must be back within 10 % of the
// idle figure within 60 s (the box's scavenger returns the spike's memory
// once the load has fallen), and the uploads must have added at most a
// few MB each at their peak (they are spooled to disk and converted one
// at a time). It logs the figures the README quotes.
func TestRSSAfterSpike(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute and a half of real time")
	}
	// RSS_BOARD_RAM_MB=256 measures under the memory limit pbxd would set
	// on a board with that much RAM (none by default: the worst case).
	if ram := envInt(t, "RSS_BOARD_RAM_MB", 0); ram > 0 {
		old := debug.SetMemoryLimit(MemoryLimit(int64(ram) << 20))
		t.Cleanup(func() { debug.SetMemoryLimit(old) })
	}
	b := startBox(t, "")
	ctx := tctx(t, 5*time.Minute)
	if err := b.Service().SetAdminPassword(ctx, "installer-pass-1"); err != nil {
		t.Fatal(err)
	}
	wav := audiotest.StudioWAV(440, 55) // 9.7 MB: 44.1 kHz stereo
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	upload := func(name string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, "https://"+b.WebAddr()+"/api/v1/recordings/"+name, bytes.NewReader(wav))
		if err != nil {
			return err
		}
		req.SetBasicAuth("admin", "installer-pass-1")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("upload %s: HTTP %d", name, resp.StatusCode)
		}
		return nil
	}
	// A caller and 20 callees that answer: an extension in a call is
	// busy, so each of 20 parallel workers calls its own.
	const parallel = 20
	caller := b.phone(t, "201", b.addSIPExtension(t, "201", "Caller", false))
	for i := range parallel {
		answeringPhone(t, b, ctx, strconv.Itoa(210+i))
	}
	calls := func(n int) error {
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for w := range parallel {
			wg.Go(func() {
				for range n / parallel {
					c, err := caller.Dial(ctx, strconv.Itoa(210+w))
					if err != nil {
						errs <- err
						return
					}
					time.Sleep(500 * time.Millisecond)
					if err := c.Hangup(ctx); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	// Warm up every path once, then let the box settle to its idle figure.
	if err := upload("warm"); err != nil {
		t.Fatal(err)
	}
	if err := calls(parallel); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(time.Second)
	idle := rss(t)

	// The spike: uploads and calls at once; the peak is sampled.
	var peak int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			peak = max(peak, rss(t))
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	var spike sync.WaitGroup
	uploads := envInt(t, "RSS_UPLOADS", 8)
	uploadErrs := make(chan error, uploads)
	for i := range uploads {
		spike.Go(func() { uploadErrs <- upload(fmt.Sprintf("spike-%d", i)) })
	}
	var callErr error
	if os.Getenv("RSS_SPIKE") != "uploads" {
		spike.Go(func() { callErr = calls(5 * parallel) })
	}
	spike.Wait()
	close(stop)
	sampler.Wait()
	close(uploadErrs)
	for err := range uploadErrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if callErr != nil {
		t.Fatalf("calls during the spike: %v", callErr)
	}

	// Quiet: the resident size must come back within 60 s.
	start := time.Now()
	var now int64
	for {
		time.Sleep(time.Second)
		now = rss(t)
		if now <= idle+idle/10 || time.Since(start) > 60*time.Second {
			break
		}
	}
	back := time.Since(start)
	t.Logf("RSS idle %.1f MB, spike peak %.1f MB (+%.1f MB: %.1f MB per upload at most), after %v quiet %.1f MB (%+.1f %%)",
		mb(idle), mb(peak), mb(peak-idle), mb(peak-idle)/float64(uploads), back.Round(time.Second), mb(now), 100*float64(now-idle)/float64(idle))
	if now > idle+idle/10 {
		t.Errorf("RSS %.1f MB 60 s after the spike, idle %.1f MB: more than 10 %% above", mb(now), mb(idle))
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// answeringPhone registers a SIP extension whose phone answers every call.
func answeringPhone(t *testing.T, b *testBox, ctx context.Context, number string) *siptest.Phone {
	t.Helper()
	p := b.phone(t, number, b.addSIPExtension(t, number, "Phone "+number, false))
	go func() {
		for {
			c, err := p.Incoming(ctx)
			if err != nil {
				return
			}
			c.Answer()
		}
	}()
	return p
}
