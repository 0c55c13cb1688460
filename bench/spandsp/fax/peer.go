//go:build spandsp && cgo

package fax

/*
#cgo LDFLAGS: -lspandsp -ltiff -lm
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <spandsp.h>

typedef struct {
	fax_state_t *fax;
	int done;
	int result;
} peer_t;

static int peer_phase_e(t30_state_t *s, void *user, int result) {
	peer_t *p = user;
	p->done = 1;
	p->result = result;
	return 0;
}

static peer_t *peer_new(int calling, const char *txfile, const char *rxfile, int ecm, int modems, const char *ident) {
	peer_t *p = calloc(1, sizeof(*p));
	p->fax = fax_init(NULL, calling);
	t30_state_t *t = fax_get_t30_state(p->fax);
	t30_set_tx_ident(t, ident);
	if (txfile) t30_set_tx_file(t, txfile, -1, -1);
	if (rxfile) t30_set_rx_file(t, rxfile, -1);
	t30_set_ecm_capability(t, ecm);
	t30_set_supported_modems(t, modems);
	t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION);
	t30_set_phase_e_handler(t, (t30_phase_e_handler_t *) peer_phase_e, p);
	fax_set_transmit_on_idle(p->fax, 1);
	return p;
}

static void peer_process(peer_t *p, int16_t *in, int16_t *out, int n) {
	fax_rx(p->fax, in, n);
	int k = fax_tx(p->fax, out, n);
	if (k < n) memset(out + k, 0, (n - k) * sizeof(int16_t));
}

static void peer_stats(peer_t *p, int *rate, int *ecm, int *pages_tx, int *pages_rx, int *bad_rows) {
	t30_stats_t st;
	t30_get_transfer_statistics(fax_get_t30_state(p->fax), &st);
	*rate = st.bit_rate;
	*ecm = st.error_correcting_mode;
	*pages_tx = st.pages_tx;
	*pages_rx = st.pages_rx;
	*bad_rows = st.bad_rows;
}

static void peer_free(peer_t *p) {
	fax_release(p->fax);
	fax_free(p->fax);
	free(p);
}

// tiff_page reads page n of a bilevel TIFF into buf (1 = black, rows of
// stride bytes); it returns 0, or -1 when there is no such page.
static int tiff_page_size(const char *path, int n, int *w, int *h) {
	TIFF *t = TIFFOpen(path, "r");
	if (!t) return -1;
	if (!TIFFSetDirectory(t, n)) { TIFFClose(t); return -1; }
	uint32_t ww = 0, hh = 0;
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &ww);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &hh);
	*w = ww; *h = hh;
	TIFFClose(t);
	return 0;
}

static int tiff_page(const char *path, int n, uint8_t *buf, int stride) {
	TIFF *t = TIFFOpen(path, "r");
	if (!t) return -1;
	if (!TIFFSetDirectory(t, n)) { TIFFClose(t); return -1; }
	uint32_t h = 0;
	uint16_t photo = 0;
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	TIFFGetFieldDefaulted(t, TIFFTAG_PHOTOMETRIC, &photo);
	tmsize_t sl = TIFFScanlineSize(t);
	uint8_t *row = malloc(sl);
	for (uint32_t y = 0; y < h; y++) {
		if (TIFFReadScanline(t, row, y, 0) < 0) { free(row); TIFFClose(t); return -1; }
		for (int i = 0; i < stride && i < sl; i++)
			buf[y * stride + i] = photo == PHOTOMETRIC_MINISBLACK ? ~row[i] : row[i];
	}
	free(row);
	TIFFClose(t);
	return 0;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"minipbx/dsp/fax/t4"
)

// Modem sets of spandsp's T.30.
const (
	SupportV27ter = C.T30_SUPPORT_V27TER
	SupportV29    = C.T30_SUPPORT_V29
	SupportV17    = C.T30_SUPPORT_V17
)

// Results of spandsp's T.30 (Done) that mean a sending terminal gave up
// after the third try of a command that got no answer it could read.
const (
	ResultNoResponseToDCS = C.T30_ERR_TX_PHBDEAD
	ResultNoResponseToPPS = C.T30_ERR_TX_PHDDEAD
)

// Peer is spandsp's fax terminal (fax_state_t) on audio.
type Peer struct{ p *C.peer_t }

// NewPeer makes spandsp's terminal: a caller sending txFile, or an
// answerer receiving into rxFile.
func NewPeer(calling bool, txFile, rxFile string, ecm bool, modems int, ident string) *Peer {
	var tx, rx *C.char
	if txFile != "" {
		tx = C.CString(txFile)
		defer C.free(unsafe.Pointer(tx))
	}
	if rxFile != "" {
		rx = C.CString(rxFile)
		defer C.free(unsafe.Pointer(rx))
	}
	id := C.CString(ident)
	defer C.free(unsafe.Pointer(id))
	return &Peer{C.peer_new(cbool(calling), tx, rx, cbool(ecm), C.int(modems), id)}
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Process runs one frame: in is what spandsp hears, out what it sends.
func (p *Peer) Process(in, out []int16) {
	C.peer_process(p.p, (*C.int16_t)(unsafe.Pointer(&in[0])), (*C.int16_t)(unsafe.Pointer(&out[0])), C.int(len(in)))
}

// Done reports whether spandsp reached phase E, and its T.30 result code
// (0 is success).
func (p *Peer) Done() (bool, int) { return p.p.done != 0, int(p.p.result) }

// Stats are spandsp's transfer statistics.
type Stats struct {
	Rate, PagesTx, PagesRx, BadRows int
	ECM                             bool
}

// Stats reports spandsp's view of the call.
func (p *Peer) Stats() Stats {
	var rate, ecm, tx, rx, bad C.int
	C.peer_stats(p.p, &rate, &ecm, &tx, &rx, &bad)
	return Stats{Rate: int(rate), ECM: ecm != 0, PagesTx: int(tx), PagesRx: int(rx), BadRows: int(bad)}
}

// Close frees spandsp's state.
func (p *Peer) Close() { C.peer_free(p.p) }

// ReadTIFF reads every page of a bilevel TIFF with libtiff.
func ReadTIFF(path string) ([]*t4.Image, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var pages []*t4.Image
	for n := 0; ; n++ {
		var w, h C.int
		if C.tiff_page_size(cp, C.int(n), &w, &h) != 0 {
			break
		}
		img, err := t4.NewImage(int(w), int(h))
		if err != nil {
			return nil, err
		}
		if h > 0 && C.tiff_page(cp, C.int(n), (*C.uint8_t)(unsafe.Pointer(&img.Pix[0])), C.int(img.Stride)) != 0 {
			return nil, fmt.Errorf("libtiff cannot read page %d of %s", n+1, path)
		}
		pages = append(pages, img)
	}
	return pages, nil
}
