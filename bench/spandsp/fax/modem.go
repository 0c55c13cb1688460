//go:build spandsp && cgo

package fax

/*
#cgo LDFLAGS: -lspandsp -ltiff -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>

enum { KIND_V27TER, KIND_V29, KIND_V17 };

typedef struct {
	int kind;
	void *s;
	uint8_t *bits;
	int n, i, max;
	int trained, failed;
} modem_t;

static int mget_bit(void *u) {
	modem_t *m = u;
	if (m->i >= m->n) return SIG_STATUS_END_OF_DATA;
	return m->bits[m->i++];
}

static void mput_bit(void *u, int bit) {
	modem_t *m = u;
	if (bit < 0) {
		if (bit == SIG_STATUS_TRAINING_SUCCEEDED) m->trained++;
		if (bit == SIG_STATUS_TRAINING_FAILED) m->failed++;
		return;
	}
	if (m->n < m->max) m->bits[m->n++] = bit;
}

static modem_t *mtx_new(int kind, int rate, const uint8_t *bits, int n) {
	modem_t *m = calloc(1, sizeof(*m));
	m->kind = kind;
	m->bits = malloc(n + 1);
	memcpy(m->bits, bits, n);
	m->n = n;
	switch (kind) {
	case KIND_V27TER: m->s = v27ter_tx_init(NULL, rate, 0, mget_bit, m); break;
	case KIND_V29: m->s = v29_tx_init(NULL, rate, 0, mget_bit, m); break;
	case KIND_V17: m->s = v17_tx_init(NULL, rate, 0, mget_bit, m); break;
	}
	return m;
}

static int mtx(modem_t *m, int16_t *amp, int len) {
	switch (m->kind) {
	case KIND_V27TER: return v27ter_tx(m->s, amp, len);
	case KIND_V29: return v29_tx(m->s, amp, len);
	case KIND_V17: return v17_tx(m->s, amp, len);
	}
	return 0;
}

static modem_t *mrx_new(int kind, int rate, int max) {
	modem_t *m = calloc(1, sizeof(*m));
	m->kind = kind;
	m->bits = malloc(max);
	m->max = max;
	switch (kind) {
	case KIND_V27TER: m->s = v27ter_rx_init(NULL, rate, mput_bit, m); break;
	case KIND_V29: m->s = v29_rx_init(NULL, rate, mput_bit, m); break;
	case KIND_V17: m->s = v17_rx_init(NULL, rate, mput_bit, m); break;
	}
	return m;
}

static void mrx(modem_t *m, const int16_t *amp, int len) {
	switch (m->kind) {
	case KIND_V27TER: v27ter_rx(m->s, amp, len); break;
	case KIND_V29: v29_rx(m->s, amp, len); break;
	case KIND_V17: v17_rx(m->s, amp, len); break;
	}
}

static void mfree(modem_t *m, int tx) {
	switch (m->kind) {
	case KIND_V27TER: if (tx) v27ter_tx_free(m->s); else v27ter_rx_free(m->s); break;
	case KIND_V29: if (tx) v29_tx_free(m->s); else v29_rx_free(m->s); break;
	case KIND_V17: if (tx) v17_tx_free(m->s); else v17_rx_free(m->s); break;
	}
	free(m->bits);
	free(m);
}
*/
import "C"

import "unsafe"

// Modem kinds.
const (
	V27ter = C.KIND_V27TER
	V29    = C.KIND_V29
	V17    = C.KIND_V17
)

// ModemTx is a spandsp high-speed transmitter sending a fixed bit string.
type ModemTx struct{ m *C.modem_t }

// NewModemTx starts spandsp's transmitter of kind at rate on bits.
func NewModemTx(kind, rate int, bits []byte) *ModemTx {
	return &ModemTx{C.mtx_new(C.int(kind), C.int(rate), (*C.uint8_t)(unsafe.Pointer(&bits[0])), C.int(len(bits)))}
}

// Modulate fills out and returns how many samples it produced.
func (t *ModemTx) Modulate(out []int16) int {
	return int(C.mtx(t.m, (*C.int16_t)(unsafe.Pointer(&out[0])), C.int(len(out))))
}

// Close frees the transmitter.
func (t *ModemTx) Close() { C.mfree(t.m, 1) }

// ModemRx is a spandsp high-speed receiver collecting the bits it decodes.
type ModemRx struct{ m *C.modem_t }

// NewModemRx starts spandsp's receiver of kind at rate.
func NewModemRx(kind, rate, maxBits int) *ModemRx {
	return &ModemRx{C.mrx_new(C.int(kind), C.int(rate), C.int(maxBits))}
}

// Demodulate feeds samples.
func (r *ModemRx) Demodulate(in []int16) {
	C.mrx(r.m, (*C.int16_t)(unsafe.Pointer(&in[0])), C.int(len(in)))
}

// Bits returns what was decoded so far, and how often training succeeded.
func (r *ModemRx) Bits() (bits []byte, trained int) {
	return C.GoBytes(unsafe.Pointer(r.m.bits), r.m.n), int(r.m.trained)
}

// Close frees the receiver.
func (r *ModemRx) Close() { C.mfree(r.m, 0) }
