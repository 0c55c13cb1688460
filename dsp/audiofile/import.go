package audiofile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/hajimehoshi/go-mp3"
	"github.com/zaf/g711"
)

// Import limits and normalisation targets.
const (
	// DefaultMaxImportBytes is the input size limit Import applies when
	// given maxBytes <= 0: 5 MB, a few minutes of MP3 or a minute of
	// CD-quality WAV, more than any prompt needs.
	DefaultMaxImportBytes = 5 << 20
	// MaxImportSeconds bounds the decoded duration (a 5 MB MP3 at a low
	// bit rate could otherwise expand to hours of samples in memory).
	MaxImportSeconds = 600
	// TargetActiveDBm0 is the level imported audio is normalised to,
	// measured as the RMS of its active parts (20 ms blocks within 30 dB
	// of the loudest block, a simple stand-in for ITU-T P.56 active
	// speech level): −20 dBm0, the usual level of telephone prompts.
	TargetActiveDBm0 = -20.0
	// PeakCeilingDBFS caps the gain so that no sample exceeds −3 dBFS,
	// leaving headroom for G.711 and the line.
	PeakCeilingDBFS = -3.0
	// maxGainDB keeps near-silent recordings from being amplified into
	// loud noise.
	maxGainDB = 30.0
	// silenceDBm0: audio whose active level is below this is refused as
	// silent (almost certainly a wrong or broken file).
	silenceDBm0 = -70.0
)

// dbm0RMS is the RMS of a 0 dBm0 sine in 16-bit linear units (peak
// 22700, the same reference as package dsp's Dbm0Peak).
const dbm0RMS = 22700.0 / math.Sqrt2

// ErrUnknownFormat is returned (wrapped) for input that is neither WAV
// nor MP3.
var ErrUnknownFormat = errors.New("audiofile: unrecognised audio format (want WAV or MP3)")

// Import converts an installer-supplied prompt to the box's format: 8 kHz
// mono linear samples, level-normalised. It accepts WAV (8-, 16-, 24- or
// 32-bit PCM, 32/64-bit float, μ-law, A-law; any rate from 8 to 48 kHz;
// mono, stereo or more channels, mixed down) and MP3 (MPEG-1/2 layer
// III, decoded by hajimehoshi/go-mp3). Rate conversion uses a
// Kaiser-windowed-sinc polyphase filter cut off at 3.6 kHz with better
// than 80 dB stop-band attenuation from 4 kHz, so nothing above the
// telephone band aliases back into it. The result is scaled so that its
// active level is TargetActiveDBm0, but never so far that a sample
// exceeds PeakCeilingDBFS, nor by more than +30 dB.
//
// At most maxBytes of input are read (DefaultMaxImportBytes when
// maxBytes <= 0); a longer input is refused with ErrTooBig rather than
// truncated.
func Import(r io.Reader, maxBytes int64) ([]int16, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxImportBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("audiofile: import: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooBig, maxBytes)
	}
	var mono []float32
	switch {
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		mono, err = importWAV(data, maxBytes)
	case isMP3(data):
		mono, err = importMP3(data)
	default:
		return nil, ErrUnknownFormat
	}
	if err != nil {
		return nil, err
	}
	if len(mono) == 0 {
		return nil, errors.New("audiofile: import: no audio samples")
	}
	return normalise(mono)
}

// isMP3 recognises an ID3v2 tag or an MPEG audio frame sync at the start.
func isMP3(b []byte) bool {
	if len(b) >= 3 && string(b[:3]) == "ID3" {
		return true
	}
	// 11 sync bits, a valid version (not 01) and layer III (01).
	return len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 && b[1]&0x18 != 0x08 && b[1]&0x06 == 0x02
}

func importWAV(data []byte, maxBytes int64) ([]float32, error) {
	info, pcm, err := parseWAV(bytes.NewReader(data), maxBytes)
	if err != nil {
		return nil, err
	}
	frames := len(pcm) / info.block
	if frames > MaxImportSeconds*info.rate {
		return nil, fmt.Errorf("audiofile: import: %d s of audio exceeds %d s", frames/info.rate, MaxImportSeconds)
	}
	bps := info.bits / 8
	var sample func(b []byte) float32
	switch {
	case info.tag == tagPCM && bps == 1:
		sample = func(b []byte) float32 { return (float32(b[0]) - 128) / 128 }
	case info.tag == tagPCM && bps == 2:
		sample = func(b []byte) float32 { return float32(int16(binary.LittleEndian.Uint16(b))) / 32768 }
	case info.tag == tagPCM && bps == 3:
		sample = func(b []byte) float32 {
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			return float32(v) / (1 << 23)
		}
	case info.tag == tagPCM && bps == 4:
		sample = func(b []byte) float32 { return float32(int32(binary.LittleEndian.Uint32(b))) / (1 << 31) }
	case info.tag == tagFloat && bps == 4:
		sample = func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
	case info.tag == tagFloat && bps == 8:
		sample = func(b []byte) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) }
	case info.tag == tagULaw:
		sample = func(b []byte) float32 { return float32(g711.DecodeUlawFrame(b[0])) / 32768 }
	case info.tag == tagALaw:
		sample = func(b []byte) float32 { return float32(g711.DecodeAlawFrame(b[0])) / 32768 }
	default:
		return nil, fmt.Errorf("audiofile: import: unsupported wav encoding %s", info)
	}
	rs := newResampler(info.rate, sampleRate)
	in := make([]float32, 0, 4096)
	scale := 1 / float32(info.channels)
	for f := 0; f < frames; f++ {
		var sum float32
		for c := 0; c < info.channels; c++ {
			v := sample(pcm[f*info.block+c*bps:])
			if v != v || v > 8 || v < -8 { // NaN or absurd float samples
				return nil, fmt.Errorf("audiofile: import: invalid float sample at frame %d", f)
			}
			sum += v
		}
		in = append(in, sum*scale)
		if len(in) == cap(in) {
			rs.push(in)
			in = in[:0]
		}
	}
	rs.push(in)
	return rs.finish(), nil
}

func importMP3(data []byte) (out []float32, err error) {
	// go-mp3 is a careful decoder but was not written for hostile input;
	// a panic inside it must become an error, not take the exchange down.
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("audiofile: import: malformed mp3 (%v)", p)
		}
	}()
	d, err := mp3.NewDecoder(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("audiofile: import: mp3: %w", err)
	}
	rate := d.SampleRate()
	if rate < 8000 || rate > 48000 {
		return nil, fmt.Errorf("audiofile: import: mp3 sample rate %d Hz outside 8000–48000", rate)
	}
	if n := d.Length(); n > 0 && n/4 > int64(MaxImportSeconds*rate) {
		return nil, fmt.Errorf("audiofile: import: %d s of audio exceeds %d s", n/4/int64(rate), MaxImportSeconds)
	}
	rs := newResampler(rate, sampleRate)
	buf := make([]byte, 16384) // multiple of 4: 16-bit stereo frames
	in := make([]float32, 0, len(buf)/4)
	total := 0
	for {
		n, rerr := io.ReadFull(d, buf)
		n -= n % 4
		in = in[:0]
		for i := 0; i < n; i += 4 {
			l := int16(binary.LittleEndian.Uint16(buf[i:]))
			r := int16(binary.LittleEndian.Uint16(buf[i+2:]))
			in = append(in, (float32(l)+float32(r))/65536)
		}
		rs.push(in)
		total += len(in)
		if total > MaxImportSeconds*rate {
			return nil, fmt.Errorf("audiofile: import: audio exceeds %d s", MaxImportSeconds)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("audiofile: import: mp3: %w", rerr)
		}
	}
	return rs.finish(), nil
}

// normalise scales x (full scale ±1) to the import level and converts it
// to 16-bit samples.
func normalise(x []float32) ([]int16, error) {
	const block = 160
	var peak, loudest float64
	for _, v := range x {
		peak = max(peak, math.Abs(float64(v)))
	}
	nb := (len(x) + block - 1) / block
	ms := func(b int) float64 {
		var s float64
		seg := x[b*block : min((b+1)*block, len(x))]
		for _, v := range seg {
			s += float64(v) * float64(v)
		}
		return s / float64(len(seg))
	}
	for b := 0; b < nb; b++ {
		loudest = max(loudest, ms(b))
	}
	var act float64
	var n int
	for b := 0; b < nb; b++ {
		if m := ms(b); m >= loudest*1e-3 { // within 30 dB of the loudest block
			act += m
			n++
		}
	}
	rms := 32768 * math.Sqrt(act/float64(max(n, 1)))
	level := 20 * math.Log10(rms/dbm0RMS)
	if rms == 0 || level < silenceDBm0 {
		return nil, errors.New("audiofile: import: audio is silent")
	}
	gain := math.Pow(10, (TargetActiveDBm0-level)/20)
	gain = min(gain, math.Pow(10, maxGainDB/20))
	ceiling := 32768 * math.Pow(10, PeakCeilingDBFS/20)
	if peak*32768*gain > ceiling {
		gain = ceiling / (peak * 32768)
	}
	out := make([]int16, len(x))
	g := 32768 * gain
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(float64(v)*g))))
	}
	return out, nil
}
