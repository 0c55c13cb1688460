package t30

import (
	"minipbx/dsp/fax/t4"
)

// Error correction mode (T.30 Annex A). Image data travels in HDLC frames
// on the image modem: FCD frames of 256 (or 64) octets numbered within a
// partial page ("block") of up to 256 frames, closed by three RCP frames.
// The sender then asks with PPS whether the block arrived; the receiver
// answers MCF, or PPR with a bitmap of the frames to send again. A page
// is one or more blocks; the post-message in PPS says whether more blocks
// (NULL), pages (MPS, EOM) or nothing (EOP) follow.

const (
	ecmFrames  = 256
	ecmMaxData = 256
)

// ecmRx assembles the blocks of a page and feeds them, in order, to the
// page's decoder.
type ecmRx struct {
	data     [ecmFrames][ecmMaxData]byte
	lens     [ecmFrames]uint16
	have     [ecmFrames]bool
	pageOpen bool
	dec      *t4.Decoder
	img      *t4.Image
	block    int
	lastPage int // (page, block) of the last PPS acknowledged, -1 for none
	lastBlk  int
	lastPM   byte
	// count is the block's frame count from its first PPS: after a PPR,
	// some senders (spandsp) give the number of frames sent again.
	count int
}

func (e *ecmRx) init() { e.lastPage, e.lastBlk = -1, -1 }

func (e *ecmRx) startPage(dec *t4.Decoder, img *t4.Image) {
	e.dec, e.img = dec, img
	dec.Start(img)
	e.pageOpen = true
	e.block, e.count = 0, 0
	clear(e.have[:])
}

// startBlock: the image modem trained for a block or its retransmission;
// frames already received are kept.
func (e *ecmRx) startBlock() {}

// frame takes an HDLC frame from the image modem.
func (e *ecmRx) frame(f []byte) {
	if len(f) < 4 || f[0] != 0xFF || f[1] != 0x03 {
		return
	}
	if f[2]&^1 != fcfFCD {
		return // RCP, or anything else: the carrier's end closes the block
	}
	n := int(f[3])
	d := f[4:]
	if len(d) == 0 || len(d) > ecmMaxData {
		return
	}
	e.lens[n] = uint16(copy(e.data[n][:], d))
	e.have[n] = true
}

// missing counts the frames of a block of count frames not received, and
// writes the PPR bitmap (a 1 for each frame to send again) to bm.
func (e *ecmRx) missing(count int, bm *[32]byte) int {
	clear(bm[:])
	n := 0
	for i := range count {
		if !e.have[i] {
			bm[i/8] |= 1 << (i % 8)
			n++
		}
	}
	return n
}

// takeBlock feeds the block to the decoder and forgets it.
func (e *ecmRx) takeBlock(count int) {
	for i := range count {
		if e.have[i] && !e.dec.Done() {
			e.dec.PutBytes(e.data[i][:e.lens[i]], true)
		}
	}
	clear(e.have[:])
	e.block++
	e.count = 0
}

// postECM answers PPS, EOR and CTC.
func (r *Receiver) postECM(f Frame) {
	e := &r.ecm
	switch f.FCF &^ 1 {
	case fcfPPS, fcfEOR:
	case fcfCTC:
		// Continue to correct, perhaps at a new rate (DCS octet 2 in the FIF).
		if len(f.Info) >= 2 {
			var fif [4]byte
			fif[1] = f.Info[1]
			for _, dr := range dcsRates {
				if fif[1]&0x3C == dr.bits {
					if rx, _ := r.p.modems(dr.rate); rx != nil {
						r.rate = dr.rate
						r.reslt.Rate = dr.rate
					}
				}
			}
		}
		r.respond(fcfCTR)
		r.lastCmd = fcfCTC
		rx, _ := r.p.modems(r.rate)
		r.p.listenFast(rx)
		r.state, r.timer = rImage, 0
		return
	default:
		return
	}
	if len(f.Info) < 4 {
		return
	}
	pm, page, block, count := f.Info[0]&^1, int(f.Info[1]), int(f.Info[2]), int(f.Info[3])+1
	if page == e.lastPage && block == e.lastBlk {
		// A repeat of the PPS we acknowledged: our MCF was lost.
		r.resend()
		r.afterPPS(e.lastPM)
		return
	}
	if !e.pageOpen {
		return
	}
	count = max(count, e.count)
	e.count = count
	var bm [32]byte
	miss := e.missing(count, &bm)
	eor := f.FCF&^1 == fcfEOR
	r.event(Event{Kind: EvBlock, Page: r.pageNo, Block: e.block, Missing: miss})
	if miss > 0 && !eor {
		r.reslt.Retransmissions++
		r.respond(fcfPPR, bm[:]...)
		r.lastCmd = fcfPPS
		rx, _ := r.p.modems(r.rate)
		r.p.listenFast(rx)
		r.state, r.timer = rImage, 0
		return
	}
	e.takeBlock(count)
	if eor {
		r.respond(fcfERR)
	} else {
		r.respond(fcfMCF)
	}
	r.lastCmd = fcfPPS
	e.lastPage, e.lastBlk, e.lastPM = page, block, pm
	if pm != ppsNull {
		// The page is complete.
		e.dec.Finish()
		e.pageOpen = false
		st := e.dec.Stats()
		r.event(Event{Kind: EvPage, Page: r.pageNo, OK: st.BadLines == 0, BadLines: st.BadLines})
		r.keepPage(st.BadLines)
	}
	r.afterPPS(pm)
}

// afterPPS moves on after MCF to a PPS: the next block, or what the
// post-message says.
func (r *Receiver) afterPPS(pm byte) {
	if pm == ppsNull {
		rx, _ := r.p.modems(r.rate)
		r.p.listenFast(rx)
		r.state, r.timer = rImage, 0
		return
	}
	r.next(pm&^fcfPRI, true)
}
