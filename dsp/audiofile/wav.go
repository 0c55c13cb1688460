package audiofile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/zaf/g711"
)

// Format is the sample encoding of a WAV file written by WriteWAV.
type Format int

const (
	// PCM16 is 16-bit signed little-endian linear PCM (format tag 1).
	PCM16 Format = iota
	// ULaw is G.711 μ-law, one byte per sample (format tag 7).
	ULaw
	// ALaw is G.711 A-law, one byte per sample (format tag 6).
	ALaw
)

// String names the format.
func (f Format) String() string {
	switch f {
	case PCM16:
		return "pcm16"
	case ULaw:
		return "ulaw"
	case ALaw:
		return "alaw"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// WAVE format tags (Microsoft mmreg.h).
const (
	tagPCM        = 1
	tagFloat      = 3
	tagALaw       = 6
	tagULaw       = 7
	tagExtensible = 0xFFFE
)

// ErrTooBig is returned (wrapped) when an input exceeds its size limit.
var ErrTooBig = errors.New("audiofile: file too big")

// maxReadWAVBytes bounds what ReadWAV accepts: an hour of 8 kHz 16-bit
// audio is 57.6 MB, so 256 MB is generous for telephone audio yet keeps
// a hostile stream from exhausting a small box's memory.
const maxReadWAVBytes = 256 << 20

// wavInfo is the parsed fmt chunk.
type wavInfo struct {
	tag      int // after resolving WAVE_FORMAT_EXTENSIBLE
	channels int
	rate     int
	bits     int
	block    int
}

// ReadWAV reads an 8 kHz mono WAV file in 16-bit PCM, μ-law or A-law, the
// formats of the box's own prompts and test recordings. It is strict:
// anything else is an error naming what was found (use Import to convert
// other audio). Chunks other than fmt and data are skipped; the data
// chunk must be complete and hold whole samples. A placeholder data size
// (0, 0xFFFFFFFF or ≥ 0x7FFF0000, written by encoders streaming to a pipe
// that could not seek back) means "until the end of the input".
func ReadWAV(r io.Reader) (samples []int16, rate int, err error) {
	info, data, err := parseWAV(r, maxReadWAVBytes)
	if err != nil {
		return nil, 0, err
	}
	if info.channels != 1 {
		return nil, 0, fmt.Errorf("audiofile: wav has %d channels, want mono", info.channels)
	}
	if info.rate != 8000 {
		return nil, 0, fmt.Errorf("audiofile: wav sample rate %d Hz, want 8000", info.rate)
	}
	switch {
	case info.tag == tagPCM && info.bits == 16:
		samples = make([]int16, len(data)/2)
		for i := range samples {
			samples[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case info.tag == tagULaw && info.bits == 8:
		samples = make([]int16, len(data))
		for i, b := range data {
			samples[i] = g711.DecodeUlawFrame(b)
		}
	case info.tag == tagALaw && info.bits == 8:
		samples = make([]int16, len(data))
		for i, b := range data {
			samples[i] = g711.DecodeAlawFrame(b)
		}
	default:
		return nil, 0, fmt.Errorf("audiofile: wav %s, want 16-bit PCM, μ-law or A-law", info)
	}
	return samples, info.rate, nil
}

func (w wavInfo) String() string {
	name := fmt.Sprintf("format tag %#x", w.tag)
	switch w.tag {
	case tagPCM:
		name = "PCM"
	case tagFloat:
		name = "IEEE float"
	case tagALaw:
		name = "A-law"
	case tagULaw:
		name = "μ-law"
	}
	return fmt.Sprintf("%s %d-bit", name, w.bits)
}

// parseWAV reads a RIFF/WAVE stream up to the end of its data chunk and
// returns the format and the raw sample bytes. At most max bytes are
// read; declared sizes are never trusted for allocation (the data
// buffer grows with what actually arrives).
func parseWAV(r io.Reader, max int64) (wavInfo, []byte, error) {
	var info wavInfo
	lr := &io.LimitedReader{R: r, N: max + 1}
	var hdr [12]byte
	if _, err := io.ReadFull(lr, hdr[:]); err != nil {
		return info, nil, fmt.Errorf("audiofile: wav header: %w", noEOF(err))
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return info, nil, errors.New("audiofile: not a RIFF/WAVE file")
	}
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(lr, ch[:]); err != nil {
			if lr.N <= 0 {
				return info, nil, fmt.Errorf("%w: over %d bytes", ErrTooBig, max)
			}
			if err == io.EOF {
				return info, nil, errors.New("audiofile: wav has no data chunk")
			}
			return info, nil, fmt.Errorf("audiofile: wav chunk header: %w", noEOF(err))
		}
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if haveFmt {
				return info, nil, errors.New("audiofile: wav has two fmt chunks")
			}
			if size < 16 || size > 1024 {
				return info, nil, fmt.Errorf("audiofile: wav fmt chunk of %d bytes", size)
			}
			b := make([]byte, size+size&1)
			if _, err := io.ReadFull(lr, b); err != nil {
				return info, nil, fmt.Errorf("audiofile: wav fmt chunk truncated: %w", noEOF(err))
			}
			var err error
			if info, err = parseFmt(b[:size]); err != nil {
				return info, nil, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return info, nil, errors.New("audiofile: wav data chunk before fmt chunk")
			}
			var buf bytes.Buffer
			if streamedSize(size) {
				if _, err := buf.ReadFrom(lr); err != nil {
					return info, nil, fmt.Errorf("audiofile: wav data: %w", err)
				}
				if lr.N <= 0 {
					return info, nil, fmt.Errorf("%w: over %d bytes", ErrTooBig, max)
				}
				n := buf.Len() - buf.Len()%info.block
				return info, buf.Bytes()[:n], nil
			}
			if size > max {
				return info, nil, fmt.Errorf("%w: data chunk of %d bytes, limit %d", ErrTooBig, size, max)
			}
			n, err := io.CopyN(&buf, lr, size)
			if err != nil {
				if lr.N <= 0 {
					return info, nil, fmt.Errorf("%w: over %d bytes", ErrTooBig, max)
				}
				return info, nil, fmt.Errorf("audiofile: wav data truncated: %d of %d bytes", n, size)
			}
			if size%int64(info.block) != 0 {
				return info, nil, fmt.Errorf("audiofile: wav data of %d bytes is not a whole number of %d-byte sample frames", size, info.block)
			}
			return info, buf.Bytes(), nil
		default:
			// Skip (LIST, fact, bext, cue …), with the pad byte of odd sizes.
			skip := size + size&1
			if n, err := io.CopyN(io.Discard, lr, skip); err != nil {
				if lr.N <= 0 {
					return info, nil, fmt.Errorf("%w: over %d bytes", ErrTooBig, max)
				}
				return info, nil, fmt.Errorf("audiofile: wav chunk %q truncated: %d of %d bytes", id, n, skip)
			}
		}
	}
}

// streamedSize reports a data chunk size that is a placeholder written by
// an encoder streaming to a pipe, which could not seek back to patch in
// the real size: 0, 0xFFFFFFFF (sox, ffmpeg) or just below 2³¹ (espeak-ng
// writes 0x7FFFF000). Such data runs to the end of the input.
func streamedSize(n int64) bool {
	return n == 0 || n >= 0x7FFF0000
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func parseFmt(b []byte) (wavInfo, error) {
	le := binary.LittleEndian
	info := wavInfo{
		tag:      int(le.Uint16(b[0:])),
		channels: int(le.Uint16(b[2:])),
		rate:     int(le.Uint32(b[4:])),
		block:    int(le.Uint16(b[12:])),
		bits:     int(le.Uint16(b[14:])),
	}
	if info.tag == tagExtensible {
		if len(b) < 40 {
			return info, fmt.Errorf("audiofile: wav extensible fmt chunk of %d bytes, want 40", len(b))
		}
		// The sub-format GUID starts with the real format tag.
		info.tag = int(le.Uint16(b[24:]))
		if vb := int(le.Uint16(b[18:])); vb != 0 && vb != info.bits {
			return info, fmt.Errorf("audiofile: wav with %d valid bits in %d-bit containers", vb, info.bits)
		}
	}
	switch {
	case info.channels < 1 || info.channels > 8:
		return info, fmt.Errorf("audiofile: wav with %d channels", info.channels)
	case info.rate < 8000 || info.rate > 48000:
		return info, fmt.Errorf("audiofile: wav sample rate %d Hz outside 8000–48000", info.rate)
	}
	ok := false
	switch info.tag {
	case tagPCM:
		ok = info.bits == 8 || info.bits == 16 || info.bits == 24 || info.bits == 32
	case tagFloat:
		ok = info.bits == 32 || info.bits == 64
	case tagALaw, tagULaw:
		ok = info.bits == 8
	}
	if !ok {
		return info, fmt.Errorf("audiofile: unsupported wav encoding %s", info)
	}
	if want := info.channels * info.bits / 8; info.block != want {
		return info, fmt.Errorf("audiofile: wav block align %d, want %d for %d channels of %d bits", info.block, want, info.channels, info.bits)
	}
	return info, nil
}

// WriteWAV writes samples (8 kHz mono) as a WAV file in format. G.711
// files carry the 18-byte fmt chunk and the fact chunk that the WAVE
// specification requires for non-PCM data, so strict readers (Windows,
// Asterisk, sox) accept them.
func WriteWAV(w io.Writer, samples []int16, format Format) error {
	var (
		tag, bits int
		data      []byte
	)
	switch format {
	case PCM16:
		tag, bits = tagPCM, 16
		data = make([]byte, 2*len(samples))
		for i, s := range samples {
			binary.LittleEndian.PutUint16(data[2*i:], uint16(s))
		}
	case ULaw, ALaw:
		tag, bits = tagULaw, 8
		enc := g711.EncodeUlawFrame
		if format == ALaw {
			tag, enc = tagALaw, g711.EncodeAlawFrame
		}
		data = make([]byte, len(samples))
		for i, s := range samples {
			data[i] = enc(s)
		}
	default:
		return fmt.Errorf("audiofile: write wav: unknown format %v", format)
	}
	if uint64(len(data)) > math.MaxUint32-64 {
		return fmt.Errorf("audiofile: write wav: %d bytes of audio exceed the RIFF limit", len(data))
	}
	le := binary.LittleEndian
	var h []byte
	h = append(h, "RIFF\x00\x00\x00\x00WAVE"...)
	fmtSize := 16
	if tag != tagPCM {
		fmtSize = 18
	}
	h = append(h, "fmt "...)
	h = le.AppendUint32(h, uint32(fmtSize))
	h = le.AppendUint16(h, uint16(tag))
	h = le.AppendUint16(h, 1)
	h = le.AppendUint32(h, 8000)
	h = le.AppendUint32(h, uint32(8000*bits/8))
	h = le.AppendUint16(h, uint16(bits/8))
	h = le.AppendUint16(h, uint16(bits))
	if tag != tagPCM {
		h = le.AppendUint16(h, 0) // cbSize
		h = append(h, "fact"...)
		h = le.AppendUint32(h, 4)
		h = le.AppendUint32(h, uint32(len(samples)))
	}
	h = append(h, "data"...)
	h = le.AppendUint32(h, uint32(len(data)))
	pad := len(data) & 1
	le.PutUint32(h[4:], uint32(len(h)-8+len(data)+pad))
	if _, err := w.Write(h); err != nil {
		return fmt.Errorf("audiofile: write wav header: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("audiofile: write wav data: %w", err)
	}
	if pad != 0 {
		if _, err := w.Write([]byte{0}); err != nil {
			return fmt.Errorf("audiofile: write wav pad: %w", err)
		}
	}
	return nil
}
