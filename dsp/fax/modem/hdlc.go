package modem

// HDLC framing as T.30 uses it (ITU-T T.30 §5.3, ISO/IEC 13239): frames
// between 0x7E flags, a 0 stuffed after five consecutive 1s, octets sent
// least significant bit first, and a 16-bit frame check sequence
// (CRC-16-CCITT, x¹⁶+x¹²+x⁵+1, preset to all ones, sent complemented).

// MaxFrame is the longest frame the deframer accepts, FCS excluded: an ECM
// frame is 4 header octets and 256 of data; control frames are shorter.
const MaxFrame = 300

// crc16 updates the HDLC frame check sequence with b (reflected
// CRC-16-CCITT, polynomial 0x8408).
func crc16(crc uint16, b []byte) uint16 {
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x8408
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// crcGood is the residue the FCS leaves over a frame with its FCS.
const crcGood = 0xF0B8

// FCS returns the two octets of the frame check sequence of frame, in the
// order they are sent.
func FCS(frame []byte) [2]byte {
	c := ^crc16(0xFFFF, frame)
	return [2]byte{byte(c), byte(c >> 8)}
}

// HDLCDeframer recovers frames from a bit stream. It keeps no frame
// queue of its own: PutBit returns a completed frame, valid until the
// next call, so the caller acts on it at once without allocation.
type HDLCDeframer struct {
	buf     [MaxFrame + 2]byte
	n       int  // octets collected
	cur     byte // octet being assembled
	nbits   int  // bits in cur
	ones    int  // consecutive 1 bits seen
	inFrame bool // a flag has been seen since the last abort
	flags   int  // flags seen in a row (preamble)
	// Statistics.
	Good, BadFCS, Aborts int
}

// Reset forgets any partial frame, as after a loss of carrier.
func (d *HDLCDeframer) Reset() {
	d.n, d.cur, d.nbits, d.ones, d.inFrame, d.flags = 0, 0, 0, 0, false, 0
}

// Flags reports how many flags in a row ended with the last bit (a
// preamble in progress); it drops to 0 once a frame's octets begin.
func (d *HDLCDeframer) Flags() int { return d.flags }

// PutBit feeds one received bit (0 or 1). When the bit closes a frame
// whose FCS checks, it returns the frame without its FCS; the slice is
// the deframer's own buffer, overwritten by the bits that follow.
func (d *HDLCDeframer) PutBit(bit byte) []byte {
	if bit&1 != 0 {
		d.ones++
		if d.ones >= 7 {
			// Abort (seven or more 1s): the frame is void until the next flag.
			if d.inFrame && d.n > 0 {
				d.Aborts++
			}
			d.inFrame, d.n, d.nbits, d.flags = false, 0, 0, 0
			return nil
		}
		d.shift(1)
		return nil
	}
	ones := d.ones
	d.ones = 0
	switch {
	case ones == 5:
		return nil // a stuffed 0
	case ones == 6:
		// A flag. The six 1s (and the 0 before them) went into cur; drop them.
		var frame []byte
		if d.inFrame && d.n >= 4 && d.nbits == 7 {
			if crc16(0xFFFF, d.buf[:d.n]) == crcGood {
				d.Good++
				frame = d.buf[:d.n-2]
			} else {
				d.BadFCS++
			}
		} else if d.inFrame && d.n >= 2 {
			d.BadFCS++
		}
		if d.n == 0 {
			d.flags++
		} else {
			d.flags = 1
		}
		d.inFrame, d.n, d.nbits, d.cur = true, 0, 0, 0
		return frame
	}
	d.shift(0)
	return nil
}

func (d *HDLCDeframer) shift(bit byte) {
	if !d.inFrame {
		return
	}
	d.cur = d.cur>>1 | bit<<7
	d.nbits++
	if d.nbits == 8 {
		if d.n == len(d.buf) {
			// Too long for any T.30 frame: drop it and wait for a flag.
			d.inFrame, d.n = false, 0
			d.Aborts++
		} else {
			d.buf[d.n] = d.cur
			d.n++
			d.flags = 0
		}
		d.nbits = 0
	}
}

// HDLCFramer turns frames into the bits to send: a preamble of flags,
// each frame stuffed and followed by its FCS and a flag, and closing
// flags. It is a BitSource for the transmitters. Frames are copied in by
// Queue into a fixed buffer, so sending allocates nothing.
type HDLCFramer struct {
	// Bits still to send, one per byte, as a ring.
	bits [8 * 4 * (MaxFrame + 16)]byte
	head int
	n    int
	// Underrun makes the framer send flags when it runs dry instead of
	// ending (the T.30 ECM image phase idles between frames on flags).
	Idle bool
}

// Len is how many bits are still queued.
func (f *HDLCFramer) Len() int { return f.n }

// Space is how many more bits fit.
func (f *HDLCFramer) Space() int { return len(f.bits) - f.n }

// Reset drops everything queued.
func (f *HDLCFramer) Reset() { f.head, f.n = 0, 0 }

func (f *HDLCFramer) push(b byte) bool {
	if f.n == len(f.bits) {
		return false
	}
	f.bits[(f.head+f.n)%len(f.bits)] = b
	f.n++
	return true
}

// Flags queues n flags (a preamble, or the closing flags).
func (f *HDLCFramer) Flags(n int) {
	for range n {
		for k := range 8 {
			f.push(0x7E >> k & 1)
		}
	}
}

// Queue appends frame (address, control, FCF and information field; the
// FCS is added here) and one closing flag. It reports false, queuing
// nothing, when the frame is longer than MaxFrame or does not fit.
func (f *HDLCFramer) Queue(frame []byte) bool {
	if len(frame) > MaxFrame || f.Space() < (len(frame)+2)*10+8 {
		return false
	}
	ones := 0
	put := func(c byte) {
		for k := range 8 {
			b := c >> k & 1
			f.push(b)
			if b == 1 {
				ones++
				if ones == 5 {
					f.push(0)
					ones = 0
				}
			} else {
				ones = 0
			}
		}
	}
	for _, c := range frame {
		put(c)
	}
	fcs := FCS(frame)
	put(fcs[0])
	put(fcs[1])
	f.Flags(1)
	return true
}

// NextBit returns the next bit to send, or -1 when the queue is empty
// (a flag bit instead when Idle is set).
func (f *HDLCFramer) NextBit() int {
	if f.n == 0 {
		if !f.Idle {
			return -1
		}
		f.Flags(1)
	}
	b := f.bits[f.head]
	f.head = (f.head + 1) % len(f.bits)
	f.n--
	return int(b)
}
