package t4_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t4"
)

func TestRoundTrip(t *testing.T) {
	for _, width := range []int{t4.WidthA4, t4.WidthB4, 1000, 37} {
		for kind := range faxtest.NumKinds {
			for _, coding := range []t4.Coding{t4.MH, t4.MR, t4.MMR} {
				t.Run(fmt.Sprintf("w%d/kind%d/%v", width, kind, coding), func(t *testing.T) {
					img := faxtest.Page(kind, width, 300, 1)
					enc, err := t4.NewEncoder(coding, 4)
					if err != nil {
						t.Fatal(err)
					}
					data := enc.Encode(nil, img)
					got, st, err := t4.Decode(data, false, coding, width)
					if err != nil {
						t.Fatal(err)
					}
					if !st.Ended {
						t.Errorf("page end (RTC/EOFB) not seen")
					}
					if st.BadLines != 0 {
						t.Errorf("%d bad lines", st.BadLines)
					}
					if !got.Equal(img) {
						t.Errorf("decoded %d×%d differs from %d×%d in %d rows", got.Width, got.Height, img.Width, img.Height, got.DiffRows(img))
					}
				})
			}
		}
	}
}

// TestRunLengths codes every run length from 0 to 2×2560+ in both colours.
func TestRunLengths(t *testing.T) {
	const width = t4.MaxWidth
	var rows [][2]int
	for r := 0; r < width; r += 1 + r/50 {
		rows = append(rows, [2]int{r, width - r})
	}
	img, _ := t4.NewImage(width, len(rows))
	for y, rr := range rows {
		for x := rr[0]; x < width; x++ {
			img.Set(x, y, true) // white run rr[0], black run the rest
		}
	}
	for _, coding := range []t4.Coding{t4.MH, t4.MR, t4.MMR} {
		enc, _ := t4.NewEncoder(coding, 2)
		got, st, _ := t4.Decode(enc.Encode(nil, img), false, coding, width)
		if !got.Equal(img) || st.BadLines != 0 {
			t.Errorf("%v: %d rows differ, %d bad", coding, got.DiffRows(img), st.BadLines)
		}
	}
}

// TestLineErrors: MH and MR decoders skip to the next EOL after a
// corrupted row, keep the page's height, count the bad rows, and find
// the end of the page.
func TestLineErrors(t *testing.T) {
	img := faxtest.Page(faxtest.Text, t4.WidthA4, 400, 3)
	for _, coding := range []t4.Coding{t4.MH, t4.MR} {
		t.Run(coding.String(), func(t *testing.T) {
			enc, _ := t4.NewEncoder(coding, 4)
			data := enc.Encode(nil, img)
			r := rand.New(rand.NewPCG(1, 1))
			// Hit 10 random bits in the middle of the page.
			hits := 10
			for range hits {
				i := len(data)/10 + r.IntN(len(data)*8/10)
				data[i] ^= 1 << r.IntN(8)
			}
			got, st, _ := t4.Decode(data, false, coding, t4.WidthA4)
			if got.Height != img.Height {
				t.Errorf("height %d, want %d", got.Height, img.Height)
			}
			diff := got.DiffRows(img)
			if st.BadLines == 0 || diff == 0 {
				t.Fatalf("errors not seen: %d bad lines, %d rows differ", st.BadLines, diff)
			}
			// Rows that differ and were not reported bad: an error can
			// turn a code into another valid one (a row of the right
			// length but wrong content), which no decoder can see.
			t.Logf("%d bad lines, %d rows differ, longest bad run %d", st.BadLines, diff, st.MaxBadRun)
			if st.BadLines > 40*hits {
				t.Errorf("%d bad lines for %d bit errors", st.BadLines, hits)
			}
			if !st.Ended {
				t.Errorf("RTC not found after the errors")
			}
		})
	}
}

// TestStreamingMatchesWhole: feeding bit by bit with LSB-first octets
// gives the same page as MSB-first whole-buffer decoding.
func TestStreamingLSB(t *testing.T) {
	img := faxtest.Page(faxtest.Runs, t4.WidthA4, 200, 2)
	enc, _ := t4.NewEncoder(t4.MMR, 0)
	data := enc.Encode(nil, img)
	rev := make([]byte, len(data))
	for i, c := range data {
		var v byte
		for k := range 8 {
			v |= (c >> k & 1) << (7 - k)
		}
		rev[i] = v
	}
	got, _, _ := t4.Decode(rev, true, t4.MMR, t4.WidthA4)
	if !got.Equal(img) {
		t.Fatal("LSB-first decoding differs")
	}
}

func TestDecodeAllocs(t *testing.T) {
	img := faxtest.Page(faxtest.Text, t4.WidthA4, 500, 2)
	enc, _ := t4.NewEncoder(t4.MR, 4)
	data := enc.Encode(nil, img)
	d, _ := t4.NewDecoder(t4.MR, t4.WidthA4)
	page := &t4.Image{Pix: make([]byte, 0, 216*600)}
	allocs := testing.AllocsPerRun(5, func() {
		d.Start(page)
		d.PutBytes(data, false)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per page decode", allocs)
	}
}

func BenchmarkDecodeMR(b *testing.B) {
	img := faxtest.Page(faxtest.Text, t4.WidthA4, 1100, 2)
	enc, _ := t4.NewEncoder(t4.MR, 4)
	data := enc.Encode(nil, img)
	d, _ := t4.NewDecoder(t4.MR, t4.WidthA4)
	page := &t4.Image{Pix: make([]byte, 0, 216*1200)}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d.Start(page)
		d.PutBytes(data, false)
	}
}
