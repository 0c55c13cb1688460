// Package media carries a call's audio: 20 ms frames between channels, RTP
// sessions for SIP legs (offer/answer, hold, RFC 4733 telephone-events,
// RTCP, jitter buffer, pacing) and the G.711 conversion at the edges.
//
// Inside the exchange audio moves as Frames pushed from one Endpoint to the
// Sink of another, never pulled: the source's own clock (the board's audio
// clock, or the arrival of RTP packets) paces it, so a bridge adds no
// buffering of its own. A frame that came from a SIP leg keeps its G.711
// payload, so a SIP leg with the same codec relays it without decoding.
package media

import (
	"fmt"

	"github.com/zaf/g711"
)

// FrameSamples is the number of linear samples in one 20 ms frame at 8 kHz.
const FrameSamples = 160

// Codec is an audio payload format.
type Codec uint8

const (
	// Linear is 16-bit linear PCM (the analog ports' native format).
	Linear Codec = iota
	// PCMU is G.711 μ-law (RTP payload type 0).
	PCMU
	// PCMA is G.711 A-law (RTP payload type 8).
	PCMA
)

func (c Codec) String() string {
	switch c {
	case Linear:
		return "L16"
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

// PayloadType is the static RTP payload type of the codec, or -1.
func (c Codec) PayloadType() int {
	switch c {
	case PCMU:
		return 0
	case PCMA:
		return 8
	}
	return -1
}

// Frame is 20 ms of audio. Either Samples is valid (HasSamples), or Payload
// holds Codec-encoded G.711 bytes, or both. A Frame is only valid during the
// WriteFrame call it is passed to: a receiver that keeps it must copy it.
type Frame struct {
	Samples    [FrameSamples]int16
	HasSamples bool
	Codec      Codec // codec of Payload; Linear when there is none
	Payload    [FrameSamples]byte
	HasPayload bool

	// Stream, Seq and TS time a frame that came from an RTP stream, so that
	// a jitter buffer can put reordered frames back in their place and a
	// relay can keep the source's sequence and timing: Stream names the
	// stream (non-zero; a new value when the source changes or restarts),
	// Seq numbers its frames (the RTP sequence number of 20 ms packets)
	// and TS is the RTP timestamp (8 kHz) of the frame's first sample.
	// Generated audio has Stream 0; code that builds a frame starts from a
	// zero Frame.
	Stream uint32
	Seq    uint16
	TS     uint32
}

// Linear returns the frame's linear samples, decoding the payload into
// Samples first when needed. It does not allocate.
func (f *Frame) Linear() *[FrameSamples]int16 {
	if !f.HasSamples && f.HasPayload {
		switch f.Codec {
		case PCMU:
			for i, b := range f.Payload {
				f.Samples[i] = g711.DecodeUlawFrame(b)
			}
		case PCMA:
			for i, b := range f.Payload {
				f.Samples[i] = g711.DecodeAlawFrame(b)
			}
		}
		f.HasSamples = true
	}
	return &f.Samples
}

// Encoded returns the frame's payload in codec c (PCMU or PCMA), encoding
// the linear samples when the frame does not already carry that codec. The
// returned slice aliases f.Payload. It does not allocate.
func (f *Frame) Encoded(c Codec) []byte {
	if f.HasPayload && f.Codec == c {
		return f.Payload[:]
	}
	s := f.Linear()
	switch c {
	case PCMU:
		for i, v := range s {
			f.Payload[i] = g711.EncodeUlawFrame(v)
		}
	case PCMA:
		for i, v := range s {
			f.Payload[i] = g711.EncodeAlawFrame(v)
		}
	}
	f.Codec, f.HasPayload = c, true
	return f.Payload[:]
}

// SetLinear fills the frame from linear samples and drops any payload.
func (f *Frame) SetLinear(s *[FrameSamples]int16) {
	f.Samples = *s
	f.HasSamples, f.HasPayload, f.Codec = true, false, Linear
}

// Sink receives frames. WriteFrame is called from the source's clock
// goroutine; it must not block and must not keep f after returning.
type Sink interface {
	WriteFrame(f *Frame)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(f *Frame)

// WriteFrame calls fn(f).
func (fn SinkFunc) WriteFrame(f *Frame) { fn(f) }

// Endpoint is the media face of a channel. Frames written to it go to the
// channel's far end (the SIP peer, the analog line); frames that the far end
// sends are pushed to the Sink set with SetSink.
type Endpoint interface {
	Sink
	// SetSink sets where audio from the far end goes; nil discards it.
	SetSink(s Sink)
	// Codec is the codec the far end speaks (Linear for analog ports).
	Codec() Codec
}
