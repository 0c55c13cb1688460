package t30

import (
	"math"

	"minipbx/dsp/fax/modem"
)

// The audio side shared by Receiver and Sender: the modems (all made at
// construction, so a call never allocates), a queue of things to send,
// the clock, and dispatch of what was received. T.30 is half duplex:
// while the terminal sends, it does not listen (its own echo is not a
// signal from the far end).

const (
	sampleRate = modem.SampleRate
	ms         = sampleRate / 1000 // samples per millisecond
)

// fastRx is a high-speed receiver.
type fastRx interface {
	Demodulate(in []int16, bits []byte) int
	State() modem.RxState
	Reset()
	Rate() int
}

// fastTx is a high-speed transmitter.
type fastTx interface {
	Start(src modem.BitSource)
	Modulate(out []int16) int
	Busy() bool
}

// Things to send.
const (
	txSilence = iota
	txTone
	txV21
	txFast
)

type txStep struct {
	kind    int
	samples int     // silence and tone: length
	step    uint32  // tone: phase step
	amp     float64 // tone: amplitude
	fast    fastTx
	src     modem.BitSource
	// The tone's amplitude modulation (ANSam: 15 Hz, ±20 %) and phase
	// reversal interval (ANSam: 450 ms); zero for none.
	am       bool
	reversal int
}

// listener receives what the port hears.
type listener interface {
	// v21Frame is a control frame with a good FCS.
	v21Frame(b []byte)
	// v21Carrier reports the V.21 carrier coming and going.
	v21Carrier(on bool)
	// v21Preamble reports a V.21 preamble: a few HDLC flags in a row.
	v21Preamble()
	// fastBits are data bits from the high-speed receiver.
	fastBits(b []byte)
	// fastState reports the high-speed receiver's state changes.
	fastState(s modem.RxState)
}

type port struct {
	now int64 // samples since the start

	v21rx   *modem.V21Rx
	v21hdlc modem.HDLCDeframer
	v21on   bool
	fast    fastRx // the high-speed receiver listened to, nil for none
	fastSt  modem.RxState
	bits    [512]byte

	v21tx  *modem.V21Tx
	framer modem.HDLCFramer
	txq    [16]txStep
	txHead int
	txLen  int
	tphase uint32
	tcount int

	rxV27 [2]*modem.V27terRx // 2400, 4800
	rxV29 [3]*modem.V29Rx    // 4800, 7200, 9600
	txV27 [2]*modem.V27terTx
	txV29 [3]*modem.V29Tx
	level float64
}

func newPort(levelDBm0 float64) *port {
	p := &port{v21rx: modem.NewV21Rx(), v21tx: modem.NewV21Tx(levelDBm0), level: levelDBm0}
	for i, r := range []int{2400, 4800} {
		p.rxV27[i], _ = modem.NewV27terRx(r)
		p.txV27[i], _ = modem.NewV27terTx(r, levelDBm0)
	}
	for i, r := range []int{4800, 7200, 9600} {
		p.rxV29[i], _ = modem.NewV29Rx(r)
		p.txV29[i], _ = modem.NewV29Tx(r, levelDBm0)
	}
	return p
}

// modems returns the receiver and transmitter of a rate, or nils.
func (p *port) modems(r Rate) (fastRx, fastTx) {
	switch {
	case r.Modem == V27ter && r.Bps == 2400:
		return p.rxV27[0], p.txV27[0]
	case r.Modem == V27ter && r.Bps == 4800:
		return p.rxV27[1], p.txV27[1]
	case r.Modem == V29 && r.Bps == 4800:
		return p.rxV29[0], p.txV29[0]
	case r.Modem == V29 && r.Bps == 7200:
		return p.rxV29[1], p.txV29[1]
	case r.Modem == V29 && r.Bps == 9600:
		return p.rxV29[2], p.txV29[2]
	}
	return nil, nil
}

// listenFast sets the high-speed receiver to listen with (nil: none).
func (p *port) listenFast(r fastRx) {
	if r != nil && r != p.fast {
		r.Reset()
	}
	p.fast = r
	p.fastSt = modem.RxIdle
}

func (p *port) push(s txStep) {
	if p.txLen == len(p.txq) {
		return // cannot happen: the engines queue a few steps at a time
	}
	p.txq[(p.txHead+p.txLen)%len(p.txq)] = s
	p.txLen++
}

func (p *port) silence(msec int) { p.push(txStep{kind: txSilence, samples: msec * ms}) }

func (p *port) tone(hz float64, msec int, dbm0 float64) {
	p.push(txStep{kind: txTone, samples: msec * ms, step: uint32(math.Round(hz / sampleRate * (1 << 32))), amp: peak(dbm0)})
}

// ansam queues ANSam (V.8): 2100 Hz amplitude-modulated at 15 Hz by 20 %,
// its phase reversed every 450 ms.
func (p *port) ansam(msec int, dbm0 float64) {
	p.push(txStep{kind: txTone, samples: msec * ms, step: uint32(math.Round(2100.0 / sampleRate * (1 << 32))), amp: peak(dbm0), am: true, reversal: 450 * ms})
}

// frames queues one V.21 message: a preamble of flags (1 s, T.30
// §5.3.1) then the frames, the last one final.
func (p *port) frames(frames ...[]byte) {
	p.framer.Reset()
	p.framer.Flags(38) // 1 s at 300 bit/s
	for _, f := range frames {
		p.framer.Queue(f)
	}
	p.framer.Flags(2)
	p.push(txStep{kind: txV21})
}

// sendFast queues a high-speed transmission of src.
func (p *port) sendFast(tx fastTx, src modem.BitSource) {
	p.push(txStep{kind: txFast, fast: tx, src: src})
}

// sending reports whether anything other than silence is queued.
func (p *port) sending() bool {
	for i := range p.txLen {
		if p.txq[(p.txHead+i)%len(p.txq)].kind != txSilence {
			return true
		}
	}
	return false
}

// idle reports whether the transmit queue is empty.
func (p *port) idle() bool { return p.txLen == 0 }

// clearTx drops everything queued.
func (p *port) clearTx() { p.txLen, p.tcount = 0, 0 }

func peak(dbm0 float64) float64 { return 22700 * math.Pow(10, dbm0/20) }

// transmit fills out from the queue; it reports whether the head of the
// queue is a signal (not silence), during which the port does not listen.
func (p *port) transmit(out []int16) (active bool) {
	i := 0
	for i < len(out) {
		if p.txLen == 0 {
			clear(out[i:])
			return active
		}
		s := &p.txq[p.txHead]
		done := false
		switch s.kind {
		case txSilence:
			n := min(len(out)-i, s.samples-p.tcount)
			clear(out[i : i+n])
			i += n
			p.tcount += n
			done = p.tcount >= s.samples
		case txTone:
			active = true
			n := min(len(out)-i, s.samples-p.tcount)
			for k := range n {
				a := s.amp
				if s.am {
					a *= 1 + 0.2*math.Sin(2*math.Pi*15*float64(p.tcount+k)/sampleRate)
				}
				ph := p.tphase
				if s.reversal > 0 && (p.tcount+k)/s.reversal%2 == 1 {
					ph += 1 << 31
				}
				out[i+k] = int16(a * math.Sin(2*math.Pi*float64(ph)/(1<<32)))
				p.tphase += s.step
			}
			i += n
			p.tcount += n
			done = p.tcount >= s.samples
		case txV21:
			active = true
			if p.tcount == 0 {
				p.v21tx.Start(&p.framer)
				p.tcount = 1
			}
			n := p.v21tx.Modulate(out[i:])
			i += n
			done = !p.v21tx.Busy()
		case txFast:
			active = true
			if p.tcount == 0 {
				s.fast.Start(s.src)
				p.tcount = 1
			}
			n := s.fast.Modulate(out[i:])
			i += n
			done = !s.fast.Busy()
		}
		if done {
			p.txHead = (p.txHead + 1) % len(p.txq)
			p.txLen--
			p.tcount = 0
		}
	}
	return active
}

// receive runs the receivers over in and tells l what they found.
func (p *port) receive(in []int16, l listener) {
	n := p.v21rx.Demodulate(in, p.bits[:])
	if on := p.v21rx.Carrier(); on != p.v21on {
		p.v21on = on
		if !on {
			p.v21hdlc.Reset()
		}
		l.v21Carrier(on)
	}
	for _, b := range p.bits[:n] {
		if f := p.v21hdlc.PutBit(b); f != nil {
			l.v21Frame(f)
		}
		if p.v21hdlc.Flags() == 4 && b == 0 {
			l.v21Preamble()
		}
	}
	if p.fast == nil {
		return
	}
	fast := p.fast
	n = fast.Demodulate(in, p.bits[:])
	// Training ends within a frame and its first data bits follow it in
	// the same frame; a carrier ends after its last bits.
	st := fast.State()
	if st == modem.RxData && st != p.fastSt {
		p.fastSt = st
		l.fastState(st)
	}
	if n > 0 && p.fast == fast {
		l.fastBits(p.bits[:n])
	}
	if st != p.fastSt && p.fast == fast {
		p.fastSt = st
		l.fastState(st)
	}
}

// deaf resets the receivers while the port transmits.
func (p *port) deaf() {
	if p.v21on {
		p.v21on = false
	}
	p.v21rx.Reset()
	p.v21hdlc.Reset()
	if p.fast != nil {
		p.fast.Reset()
		p.fastSt = modem.RxIdle
	}
}

// process is one frame of audio: send what is queued, and listen when
// not sending.
func (p *port) process(in, out []int16, l listener) {
	if p.transmit(out) {
		p.deaf()
	} else {
		p.receive(in, l)
	}
	p.now += int64(len(in))
}

// bitSource adapters -------------------------------------------------

// zeroBits is n zeros (TCF).
type zeroBits struct{ n int }

func (z *zeroBits) NextBit() int {
	if z.n <= 0 {
		return -1
	}
	z.n--
	return 0
}

// byteBits sends bytes most significant bit first (T.4 data as encoded).
type byteBits struct {
	b []byte
	i int
}

func (s *byteBits) NextBit() int {
	if s.i >= 8*len(s.b) {
		return -1
	}
	b := s.b[s.i/8] >> (7 - s.i%8) & 1
	s.i++
	return int(b)
}
