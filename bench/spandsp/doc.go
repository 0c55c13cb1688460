// Package spandsp benchmarks minipbx's DTMF receiver side by side with
// spandsp's dtmf_rx (Debian libspandsp-dev) on the same signal, so the
// claim "at least as fast per sample as the best C implementation" is
// measured, not asserted.
//
// Everything but this file is behind the spandsp build tag and needs cgo,
// so normal builds (and CGO_ENABLED=0) never touch spandsp:
//
//	go test -tags spandsp -run . -bench . -benchmem ./bench/spandsp/
package spandsp
