package box

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Memory on the box: the reference board has 256–512 MB for everything,
// so pbxd (a) sets the Go runtime's soft memory limit from the RAM it can
// have, so that the garbage collector works harder before the heap grows
// into what the kernel and the page cache need, and (b) gives memory back
// to the kernel soon after a load spike, instead of the minutes the
// runtime's own background scavenger takes.

// MemoryLimitShare is the share of the RAM the box can use (the board's,
// or a cgroup's limit when lower) that pbxd's Go runtime aims to stay
// under: a quarter — 64 MB on a 256 MB board, 128 MB on a 512 MB one —
// several times pbxd's idle heap and its heap under the heaviest load
// measured, while the rest is the kernel's, the page cache's (the
// database file and prompts are read through it) and the supervisor's.
const MemoryLimitShare = 4

// Bounds of the memory limit whatever the RAM: below the floor the
// collector would run constantly under ordinary load; above the ceiling
// (a desktop running the simulated board) a limit does nothing useful.
const (
	minMemoryLimit = 48 << 20
	maxMemoryLimit = 1 << 30
)

// MemoryLimit is the soft limit for a box that can use ram bytes.
func MemoryLimit(ram int64) int64 {
	return min(max(ram/MemoryLimitShare, minMemoryLimit), maxMemoryLimit)
}

// SetMemoryLimit sets the Go runtime's soft memory limit from the RAM
// available (MemTotal of /proc/meminfo, or the cgroup's memory.max when
// lower) and returns it, unless GOMEMLIMIT set one already (then it is
// kept and returned). pbxd calls it once at start; it changes process-wide
// state, so the box's constructor does not.
func SetMemoryLimit(log *slog.Logger) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		limit := debug.SetMemoryLimit(-1)
		log.Info("memory limit from GOMEMLIMIT", "limit_mb", limit>>20)
		return limit
	}
	ram, err := availableRAM("/proc/meminfo", "/sys/fs/cgroup/memory.max")
	if err != nil {
		log.Warn("memory limit not set: the RAM size is unknown", "err", err)
		return debug.SetMemoryLimit(-1)
	}
	limit := MemoryLimit(ram)
	debug.SetMemoryLimit(limit)
	log.Info("memory limit set from the RAM", "ram_mb", ram>>20, "limit_mb", limit>>20)
	return limit
}

// availableRAM reads MemTotal from meminfo, lowered to the number in
// cgroupMax when that file exists and holds one (not "max").
func availableRAM(meminfo, cgroupMax string) (int64, error) {
	b, err := os.ReadFile(meminfo)
	if err != nil {
		return 0, err
	}
	ram, err := memTotal(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", meminfo, err)
	}
	if c, err := os.ReadFile(cgroupMax); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(c)), 10, 64); err == nil && n > 0 && n < ram {
			ram = n
		}
	}
	return ram, nil
}

// memTotal parses the "MemTotal: N kB" line of /proc/meminfo.
func memTotal(meminfo []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || n <= 0 || n > 1<<40 {
				return 0, fmt.Errorf("MemTotal %q", f[1])
			}
			return n << 10, nil
		}
	}
	return 0, fmt.Errorf("no MemTotal line")
}

// Scavenging: every scavengeEvery the box compares the heap memory the
// runtime holds (objects, fragmentation and free pages not yet returned to
// the kernel) with the heap the last collection found live. When the box
// is quiet — it allocated less than a quarter of that heap during the
// period, so a spike is over — and the heap held exceeds the live heap by
// more than scavengeSlack, it returns the difference at once
// (debug.FreeOSMemory: a collection, then every free page released). The
// runtime's own scavenger does release such memory, but paced to about 1 %
// of a CPU and only after a collection, which an idle box may not run for
// two minutes: after a call spike the resident size took minutes to come
// down. Under load nothing happens (the heap is being reused); when it
// acts the cost is one collection of a heap of a few tens of MB, a few
// milliseconds of CPU. The README's memory figures measure the effect
// (TestRSSAfterSpike).
const (
	scavengeEvery = 15 * time.Second
	scavengeSlack = 1 << 20
)

// scavenge runs until ctx ends.
func (b *Box) scavenge(ctx context.Context) error {
	t := time.NewTicker(scavengeEvery)
	defer t.Stop()
	_, _, lastAllocs := heapState()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			held, live, allocs := heapState()
			quiet := allocs-lastAllocs < held/4
			lastAllocs = allocs
			if quiet && held > live+scavengeSlack {
				debug.FreeOSMemory()
				b.log.Debug("returned heap memory to the kernel after a load spike", "held_mb", held>>20, "live_mb", live>>20)
			}
		}
	}
}

// heapState returns the heap memory the runtime holds (objects, unused
// parts of spans in use, free pages not released), the heap the last
// collection found live, and the bytes allocated since the start.
func heapState() (held, live, allocs uint64) {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/heap/allocs:bytes"},
	}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() == metrics.KindUint64 {
			return s[i].Value.Uint64()
		}
		return 0
	}
	return v(0) + v(1) + v(2), v(3), v(4)
}
