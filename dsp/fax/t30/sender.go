package t30

import (
	"time"

	"errors"
	"fmt"

	"minipbx/dsp/fax/modem"
	"minipbx/dsp/fax/t4"
)

// Document is what a Sender sends: pages of one width and resolution.
type Document struct {
	Pages []*t4.Image
	Fine  bool // 196 lines per inch (else 98)
}

// Sender is the calling terminal of a fax call (T.30 calling and
// transmitting): it sends CNG until the receiver's DIS, chooses the best
// common modem, coding and ECM, sends DCS and the training check (TCF),
// stepping down the rate on FTT, then the pages, each confirmed by MCF
// (or corrected by PPR in ECM), and ends with DCN.
type Sender struct {
	opt    Options
	doc    Document
	p      *port
	state  int
	timer  int64
	t1     int64
	tries  int
	msg    message
	cmd    [64]byte // the last command, to repeat it
	cmdLen int

	remote Capabilities
	dcs    Capabilities
	rates  []Rate
	ri     int // index into rates
	page   int
	data   []byte // the current page coded
	src    byteBits
	tcf    zeroBits
	enc    [3]*t4.Encoder
	ecm    ecmTx
	pprs   int // PPRs for the current block
	reslt  Result
}

// Sender states.
const (
	sCall  = iota // CNG, waiting for DIS
	sCFR          // DCS and TCF sent, waiting for CFR or FTT
	sImage        // sending image data
	sMCF          // post-message command sent, waiting for its answer
	sDCN          // sending DCN
	sDone
)

// ErrDocument is returned for a document that cannot be sent.
var ErrDocument = errors.New("t30: document cannot be sent")

// NewSender makes a sender of doc.
func NewSender(opt Options, doc Document) (*Sender, error) {
	if len(doc.Pages) == 0 {
		return nil, fmt.Errorf("%w: no pages", ErrDocument)
	}
	w := doc.Pages[0].Width
	for i, p := range doc.Pages {
		if p.Width != w {
			return nil, fmt.Errorf("%w: page %d is %d pixels wide, page 1 %d", ErrDocument, i+1, p.Width, w)
		}
	}
	if w != t4.WidthA4 && w != t4.WidthB4 && w != t4.WidthA3 {
		return nil, fmt.Errorf("%w: width %d is not a fax width (1728, 2048, 2432)", ErrDocument, w)
	}
	s := &Sender{opt: opt, doc: doc, p: newPort(opt.level())}
	for i := range s.enc {
		s.enc[i], _ = t4.NewEncoder(t4.Coding(i), 2)
	}
	s.ecm.framer.Idle = false
	s.reslt.Width = w
	s.cng()
	s.t1 = timerT1
	return s, nil
}

// cng queues calling tone cycles: 1100 Hz for 0.5 s, 3 s of silence
// (T.30 §5.2.1), listening in the silences.
func (s *Sender) cng() {
	for range 4 {
		s.p.tone(1100, 500, s.opt.level())
		s.p.silence(3000)
	}
}

// Process takes one frame of received audio and produces the frame to send.
func (s *Sender) Process(in, out []int16) {
	s.p.process(in, out, s)
	if s.state == sDone {
		return
	}
	s.tick()
}

// Done reports whether the call is over.
func (s *Sender) Done() bool { return s.state == sDone && s.p.idle() }

// Result reports the call so far, or its end.
func (s *Sender) Result() *Result { return &s.reslt }

// Hangup ends the call from outside.
func (s *Sender) Hangup() { s.fail("call ended during the fax") }

func (s *Sender) event(e Event) {
	if s.opt.OnEvent != nil {
		e.At = time.Duration(s.p.now) * time.Second / sampleRate
		s.opt.OnEvent(e)
	}
}

func (s *Sender) fail(cause string) {
	if s.state == sDone {
		return
	}
	s.reslt.Outcome, s.reslt.Cause = Failed, cause
	s.state = sDone
	s.p.listenFast(nil)
	s.event(Event{Kind: EvDone})
}

// command sends a message of frames and waits for the answer.
func (s *Sender) command(frames ...[]byte) {
	s.p.silence(75)
	s.p.frames(frames...)
	last := frames[len(frames)-1]
	s.cmdLen = copy(s.cmd[:], last)
	for _, f := range frames {
		s.event(Event{Kind: EvFrameTx, Name: fcfName(f[2])})
	}
	s.timer = 0
}

func (s *Sender) tick() {
	if s.p.sending() {
		s.timer = 0
		return
	}
	now := s.p.now
	switch s.state {
	case sCall:
		if now > s.t1 {
			s.fail("no fax receiver answered (T1)")
			return
		}
		if s.p.idle() {
			s.cng()
		}
		return
	case sImage:
		s.imageSent()
		return
	case sDCN:
		if s.p.idle() {
			s.reslt.Outcome = Success
			s.state = sDone
			s.event(Event{Kind: EvDone})
		}
		return
	}
	if s.timer == 0 {
		s.timer = now + timerT4
		return
	}
	if now < s.timer {
		return
	}
	// No answer: repeat the command.
	if s.tries++; s.tries >= maxTries {
		s.fail("no answer from the receiver (T4)")
		return
	}
	if s.state == sCFR {
		s.sendDCS()
		return
	}
	s.p.silence(75)
	s.p.frames(s.cmd[:s.cmdLen])
	s.timer = 0
}

func (s *Sender) v21Carrier(on bool)         {}
func (s *Sender) v21Preamble()               {}
func (s *Sender) fastBits(b []byte)          {}
func (s *Sender) fastState(st modem.RxState) {}

func (s *Sender) v21Frame(b []byte) {
	f, n, err := s.msg.add(b)
	if err != nil {
		return
	}
	s.event(Event{Kind: EvFrameRx, Name: fcfName(f.FCF)})
	for i := range n {
		g := s.msg.frame(i)
		if g.FCF&^1 == fcfCSI {
			s.reslt.RemoteID = decodeID(g.Info)
		}
		if i == n-1 {
			s.response(g)
		}
	}
}

func (s *Sender) response(f Frame) {
	if s.state == sDone || s.state == sDCN {
		return
	}
	fcf := f.FCF &^ 1
	if fcf == fcfDCN {
		s.fail("the receiver disconnected (DCN)")
		return
	}
	if fcf == fcfCRP {
		s.p.silence(75)
		s.p.frames(s.cmd[:s.cmdLen])
		s.timer = 0
		return
	}
	switch s.state {
	case sCall:
		if fcf == fcfDIS {
			s.onDIS(f)
		}
	case sCFR:
		switch fcf {
		case fcfCFR:
			s.tries = 0
			s.startPage()
		case fcfFTT:
			s.reslt.Retrains++
			if s.ri++; s.ri >= len(s.rates) {
				s.fail("training failed at every rate (FTT)")
				return
			}
			s.tries = 0
			s.sendDCS()
		case fcfDIS:
			s.sendDCS() // the receiver did not hear our DCS
		}
	case sMCF:
		s.postResponse(fcf, f)
	}
}

// onDIS chooses the parameters of the call from the receiver's offer.
func (s *Sender) onDIS(f Frame) {
	c, err := parseDIS(f.Info)
	if err != nil {
		return
	}
	if !c.Receive {
		s.fail("the far end cannot receive a fax")
		return
	}
	s.p.clearTx()
	s.remote = c
	s.rates = s.rates[:0]
	max := s.opt.maxBps()
	for _, r := range []Rate{{V29, 9600}, {V29, 7200}, {V27ter, 4800}, {V27ter, 2400}} {
		if r.Bps > max || r.Modem == V29 && !c.V29 || r.Modem == V27ter && !c.V27ter {
			continue
		}
		s.rates = append(s.rates, r)
	}
	if len(s.rates) == 0 {
		s.fail("no modem in common")
		return
	}
	w := s.doc.Pages[0].Width
	if w > c.Width {
		s.fail("the receiver cannot take the page width")
		return
	}
	d := Capabilities{Width: w, Fine: s.doc.Fine && c.Fine, ScanTimeMs: c.ScanTimeMs}
	d.ECM = c.ECM && !s.opt.NoECM
	d.MMR = d.ECM && c.MMR && !s.opt.NoMMR
	d.MR = !d.MMR && c.MR && !s.opt.NoMR
	d.Frame64 = d.ECM && (s.opt.Frame64 || c.Frame64)
	s.dcs = d
	s.reslt.ECM, s.reslt.Fine = d.ECM, d.Fine
	switch {
	case d.MMR:
		s.reslt.Coding = t4.MMR
	case d.MR:
		s.reslt.Coding = t4.MR
	default:
		s.reslt.Coding = t4.MH
	}
	s.ri, s.tries = 0, 0
	s.sendDCS()
}

// sendDCS sends TSI and DCS at the current rate, then TCF.
func (s *Sender) sendDCS() {
	s.dcs.Rate = s.rates[s.ri]
	s.reslt.Rate = s.dcs.Rate
	var a, b [64]byte
	tsi := encodeID(appendFrame(a[:0], fcfTSI|1, false), s.opt.LocalID)
	dcs := appendFrame(b[:0], fcfDCS|1, true, encodeDCS(s.dcs)...)
	s.command(tsi, dcs)
	_, tx := s.p.modems(s.dcs.Rate)
	s.p.silence(75)
	s.tcf.n = s.dcs.Rate.Bps * 3 / 2 // 1.5 s of zeros
	s.p.sendFast(tx, &s.tcf)
	s.state = sCFR
}

// startPage codes the page (once) and sends it, or its first block.
func (s *Sender) startPage() {
	img := s.doc.Pages[s.page]
	if s.doc.Fine && !s.dcs.Fine {
		img = halve(img)
	}
	k := 2
	if s.dcs.Fine {
		k = 4
	}
	enc := s.enc[s.reslt.Coding]
	enc.K = k
	enc.MinLineBits = 0
	if !s.dcs.ECM && s.dcs.ScanTimeMs > 0 {
		// The full time at either resolution is always safe.
		enc.MinLineBits = s.dcs.Rate.Bps * s.dcs.ScanTimeMs / 1000
	}
	s.data = enc.Encode(s.data[:0], img)
	s.event(Event{Kind: EvPageStart, Page: s.page + 1, Rate: s.dcs.Rate})
	if s.dcs.ECM {
		s.ecm.setPage(s.data, s.dcs.Frame64)
		s.pprs = 0
	}
	s.sendImage()
}

// sendImage queues the image modem with the page or the block.
func (s *Sender) sendImage() {
	_, tx := s.p.modems(s.dcs.Rate)
	s.p.silence(75)
	if s.dcs.ECM {
		s.ecm.start()
		s.p.sendFast(tx, &s.ecm)
	} else {
		s.src = byteBits{b: s.data}
		s.p.sendFast(tx, &s.src)
	}
	s.state = sImage
}

// imageSent: the image modem finished; send the post-message command.
func (s *Sender) imageSent() {
	last := s.page == len(s.doc.Pages)-1
	pm := byte(fcfMPS)
	if last {
		pm = fcfEOP
	}
	var b [16]byte
	if s.dcs.ECM {
		if !s.ecm.lastBlock() {
			pm = ppsNull
		}
		if pm != ppsNull {
			pm |= 1
		}
		f := appendFrame(b[:0], fcfPPS|1, true, pm, byte(s.page), byte(s.ecm.block), byte(s.ecm.blockFrames()-1))
		s.command(f)
	} else {
		s.command(appendFrame(b[:0], pm|1, true))
	}
	s.state = sMCF
	s.tries = 0
}

// postResponse acts on MCF, RTN, PPR.
func (s *Sender) postResponse(fcf byte, f Frame) {
	switch fcf {
	case fcfMCF, fcfRTP:
		if s.dcs.ECM && !s.ecm.lastBlock() {
			s.ecm.nextBlock()
			s.pprs = 0
			s.sendImage()
			return
		}
		s.reslt.Pages = append(s.reslt.Pages, &Page{Image: s.doc.Pages[s.page], XRes: 204, YRes: yres(s.dcs.Fine), Coding: s.reslt.Coding})
		s.event(Event{Kind: EvPage, Page: s.page + 1, OK: true})
		if s.page++; s.page == len(s.doc.Pages) {
			s.disconnect()
			return
		}
		if fcf == fcfRTP {
			s.sendDCS()
			return
		}
		s.startPage()
	case fcfRTN:
		// The page arrived with too many errors. Like most senders, go on
		// to the next page, after training again at a lower rate.
		s.reslt.Retrains++
		s.reslt.Pages = append(s.reslt.Pages, &Page{Image: s.doc.Pages[s.page], XRes: 204, YRes: yres(s.dcs.Fine), Coding: s.reslt.Coding})
		s.event(Event{Kind: EvPage, Page: s.page + 1, OK: false})
		if s.page++; s.page == len(s.doc.Pages) {
			s.disconnect()
			return
		}
		if s.ri < len(s.rates)-1 {
			s.ri++
		}
		s.tries = 0
		s.sendDCS()
	case fcfPPR:
		if len(f.Info) < 32 {
			return
		}
		s.reslt.Retransmissions++
		if s.pprs++; s.pprs > 8 {
			s.fail("ECM block still incomplete after 8 retransmissions")
			return
		}
		s.ecm.resend(f.Info[:32])
		s.sendImage()
	}
}

// disconnect sends DCN: the call is over.
func (s *Sender) disconnect() {
	var b [8]byte
	s.p.silence(75)
	s.p.frames(appendFrame(b[:0], fcfDCN|1, true))
	s.event(Event{Kind: EvFrameTx, Name: "DCN"})
	s.state = sDCN
}

func yres(fine bool) int {
	if fine {
		return 196
	}
	return 98
}

// halve drops every other row (fine to standard resolution).
func halve(img *t4.Image) *t4.Image {
	out, _ := t4.NewImage(img.Width, (img.Height+1)/2)
	for y := range out.Height {
		copy(out.Row(y), img.Row(2*y))
	}
	return out
}

// ecmTx sends the frames of a block on the image modem: a preamble of
// flags, the FCD frames (all, or those a PPR asked for), three RCP.
type ecmTx struct {
	framer  modem.HDLCFramer
	data    []byte // the page, bits reversed into HDLC order
	size    int    // frame size
	block   int
	first   int // the block's first frame in the page
	sendIt  [ecmFrames]bool
	next    int // next frame of the block to queue
	rcp     int
	started bool
	buf     [4 + ecmMaxData]byte
}

func (e *ecmTx) setPage(data []byte, frame64 bool) {
	e.data = e.data[:0]
	for _, c := range data {
		e.data = append(e.data, reverse8(c))
	}
	e.size = 256
	if frame64 {
		e.size = 64
	}
	e.block, e.first = 0, 0
	for i := range e.sendIt {
		e.sendIt[i] = true
	}
}

func reverse8(c byte) byte {
	c = c>>4 | c<<4
	c = c>>2&0x33 | c<<2&0xCC
	return c>>1&0x55 | c<<1&0xAA
}

// blockFrames is the number of frames in the current block.
func (e *ecmTx) blockFrames() int {
	left := (len(e.data) - e.first*e.size + e.size - 1) / e.size
	return max(1, min(ecmFrames, left))
}

func (e *ecmTx) lastBlock() bool { return e.first+e.blockFrames() >= (len(e.data)+e.size-1)/e.size }

func (e *ecmTx) nextBlock() {
	e.first += e.blockFrames()
	e.block++
	for i := range e.sendIt {
		e.sendIt[i] = true
	}
}

// resend marks the frames of a PPR bitmap.
func (e *ecmTx) resend(bm []byte) {
	for i := range ecmFrames {
		e.sendIt[i] = bm[i/8]>>(i%8)&1 != 0
	}
}

// start begins sending the block.
func (e *ecmTx) start() {
	e.framer.Reset()
	e.framer.Flags(e.flagsFor200ms())
	e.next, e.rcp, e.started = 0, 0, true
}

func (e *ecmTx) flagsFor200ms() int { return 30 } // 240 bits: ≥ 200 ms at 9600 bit/s in flags is 240 flags; 30 suffice after training

// NextBit feeds the framer a frame at a time.
func (e *ecmTx) NextBit() int {
	for e.framer.Len() < 64 {
		if !e.queueNext() {
			break
		}
	}
	return e.framer.NextBit()
}

func (e *ecmTx) queueNext() bool {
	n := e.blockFrames()
	for e.next < n && !e.sendIt[e.next] {
		e.next++
	}
	if e.next < n {
		i := e.next
		e.next++
		off := (e.first + i) * e.size
		end := min(off+e.size, len(e.data))
		f := append(e.buf[:0], 0xFF, 0x03, fcfFCD|1, byte(i))
		f = append(f, e.data[off:end]...)
		e.framer.Queue(f)
		return true
	}
	if e.rcp < 3 {
		e.rcp++
		rcp := [3]byte{0xFF, 0x03, fcfRCP | 1}
		e.framer.Queue(rcp[:])
		if e.rcp == 3 {
			e.framer.Flags(2)
		}
		return true
	}
	return false
}
