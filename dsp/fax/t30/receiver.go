package t30

import (
	"time"

	"minipbx/dsp/fax/modem"
	"minipbx/dsp/fax/t4"
)

// Receiver is the called terminal of a fax call (T.30 answering and
// receiving): it answers with CED, offers its capabilities in DIS,
// checks the sender's training (TCF), receives the pages with or without
// error correction, decodes them, confirms each, and ends at DCN.
type Receiver struct {
	opt   Options
	p     *port
	state int
	timer int64 // deadline of the current state, in samples (0: none)
	t1    int64 // the deadline of phase B
	tries int   // DIS sent

	// The message being received (frames until the final one).
	msg     message
	lastRsp [64]byte // last response sent, for repeated commands
	lastLen int
	lastCmd byte // the post-message command it answered

	dcs     Capabilities
	rate    Rate
	tcfBits int // TCF: bits received
	tcfOnes int
	tcfRun  int // longest run of zeros
	tcfCur  int
	tcfSeen bool  // the image modem trained on the check
	tcfData int64 // when its data (the zeros) began
	tcfDue  bool  // its carrier ended before the check could be over
	v21on   bool
	// The V.21 message being heard: HDLC flags seen, its final frame
	// received; and when to ask for it again (CRP) if it stays broken.
	v21Flags bool
	v21Final bool
	crpAt    int64

	// When the image modem first heard a signal since the last
	// response, while no page came (0: none).
	imgStart int64

	// Page reception.
	dec    [3]*t4.Decoder // by coding, at the negotiated width (made at DCS)
	decW   int
	cur    *t4.Decoder
	page   t4.Image
	inPage bool
	pageNo int
	ecm    ecmRx
	fastHD modem.HDLCDeframer
	reslt  Result
}

// Receiver states.
const (
	rAnswer  = iota // CED, then DIS
	rCommand        // waiting for a command (DCS, DCN)
	rTCF            // receiving the training check
	rImage          // waiting for or receiving image data
	rPost           // waiting for the post-message command
	rDCN            // waiting for DCN after EOP/MCF
	rDone
)

// NewReceiver makes a receiver. It allocates everything it needs for a
// call here (and a page buffer that grows with the first pages), so that
// Process does not.
func NewReceiver(opt Options) *Receiver {
	r := &Receiver{opt: opt, p: newPort(opt.level())}
	r.page.Pix = make([]byte, 0, 216*2400)
	r.ecm.init()
	r.reslt.Rate = Rate{V27ter, 2400}
	// Answer: 200 ms of silence, the answer tone, 75 ms, DIS (T.30 §5.2.3).
	r.p.silence(200)
	if opt.AnswerTone == ANSam {
		r.p.ansam(3300, r.opt.level()-2)
	} else {
		r.p.tone(2100, 3300, r.opt.level())
	}
	r.p.silence(75)
	r.sendDIS()
	r.t1 = timerT1
	return r
}

// Process takes one frame of received audio and produces the frame to
// send (len(out) == len(in), normally 160 samples: 20 ms).
func (r *Receiver) Process(in, out []int16) {
	r.p.process(in, out, r)
	if r.state == rDone {
		return
	}
	r.tick()
}

// Done reports whether the call is over (hang up).
func (r *Receiver) Done() bool { return r.state == rDone && r.p.idle() }

// Result reports the call so far, or its end.
func (r *Receiver) Result() *Result { return &r.reslt }

// Hangup ends the call from outside (the line went on hook).
func (r *Receiver) Hangup() {
	if r.state != rDone {
		r.fail("call ended during the fax")
	}
}

func (r *Receiver) event(e Event) {
	if r.opt.OnEvent != nil {
		e.At = time.Duration(r.p.now) * time.Second / sampleRate
		r.opt.OnEvent(e)
	}
}

func (r *Receiver) fail(cause string) {
	if r.state == rDone {
		return
	}
	if r.inPage && r.reslt.Outcome == InProgress {
		r.inPage = false
	}
	r.reslt.Outcome, r.reslt.Cause = Failed, cause
	r.state = rDone
	r.p.listenFast(nil)
	r.event(Event{Kind: EvDone})
}

func (r *Receiver) finish() {
	if r.state == rDone {
		return
	}
	r.reslt.Outcome = Success
	r.state = rDone
	r.p.listenFast(nil)
	r.event(Event{Kind: EvDone})
}

// capabilities are what this receiver offers.
func (r *Receiver) capabilities() Capabilities {
	c := Capabilities{
		V27ter: true, V29: r.opt.maxBps() >= 7200,
		Fine: true, MR: !r.opt.NoMR, ECM: !r.opt.NoECM, MMR: !r.opt.NoMMR && !r.opt.NoECM,
		Frame64: r.opt.Frame64, Width: t4.WidthA3, Receive: true,
	}
	return c
}

func (r *Receiver) sendDIS() {
	var a, b [64]byte
	csi := appendFrame(a[:0], fcfCSI, false)
	csi = encodeID(csi, r.opt.LocalID)
	dis := appendFrame(b[:0], fcfDIS, true, encodeDIS(r.capabilities())...)
	if r.opt.LocalID != "" {
		r.p.frames(csi, dis)
		r.event(Event{Kind: EvFrameTx, Name: "CSI"})
	} else {
		r.p.frames(dis)
	}
	r.event(Event{Kind: EvFrameTx, Name: "DIS"})
	r.tries++
	r.state = rCommand
	r.timer = 0 // set when the transmission ends
}

// respond sends a one-frame response after the 75 ms turnaround.
func (r *Receiver) respond(fcf byte, info ...byte) {
	r.imgStart = 0
	f := appendFrame(r.lastRsp[:0], fcf, true, info...)
	r.lastLen = len(f)
	r.p.silence(75)
	r.p.frames(f)
	r.event(Event{Kind: EvFrameTx, Name: fcfName(fcf)})
}

// resend repeats the last response (the sender repeated its command).
func (r *Receiver) resend() {
	if r.lastLen == 0 {
		return
	}
	r.imgStart = 0
	r.p.silence(75)
	r.p.frames(r.lastRsp[:r.lastLen])
	r.event(Event{Kind: EvFrameTx, Name: fcfName(r.lastRsp[2])})
}

// tick runs the timers.
func (r *Receiver) tick() {
	now := r.p.now
	if r.p.sending() {
		r.timer = 0
		return
	}
	if r.v21on || r.p.fastSt != modem.RxIdle {
		// A signal is heard: the wait's timer counts from its end.
		r.alive()
	}
	if r.timer == 0 {
		// A transmission just ended, or a state began: arm its timer.
		switch r.state {
		case rCommand, rDCN:
			r.timer = now + timerT4
		case rTCF, rPost:
			r.timer = now + timerT2
		case rImage:
			if r.inPage {
				// A page takes as long as it takes; its carrier's end
				// closes it. This only bounds a carrier that never ends.
				r.timer = now + maxPage
			} else {
				r.timer = now + timerT2
			}
		}
		return
	}
	if r.crpAt != 0 && now >= r.crpAt {
		r.crpAt = 0
		if r.waitsCommand() {
			r.crp()
			return
		}
	}
	if r.state == rTCF && r.tcfDue && r.tcfOver() && r.p.fastSt == modem.RxIdle {
		r.judgeTCF()
		return
	}
	if now < r.timer {
		return
	}
	switch r.state {
	case rCommand:
		if r.lastCmd == fcfEOP && len(r.reslt.Pages) > 0 {
			// The last page was answered RTN (and kept) and the sender
			// neither trained again nor sent a DCN we could read: it
			// has hung up, and the fax is what came.
			r.finish()
			return
		}
		if now > r.t1 && r.pageNo == 0 {
			r.fail("no fax sender found (T1)")
			return
		}
		if r.tries >= maxTries+1 {
			r.fail("no command from the sender (T4)")
			return
		}
		r.sendDIS()
	case rTCF:
		// No training check came: wait for the command again.
		r.state = rCommand
		r.timer = 0
	case rImage:
		if r.inPage {
			r.endImage()
			return
		}
		r.fail("no image data (T2)")
	case rPost:
		r.fail("no post-message command (T2)")
	case rDCN:
		// The sender hung up without DCN: the fax is complete anyway.
		r.finish()
	}
}

// v21Carrier follows the V.21 signal.
func (r *Receiver) v21Carrier(on bool) {
	r.v21on = on
	r.alive()
	if on {
		if r.crpAt != 0 {
			r.crpAt = 0 // a lost packet broke the message: it goes on
			return
		}
		r.v21Flags, r.v21Final = false, false
		return
	}
	// A command in error (its flags came, its final frame did not: a
	// lost packet took part of it) is asked for again with CRP once the
	// line is quiet, rather than left to the sender's T4 and its three
	// tries (T.30 §5.3.6.1.8). Flags first: the V.21 receiver also wakes
	// on the image modem's signal, and that is no command.
	if r.v21Flags && !r.v21Final && r.waitsCommand() {
		r.crpAt = r.p.now + crpQuiet
	}
}

// waitsCommand reports whether the receiver is waiting for a command
// from the sender (not for image data nor the training check).
func (r *Receiver) waitsCommand() bool {
	switch r.state {
	case rCommand, rPost, rDCN:
		return true
	case rImage:
		return !r.inPage && r.lastCmd != 0
	}
	return false
}

// crp asks the sender to repeat its command; the last response stays the
// one a repeated command gets again.
func (r *Receiver) crp() {
	r.imgStart = 0
	var b [8]byte
	f := appendFrame(b[:0], fcfCRP, true)
	r.p.silence(75)
	r.p.frames(f)
	r.event(Event{Kind: EvFrameTx, Name: "CRP"})
}

// alive restarts the timer of a wait when the sender is heard: a
// carrier, even one that brings nothing (a command with a lost packet,
// an image whose training was lost), means the sender is still there and
// will repeat itself; the timers count from its last signal (T.30
// §5.4.3.1: T2 restarts on flags).
func (r *Receiver) alive() {
	if r.state != rDone && !(r.state == rImage && r.inPage) {
		r.timer = 0
	}
}

// v21Preamble: HDLC flags on V.21 during image data mean the image
// carrier has ended (a short gap between the two, or a lost packet at
// the end, can hide its end from the image modem).
func (r *Receiver) v21Preamble() {
	r.v21Flags = true
	if r.state == rImage && r.inPage {
		r.endImage()
	}
}

// v21Frame collects the frames of a message and acts on the final one.
func (r *Receiver) v21Frame(b []byte) {
	f, n, err := r.msg.add(b)
	if err != nil {
		return
	}
	r.event(Event{Kind: EvFrameRx, Name: fcfName(f.FCF)})
	if n > 0 {
		r.v21Final, r.crpAt = true, 0
	}
	for i := range n {
		g := r.msg.frame(i)
		if i < n-1 {
			r.optional(g)
			continue
		}
		r.command(g)
	}
}

// optional handles the frames before the final one (TSI, NSS, ...).
func (r *Receiver) optional(f Frame) {
	if f.FCF&^1 == fcfTSI {
		r.reslt.RemoteID = decodeID(f.Info)
	}
}

func (r *Receiver) command(f Frame) {
	if r.state == rDone {
		return
	}
	fcf := f.FCF &^ 1
	switch fcf {
	case fcfTSI:
		r.reslt.RemoteID = decodeID(f.Info)
		return
	case fcfDCN:
		if r.state == rDCN || (r.state == rCommand && r.pageNo > 0 && len(r.reslt.Pages) > 0 && r.lastCmd == fcfEOP) {
			r.finish()
			return
		}
		r.fail("the sender disconnected (DCN)")
		return
	case fcfDCS:
		r.onDCS(f)
		return
	case fcfCRP:
		r.resend()
		return
	}
	if r.state == rImage && r.inPage {
		r.endImage()
	}
	switch r.state {
	case rPost:
		r.postMessage(f)
	case rImage, rDCN, rCommand:
		if r.pageLost() {
			switch fcf &^ fcfPRI {
			case fcfMPS, fcfEOP, fcfEOM:
				// The page came but was not received: this command is
				// not a repeat, and the page must not be confirmed.
				r.reslt.Retrains++
				r.event(Event{Kind: EvPage, Page: r.pageNo + 1, OK: false})
				r.respond(fcfRTN)
				r.lastCmd = fcf
				r.next(fcf&^fcfPRI, false)
				return
			}
		}
		// The sender repeated the command we answered: answer again.
		if r.lastCmd != 0 && (fcf == r.lastCmd || fcf == fcfPPS || fcf == fcfEOR || fcf == fcfCTC) && !r.inPage {
			if fcf == fcfPPS || fcf == fcfCTC || fcf == fcfEOR {
				r.postMessage(f)
				return
			}
			r.resend()
		}
	}
}

func (r *Receiver) onDCS(f Frame) {
	c, err := parseDCS(f.Info)
	rx, _ := r.p.modems(c.Rate)
	if err != nil || rx == nil || (c.ECM && r.opt.NoECM) || (c.MMR && r.opt.NoMMR) {
		// Nothing we can receive: say so and let the sender choose again.
		r.respond(fcfFTT)
		r.state = rCommand
		return
	}
	r.dcs, r.rate = c, c.Rate
	r.reslt.Rate, r.reslt.ECM, r.reslt.Fine, r.reslt.Width = c.Rate, c.ECM, c.Fine, c.Width
	switch {
	case c.MMR:
		r.reslt.Coding = t4.MMR
	case c.MR:
		r.reslt.Coding = t4.MR
	default:
		r.reslt.Coding = t4.MH
	}
	if r.decW != c.Width {
		// Decoders at this width (once per call, not per frame).
		for i := range r.dec {
			r.dec[i], _ = t4.NewDecoder(t4.Coding(i), c.Width)
		}
		r.decW = c.Width
	}
	r.cur = r.dec[r.reslt.Coding]
	r.tcfBits, r.tcfOnes, r.tcfRun, r.tcfCur, r.tcfSeen, r.tcfDue = 0, 0, 0, 0, false, false
	r.p.listenFast(rx)
	r.state = rTCF
	r.timer = 0
}

// fastState follows the image modem.
func (r *Receiver) fastState(s modem.RxState) {
	r.alive()
	switch r.state {
	case rTCF:
		// Only a training the image modem completed is the check: it
		// also starts (and fails) on the tail of DCS's V.21 signal or on
		// a click, and a check whose training was lost gets no answer
		// (the sender repeats DCS and TCF after T4), as in spandsp.
		switch s {
		case modem.RxData:
			if !r.tcfSeen {
				r.tcfSeen, r.tcfData = true, r.p.now
			}
		case modem.RxIdle:
			if !r.tcfSeen {
				return
			}
			if r.tcfOver() {
				r.judgeTCF()
				return
			}
			// A lost packet broke the carrier: the sender is still
			// sending the check, and an answer now would not be heard.
			r.tcfDue = true
		}
	case rImage:
		switch s {
		case modem.RxTraining:
			if !r.inPage && r.imgStart == 0 {
				r.imgStart = r.p.now
			}
		case modem.RxData:
			r.imgStart = 0
			r.startImage()
		case modem.RxIdle:
			if r.inPage {
				r.endImage()
			}
		}
	}
}

// tcfOver reports whether the sender's check (1.5 s of zeros after the
// training) has had the time to end, give or take a few frames of this
// receiver's own timing.
func (r *Receiver) tcfOver() bool {
	return r.p.now >= r.tcfData+tcfLength-tcfSlack
}

// judgeTCF answers the training check: CFR when at least a second of it
// came through with few errors, FTT otherwise.
func (r *Receiver) judgeTCF() {
	r.tcfRun = max(r.tcfRun, r.tcfCur)
	second := r.rate.Bps
	// The check is 1.5 s of zeros. A good line gives a long error-free
	// run; one lost packet splits it in two, the longer part at least
	// 0.75 s: accept that, but not a line that keeps making errors.
	zeros := r.tcfBits - r.tcfOnes
	ok := r.tcfRun >= second*7/10 && zeros >= second
	r.event(Event{Kind: EvTraining, Rate: r.rate, OK: ok})
	if !ok {
		r.reslt.Retrains++
		r.respond(fcfFTT)
		r.p.listenFast(nil)
		r.state = rCommand
		return
	}
	r.respond(fcfCFR)
	r.lastCmd = 0
	r.state = rImage
	r.timer = 0
	rx, _ := r.p.modems(r.rate)
	r.p.listenFast(rx)
}

func (r *Receiver) fastBits(b []byte) {
	switch r.state {
	case rTCF:
		for _, x := range b {
			if x == 0 {
				r.tcfCur++
				r.tcfBits++
			} else if r.tcfBits > 0 {
				r.tcfBits++
				r.tcfOnes++
				r.tcfRun = max(r.tcfRun, r.tcfCur)
				r.tcfCur = 0
			}
		}
	case rImage:
		if !r.inPage {
			return
		}
		if r.dcs.ECM {
			for _, x := range b {
				if f := r.fastHD.PutBit(x); f != nil {
					r.ecm.frame(f)
				}
			}
			return
		}
		if r.cur.Done() {
			return
		}
		for _, x := range b {
			if r.cur.PutBit(x) {
				break
			}
		}
	}
}

// pageLost reports whether a page (not in ECM) was sent since the last
// response but never trained: the image modem heard a signal for longer
// than a command lasts and no page began. The post-message command that
// follows is then no repeat of the one answered.
func (r *Receiver) pageLost() bool {
	return r.state == rImage && !r.dcs.ECM && r.lastCmd != 0 && r.imgStart != 0 && r.p.now-r.imgStart >= lostImage
}

// startImage: the image modem trained; a page (or an ECM block) begins.
func (r *Receiver) startImage() {
	r.inPage = true
	r.timer = r.p.now + maxPage
	if r.dcs.ECM {
		r.fastHD.Reset()
		if !r.ecm.pageOpen {
			r.ecm.startPage(r.cur, &r.page)
			r.pageNo++
			r.event(Event{Kind: EvPageStart, Page: r.pageNo, Rate: r.rate})
		}
		r.ecm.startBlock()
		return
	}
	r.cur.Start(&r.page)
	r.pageNo++
	r.event(Event{Kind: EvPageStart, Page: r.pageNo, Rate: r.rate})
}

// endImage: the image carrier went; the post-message command follows.
func (r *Receiver) endImage() {
	r.inPage = false
	r.state = rPost
	r.timer = 0
	r.p.listenFast(nil)
	if !r.dcs.ECM {
		r.cur.Finish()
	}
}

// postMessage answers MPS, EOP, EOM (non-ECM) or PPS, EOR, CTC (ECM).
func (r *Receiver) postMessage(f Frame) {
	if r.cur == nil {
		return // no DCS yet: nothing was received to answer for
	}
	fcf := f.FCF &^ 1
	if r.dcs.ECM {
		r.postECM(f)
		return
	}
	switch fcf &^ fcfPRI {
	case fcfMPS, fcfEOP, fcfEOM:
	default:
		return
	}
	if r.lastCmd != 0 && r.state != rPost {
		r.resend()
		return
	}
	st := r.cur.Stats()
	good := r.pageGood(st)
	r.event(Event{Kind: EvPage, Page: r.pageNo, OK: good, BadLines: st.BadLines})
	// A page answered RTN is kept all the same: most senders (spandsp
	// among them) go on to the next page after training again; one that
	// sends it again leaves a second, better copy.
	r.keepPage(st.BadLines)
	if good {
		r.respond(fcfMCF)
	} else {
		r.reslt.Retrains++
		r.respond(fcfRTN)
	}
	r.lastCmd = fcf
	r.next(fcf&^fcfPRI, good)
}

// next moves on after the answer to a post-message command.
func (r *Receiver) next(pm byte, good bool) {
	rx, _ := r.p.modems(r.rate)
	switch {
	case !good:
		r.state = rCommand // a new DCS and TCF come first
		r.p.listenFast(nil)
	case pm == fcfMPS:
		r.state = rImage
		r.p.listenFast(rx)
	case pm == fcfEOM:
		r.state = rCommand
		r.p.listenFast(nil)
	default: // EOP
		r.state = rDCN
		r.p.listenFast(nil)
	}
	r.timer = 0
}

func (r *Receiver) pageGood(st t4.Stats) bool {
	if st.Lines == 0 {
		return false
	}
	pct := r.opt.BadLinePercent
	if pct <= 0 {
		// As spandsp: up to a tenth of the rows bad is a poor page, not
		// a bad one. Over a packet network the bad rows are the stripes
		// of lost packets, and a slower retraining only makes the page
		// longer and so hit by more of them.
		pct = 10
	}
	run := r.opt.BadRunMax
	if run <= 0 {
		run = 20
	}
	// A lost packet spoils a stripe of rows: a few bad rows on a short
	// page are not worth a retransmission.
	return (st.BadLines*100 <= pct*st.Lines || st.BadLines <= 16) && st.MaxBadRun <= run
}

// keepPage stores the decoded page (a copy: the buffer is reused).
func (r *Receiver) keepPage(bad int) {
	img := &t4.Image{Width: r.page.Width, Height: r.page.Height, Stride: r.page.Stride, Pix: append([]byte(nil), r.page.Pix...)}
	yres := 98
	if r.dcs.Fine {
		yres = 196
	}
	r.reslt.Pages = append(r.reslt.Pages, &Page{Image: img, XRes: 204, YRes: yres, Coding: r.reslt.Coding, BadLines: bad})
	r.reslt.BadLines += bad
}
