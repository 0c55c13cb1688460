// Package faxfile writes received faxes as files: multi-page TIFF (the
// TIFF Class F layout, pages compressed in T.6, "G4") and PDF (each page
// an image with the CCITTFaxDecode filter, also T.6). Both formats are
// small enough to write directly: no library is needed, and the output
// is checked by libtiff (through spandsp in bench/spandsp/fax) and by the
// tests' own readers.
package faxfile

import (
	"errors"
	"fmt"

	"minipbx/dsp/fax/t4"
)

// Page is a page to write: its image and resolution in pixels per inch.
type Page struct {
	Image      *t4.Image
	XRes, YRes int
}

// ErrNoPages is returned for a document without pages.
var ErrNoPages = errors.New("faxfile: no pages")

func check(pages []Page) error {
	if len(pages) == 0 {
		return ErrNoPages
	}
	for i, p := range pages {
		if p.Image == nil || p.Image.Width <= 0 || p.Image.Height <= 0 {
			return fmt.Errorf("faxfile: page %d is empty", i+1)
		}
		if p.XRes <= 0 || p.YRes <= 0 {
			return fmt.Errorf("faxfile: page %d has no resolution", i+1)
		}
	}
	return nil
}

// encodeG4 codes a page in T.6 with EOFB.
func encodeG4(img *t4.Image) []byte {
	enc, _ := t4.NewEncoder(t4.MMR, 0)
	return enc.Encode(nil, img)
}
