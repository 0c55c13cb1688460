//go:build linux

package dsp

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time consumed by the calling OS thread. The
// benchmarks report it beside wall time because the build machines are
// shared: wall-clock ns/op there measures the neighbours as much as the
// code, CPU time of the benchmark's own thread far less so.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerSample runs f b.N times on a locked thread and reports the
// thread's CPU nanoseconds per sample (samples per call given).
func cpuPerSample(b *testing.B, samples int, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	start := threadCPU()
	for i := 0; i < b.N; i++ {
		f()
	}
	cpu := threadCPU() - start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(samples), "cpu-ns/sample")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(samples), "ns/sample")
}
