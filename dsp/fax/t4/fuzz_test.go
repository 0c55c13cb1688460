package t4_test

import (
	"testing"

	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t4"
)

// FuzzDecode: any data, in any coding and width, must decode without
// panic to an image of the declared width within the size limits, with
// no more bad rows than rows.
func FuzzDecode(f *testing.F) {
	for c := t4.MH; c <= t4.MMR; c++ {
		enc, _ := t4.NewEncoder(c, 2)
		f.Add(enc.Encode(nil, faxtest.Page(faxtest.Text, t4.WidthA4, 40, 1)), uint8(c), uint16(t4.WidthA4), false)
	}
	f.Add([]byte{0, 1, 0, 1, 0xff}, uint8(1), uint16(37), true)
	f.Fuzz(func(t *testing.T, data []byte, coding uint8, width uint16, lsb bool) {
		c := t4.Coding(coding % 3)
		w := int(width)%t4.MaxWidth + 1
		img, st, err := t4.Decode(data, lsb, c, w)
		if err != nil {
			t.Fatal(err)
		}
		if img.Width != w || img.Height > t4.MaxHeight || len(img.Pix) != img.Height*img.Stride {
			t.Fatalf("image %d×%d stride %d, %d bytes", img.Width, img.Height, img.Stride, len(img.Pix))
		}
		if st.BadLines > st.Lines || st.Lines != img.Height {
			t.Fatalf("stats %+v for %d rows", st, img.Height)
		}
	})
}

// FuzzRoundTrip: any image codes and decodes to itself in every coding.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0xF0, 0x0F, 0xAA, 0x55, 0, 0xFF}, uint16(48))
	f.Fuzz(func(t *testing.T, pix []byte, width uint16) {
		w := int(width)%300 + 1
		img, _ := t4.NewImage(w, 0)
		h := len(pix) / img.Stride
		if h == 0 || h > 200 {
			return
		}
		img, _ = t4.NewImage(w, h)
		copy(img.Pix, pix)
		for c := t4.MH; c <= t4.MMR; c++ {
			enc, _ := t4.NewEncoder(c, 3)
			got, st, _ := t4.Decode(enc.Encode(nil, img), false, c, w)
			if !got.Equal(img) || st.BadLines != 0 {
				t.Fatalf("%v: %d rows differ, %d bad", c, got.DiffRows(img), st.BadLines)
			}
		}
	})
}
