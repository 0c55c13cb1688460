//go:build spandsp && cgo

package spandsp

/*
#cgo LDFLAGS: -lspandsp
#include <stdint.h>
#include <stdlib.h>
#include <spandsp.h>

static dtmf_rx_state_t *rx_new(void) { return dtmf_rx_init(NULL, NULL, NULL); }

// rx_run feeds n samples in frames of 160 (as our receiver is fed) and
// returns how many digits were collected; buf receives them.
static int rx_run(dtmf_rx_state_t *s, const int16_t *amp, int n, char *buf, int max) {
	int got = 0;
	for (int i = 0; i < n; i += 160) {
		int m = n - i < 160 ? n - i : 160;
		dtmf_rx(s, amp + i, m);
		got += dtmf_rx_get(s, buf + got, max - got);
	}
	return got;
}
*/
import "C"

import "unsafe"

// Receiver wraps a spandsp DTMF receiver with its default parameters.
type Receiver struct {
	s   *C.dtmf_rx_state_t
	buf [1024]byte
}

// NewReceiver creates a spandsp dtmf_rx context.
func NewReceiver() *Receiver { return &Receiver{s: C.rx_new()} }

// Close frees the context.
func (r *Receiver) Close() { C.dtmf_rx_free(r.s) }

// Run feeds the samples in 160-sample frames (one cgo call for the whole
// buffer, so the call overhead does not count against spandsp) and returns
// the digits it reported.
func (r *Receiver) Run(amp []int16) string {
	buf := r.buf[:]
	if len(amp) == 0 {
		return ""
	}
	n := C.rx_run(r.s, (*C.int16_t)(unsafe.Pointer(&amp[0])), C.int(len(amp)),
		(*C.char)(unsafe.Pointer(&buf[0])), C.int(len(buf)))
	return string(buf[:n])
}
