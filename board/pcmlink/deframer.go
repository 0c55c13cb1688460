package pcmlink

import "bytes"

// DeframerStats counts what a Deframer had to throw away.
type DeframerStats struct {
	Frames       uint64 // valid frames returned
	Discarded    uint64 // bytes skipped while hunting for a valid frame
	CRCErrors    uint64 // candidate frames with a valid header and a bad CRC
	HeaderErrors uint64 // sync words followed by an impossible header
}

// Deframer turns a byte stream into frames. It hunts for the sync word,
// checks the header, waits for the whole frame, checks the CRC, and on any
// failure skips one byte and hunts again, so that a real frame hidden
// behind garbage, a truncated frame or a false sync inside a payload is
// still found. It owns a fixed buffer and never allocates after New.
type Deframer struct {
	buf   []byte
	r, w  int
	stats DeframerStats
}

// NewDeframer returns a Deframer whose buffer holds several maximum-size
// frames, enough for any serial read size the Link uses.
func NewDeframer() *Deframer {
	return &Deframer{buf: make([]byte, 4*MaxFrameSize)}
}

// Stats returns the counters.
func (d *Deframer) Stats() DeframerStats { return d.stats }

// Buffered returns the number of bytes not yet consumed.
func (d *Deframer) Buffered() int { return d.w - d.r }

// Space returns the free tail of the buffer for a Read to fill, compacting
// the buffer first; follow with Commit(n).
func (d *Deframer) Space() []byte {
	if d.r > 0 {
		copy(d.buf, d.buf[d.r:d.w])
		d.w -= d.r
		d.r = 0
	}
	if d.w == len(d.buf) {
		// Cannot happen while Next is called after every Commit (a
		// pending candidate is never longer than MaxFrameSize), but
		// never wedge: drop the oldest byte and keep hunting.
		d.skip(1)
		copy(d.buf, d.buf[d.r:d.w])
		d.w -= d.r
		d.r = 0
	}
	return d.buf[d.w:]
}

// Commit records that n bytes were written into the slice Space returned.
func (d *Deframer) Commit(n int) { d.w += n }

// Write copies p into the buffer, returning frames through Next. Bytes that
// do not fit are not taken; call Next and Write the rest.
func (d *Deframer) Write(p []byte) (int, error) {
	n := copy(d.Space(), p)
	d.Commit(n)
	return n, nil
}

func (d *Deframer) skip(n int) {
	d.r += n
	d.stats.Discarded += uint64(n)
}

// Next returns the next valid frame, or false when more bytes are needed.
// The frame's payload is valid until the next call to Space or Write.
func (d *Deframer) Next() (Frame, bool) {
	for d.r < d.w {
		b := d.buf[d.r:d.w]
		i := bytes.IndexByte(b, Sync0)
		if i < 0 {
			d.skip(len(b))
			break
		}
		if i > 0 {
			d.skip(i)
			continue
		}
		f, n, err := ParseFrame(b)
		switch err {
		case nil:
			d.r += n
			d.stats.Frames++
			return f, true
		case ErrShort:
			return Frame{}, false
		case ErrCRC:
			d.stats.CRCErrors++
		case ErrSync:
			// A lone Sync0 not followed by Sync1: ordinary payload.
		default:
			d.stats.HeaderErrors++
		}
		d.skip(1)
	}
	return Frame{}, false
}

// Reset drops every buffered byte (counted as discarded).
func (d *Deframer) Reset() {
	d.stats.Discarded += uint64(d.w - d.r)
	d.r, d.w = 0, 0
}
