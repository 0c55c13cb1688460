package bridge

import (
	"fmt"
	"testing"

	"minipbx/telephony/media"
)

// discard is an endpoint that drops what it is given, as cheaply as a
// benchmark needs.
type discard struct{ sink media.Sink }

func (d *discard) WriteFrame(*media.Frame) {}
func (d *discard) SetSink(s media.Sink)    { d.sink = s }
func (d *discard) Codec() media.Codec      { return media.PCMU }

// BenchmarkMix measures the mixer's cost for one 20 ms frame of a
// conference of n talking parties, reported per party (ns/party): every
// party's frame arrives as μ-law (decoded once), is summed, and every party
// gets the sum less its own voice. The endpoint's own encoding and sending
// are not counted (they are the same for a two-party call).
func BenchmarkMix(b *testing.B) {
	for _, n := range []int{3, 10, 30} {
		b.Run(fmt.Sprintf("parties=%d", n), func(b *testing.B) {
			br := manual(b)
			eps := make([]*discard, n)
			var f media.Frame
			f.Codec, f.HasPayload = media.PCMU, true
			for i := range f.Payload {
				f.Payload[i] = byte(i)
			}
			for i := range eps {
				eps[i] = &discard{}
				if err := br.Join(fmt.Sprint(i), eps[i]); err != nil {
					b.Fatal(err)
				}
			}
			frames := make([]media.Frame, n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for i, ep := range eps {
					frames[i] = f
					ep.sink.WriteFrame(&frames[i])
				}
				br.tick()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/party")
		})
	}
}

// BenchmarkDirect is a two-party call's relay through its bridge: one
// frame handed from one endpoint's clock to the other endpoint.
func BenchmarkDirect(b *testing.B) {
	br := manual(b)
	x, y := &discard{}, &discard{}
	if err := br.Join("x", x); err != nil {
		b.Fatal(err)
	}
	if err := br.Join("y", y); err != nil {
		b.Fatal(err)
	}
	var f media.Frame
	f.Codec, f.HasPayload = media.PCMU, true
	b.ReportAllocs()
	for range b.N {
		x.sink.WriteFrame(&f)
	}
}
