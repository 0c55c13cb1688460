package voicemail

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zaf/g711"

	"minipbx/dsp/audiofile"
)

// rate is the sample rate of everything the store keeps.
const rate = 8000

// wavHeader is the μ-law header a recording starts with: the one
// audiofile.WriteWAV writes for no samples (fmt with cbSize, fact, data),
// its sizes patched by Commit at the offsets below.
type wavHeader struct {
	b                             []byte
	riffSize, factCount, dataSize int // offsets of the three sizes
	pcm                           []byte
	pcmRIFFSize, pcmDataSize      int
}

// newWAVHeader builds the header templates once per store from what
// audiofile writes, and checks the layout it assumes, so that a change
// there fails the store's tests rather than corrupting messages.
func newWAVHeader() (wavHeader, error) {
	var h wavHeader
	var ul, pcm bytes.Buffer
	if err := audiofile.WriteWAV(&ul, nil, audiofile.ULaw); err != nil {
		return h, err
	}
	if err := audiofile.WriteWAV(&pcm, nil, audiofile.PCM16); err != nil {
		return h, err
	}
	h.b, h.pcm = ul.Bytes(), pcm.Bytes()
	h.riffSize, h.pcmRIFFSize = 4, 4
	h.factCount = bytes.Index(h.b, []byte("fact")) + 8
	h.dataSize = len(h.b) - 4
	h.pcmDataSize = len(h.pcm) - 4
	if h.factCount != 46 || string(h.b[h.dataSize-4:h.dataSize]) != "data" || string(h.pcm[h.pcmDataSize-4:h.pcmDataSize]) != "data" {
		return h, errors.New("voicemail: audiofile.WriteWAV header layout changed")
	}
	return h, nil
}

// patch fills the sizes of a μ-law header for n samples.
func (h wavHeader) patch(w io.WriterAt, n int64) error {
	le := binary.LittleEndian
	var b [4]byte
	put := func(off int, v int64) error {
		le.PutUint32(b[:], uint32(v))
		_, err := w.WriteAt(b[:], int64(off))
		return err
	}
	// RIFF size covers everything after its own field, with the pad byte
	// of an odd data chunk (which Commit writes).
	if err := put(h.riffSize, int64(len(h.b))-8+n+n&1); err != nil {
		return err
	}
	if err := put(h.factCount, n); err != nil {
		return err
	}
	return put(h.dataSize, n)
}

// pcmHeader is the 16-bit PCM header for n samples.
func (h wavHeader) pcmHeader(n int64) []byte {
	out := bytes.Clone(h.pcm)
	binary.LittleEndian.PutUint32(out[h.pcmRIFFSize:], uint32(int64(len(out))-8+2*n))
	binary.LittleEndian.PutUint32(out[h.pcmDataSize:], uint32(2*n))
	return out
}

// maxChunks bounds the chunk walk of wavLayout.
const maxChunks = 16

// wavLayout finds the audio of a message file: the offset and length of
// its μ-law data chunk. It reads only chunk headers, so listing a mailbox
// at start costs a few hundred bytes per message. It accepts what
// audiofile.ReadWAV would for the box's own messages: 8 kHz mono μ-law,
// and a streamed (placeholder) data size meaning "to the end".
func wavLayout(f io.ReaderAt, size int64) (off, n int64, err error) {
	var hdr [12]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return 0, 0, fmt.Errorf("wav header: %w", noEOF(err))
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return 0, 0, errors.New("not a RIFF/WAVE file")
	}
	le := binary.LittleEndian
	pos, haveFmt := int64(12), false
	for range maxChunks {
		var ch [8]byte
		if _, err := f.ReadAt(ch[:], pos); err != nil {
			return 0, 0, fmt.Errorf("wav chunk at %d: %w", pos, noEOF(err))
		}
		id, sz := string(ch[0:4]), int64(le.Uint32(ch[4:]))
		pos += 8
		switch id {
		case "fmt ":
			var b [16]byte
			if sz < 16 || sz > 1024 {
				return 0, 0, fmt.Errorf("wav fmt chunk of %d bytes", sz)
			}
			if _, err := f.ReadAt(b[:], pos); err != nil {
				return 0, 0, fmt.Errorf("wav fmt chunk: %w", noEOF(err))
			}
			tag, chans, r, bits := le.Uint16(b[0:]), le.Uint16(b[2:]), le.Uint32(b[4:]), le.Uint16(b[14:])
			if tag != 7 || chans != 1 || r != rate || bits != 8 {
				return 0, 0, fmt.Errorf("wav format tag %d, %d channels, %d Hz, %d bits: want 8 kHz mono μ-law", tag, chans, r, bits)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return 0, 0, errors.New("wav data chunk before fmt chunk")
			}
			rest := size - pos
			switch {
			case sz == 0 || sz >= 0x7FFF0000: // streamed: to the end
				return pos, rest, nil
			case sz > rest:
				return 0, 0, fmt.Errorf("wav data truncated: %d of %d bytes", rest, sz)
			}
			return pos, sz, nil
		}
		pos += sz + sz&1
	}
	return 0, 0, errors.New("wav has no data chunk among its first chunks")
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// pcmReader serves a μ-law message as a 16-bit PCM WAV: the header, then
// the data decoded block by block. It seeks (header bytes map to
// themselves, byte k of the PCM data to μ-law sample k/2), so the web UI
// answers Range requests and a browser's player can jump into a long
// message without the box decoding everything before that point.
type pcmReader struct {
	f    *os.File
	hdr  []byte
	src  *io.SectionReader // the μ-law data chunk
	size int64             // len(hdr) + 2*src.Size()
	pos  int64             // next byte of the stream to read

	// buf holds decoded bytes of the stream from bufOff on, so
	// sequential reads of any size decode each sample once.
	buf    []byte
	bufOff int64
	in     [2048]byte
	out    [4096]byte
}

func newPCMReader(f *os.File, hdr []byte, off, n int64) *pcmReader {
	return &pcmReader{f: f, hdr: hdr, src: io.NewSectionReader(f, off, n), size: int64(len(hdr)) + 2*n}
}

func (r *pcmReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	h := int64(len(r.hdr))
	switch {
	case r.pos >= r.size:
		return 0, io.EOF
	case r.pos < h:
		n := copy(p, r.hdr[r.pos:])
		r.pos += int64(n)
		return n, nil
	}
	if r.pos < r.bufOff || r.pos >= r.bufOff+int64(len(r.buf)) {
		// Decode the block holding pos, starting at its sample (an odd
		// position is the high byte of a sample).
		sample := (r.pos - h) / 2
		n, err := r.src.ReadAt(r.in[:], sample)
		if n == 0 {
			if err == nil || err == io.EOF {
				// The file shrank under us (it cannot: messages are
				// never rewritten) or the size was wrong.
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		le := binary.LittleEndian
		for i, b := range r.in[:n] {
			le.PutUint16(r.out[2*i:], uint16(g711.DecodeUlawFrame(b)))
		}
		r.buf, r.bufOff = r.out[:2*n], h+2*sample
	}
	n := copy(p, r.buf[r.pos-r.bufOff:])
	r.pos += int64(n)
	return n, nil
}

// Seek implements io.Seeker over the whole PCM stream. Seeking past the
// end is allowed (Read then reports io.EOF); before the start is not.
func (r *pcmReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("voicemail: seek: invalid whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("voicemail: seek to %d: before the start", offset)
	}
	r.pos = offset
	return offset, nil
}

func (r *pcmReader) Close() error { return r.f.Close() }
