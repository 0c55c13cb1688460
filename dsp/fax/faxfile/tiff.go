package faxfile

import (
	"encoding/binary"
	"fmt"
	"io"
)

// TIFF tags written (TIFF 6.0; RFC 2306 for the fax profile).
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagFillOrder       = 266
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagT6Options       = 293
	tagResolutionUnit  = 296
	tagPageNumber      = 297

	typeShort    = 3
	typeLong     = 4
	typeRational = 5

	compressionT6 = 4
)

// WriteTIFF writes the pages as one multi-page TIFF: little-endian, one
// strip per page in T.6, white is zero, resolution in inches.
func WriteTIFF(w io.Writer, pages []Page) error {
	if err := check(pages); err != nil {
		return err
	}
	le := binary.LittleEndian
	var out []byte
	out = append(out, 'I', 'I', 42, 0, 0, 0, 0, 0)
	link := 4 // where the offset of the next IFD goes
	const nTags = 16
	for i, p := range pages {
		data := encodeG4(p.Image)
		dataOff := len(out)
		out = append(out, data...)
		if len(out)%2 == 1 {
			out = append(out, 0)
		}
		// The two rationals after the IFD.
		ifdOff := len(out)
		ratOff := ifdOff + 2 + nTags*12 + 4
		le.PutUint32(out[link:], uint32(ifdOff))
		type entry struct {
			tag, typ uint16
			count    uint32
			value    uint32
		}
		short := func(tag uint16, v uint16) entry { return entry{tag, typeShort, 1, uint32(v)} }
		long := func(tag uint16, v uint32) entry { return entry{tag, typeLong, 1, v} }
		entries := [nTags]entry{
			long(tagNewSubfileType, 2), // a page of a multi-page document
			long(tagImageWidth, uint32(p.Image.Width)),
			long(tagImageLength, uint32(p.Image.Height)),
			short(tagBitsPerSample, 1),
			short(tagCompression, compressionT6),
			short(tagPhotometric, 0), // white is zero
			short(tagFillOrder, 1),
			long(tagStripOffsets, uint32(dataOff)),
			short(tagSamplesPerPixel, 1),
			long(tagRowsPerStrip, uint32(p.Image.Height)),
			long(tagStripByteCounts, uint32(len(data))),
			{tagXResolution, typeRational, 1, uint32(ratOff)},
			{tagYResolution, typeRational, 1, uint32(ratOff + 8)},
			long(tagT6Options, 0),
			short(tagResolutionUnit, 2),
			{tagPageNumber, typeShort, 2, uint32(i) | uint32(len(pages))<<16},
		}
		out = le.AppendUint16(out, nTags)
		for _, e := range entries {
			out = le.AppendUint16(out, e.tag)
			out = le.AppendUint16(out, e.typ)
			out = le.AppendUint32(out, e.count)
			out = le.AppendUint32(out, e.value)
		}
		link = len(out)
		out = le.AppendUint32(out, 0)
		out = le.AppendUint32(out, uint32(p.XRes))
		out = le.AppendUint32(out, 1)
		out = le.AppendUint32(out, uint32(p.YRes))
		out = le.AppendUint32(out, 1)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("faxfile: write TIFF: %w", err)
	}
	return nil
}
