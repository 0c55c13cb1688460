// Package sidebyside holds what the benchmarks against C reference
// implementations (bench/spandsp, bench/speexdsp) share: the calling
// thread's CPU clock and the median of a run's rounds. The machines these
// benchmarks run on are often shared, so they time each implementation
// by its thread's CPU time, alternating the two round after round, and
// quote medians: both see the same conditions, and time spent
// descheduled inflates neither.
package sidebyside

import "slices"

// Median returns the median of v (the upper one of an even count), 0 for
// none; v is not changed.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
