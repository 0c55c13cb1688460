package t4

import "fmt"

// bitWriter appends bits to a byte slice, most significant bit first.
type bitWriter struct {
	buf  []byte
	acc  uint32
	nacc uint
	n    int // bits written
}

func (w *bitWriter) put(bits uint32, n uint8) {
	w.n += int(n)
	for n > 0 {
		k := min(uint(n), 24-w.nacc)
		n -= uint8(k)
		w.acc = w.acc<<k | (bits>>n)&(1<<k-1)
		w.nacc += k
		for w.nacc >= 8 {
			w.nacc -= 8
			w.buf = append(w.buf, byte(w.acc>>w.nacc))
		}
	}
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.buf = append(w.buf, byte(w.acc<<(8-w.nacc)))
		w.nacc = 0
	}
	return w.buf
}

func (w *bitWriter) eol() { w.put(1, 12) }

// Encoder codes pages in MH, MR or MMR.
type Encoder struct {
	coding Coding
	// K is MR's K factor: a 1-D row every K rows (T.4 §4.2.1: 2 at
	// standard resolution, 4 at fine).
	K int
	// MinLineBits, for MH and MR sent without ECM, pads each row with fill
	// bits before its EOL to at least this many bits: the receiver's
	// minimum scan line time times the bit rate.
	MinLineBits int
	cur, ref    []int32
}

// NewEncoder returns an encoder; k is MR's K factor (ignored otherwise).
func NewEncoder(coding Coding, k int) (*Encoder, error) {
	if coding < MH || coding > MMR {
		return nil, fmt.Errorf("t4: unknown coding %d", coding)
	}
	if k < 1 {
		k = 2
	}
	return &Encoder{coding: coding, K: k}, nil
}

// Encode appends the coded page to dst: for MH and MR starting with EOL
// and ending with RTC, for MMR ending with EOFB.
func (e *Encoder) Encode(dst []byte, img *Image) []byte {
	w := bitWriter{buf: dst}
	width := img.Width
	e.ref = append(e.ref[:0], int32(width), int32(width), int32(width))
	if e.coding != MMR {
		w.eol()
	}
	k := max(e.K, 1)
	for y := range img.Height {
		start := w.n
		row := img.Row(y)
		e.cur = changes(row, width, e.cur)
		e.cur = append(e.cur, int32(width))
		switch e.coding {
		case MH:
			e.row1D(&w, width)
			e.fill(&w, start)
			w.eol()
		case MR:
			if y%k == 0 {
				w.put(1, 1)
				e.row1D(&w, width)
			} else {
				w.put(0, 1)
				e.row2D(&w, width)
			}
			e.fill(&w, start)
			w.eol()
		case MMR:
			e.row2D(&w, width)
		}
		e.cur, e.ref = e.ref, e.cur
	}
	switch e.coding {
	case MH:
		for range 5 {
			w.eol()
		}
	case MR:
		// The EOL after the last row and five more, each with its tag.
		w.put(1, 1)
		for range 5 {
			w.eol()
			w.put(1, 1)
		}
	case MMR:
		w.eol()
		w.eol()
	}
	return w.flush()
}

// fill pads the row begun at bit start to MinLineBits.
func (e *Encoder) fill(w *bitWriter, start int) {
	for n := e.MinLineBits - (w.n - start); n > 0; n -= min(n, 24) {
		w.put(0, uint8(min(n, 24)))
	}
}

func putRun(w *bitWriter, run int, color int) {
	term, mk := &std.wTerm, &std.wMake
	if color == 1 {
		term, mk = &std.bTerm, &std.bMake
	}
	for run >= 2560 {
		c := std.extended2560
		w.put(c.bits, c.n)
		run -= 2560
	}
	if run >= 64 {
		m := run / 64
		var c encCode
		if m <= 27 {
			c = mk[m]
		} else {
			c = std.ext[m-28]
		}
		w.put(c.bits, c.n)
		run -= 64 * m
	}
	c := term[run]
	w.put(c.bits, c.n)
}

func (e *Encoder) row1D(w *bitWriter, width int) {
	pos, color := 0, 0
	for _, c := range e.cur {
		if int(c) >= width {
			break
		}
		putRun(w, int(c)-pos, color)
		pos, color = int(c), color^1
	}
	putRun(w, width-pos, color)
}

func (e *Encoder) row2D(w *bitWriter, width int) {
	a0, color := -1, 0
	ci, ri := 0, 0
	for a0 < width {
		for int(e.cur[ci]) <= a0 && ci < len(e.cur)-2 {
			ci++
		}
		a1, a2 := int(e.cur[ci]), int(e.cur[ci+1])
		for int(e.ref[ri]) <= a0 && ri < len(e.ref)-3 {
			ri++
		}
		i := ri
		if i&1 != color {
			i++
		}
		b1, b2 := int(e.ref[i]), int(e.ref[i+1])
		switch {
		case b2 < a1:
			c := std.modes[modePass]
			w.put(c.bits, c.n)
			a0 = b2
		case a1-b1 <= 3 && b1-a1 <= 3:
			m := [7]int{modeVL3, modeVL2, modeVL1, modeV0, modeVR1, modeVR2, modeVR3}[a1-b1+3]
			c := std.modes[m]
			w.put(c.bits, c.n)
			a0, color = a1, color^1
		default:
			c := std.modes[modeHoriz]
			w.put(c.bits, c.n)
			start := max(a0, 0)
			putRun(w, a1-start, color)
			putRun(w, a2-a1, color^1)
			a0 = a2
		}
	}
}
