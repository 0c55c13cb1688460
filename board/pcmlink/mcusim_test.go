package pcmlink

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/zaf/g711"

	"minipbx/board"
)

// mcuSim is the MCU side of doc.go, in simulated time: it captures 5 ms
// periods from the highway (a counter in every timeslot), sends AUDIO_UP,
// and plays each AUDIO_DOWN in period ack+D, counting late frames and
// underruns exactly as the specification tells the firmware to.
type mcuSim struct {
	t               *testing.T
	period          time.Duration // the MCU crystal's 5 ms
	delay           int
	baud            int
	start           time.Time
	df              *Deframer
	sched           map[uint16][]byte // period (mod 2^16) → payload of slot 0 to play
	played          []byte            // slot 0 as played on the highway
	late, underruns int
	missing         map[int]bool // periods played as idle code for lack of an answer
}

func (m *mcuSim) end(n int) time.Time { return m.start.Add(time.Duration(n+1) * m.period) }

func (m *mcuSim) wire(b int) time.Duration {
	return time.Duration(b) * 10 * time.Second / time.Duration(m.baud)
}

// up builds AUDIO_UP n; slot 0 carries μ-law codes of the running sample
// counter so that the loop-back delay can be read off the played stream.
func (m *mcuSim) up(n int) []byte {
	pay := make([]byte, SlotSamples)
	for i := range pay {
		pay[i] = byte((n*SlotSamples + i) % 200) // codes 0..199: all distinct linear values
	}
	f, err := AppendFrame(nil, &Frame{Type: TypeAudioUp, Seq: uint16(n), Map: 1, Payload: pay})
	if err != nil {
		m.t.Fatal(err)
	}
	return f
}

// receive takes the SoC's bytes written at time at.
func (m *mcuSim) receive(b []byte, at time.Time) {
	arrive := at.Add(m.wire(len(b)))
	m.df.Write(b)
	for {
		f, ok := m.df.Next()
		if !ok {
			return
		}
		if f.Type != TypeAudioDown {
			continue
		}
		p := f.Ack + uint16(m.delay)
		// Period p starts when period p-1 ends.
		if !arrive.Before(m.end(int(p) - 1)) {
			m.late++
			continue
		}
		if s := f.Slot(0); s != nil {
			m.sched[p] = append([]byte(nil), s...)
		}
	}
}

// play runs period n's playout.
func (m *mcuSim) play(n int) {
	s, ok := m.sched[uint16(n)]
	delete(m.sched, uint16(n))
	if !ok {
		if n >= m.delay+SubFrames { // the first frames have no answer yet
			m.underruns++
			m.missing[n] = true
		}
		s = make([]byte, SlotSamples)
		for i := range s {
			s[i] = 0xFF
		}
	}
	m.played = append(m.played, s...)
}

// TestEndToEndLoopback runs the Link against the simulated MCU for 60 s of
// audio with the MCU's crystal 150 ppm off and the SoC answering with up to
// 6 ms of scheduling latency, an AudioFunc looping rx to tx: the MCU must
// see no late frame and no underrun, and the loop-back delay must be
// constant — (3 + D) periods, 30 ms with D = 3: the 20 ms board frame plus
// the playout delay, and nothing that creeps. With a 40 ms stall of the
// SoC in the middle, the answers whose time has passed are not sent (the
// MCU plays idle code for exactly those periods, and never receives a late
// one), and the delay after the stall is unchanged.
func TestEndToEndLoopback(t *testing.T) {
	for _, c := range []struct {
		ppm   float64
		stall bool
	}{{-150, false}, {150, false}, {100, true}} {
		ppm := c.ppm
		p := newFakePort()
		l, err := New(Config{Port: p, Slots: 1})
		if err != nil {
			t.Fatal(err)
		}
		l.Attach(0, func(rx, tx *board.Frame) { *tx = *rx })
		m := &mcuSim{
			t: t, period: time.Duration(float64(Period) * (1 + ppm/1e6)), delay: DefaultPlayoutDelay,
			baud: DefaultBaud, start: t0, df: NewDeframer(), sched: map[uint16][]byte{}, missing: map[int]bool{},
		}
		const stallFrom, stallTo = 5000, 5008
		rng := rand.New(rand.NewPCG(7, 8))
		const periods = 12000
		for n := range periods {
			m.play(n) // period n is being played while it is captured
			up := m.up(n)
			at := m.end(n).Add(m.wire(len(up)) + time.Duration(rng.IntN(6000))*time.Microsecond)
			if c.stall && n >= stallFrom && n < stallTo {
				at = m.end(stallTo).Add(time.Millisecond) // all read at once after the stall
			}
			l.input(up, at)
			p.mu.Lock()
			out := append([]byte(nil), p.out.Bytes()...)
			p.out.Reset()
			p.mu.Unlock()
			m.receive(out, at)
		}
		st := l.Stats()
		if m.late != 0 || st.Underruns+st.Overruns != 0 || int(st.Late) != m.underruns {
			t.Fatalf("%+.0f ppm: MCU late %d underruns %d; link %+v", ppm, m.late, m.underruns, st)
		}
		t.Logf("%+.0f ppm, stall %v: %d answers not sent (late), MCU underruns %d", ppm, c.stall, st.Late, m.underruns)
		if c.stall != (st.Late > 0) {
			t.Fatalf("%+.0f ppm, stall %v: %d answers late", ppm, c.stall, st.Late)
		}
		// Find the loop-back delay from the first non-idle sample and
		// check every later sample keeps it.
		first := -1
		for i, b := range m.played {
			if b != 0xFF {
				first = i
				break
			}
		}
		wantDelay := (3 + DefaultPlayoutDelay) * SlotSamples
		if first != wantDelay {
			t.Fatalf("%+.0f ppm: loop-back delay %d samples, want %d", ppm, first, wantDelay)
		}
		for i := first; i < len(m.played); i++ {
			if m.missing[i/SlotSamples] {
				continue
			}
			want := g711.EncodeUlawFrame(g711.DecodeUlawFrame(byte((i - wantDelay) % 200)))
			if m.played[i] != want {
				t.Fatalf("%+.0f ppm: sample %d played %#x, want %#x: the delay moved", ppm, i, m.played[i], want)
			}
		}
	}
}
