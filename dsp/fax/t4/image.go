package t4

import (
	"errors"
	"fmt"
)

// Coding is a fax image coding scheme.
type Coding int

const (
	MH  Coding = iota // T.4 one-dimensional (Modified Huffman)
	MR                // T.4 two-dimensional (Modified READ)
	MMR               // T.6 (Modified Modified READ, "G4")
)

func (c Coding) String() string {
	switch c {
	case MH:
		return "MH"
	case MR:
		return "MR"
	case MMR:
		return "MMR"
	}
	return fmt.Sprintf("Coding(%d)", int(c))
}

// Limits that keep hostile input from taking the memory of the box.
const (
	MaxWidth  = 4864  // A3 at 16 pels/mm (T.4 §2.2)
	MaxHeight = 16384 // pixels: over 2 m at fine resolution
)

// Standard widths in pixels at 8 pels/mm (T.4 §2.2): A4, B4, A3.
const (
	WidthA4 = 1728
	WidthB4 = 2048
	WidthA3 = 2432
)

// ErrTooLarge is returned for images beyond MaxWidth or MaxHeight.
var ErrTooLarge = errors.New("t4: image too large")

// Image is a bilevel page: rows of Stride bytes, the most significant bit
// first, 1 black and 0 white (TIFF's WhiteIsZero, PDF's /Decode [1 0]...
// its BlackIs1 true).
type Image struct {
	Width, Height int
	Stride        int
	Pix           []byte
}

// NewImage returns a white image of the given size.
func NewImage(width, height int) (*Image, error) {
	if width <= 0 || width > MaxWidth || height < 0 || height > MaxHeight {
		return nil, fmt.Errorf("%w: %d×%d", ErrTooLarge, width, height)
	}
	stride := (width + 7) / 8
	return &Image{Width: width, Height: height, Stride: stride, Pix: make([]byte, stride*height)}, nil
}

// Row returns row y.
func (m *Image) Row(y int) []byte { return m.Pix[y*m.Stride : (y+1)*m.Stride] }

// At reports whether pixel (x, y) is black.
func (m *Image) At(x, y int) bool { return m.Pix[y*m.Stride+x/8]>>(7-x%8)&1 != 0 }

// Set makes pixel (x, y) black or white.
func (m *Image) Set(x, y int, black bool) {
	if black {
		m.Pix[y*m.Stride+x/8] |= 0x80 >> (x % 8)
	} else {
		m.Pix[y*m.Stride+x/8] &^= 0x80 >> (x % 8)
	}
}

// Equal reports whether two images have the same size and pixels.
func (m *Image) Equal(o *Image) bool {
	if m.Width != o.Width || m.Height != o.Height {
		return false
	}
	return m.DiffRows(o) == 0
}

// DiffRows counts the rows that differ between two images of the same
// width (rows beyond the shorter image count as different).
func (m *Image) DiffRows(o *Image) int {
	n := max(m.Height, o.Height) - min(m.Height, o.Height)
	for y := range min(m.Height, o.Height) {
		a, b := m.Row(y), o.Row(y)
		for i := range a {
			mask := byte(0xFF)
			if i == len(a)-1 && m.Width%8 != 0 {
				mask = 0xFF << (8 - m.Width%8)
			}
			if (a[i]^b[i])&mask != 0 {
				n++
				break
			}
		}
	}
	return n
}

// fillRow sets pixels [from, to) of row to black.
func fillRow(row []byte, from, to int) {
	if from >= to {
		return
	}
	fb, tb := from/8, (to-1)/8
	fm := byte(0xFF >> (from % 8))
	tm := byte(0xFF << (7 - (to-1)%8))
	if fb == tb {
		row[fb] |= fm & tm
		return
	}
	row[fb] |= fm
	for i := fb + 1; i < tb; i++ {
		row[i] = 0xFF
	}
	row[tb] |= tm
}

// changes lists the changing elements of row (positions where the colour
// differs from the pixel before; the pixel before position 0 is white),
// followed by two copies of width as sentinels. dst is reused.
func changes(row []byte, width int, dst []int32) []int32 {
	dst = dst[:0]
	color := byte(0)
	x := 0
	for x < width {
		b := row[x/8]
		// Skip whole bytes of the current colour.
		if x%8 == 0 && x+8 <= width {
			if color == 0 && b == 0 || color == 1 && b == 0xFF {
				x += 8
				continue
			}
		}
		if b>>(7-x%8)&1 != color {
			dst = append(dst, int32(x))
			color ^= 1
		}
		x++
	}
	return append(dst, int32(width), int32(width))
}
