package pcmlink

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/zaf/g711"

	"minipbx/board"
)

// fakePort is an in-memory serial port. Reads come from a channel of
// chunks and time out like go.bug.st/serial ((0, nil) after the timeout);
// writes are collected.
type fakePort struct {
	in      chan []byte
	pending []byte
	timeout time.Duration
	readErr error

	mu     sync.Mutex
	out    bytes.Buffer
	closed bool
}

func newFakePort() *fakePort { return &fakePort{in: make(chan []byte, 1024)} }

func (p *fakePort) SetReadTimeout(d time.Duration) error { p.timeout = d; return nil }

func (p *fakePort) Read(b []byte) (int, error) {
	if len(p.pending) == 0 {
		select {
		case c, ok := <-p.in:
			if !ok {
				if p.readErr != nil {
					return 0, p.readErr
				}
				return 0, io.EOF
			}
			p.pending = c
		case <-time.After(p.timeout):
			return 0, nil
		}
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func (p *fakePort) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, errors.New("port closed")
	}
	return p.out.Write(b)
}

func (p *fakePort) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}

// written decodes what the Link has written so far.
func (p *fakePort) written(t *testing.T) (down []Frame, ctl []Frame) {
	t.Helper()
	p.mu.Lock()
	b := append([]byte(nil), p.out.Bytes()...)
	p.out.Reset()
	p.mu.Unlock()
	d := NewDeframer()
	for len(b) > 0 {
		n, _ := d.Write(b)
		b = b[n:]
		for {
			f, ok := d.Next()
			if !ok {
				break
			}
			f.Payload = append([]byte(nil), f.Payload...)
			if f.Type == TypeAudioDown {
				down = append(down, f)
			} else {
				ctl = append(ctl, f)
			}
		}
	}
	if st := d.Stats(); st.Discarded != 0 {
		t.Fatalf("the Link wrote %d bytes that are not frames", st.Discarded)
	}
	return down, ctl
}

// mcu simulates the bridge: it numbers AUDIO_UP frames and fills each
// timeslot with a μ-law ramp that encodes (slot, sample index).
type mcu struct {
	t     testing.TB
	seq   uint16
	slots uint16
	n     int // samples sent per slot
	buf   []byte
}

func sampleFor(slot, i int) int16 { return int16((slot+1)*1000 + (i%200)*8) }

func (m *mcu) frame() []byte {
	var pay []byte
	for s := range MaxSlots {
		if m.slots&(1<<s) == 0 {
			continue
		}
		for i := range SlotSamples {
			pay = append(pay, g711.EncodeUlawFrame(sampleFor(s, m.n+i)))
		}
	}
	b, err := AppendFrame(m.buf[:0], &Frame{Type: TypeAudioUp, Seq: m.seq, Map: m.slots, Payload: pay})
	if err != nil {
		m.t.Fatal(err)
	}
	m.buf = b
	m.seq++
	m.n += SlotSamples
	return b
}

// recorder is an AudioFunc that keeps what it heard and answers with a
// frame number in every sample.
type recorder struct {
	calls int
	rx    []board.Frame
	tone  int16
}

func (r *recorder) fn(rx, tx *board.Frame) {
	for i := range tx {
		if tx[i] != 0 {
			panic("tx not zeroed")
		}
	}
	r.rx = append(r.rx, *rx)
	for i := range tx {
		tx[i] = r.tone + int16(r.calls)*256
	}
	r.calls++
}

func newTestLink(t testing.TB, c Config) (*Link, *fakePort) {
	t.Helper()
	p := newFakePort()
	c.Port = p
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l, p
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestLinkAudioPath(t *testing.T) {
	l, p := newTestLink(t, Config{})
	r0, r2 := &recorder{tone: 1000}, &recorder{tone: -3000}
	if err := l.Attach(0, r0.fn); err != nil {
		t.Fatal(err)
	}
	if err := l.Attach(2, r2.fn); err != nil {
		t.Fatal(err)
	}
	m := &mcu{t: t, slots: 0b1111}
	at := t0
	for range 12 {
		l.input(m.frame(), at)
		at = at.Add(Period)
	}
	if r0.calls != 3 || r2.calls != 3 {
		t.Fatalf("AudioFunc calls %d, %d; want 3 each (12 periods of 5 ms)", r0.calls, r2.calls)
	}
	for k, fr := range r2.rx {
		for i, v := range fr {
			want := g711.DecodeUlawFrame(g711.EncodeUlawFrame(sampleFor(2, k*160+i)))
			if v != want {
				t.Fatalf("slot 2 frame %d sample %d = %d, want %d", k, i, v, want)
			}
		}
	}
	down, _ := p.written(t)
	if len(down) != 12 {
		t.Fatalf("%d AUDIO_DOWN frames, want 12", len(down))
	}
	for i, f := range down {
		if f.Ack != uint16(i) || f.Seq != uint16(i+1) || f.Map != 0b101 {
			t.Fatalf("down %d: seq %d ack %d map %#x", i, f.Seq, f.Ack, f.Map)
		}
		// Answers to 0..2 precede the first board frame: idle code.
		// The answer to seq 4k+3+j carries quarter j of tx frame k.
		for j, want := range []int16{1000, -3000} {
			s := f.Slot([]int{0, 2}[j])
			if i < 3 {
				if !bytes.Equal(s, bytes.Repeat([]byte{0xFF}, SlotSamples)) {
					t.Fatalf("down %d slot %d before the first frame: % X", i, j, s)
				}
				continue
			}
			k := (i - 3) / 4
			wantB := g711.EncodeUlawFrame(want + int16(k)*256)
			if s[0] != wantB || s[SlotSamples-1] != wantB {
				t.Fatalf("down %d slot %d: %#x, want %#x (frame %d)", i, j, s[0], wantB, k)
			}
		}
	}
	st := l.Stats()
	if st.RxFrames != 12 || st.TxFrames != 12 || st.Late+st.Dropped+st.Underruns+st.Overruns+st.CRCErrors != 0 || !st.Up {
		t.Fatalf("stats %+v", st)
	}
}

func TestLinkALaw(t *testing.T) {
	l, p := newTestLink(t, Config{Law: ALaw, Slots: 1})
	var got []int16
	l.Attach(0, func(rx, tx *board.Frame) {
		got = append(got, rx[:]...)
		for i := range tx {
			tx[i] = 4000
		}
	})
	if err := l.Attach(1, func(rx, tx *board.Frame) {}); err == nil {
		t.Fatal("attached a timeslot the link does not carry")
	}
	for s := range uint16(8) {
		pay := make([]byte, SlotSamples)
		for i := range pay {
			pay[i] = g711.EncodeAlawFrame(-2000)
		}
		l.input(mkFrame(t, Frame{Type: TypeAudioUp, Seq: s, Map: 1, Payload: pay}), t0.Add(time.Duration(s)*Period))
	}
	if len(got) != 320 || got[0] != g711.DecodeAlawFrame(g711.EncodeAlawFrame(-2000)) {
		t.Fatalf("rx %d samples, first %d", len(got), got[0])
	}
	down, ctl := p.written(t)
	if len(ctl) != 0 {
		t.Fatalf("unexpected control frames")
	}
	if down[0].Payload[0] != 0xD5 || down[3].Payload[0] != g711.EncodeAlawFrame(4000) {
		t.Fatalf("A-law idle/tx: %#x %#x", down[0].Payload[0], down[3].Payload[0])
	}
}

func TestLinkLostAndStaleFrames(t *testing.T) {
	l, p := newTestLink(t, Config{})
	r := &recorder{}
	l.Attach(1, r.fn)
	m := &mcu{t: t, slots: 0b10}
	at := t0
	var lostSeq []uint16
	for i := range 16 {
		b := append([]byte(nil), m.frame()...)
		if i == 5 || i == 9 || i == 10 {
			lostSeq = append(lostSeq, m.seq-1)
		} else {
			l.input(b, at)
		}
		if i == 12 { // a repeated frame: stale
			l.input(b, at)
		}
		at = at.Add(Period)
	}
	if r.calls != 4 {
		t.Fatalf("AudioFunc calls %d, want 4: lost periods must not stop the clock", r.calls)
	}
	// Period 5 is quarter 1 of frame 1: silence; 9, 10 quarters 1, 2 of frame 2.
	for _, seq := range lostSeq {
		fr, q := int(seq)/4, int(seq)%4
		for i := q * 40; i < q*40+40; i++ {
			if r.rx[fr][i] != 0 {
				t.Fatalf("lost period %d: sample %d = %d, want silence", seq, i, r.rx[fr][i])
			}
		}
	}
	if v := r.rx[1][0]; v == 0 {
		t.Fatalf("received audio replaced by silence")
	}
	st := l.Stats()
	if st.Dropped != 3 || st.Stale != 1 || st.RxFrames != 13 || st.TxFrames != 13 || st.Underruns != 0 {
		t.Fatalf("stats %+v", st)
	}
	down, _ := p.written(t)
	for _, f := range down {
		for _, s := range lostSeq {
			if f.Ack == s {
				t.Fatalf("answered lost period %d", s)
			}
		}
	}
	// The answers keep their place: the answer to 11 carries frame 2's
	// quarter 0 even though 9 and 10 were never answered.
	if f := down[len(down)-5]; f.Ack != 11 || f.Payload[0] != g711.EncodeUlawFrame(2*256) {
		t.Fatalf("answer %d payload %#x", f.Ack, f.Payload[0])
	}
}

func TestLinkRestartAndWrap(t *testing.T) {
	l, _ := newTestLink(t, Config{})
	r := &recorder{}
	l.Attach(0, r.fn)
	m := &mcu{t: t, slots: 1, seq: 65530}
	at := t0
	for range 20 { // across the wrap of seq
		l.input(m.frame(), at)
		at = at.Add(Period)
	}
	if st := l.Stats(); st.Dropped+st.Stale+st.Restarts != 0 {
		t.Fatalf("wrap: %+v", st)
	}
	m.seq = 40000 // MCU restarted with a new sequence
	for range 8 {
		l.input(m.frame(), at)
		at = at.Add(Period)
	}
	m.seq = 39000 // and again, backwards
	for range 8 {
		l.input(m.frame(), at)
		at = at.Add(Period)
	}
	st := l.Stats()
	if st.Restarts != 2 || st.Dropped != 0 || st.RxFrames != 36 {
		t.Fatalf("restart: %+v", st)
	}
	// 65530, 65531 complete a first (partial) frame, 65532..65535 one
	// more, 0..13 three and a partial that the restart abandons; 40000..
	// and 39000.. are 8 periods = 2 frames each.
	if r.calls != 1+1+3+2+2 {
		t.Fatalf("calls %d", r.calls)
	}
}

func TestLinkCorruptStream(t *testing.T) {
	l, _ := newTestLink(t, Config{})
	r := &recorder{}
	l.Attach(3, r.fn)
	m := &mcu{t: t, slots: 0b1001}
	rng := rand.New(rand.NewPCG(3, 4))
	at := t0
	const total = 4000
	corrupted := 0
	for i := range total {
		b := append([]byte(nil), m.frame()...)
		switch rng.IntN(20) {
		case 0: // a bit flip anywhere
			b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
			corrupted++
		case 1: // truncated
			b = b[:rng.IntN(len(b))]
			corrupted++
		case 2: // line noise between frames
			noise := make([]byte, rng.IntN(30))
			for j := range noise {
				noise[j] = byte(rng.Uint32())
			}
			b = append(noise, b...)
		}
		// Deliver in random chunk sizes as a UART driver would.
		for len(b) > 0 {
			n := min(len(b), 1+rng.IntN(64))
			l.input(b[:n], at)
			b = b[n:]
		}
		at = at.Add(Period)
		_ = i
	}
	st := l.Stats()
	if st.RxFrames+st.Dropped < total-2 || st.RxFrames+st.Dropped > total {
		t.Fatalf("rx %d + dropped %d, want ~%d", st.RxFrames, st.Dropped, total)
	}
	if int(st.Dropped) < corrupted-corrupted/10 || int(st.Dropped) > corrupted+corrupted/10 {
		t.Fatalf("dropped %d, corrupted %d", st.Dropped, corrupted)
	}
	if st.CRCErrors == 0 || st.Discarded == 0 || st.Restarts != 0 {
		t.Fatalf("stats %+v", st)
	}
	if r.calls < total/4-1 || r.calls > total/4 {
		t.Fatalf("AudioFunc calls %d, want %d: the clock must keep time through corruption", r.calls, total/4)
	}
}

// TestLinkDrift runs the MCU's clock 300 ppm fast and 300 ppm slow against
// the SoC's, with the SoC's read latency jittering by up to 3 ms: no answer
// may be judged late, and none may be lost. Then a 25 ms stall of the SoC
// makes exactly the answers whose playout period has passed late.
func TestLinkDrift(t *testing.T) {
	for _, ppm := range []float64{-300, 0, 300} {
		l, p := newTestLink(t, Config{})
		r := &recorder{}
		l.Attach(0, r.fn)
		m := &mcu{t: t, slots: 1}
		rng := rand.New(rand.NewPCG(5, 6))
		period := time.Duration(float64(Period) * (1 + ppm/1e6))
		const n = 20000 // 100 s
		for i := range n {
			mcuEnd := t0.Add(time.Duration(i+1) * period)
			at := mcuEnd.Add(500*time.Microsecond + time.Duration(rng.IntN(3000))*time.Microsecond)
			l.input(m.frame(), at)
		}
		st := l.Stats()
		if st.Late != 0 || st.TxFrames != n || r.calls != n/4 {
			t.Fatalf("%+.0f ppm: late %d, tx %d, calls %d", ppm, st.Late, st.TxFrames, r.calls)
		}
		p.written(t)

		// Stall: the SoC does not read for 25 ms, then gets 5 frames at
		// once. With delay 3 the answer to n must arrive by E(n)+10 ms.
		// Frame i (its end E) waits until stallEnd; late when stallEnd +
		// wire > E + 10 ms (+ slack of the minimal latency).
		base := t0.Add(time.Duration(n) * period)
		stallEnd := base.Add(25 * time.Millisecond)
		for range 5 {
			l.input(m.frame(), stallEnd)
		}
		st = l.Stats()
		// Ends at base+5, +10, +15, +20, +25 ms: the first two (deadlines
		// +15, +20 ms... minus wire) are late, so is the third (+25 ms).
		if st.Late < 2 || st.Late > 3 {
			t.Fatalf("%+.0f ppm: %d late after the stall, want 2..3", ppm, st.Late)
		}
		down, _ := p.written(t)
		if len(down) != 5-int(st.Late) || down[len(down)-1].Ack != m.seq-1 {
			t.Fatalf("after stall: %d answers", len(down))
		}
	}
}

func TestLinkStatusAndConfig(t *testing.T) {
	l, p := newTestLink(t, Config{Law: ALaw, Slots: 0x0F, PlayoutDelay: 4})
	st := MCUStatus{Firmware: 0x0100, Flags: FlagConfigured, UptimeMS: 5000, Late: 7}
	l.input(mkFrame(t, Frame{Type: TypeStatus, Seq: 1, Payload: AppendStatus(nil, st)}), t0)
	if s := l.Stats(); !s.HasMCU || s.MCU != st {
		t.Fatalf("MCU status %+v", s.MCU)
	}
	if _, ctl := p.written(t); len(ctl) != 0 {
		t.Fatalf("config sent to a configured MCU")
	}
	st.UptimeMS = 20 // restarted
	l.input(mkFrame(t, Frame{Type: TypeStatus, Seq: 2, Payload: AppendStatus(nil, st)}), t0)
	_, ctl := p.written(t)
	if len(ctl) != 1 {
		t.Fatalf("%d control frames after an MCU restart, want a CONFIG", len(ctl))
	}
	cmd, c, err := ParseControl(ctl[0].Payload)
	if err != nil || cmd != CmdConfig || c != (ControlConfig{Law: ALaw, PlayoutDelay: 4, Slots: 0x0F}) {
		t.Fatalf("config %d %+v %v", cmd, c, err)
	}
	st.Flags = 0 // unconfigured
	st.UptimeMS = 30
	l.input(mkFrame(t, Frame{Type: TypeStatus, Seq: 3, Payload: AppendStatus(nil, st)}), t0)
	if _, ctl := p.written(t); len(ctl) != 1 {
		t.Fatalf("no CONFIG for an unconfigured MCU")
	}
	// The 49-day wrap of the uptime is not a restart.
	st.Flags, st.UptimeMS = FlagConfigured, 0xFFFFFF00
	l.input(mkFrame(t, Frame{Type: TypeStatus, Seq: 4, Payload: AppendStatus(nil, st)}), t0)
	st.UptimeMS = 0x100
	l.input(mkFrame(t, Frame{Type: TypeStatus, Seq: 5, Payload: AppendStatus(nil, st)}), t0)
	if _, ctl := p.written(t); len(ctl) != 0 {
		t.Fatalf("uptime wrap taken for a restart")
	}
	// A short status is ignored, not fatal.
	l.input(mkFrame(t, Frame{Type: TypeStatus, Seq: 4, Payload: []byte{1, 2}}), t0)
	if s := l.Stats(); s.MCU.UptimeMS != 0x100 {
		t.Fatalf("short status changed the state")
	}
}

func TestNewRejects(t *testing.T) {
	for _, c := range []Config{
		{},
		{Port: newFakePort(), Law: 5},
		{Port: newFakePort(), PlayoutDelay: 1},
		{Port: newFakePort(), PlayoutDelay: 9},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

// TestRunSilenceAndRecovery drives Run through the fake port: frames, then
// silence (link down), then frames again (up), then cancellation.
func TestRunSilenceAndRecovery(t *testing.T) {
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	states := make(chan bool, 10)
	l, p := newTestLink(t, Config{Now: clock, OnLinkState: func(up bool) { states <- up }})
	calls := make(chan struct{}, 100)
	l.Attach(0, func(rx, tx *board.Frame) { calls <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()

	m := &mcu{t: t, slots: 1}
	send := func(k int) {
		for range k {
			p.in <- append([]byte(nil), m.frame()...)
			advance(Period)
		}
	}
	l.RequestStatus()
	send(8)
	if !<-states {
		t.Fatal("link not up")
	}
	for range 2 {
		<-calls
	}
	advance(time.Second) // silent: the next read timeout notices
	if <-states {
		t.Fatal("link not down after silence")
	}
	send(4)
	if !<-states {
		t.Fatal("link not back up")
	}
	<-calls
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	st := l.Stats()
	if st.LinkDowns != 1 || st.RxFrames != 12 {
		t.Fatalf("stats %+v", st)
	}
	_, ctl := p.written(t)
	if len(ctl) != 2 || ctl[0].Payload[0] != CmdConfig || ctl[1].Payload[0] != CmdStatusRequest {
		t.Fatalf("Run did not send a CONFIG and the status request: %d control frames", len(ctl))
	}
}

func TestRunPortError(t *testing.T) {
	l, p := newTestLink(t, Config{})
	p.readErr = errors.New("device unplugged")
	close(p.in)
	err := l.Run(context.Background())
	if err == nil || !errors.Is(err, p.readErr) {
		t.Fatalf("Run = %v", err)
	}
	if err := l.Close(); err != nil || !p.closed {
		t.Fatalf("Close: %v", err)
	}
}

func TestLinkNoAllocs(t *testing.T) {
	l, _ := newTestLink(t, Config{})
	for s := range 4 {
		l.Attach(s, func(rx, tx *board.Frame) { copy(tx[:], rx[:]) })
	}
	m := &mcu{t: t, slots: 0x0F}
	var frames [][]byte
	for range 4 {
		frames = append(frames, append([]byte(nil), m.frame()...))
	}
	p := l.port.(*fakePort)
	at := t0
	seq := uint16(0)
	allocs := testing.AllocsPerRun(200, func() {
		for _, f := range frames {
			f[4], f[5] = byte(seq>>8), byte(seq)
			crc := CRC16(f[2 : len(f)-2])
			f[len(f)-2], f[len(f)-1] = byte(crc>>8), byte(crc)
			seq++
			l.input(f, at)
			at = at.Add(Period)
		}
		p.out.Reset()
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per 20 ms frame", allocs)
	}
}

// BenchmarkLink20ms measures one 20 ms board frame (four 5 ms link frames)
// of the reference box: 4 timeslots in, AudioFuncs, 4 timeslots out.
func BenchmarkLink20ms(b *testing.B) {
	for _, slots := range []int{4, 16} {
		b.Run(map[int]string{4: "4slots", 16: "16slots"}[slots], func(b *testing.B) {
			p := newFakePort()
			l, _ := New(Config{Port: p})
			m := &mcu{t: b, slots: uint16(1<<slots - 1)}
			for s := range slots {
				l.Attach(s, func(rx, tx *board.Frame) { copy(tx[:], rx[:]) })
			}
			var frames [][]byte
			for range 4 {
				frames = append(frames, append([]byte(nil), m.frame()...))
			}
			at := t0
			seq := uint16(0)
			b.ReportAllocs()
			b.SetBytes(int64(4 * len(frames[0])))
			for b.Loop() {
				for _, f := range frames {
					f[4], f[5] = byte(seq>>8), byte(seq)
					crc := CRC16(f[2 : len(f)-2])
					f[len(f)-2], f[len(f)-1] = byte(crc>>8), byte(crc)
					seq++
					l.input(f, at)
					at = at.Add(Period)
				}
				p.out.Reset()
			}
		})
	}
}
