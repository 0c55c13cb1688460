package faxfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"regexp"
	"strconv"
	"testing"

	"minipbx/dsp/fax/faxfile"
	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t4"
)

func pages() []faxfile.Page {
	return []faxfile.Page{
		{Image: faxtest.Page(faxtest.Text, t4.WidthA4, 300, 1), XRes: 204, YRes: 196},
		{Image: faxtest.Page(faxtest.Runs, t4.WidthB4, 200, 2), XRes: 204, YRes: 98},
	}
}

// TestTIFF reads the TIFF's directories back and decodes each strip.
func TestTIFF(t *testing.T) {
	ps := pages()
	var b bytes.Buffer
	if err := faxfile.WriteTIFF(&b, ps); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	le := binary.LittleEndian
	if string(data[:4]) != "II*\x00" {
		t.Fatalf("header %q", data[:4])
	}
	off := le.Uint32(data[4:])
	for i, p := range ps {
		if off == 0 {
			t.Fatalf("page %d missing", i+1)
		}
		n := int(le.Uint16(data[off:]))
		tags := map[uint16]uint32{}
		for k := range n {
			e := data[int(off)+2+12*k:]
			tags[le.Uint16(e)] = le.Uint32(e[8:])
		}
		w, h := int(tags[256]), int(tags[257])
		strip := data[tags[273] : tags[273]+tags[279]]
		if tags[259] != 4 || w != p.Image.Width || h != p.Image.Height {
			t.Fatalf("page %d: compression %d, %d×%d", i+1, tags[259], w, h)
		}
		yres := le.Uint32(data[tags[283]:])
		if int(yres) != p.YRes {
			t.Errorf("page %d: y resolution %d", i+1, yres)
		}
		img, st, _ := t4.Decode(strip, false, t4.MMR, w)
		if !img.Equal(p.Image) || !st.Ended {
			t.Errorf("page %d: strip decodes to a different image", i+1)
		}
		off = le.Uint32(data[int(off)+2+12*n:])
	}
	if off != 0 {
		t.Error("extra directory")
	}
}

// TestPDF checks the structure: an xref whose offsets point at their
// objects, and each page image's T.6 stream decoding to the page.
func TestPDF(t *testing.T) {
	ps := pages()
	var b bytes.Buffer
	if err := faxfile.WritePDF(&b, ps); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	entries := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(data[xref:], -1)
	for i, e := range entries {
		o, _ := strconv.Atoi(string(e[1]))
		if want := strconv.Itoa(i+1) + " 0 obj"; !bytes.HasPrefix(data[o:], []byte(want)) {
			t.Fatalf("xref entry %d points at %q", i+1, data[o:o+10])
		}
	}
	streams := regexp.MustCompile(`(?s)/Columns (\d+) /Rows (\d+) /EndOfBlock true >> /Length (\d+) >>\nstream\n`).FindAllSubmatchIndex(data, -1)
	if len(streams) != len(ps) {
		t.Fatalf("%d images, want %d", len(streams), len(ps))
	}
	for i, s := range streams {
		w, _ := strconv.Atoi(string(data[s[2]:s[3]]))
		n, _ := strconv.Atoi(string(data[s[6]:s[7]]))
		img, _, _ := t4.Decode(data[s[1]:s[1]+n], false, t4.MMR, w)
		if !img.Equal(ps[i].Image) {
			t.Errorf("page %d: image differs", i+1)
		}
	}
}

func TestNoPages(t *testing.T) {
	if err := faxfile.WritePDF(&bytes.Buffer{}, nil); !errors.Is(err, faxfile.ErrNoPages) {
		t.Errorf("PDF: %v", err)
	}
	if err := faxfile.WriteTIFF(&bytes.Buffer{}, []faxfile.Page{{}}); err == nil {
		t.Error("TIFF of an empty page written")
	}
}
