// Package spandsp benchmarks minipbx's DTMF receiver side by side with
// spandsp's dtmf_rx (Debian libspandsp-dev) on the same signal, so the
// claim "at least as fast per sample as the best C implementation" is
// measured, not asserted.
//
// Everything but this file is behind the spandsp build tag and needs cgo,
// so normal builds (and CGO_ENABLED=0) never touch spandsp:
//
//	go test -tags spandsp -run . -bench . -benchmem ./bench/spandsp/
//
// TestSameDigits first checks that both receivers decode the benchmark
// signal completely. BenchmarkSideBySide is the figure to quote: it runs
// the two receivers alternately on the same signal, round after round,
// timing each by its thread's CPU clock, and reports the medians and the
// median ratio (minipbx/spandsp below 1 means minipbx is faster), which
// holds up on a shared, busy machine where wall-clock benchmarks do not:
//
//	go test -tags spandsp -run XXX -bench SideBySide -benchtime 200x ./bench/spandsp/
//
// Signals: "mixed" (digits at −10 dBm0, 60/60 ms, between half-second
// stretches of −30 dBm0 noise, −55 dBm0 floor), "tones" (digits 60/40 ms
// back to back) and "noise" (−25 dBm0 speech-band noise, no digit: every
// sub-block analysed) and "speech" (espeak-ng speech at −20 dBm0 in three
// voices and languages, reading numbers among other words: the talk-off
// tests' path; TestSpeechNoDigits checks neither receiver reports a digit
// on it).
package spandsp
