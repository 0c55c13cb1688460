package sidebyside

import (
	"runtime"
	"testing"
)

// Bench runs theirs (the C library's run, named peer) and ours in turn
// once per round of b.Loop, on a locked thread, each timed by the
// thread's CPU clock, and reports the medians per sample of each
// ("peer-ns/sample", "minipbx-ns/sample") and of their ratio
// ("minipbx/peer", below 1 when ours is faster). samples is how many
// samples one run of either covers.
func Bench(b *testing.B, peer string, samples int, theirs, ours func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := float64(samples)
	var t, o, ratio []float64
	for b.Loop() {
		c0 := ThreadCPU()
		theirs()
		c1 := ThreadCPU()
		ours()
		c2 := ThreadCPU()
		tt, oo := float64(c1-c0)/n, float64(c2-c1)/n
		t, o, ratio = append(t, tt), append(o, oo), append(ratio, oo/tt)
	}
	b.ReportMetric(Median(t), peer+"-ns/sample")
	b.ReportMetric(Median(o), "minipbx-ns/sample")
	b.ReportMetric(Median(ratio), "minipbx/"+peer)
	b.ReportMetric(0, "ns/op")
}
