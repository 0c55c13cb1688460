// Package faxtest makes test pages for the fax packages' tests and for
// the proof against spandsp: varied content that exercises every code of
// T.4 and T.6 (short and long runs, make-up codes, all 2-D modes).
package faxtest

import (
	"math/rand/v2"

	"minipbx/dsp/fax/t4"
)

// Page kinds.
const (
	Text    = iota // lines of text-like glyphs
	Checker        // an 8×8 checkerboard with a margin
	Runs           // long runs: bars, full black rows, frames, diagonals
	Dither         // a dithered gradient: the worst case for compression
	NumKinds
)

// Page returns a test page of a kind, width × height, varied by seed.
func Page(kind, width, height int, seed uint64) *t4.Image {
	img, err := t4.NewImage(width, height)
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(seed, uint64(kind)))
	switch kind {
	case Text:
		text(img, r)
	case Checker:
		for y := 40; y < height-40; y++ {
			for x := 64; x < width-64; x++ {
				if (x/8+y/8)%2 == 0 {
					img.Set(x, y, true)
				}
			}
		}
	case Runs:
		runs(img, r)
	case Dither:
		for y := range height {
			for x := range width {
				// A horizontal gradient, ordered by a random threshold.
				if r.IntN(width) < x {
					img.Set(x, y, true)
				}
			}
		}
	}
	return img
}

// text draws rows of random 5×7 glyphs at 2× scale, words separated by
// spaces, in paragraphs with ragged right margins.
func text(img *t4.Image, r *rand.Rand) {
	const gw, gh, scale = 5, 7, 2
	glyphs := make([][gh]byte, 64)
	for i := range glyphs {
		for y := range gh {
			glyphs[i][y] = byte(r.IntN(32))
		}
	}
	lineH := (gh + 4) * scale
	for top := 60; top+lineH < img.Height-60; top += lineH {
		if r.IntN(8) == 0 {
			continue // paragraph break
		}
		right := img.Width - 80 - r.IntN(200)
		for x := 80; x+gw*scale < right; {
			if r.IntN(6) == 0 {
				x += (gw + 1) * scale * 2 // space
				continue
			}
			g := glyphs[r.IntN(len(glyphs))]
			for gy := range gh {
				for gx := range gw {
					if g[gy]>>(4-gx)&1 == 0 {
						continue
					}
					for sy := range scale {
						for sx := range scale {
							img.Set(x+gx*scale+sx, top+gy*scale+sy, true)
						}
					}
				}
			}
			x += (gw + 1) * scale
		}
	}
}

func runs(img *t4.Image, r *rand.Rand) {
	w, h := img.Width, img.Height
	// A frame.
	for x := range w {
		for t := range 3 {
			img.Set(x, 10+t, true)
			img.Set(x, h-11-t, true)
		}
	}
	for y := range h {
		for t := range 3 {
			img.Set(10+t, y, true)
			img.Set(w-11-t, y, true)
		}
	}
	// Full black rows (a run of the whole width).
	for y := h / 3; y < h/3+5; y++ {
		for x := range w {
			img.Set(x, y, true)
		}
	}
	// Bars of random lengths (long make-up codes of both colours).
	for y := 30; y < h-30; y += 7 + r.IntN(20) {
		a := r.IntN(w / 2)
		b := a + r.IntN(w-a)
		for x := a; x < b; x++ {
			img.Set(x, y, true)
		}
	}
	// Diagonals (vertical mode offsets of ±1, ±2, ±3).
	for y := range h {
		for k, slope := range []int{1, 2, 3} {
			x := (y*slope + 200*k) % w
			img.Set(x, y, true)
			x2 := w - 1 - (y*slope+100*k)%w
			img.Set(x2, y, true)
		}
	}
}

// Document returns a varied multi-page document: one page of each kind
// in turn (dither pages kept short), at the given width and page height.
func Document(pages, width, height int, seed uint64) []*t4.Image {
	out := make([]*t4.Image, pages)
	for i := range out {
		kind := i % NumKinds
		hh := height
		if kind == Dither {
			hh = min(height, 120)
		}
		out[i] = Page(kind, width, hh, seed+uint64(i))
	}
	return out
}
