// Package speexdsp runs minipbx's line echo canceller side by side with
// speexdsp's MDF echo canceller (Debian libspeexdsp-dev), the usual free
// peer, on the same far-end signal and echo: how deep each cancels and
// what each costs per sample.
//
// Everything but this file is behind the spandsp build tag, the tag of
// the cgo reference tests (`make test` builds with it), and needs cgo:
//
//	go test -tags spandsp -v -run . ./bench/speexdsp/
//	go test -tags spandsp -run XXX -bench SideBySide -benchtime 100x ./bench/speexdsp/
//
// Both run their linear canceller only: ours with EchoConfig.NLPOff,
// speexdsp's speex_echo_cancellation without its preprocessor's residual
// echo suppression. Both cover a 128 ms tail (1024 taps; speexdsp rounds
// it up to whole 20 ms frames) and are fed in 20 ms frames, as an FXO port
// feeds ours.
package speexdsp
