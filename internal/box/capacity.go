package box

import (
	"runtime"
)

// The box's own figure of calls at once, used when the configuration's
// system.max_calls is 0. It is the lower of two bounds:
//
//   - CPU: callsPerCore for the architecture, times the cores. A call
//     relayed between two SIP phones costs two RTP streams each way; the
//     x86-64 figure is the goal the relay benchmarks are held to (500 per
//     core), the ARM figures are estimates scaled from it by the cores'
//     relative speed (a Cortex-A53 about 2.5 times, a Cortex-A7 about 5
//     times slower per clock and per core than a desktop core) — the
//     README's capacity figures say how they were measured.
//   - Memory: one call per callMemory of half the Go memory limit (a
//     quarter of the RAM, see MemoryLimit): about five times the 50 KB a
//     call was measured to retain, for its jitter buffers, goroutine
//     stacks and SIP transactions under load.
//
// So the reference armv7 board (one core, 256 MB) carries 100 calls, a
// two-core 512 MB one 200, and a desktop running the simulated board is
// bounded by its cores.
var callsPerCore = map[string]int{"amd64": 500, "arm64": 200, "arm": 100}

const (
	defaultCallsPerCore = 100 // an architecture not in the table
	callMemory          = 256 << 10
)

// DefaultMaxCalls is the box's own figure for cpus cores of arch and ram
// bytes of RAM (see above); at least 1.
func DefaultMaxCalls(arch string, cpus int, ram int64) int {
	per, ok := callsPerCore[arch]
	if !ok {
		per = defaultCallsPerCore
	}
	byCPU := per * max(cpus, 1)
	byMemory := int(MemoryLimit(ram) / 2 / callMemory)
	return max(min(byCPU, byMemory), 1)
}

// boardMaxCalls is DefaultMaxCalls for the machine pbxd runs on: its
// architecture, the cores it may use and its RAM (a quarter of the
// default memory limit when the RAM cannot be read).
func boardMaxCalls() int {
	ram, err := availableRAM("/proc/meminfo", "/sys/fs/cgroup/memory.max")
	if err != nil {
		ram = 256 << 20 // the smallest reference board
	}
	return DefaultMaxCalls(runtime.GOARCH, runtime.GOMAXPROCS(0), ram)
}

// sipLegs is the SIP server's leg limit for max calls: a call between two
// SIP phones, or through a SIP trunk, has two SIP legs.
func sipLegs(maxCalls int) int { return 2 * maxCalls }

// maxCalls is the figure in force for a configuration: its own, or the
// board's when it names none.
func (b *Box) maxCalls(configured int) int {
	if configured > 0 {
		return configured
	}
	return b.defaultCalls
}
