package faxfile

import (
	"bytes"
	"fmt"
	"io"
)

// WritePDF writes the pages as a PDF 1.4 document: each page one image
// XObject in T.6 (CCITTFaxDecode, K -1), drawn at its true size from its
// resolution.
func WritePDF(w io.Writer, pages []Page) error {
	if err := check(pages); err != nil {
		return err
	}
	var b bytes.Buffer
	var offs []int
	obj := func() int {
		offs = append(offs, b.Len())
		n := len(offs)
		fmt.Fprintf(&b, "%d 0 obj\n", n)
		return n
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// Objects: 1 catalog, 2 page tree, then per page: page, contents, image.
	obj()
	b.WriteString("<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	obj()
	b.WriteString("<< /Type /Pages /Kids [")
	for i := range pages {
		fmt.Fprintf(&b, " %d 0 R", 3+3*i)
	}
	fmt.Fprintf(&b, " ] /Count %d >>\nendobj\n", len(pages))
	for i, p := range pages {
		img := p.Image
		wpt := float64(img.Width) * 72 / float64(p.XRes)
		hpt := float64(img.Height) * 72 / float64(p.YRes)
		page := obj()
		fmt.Fprintf(&b, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im%d %d 0 R >> >> /Contents %d 0 R >>\nendobj\n",
			wpt, hpt, i+1, page+2, page+1)
		content := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im%d Do Q\n", wpt, hpt, i+1)
		obj()
		fmt.Fprintf(&b, "<< /Length %d >>\nstream\n%sendstream\nendobj\n", len(content), content)
		data := encodeG4(img)
		obj()
		fmt.Fprintf(&b, "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns %d /Rows %d /EndOfBlock true >> /Length %d >>\nstream\n",
			img.Width, img.Height, img.Width, img.Height, len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("faxfile: write PDF: %w", err)
	}
	return nil
}
