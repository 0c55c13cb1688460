package t4

import "fmt"

// std are the code tables, built once; nothing writes them afterwards.
var std = newTables()

// Stats describe a decoded page.
type Stats struct {
	Lines    int // rows decoded, bad ones included
	BadLines int // rows that did not decode (replaced by the row above)
	// MaxBadRun is the longest run of consecutive bad rows (T.30's
	// receivers judge a page by it as well as by the count).
	MaxBadRun int
	badRun    int
	// Ended tells whether the page ended properly (RTC, or EOFB in T.6)
	// rather than by running out of data.
	Ended bool
}

const (
	stSync    = iota // waiting for an EOL
	stTag            // MR: the bit after EOL says 1-D (1) or 2-D (0)
	stLine1D         // decoding runs
	stMode           // decoding a 2-D mode code
	stHoriz          // 2-D horizontal mode: decoding its two runs
	stLineEnd        // the row is complete: fill then EOL expected
	stDone
)

// Decoder decodes a T.4 (MH, MR) or T.6 (MMR) page bit by bit, as the bits
// arrive from a modem, so a non-ECM receiver knows the page's bad rows as
// it ends. It is tolerant the way T.4 asks for MH and MR: a row that does
// not decode is replaced by the row above and counted, and decoding
// resumes at the next EOL. Decoding allocates only as the page grows.
type Decoder struct {
	coding Coding
	width  int
	img    *Image
	row    []byte  // the row being decoded
	ref    []int32 // changing elements of the reference row, with sentinels
	state  int
	node   int
	zeros  int  // consecutive 0 bits
	color  int  // colour of the current run (0 white, 1 black)
	a0     int  // current position; -1 before the first pixel of a 2-D row
	run    int  // make-up length collected so far
	hrun   int  // horizontal mode: which run (0 or 1)
	h1     int  // its first run
	ri     int  // search index into ref
	codes  int  // codes decoded in this row
	bad    bool // this row has failed; 2-D rows after a failure inherit it
	refBad bool // the reference row is a substitute (MR: until the next 1-D row)
	empty  int  // EOLs in a row with nothing between them
	st     Stats
}

// NewDecoder returns a decoder of pages of the given width.
func NewDecoder(coding Coding, width int) (*Decoder, error) {
	if coding < MH || coding > MMR {
		return nil, fmt.Errorf("t4: unknown coding %d", coding)
	}
	if width <= 0 || width > MaxWidth {
		return nil, fmt.Errorf("%w: width %d", ErrTooLarge, width)
	}
	return &Decoder{
		coding: coding,
		width:  width,
		row:    make([]byte, (width+7)/8),
		ref:    make([]int32, 0, width+4),
	}, nil
}

// Width is the page width the decoder was made for.
func (d *Decoder) Width() int { return d.width }

// Coding is the decoder's coding.
func (d *Decoder) Coding() Coding { return d.coding }

// Start begins a page, decoded into img (its pixel buffer is reused).
func (d *Decoder) Start(img *Image) {
	img.Width, img.Height, img.Stride = d.width, 0, (d.width+7)/8
	img.Pix = img.Pix[:0]
	d.img = img
	d.st = Stats{}
	d.zeros, d.empty, d.bad, d.refBad = 0, 0, false, false
	// The reference of the first 2-D row is an imaginary white row.
	d.ref = append(d.ref[:0], int32(d.width), int32(d.width), int32(d.width))
	if d.coding == MMR {
		d.startRow()
	} else {
		d.state = stSync
	}
}

// Stats reports on the page so far.
func (d *Decoder) Stats() Stats { return d.st }

// Done reports whether the page has ended (RTC or EOFB seen).
func (d *Decoder) Done() bool { return d.state == stDone }

// PutBytes feeds whole octets, the first bit of each octet being its
// least significant when lsbFirst (as HDLC carries ECM data) or its most
// significant (TIFF FillOrder 1, PDF). It reports whether the page ended.
func (d *Decoder) PutBytes(p []byte, lsbFirst bool) bool {
	for _, c := range p {
		for k := range 8 {
			var b byte
			if lsbFirst {
				b = c >> k & 1
			} else {
				b = c >> (7 - k) & 1
			}
			if d.PutBit(b) {
				return true
			}
		}
	}
	return d.state == stDone
}

// Finish ends the page where the data ended: a row in progress counts as
// a bad row.
func (d *Decoder) Finish() {
	if d.state == stDone {
		return
	}
	if d.codes > 0 || d.state == stLineEnd {
		d.endRow(d.state != stLineEnd)
	}
	d.state = stDone
}

func (d *Decoder) startRow() {
	clear(d.row)
	d.node, d.color, d.run, d.hrun, d.codes, d.ri = 0, 0, 0, 0, 0, 0
	if d.coding == MH {
		d.a0 = 0
		d.state = stLine1D
		return
	}
	if d.coding == MR {
		d.state = stTag
		return
	}
	d.a0 = -1
	d.state = stMode
}

// endRow appends the row (or, when it failed, a copy of the row above).
func (d *Decoder) endRow(failed bool) {
	failed = failed || d.bad
	d.bad = false
	img := d.img
	if img.Height >= MaxHeight {
		d.state = stDone
		return
	}
	n := len(img.Pix)
	img.Pix = append(img.Pix, d.row...)
	if failed {
		if img.Height > 0 {
			copy(img.Pix[n:], img.Pix[n-img.Stride:n])
		} else {
			clear(img.Pix[n:])
		}
		d.st.BadLines++
		d.st.badRun++
		d.st.MaxBadRun = max(d.st.MaxBadRun, d.st.badRun)
		if d.coding != MH {
			d.refBad = true
		}
	} else {
		d.st.badRun = 0
	}
	img.Height++
	d.st.Lines++
	if d.coding != MH && !failed {
		d.ref = changes(img.Pix[n:], d.width, d.ref)
		d.ref = append(d.ref, int32(d.width))
	}
}

// eol handles an EOL: the end of the row before it, and perhaps of the page.
func (d *Decoder) eol() {
	switch {
	case d.state == stLineEnd:
		d.endRow(false)
		d.empty = 0
	case d.bad || d.codes > 0 || d.state == stHoriz:
		d.endRow(true) // an EOL inside a row: the row is bad
		d.empty = 0
	case d.st.Lines > 0 || d.empty > 0 || d.coding == MMR:
		// Nothing since the last EOL: part of RTC (six EOLs) or EOFB.
		d.empty++
	}
	if d.coding == MMR {
		// EOFB is two EOLs; the first one is enough to end the page.
		d.st.Ended = true
		d.state = stDone
		return
	}
	if d.empty >= 4 {
		d.st.Ended = true
		d.state = stDone
		return
	}
	d.startRow()
}

// fail abandons the row: decoding resumes at the next EOL. T.6 has no
// EOLs within a page, so there the rest of the page is lost, unless the
// "failure" is the start of EOFB at the beginning of a row.
func (d *Decoder) fail() {
	if d.coding == MMR {
		if d.codes == 0 && d.zeros > 0 {
			d.state = stSync // EOFB, expected to complete
			return
		}
		d.endRow(true)
		d.state = stDone
		return
	}
	// Zeros at the start of a row are an EOL coming (RTC), not an error.
	d.bad = d.codes > 0 || d.zeros == 0
	d.state = stSync
}

// PutBit feeds one bit and reports whether the page has ended.
func (d *Decoder) PutBit(b byte) bool {
	if b == 0 {
		d.zeros++
	} else {
		z := d.zeros
		d.zeros = 0
		if z >= 11 {
			if d.state != stDone {
				d.eol()
			}
			return d.state == stDone
		}
	}
	switch d.state {
	case stSync:
		if d.coding == MMR && b == 1 {
			d.state = stDone // not EOFB after all: the page is cut short
		}
	case stLineEnd:
		if b == 1 {
			// Data where only fill and EOL may be: the row ran long.
			d.fail()
		}
	case stTag:
		if b == 1 {
			d.a0, d.state = 0, stLine1D
			d.refBad = false
		} else {
			d.a0, d.state = -1, stMode
			d.bad = d.refBad
		}
	case stLine1D:
		d.run1D(b)
	case stMode:
		d.mode(b)
	case stHoriz:
		d.horiz(b)
	}
	return d.state == stDone
}

// walk advances the tree walk by b; it returns the run or mode when a
// code completes, -1 while inside one, -2 for an invalid code.
func (d *Decoder) walk(t *tree, b byte) int {
	next := t.next[d.node][b]
	switch {
	case next == 0:
		d.node = 0
		return -2
	case next < 0:
		d.node = 0
		return int(-next - 1)
	}
	d.node = int(next)
	return -1
}

func (d *Decoder) runTree() *tree {
	if d.color == 0 {
		return &std.white
	}
	return &std.black
}

func (d *Decoder) run1D(b byte) {
	r := d.walk(d.runTree(), b)
	switch {
	case r == -1:
		return
	case r == -2:
		d.fail()
		return
	}
	d.codes++
	if r >= 64 {
		d.run += r
		if d.a0+d.run > d.width {
			d.fail()
		}
		return
	}
	r += d.run
	d.run = 0
	end := d.a0 + r
	if end > d.width {
		d.fail()
		return
	}
	if d.color == 1 {
		fillRow(d.row, d.a0, end)
	}
	d.a0 = end
	d.color ^= 1
	if d.a0 == d.width {
		d.state = stLineEnd
	}
}

// b1b2 finds the reference row's changing elements b1 (the first to the
// right of a0 of the colour opposite to a0's) and b2 (the next).
func (d *Decoder) b1b2() (int, int) {
	for int(d.ref[d.ri]) <= d.a0 && d.ri < len(d.ref)-3 {
		d.ri++
	}
	i := d.ri
	// Element i changes to black when i is even.
	if i&1 != d.color {
		i++
	}
	return int(d.ref[i]), int(d.ref[i+1])
}

func (d *Decoder) mode(b byte) {
	m := d.walk(&std.mode, b)
	switch {
	case m == -1:
		return
	case m == -2 || m == modeExt:
		d.fail()
		return
	}
	d.codes++
	start := max(d.a0, 0)
	switch m {
	case modePass:
		_, b2 := d.b1b2()
		if b2 <= d.a0 || b2 > d.width {
			d.fail()
			return
		}
		if d.color == 1 {
			fillRow(d.row, start, b2)
		}
		d.a0 = b2
	case modeHoriz:
		d.state, d.hrun, d.run = stHoriz, 0, 0
		return
	default:
		b1, _ := d.b1b2()
		a1 := b1 + vOffset[m]
		if a1 < start || a1 > d.width || (a1 == d.a0 && d.a0 >= 0) {
			d.fail()
			return
		}
		if d.color == 1 {
			fillRow(d.row, start, a1)
		}
		d.a0 = a1
		d.color ^= 1
	}
	d.rowDone2D()
}

func (d *Decoder) rowDone2D() {
	if d.a0 < d.width {
		return
	}
	if d.coding == MMR {
		d.endRow(false)
		d.startRow()
		return
	}
	d.state = stLineEnd
}

func (d *Decoder) horiz(b byte) {
	c := d.color ^ d.hrun
	t := &std.white
	if c == 1 {
		t = &std.black
	}
	r := d.walk(t, b)
	switch {
	case r == -1:
		return
	case r == -2:
		d.fail()
		return
	}
	d.run += r
	if d.run > d.width {
		d.fail()
		return
	}
	if r >= 64 {
		return
	}
	if d.hrun == 0 {
		d.h1, d.hrun, d.run = d.run, 1, 0
		return
	}
	start := max(d.a0, 0)
	a1 := start + d.h1
	a2 := a1 + d.run
	if a2 > d.width {
		d.fail()
		return
	}
	if d.color == 1 {
		fillRow(d.row, start, a1)
	} else {
		fillRow(d.row, a1, a2)
	}
	d.a0, d.run, d.state = a2, 0, stMode
	d.rowDone2D()
}

// Decode decodes a whole page held in data (MSB first unless lsbFirst),
// as read from a file or reassembled from ECM blocks.
func Decode(data []byte, lsbFirst bool, coding Coding, width int) (*Image, Stats, error) {
	d, err := NewDecoder(coding, width)
	if err != nil {
		return nil, Stats{}, err
	}
	img := &Image{}
	d.Start(img)
	d.PutBytes(data, lsbFirst)
	d.Finish()
	return img, d.Stats(), nil
}
