//go:build spandsp && cgo

package speexdsp

/*
#cgo LDFLAGS: -lspeexdsp
#include <stdint.h>
#include <speex/speex_echo.h>

static SpeexEchoState *ec_new(int frame, int taps, int rate) {
	SpeexEchoState *s = speex_echo_state_init(frame, taps);
	speex_echo_ctl(s, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	return s;
}

// ec_run cancels n samples in frames of frame samples (n a multiple of
// it): rec is what came back from the line, play what was sent to it.
static void ec_run(SpeexEchoState *s, int frame, const int16_t *rec, const int16_t *play, int16_t *out, int n) {
	for (int i = 0; i + frame <= n; i += frame)
		speex_echo_cancellation(s, rec + i, play + i, out + i);
}
*/
import "C"

import "unsafe"

// Frame is the frame size both cancellers are fed in: 20 ms.
const Frame = 160

// Canceller wraps a speexdsp echo canceller state.
type Canceller struct {
	s *C.SpeexEchoState
}

// NewCanceller creates a speexdsp canceller of taps taps at 8 kHz.
func NewCanceller(taps int) *Canceller {
	return &Canceller{s: C.ec_new(Frame, C.int(taps), 8000)}
}

// Close frees the state.
func (c *Canceller) Close() { C.speex_echo_state_destroy(c.s) }

// Process cancels the echo in rx given ref (what was sent to the line)
// into out, whole frames only (one cgo call for all of them, so the call's
// overhead does not count against speexdsp). The three must be of one
// length.
func (c *Canceller) Process(rx, ref, out []int16) {
	n := len(rx) / Frame * Frame
	if n == 0 || len(ref) < n || len(out) < n {
		return
	}
	C.ec_run(c.s, Frame, (*C.int16_t)(unsafe.Pointer(&rx[0])), (*C.int16_t)(unsafe.Pointer(&ref[0])),
		(*C.int16_t)(unsafe.Pointer(&out[0])), C.int(n))
}
