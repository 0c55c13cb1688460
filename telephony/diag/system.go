package diag

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"minipbx/telephony/store"
)

// Thresholds of the system tests.
var (
	freeSpacePct  = atLeast(15, 5)   // % of the data file system
	freeSpaceMB   = atLeast(64, 16)  // MB available to the firmware
	memAvailPct   = atLeast(25, 10)  // % of RAM available
	loadPerCPU    = atMost(0.8, 1.5) // 1-minute load average per CPU
	clockMaxErrMS = atMost(500, 5000)
	goHeapMB      = atMost(24, 48) // the firmware's own heap
)

// SyncState is the kernel clock's synchronisation as adjtimex reports it.
type SyncState struct {
	Synced     bool
	MaxErrorUS int64 // the kernel's maximum error estimate, µs
}

// kernelClock reads adjtimex without changing anything (modes 0).
func kernelClock() (SyncState, error) {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return SyncState{}, fmt.Errorf("adjtimex: %w", err)
	}
	synced := tx.Status&unix.STA_UNSYNC == 0 && state != unix.TIME_ERROR
	return SyncState{Synced: synced, MaxErrorUS: int64(tx.Maxerror)}, nil
}

// FreeSpace is the room left on a file system.
type FreeSpace struct {
	AvailBytes, TotalBytes uint64
}

func statfs(dir string) (FreeSpace, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return FreeSpace{}, fmt.Errorf("statfs %s: %w", dir, err)
	}
	// Bavail, not Bfree: the blocks reserved for root do not count, the
	// firmware need not run as root.
	bs := uint64(st.Bsize)
	return FreeSpace{AvailBytes: uint64(st.Bavail) * bs, TotalBytes: uint64(st.Blocks) * bs}, nil
}

func (r *Runner) testStorage(ctx context.Context) store.DiagResult {
	res := newResult(store.DiagTestStorage, "system")
	if err := r.o.Store.CheckConsistency(); err != nil {
		res.fail("database: %v", err)
	} else {
		res.note("database consistent")
	}
	if r.o.DataDir == "" {
		res.note("no data directory to measure")
		return res.r
	}
	fs, err := r.o.Statfs(r.o.DataDir)
	if err != nil {
		res.fail("%v", err)
		return res.r
	}
	v := store.VerdictPass
	if fs.TotalBytes > 0 {
		v = res.value("free space", float64(fs.AvailBytes)*100/float64(fs.TotalBytes), "%", freeSpacePct)
	}
	v = store.WorstVerdict(v, res.value("available", float64(fs.AvailBytes)/(1<<20), "MB", freeSpaceMB))
	if v != store.VerdictPass {
		res.note("low free space on the data file system: call records and diagnostics need room")
	}
	return res.r
}

func (r *Runner) testClock(ctx context.Context) store.DiagResult {
	res := newResult(store.DiagTestClock, "system")
	st, err := r.o.KernelClock()
	if err != nil {
		return res.skip("cannot read the clock's state: %v", err).r
	}
	if !st.Synced {
		res.warn("the clock is not synchronised (no NTP, or it lost its server): call records and daily tests may be at the wrong time")
		res.info("max error", float64(st.MaxErrorUS)/1000, "ms")
		return res.r
	}
	res.note("synchronised")
	res.value("max error", float64(st.MaxErrorUS)/1000, "ms", clockMaxErrMS)
	return res.r
}

func (r *Runner) testResources(ctx context.Context) store.DiagResult {
	res := newResult(store.DiagTestResources, "system")
	mem, err := readMeminfo(filepath.Join(r.o.ProcDir, "meminfo"))
	if err != nil {
		res.warn("memory: %v", err)
	} else if total := mem["MemTotal"]; total > 0 {
		avail, ok := mem["MemAvailable"]
		if !ok { // kernels before 3.14
			avail = mem["MemFree"] + mem["Buffers"] + mem["Cached"]
		}
		res.value("memory available", float64(avail)*100/float64(total), "%", memAvailPct)
		res.info("memory total", float64(total)/1024, "MB")
	}
	load, err := readLoad(filepath.Join(r.o.ProcDir, "loadavg"))
	if err != nil {
		res.warn("load: %v", err)
	} else {
		res.value("load per CPU", load/float64(r.o.CPUs), "", loadPerCPU)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.value("firmware heap", float64(ms.HeapInuse)/(1<<20), "MB", goHeapMB)
	return res.r
}

// readMeminfo reads /proc/meminfo into kB values.
func readMeminfo(path string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if out["MemTotal"] == 0 {
		return nil, fmt.Errorf("%s: no MemTotal", path)
	}
	return out, nil
}

// readLoad reads the 1-minute load average.
func readLoad(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseLoad(string(b))
}

func parseLoad(s string) (float64, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, fmt.Errorf("loadavg: empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || !(v >= 0 && v <= 1e6) {
		return 0, fmt.Errorf("loadavg: %q is not a load", f[0])
	}
	return v, nil
}
