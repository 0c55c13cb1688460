package modem

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zaf/g711"

	"minipbx/board"
)

type harness struct {
	t      *testing.T
	m      *fakeModem
	p      *Port
	events chan board.Event
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, m *fakeModem, tweak func(c *Config)) *harness {
	t.Helper()
	h := &harness{t: t, m: m, events: make(chan board.Event, 100), done: make(chan error, 1)}
	c := Config{
		Port: m, Index: 4, Name: "Modem 1",
		Emit: func(e board.Event) { h.events <- e },
		// Long enough that a loaded machine never times out an answering
		// fake; tests of a silent modem shorten it (quickTimeouts).
		CommandTimeout: time.Second,
		BackoffMin:     20 * time.Millisecond,
		BackoffMax:     80 * time.Millisecond,
		VoiceTimeout:   3 * time.Second, // the fake does not stream unless told to
		RingBurst:      50 * time.Millisecond,
		RingGap:        300 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&c)
	}
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- p.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

// quickTimeouts is for tests where the modem falls silent on purpose.
func quickTimeouts(c *Config) { c.CommandTimeout = 150 * time.Millisecond }

func (h *harness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
		h.done <- nil
	case <-time.After(5 * time.Second):
		h.t.Error("Run did not return")
	}
}

// ready waits until the modem is initialised.
func (h *harness) ready() {
	h.t.Helper()
	h.waitFor("initialised", func() bool { return h.p.Status().Fault == "" })
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	end := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			h.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) event(want board.EventType) board.Event {
	h.t.Helper()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case e := <-h.events:
			if e.Type == want {
				if e.Port != 4 {
					h.t.Fatalf("event for port %d", e.Port)
				}
				return e
			}
		case <-t.C:
			h.t.Fatalf("no %v event", want)
		}
	}
}

func TestInitSequence(t *testing.T) {
	m := newFakeModem()
	h := start(t, m, nil)
	h.ready()
	want := []string{"ATZ", "ATE0", "AT+FCLASS=8", "AT+VCID=1", "AT+VSM=?", "AT+VSM=4,8000", "AT+VLS=0"}
	if got := m.cmds(); !slices.Equal(got, want) {
		t.Fatalf("commands %q\nwant %q", got, want)
	}
	f, _ := h.p.Format()
	if f.Encoding != EncULaw || f.CML != 4 {
		t.Fatalf("format %+v", f)
	}
	st := h.p.Status()
	if st.Line != board.LineOK || st.Hook != board.OnHook {
		t.Fatalf("status %+v", st)
	}
	if i := h.p.Info(); i.Kind != board.FXO || i.Driver != "modem" || i.Index != 4 {
		t.Fatalf("info %+v", i)
	}
	if _, err := h.p.Measure(); !errors.Is(err, board.ErrNotSupported) {
		t.Fatalf("Measure: %v", err)
	}
}

// TestInitString: the installer's initialisation string goes after the
// reset and before voice mode; one the modem refuses is skipped, not
// fatal.
func TestInitString(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		m := newFakeModem()
		m.override = func(cmd string) (string, bool) {
			if cmd != "AT+GCI=59" {
				return "", false
			}
			if refuse {
				return "\r\nERROR\r\n", true
			}
			return "\r\nOK\r\n", true
		}
		h := start(t, m, func(c *Config) { c.InitString = "AT+GCI=59" })
		h.ready()
		got := m.cmds()
		want := []string{"ATZ", "ATE0", "AT+GCI=59", "AT+FCLASS=8"}
		if refuse {
			// Tried as often as any command, then skipped.
			want = []string{"ATZ", "ATE0", "AT+GCI=59", "AT+GCI=59", "AT+GCI=59", "AT+FCLASS=8"}
		}
		if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
			t.Fatalf("refuse=%v: commands %q, want them to start %q", refuse, got, want)
		}
		h.stop()
	}
}

func TestInitPreferALawAndRefusedFormat(t *testing.T) {
	m := newFakeModem()
	m.override = func(cmd string) (string, bool) {
		if cmd == "AT+VSM=5,8000" {
			return "\r\nERROR\r\n", true
		}
		return "", false
	}
	h := start(t, m, func(c *Config) { c.Prefer = EncALaw })
	h.ready()
	f, _ := h.p.Format()
	if f.Encoding != EncULaw {
		t.Fatalf("format %+v: A-law refused, μ-law next", f)
	}
}

// TestInitGarbageAndTruncated: the modem answers ATZ first with noise, a
// truncated line and an over-long line, then properly; AT+VCID is not
// supported. The driver retries and comes up.
func TestInitGarbageAndTruncated(t *testing.T) {
	m := newFakeModem()
	m.noVCID = true
	atz := 0
	m.override = func(cmd string) (string, bool) {
		if cmd != "ATZ" {
			return "", false
		}
		atz++
		switch atz {
		case 1:
			return "\x00\xff\x13garbage\r\nO", true // truncated "OK"
		case 2:
			return strings.Repeat("X", 1000) + "\r\nATZ\r\n", true // over-long line, echo
		}
		return "\r\nOK\r\n", true
	}
	h := start(t, m, func(c *Config) { c.CommandTimeout = 300 * time.Millisecond })
	h.ready()
	if atz != 3 {
		t.Fatalf("ATZ sent %d times, want 3", atz)
	}
	if s := h.p.Stats(); s.Timeouts < 2 || s.Garbage < 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestSilentModemRecovers: a modem that never answers is reported faulty,
// requests fail, back-off retries; when it answers again the port recovers.
func TestSilentModemRecovers(t *testing.T) {
	m := newFakeModem()
	m.silent = true
	h := start(t, m, quickTimeouts)
	e := h.event(board.EventFault)
	if !strings.Contains(e.Detail, "no response") {
		t.Fatalf("fault detail %q", e.Detail)
	}
	if st := h.p.Status(); st.Line != board.LineFault || st.Fault == "" {
		t.Fatalf("status %+v", st)
	}
	if err := h.p.Seize(); !errors.Is(err, board.ErrPortFault) {
		t.Fatalf("Seize on a dead modem: %v", err)
	}
	h.waitFor("a retry", func() bool { return h.p.Stats().InitFailures >= 2 })
	m.set(func(m *fakeModem) { m.silent = false })
	h.event(board.EventRecovered)
	h.ready()
	if err := h.p.Seize(); err != nil {
		t.Fatalf("Seize after recovery: %v", err)
	}
}

func TestIdleHealthCheck(t *testing.T) {
	m := newFakeModem()
	h := start(t, m, func(c *Config) { quickTimeouts(c); c.HealthInterval = 30 * time.Millisecond })
	h.ready()
	h.waitFor("a health check", func() bool { return slices.Contains(m.cmds(), "AT") })
	m.set(func(m *fakeModem) { m.silent = true })
	h.event(board.EventFault)
	m.set(func(m *fakeModem) { m.silent = false })
	h.event(board.EventRecovered)
}

func TestRingAndCallerID(t *testing.T) {
	m := newFakeModem()
	h := start(t, m, nil)
	h.ready()
	m.sendLine("RING")
	h.event(board.EventRingStart)
	if h.p.Status().Line != board.LineRinging {
		t.Fatal("not ringing")
	}
	h.event(board.EventRingStop)
	m.send([]byte("\r\nDATE = 0321\r\nTIME = 1405\r\nNMBR = 5551234\r\nNAME = SMITH JOHN\r\n"))
	h.waitFor("caller ID", func() bool { c, ok := h.p.CallerID(); return ok && c.Name != "" })
	c, _ := h.p.CallerID()
	if c.Number != "5551234" || c.Name != "SMITH JOHN" || c.Month != 3 || c.Day != 21 || c.Hour != 14 || c.Minute != 5 || !c.HasTime {
		t.Fatalf("caller ID %+v", c)
	}
	lc, ok := h.p.LineCallerID()
	if !ok || lc.Number != "5551234" || lc.Name != "SMITH JOHN" || !lc.HasTime || lc.Time.Month() != 3 || lc.Time.Day() != 21 || lc.Time.Hour() != 14 {
		t.Fatalf("LineCallerID %+v", lc)
	}
	m.send([]byte{DLE, 'R'}) // some modems shield RING in voice class
	h.event(board.EventRingStart)
	// Ringing stops; a later call's first ring clears the old caller ID.
	h.waitFor("ringing over", func() bool { return h.p.Status().Line == board.LineOK })
	time.Sleep(350 * time.Millisecond)
	m.sendLine("RING")
	h.event(board.EventRingStart)
	if _, ok := h.p.CallerID(); ok {
		t.Fatal("stale caller ID kept for a new call")
	}
	m.sendLine("NMBR = P")
	h.waitFor("withheld number", func() bool { c, _ := h.p.CallerID(); return c.NumberAbsent == 'P' })
}

// TestVoiceCall: off hook, full-duplex audio with DLE-shielded bytes in
// both directions, events in the stream, then release.
func TestVoiceCall(t *testing.T) {
	m := newFakeModem()
	h := start(t, m, nil)
	h.ready()
	var mu sync.Mutex
	var heard []int16
	h.p.SetAudio(func(rx, tx *board.Frame) {
		mu.Lock()
		heard = append(heard, rx[:]...)
		mu.Unlock()
		for i := range tx {
			tx[i] = g711.DecodeUlawFrame(DLE) // encodes to a DLE byte
		}
	})
	if err := h.p.Seize(); err != nil {
		t.Fatal(err)
	}
	if !m.inVoice() || h.p.Status().Hook != board.OffHook {
		t.Fatal("not in voice mode")
	}
	if _, duplex := h.p.Format(); !duplex {
		t.Fatal("not full duplex")
	}
	// Two frames from the line: μ-law bytes including 0x10 (shielded).
	var stream []byte
	var want []int16
	for i := range 2 * board.FrameSamples {
		b := byte(i)
		want = append(want, g711.DecodeUlawFrame(b))
		stream = shield(stream, []byte{b})
		if i == 100 {
			stream = append(stream, DLE, '5', DLE, 'P') // a digit, an extension lifted
		}
	}
	m.send(stream[:123]) // split mid-way
	m.send(stream[123:])
	h.event(board.EventLineInUse)
	h.waitFor("two frames", func() bool { mu.Lock(); defer mu.Unlock(); return len(heard) == 320 })
	mu.Lock()
	if !slices.Equal(heard, want) {
		for i := range heard {
			if heard[i] != want[i] {
				t.Fatalf("rx audio differs at %d: %d want %d", i, heard[i], want[i])
			}
		}
	}
	mu.Unlock()
	h.waitFor("tx audio", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.txAudio) >= 3*board.FrameSamples
	})
	tx := m.takeAudio()
	// One frame of silence ahead, then the AudioFunc's answers, all DLE
	// bytes, which arrive intact through the shielding.
	for i, b := range tx {
		wantB := byte(DLE)
		if i < board.FrameSamples {
			wantB = 0xFF
		}
		if b != wantB {
			t.Fatalf("tx byte %d = %#x, want %#x", i, b, wantB)
		}
	}
	m.send([]byte{DLE, 'l'})
	h.event(board.EventLineVoltageLost)
	if s := h.p.Stats(); s.DTMF != 1 || s.Frames != 2 {
		t.Fatalf("stats %+v", s)
	}
	if err := h.p.Release(); err != nil {
		t.Fatal(err)
	}
	if m.inVoice() || h.p.Status().Hook != board.OnHook {
		t.Fatalf("still off hook: voice %v status %+v cmds %q", m.inVoice(), h.p.Status(), m.cmds())
	}
	cmds := m.cmds()
	if got := cmds[len(cmds)-3:]; !slices.Equal(got, []string{"AT+VLS=1", "AT+VTR", "AT+VLS=0"}) {
		t.Fatalf("call commands %q", got)
	}
	if err := h.p.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
}

func TestHalfDuplexFallback(t *testing.T) {
	m := newFakeModem()
	m.noVTR = true
	h := start(t, m, nil)
	h.ready()
	frames := make(chan struct{}, 10)
	h.p.SetAudio(func(rx, tx *board.Frame) { frames <- struct{}{} })
	if err := h.p.Seize(); err != nil {
		t.Fatal(err)
	}
	if _, duplex := h.p.Format(); duplex {
		t.Fatal("claims full duplex")
	}
	m.send(make([]byte, board.FrameSamples))
	<-frames
	if a := m.takeAudio(); len(a) != 0 {
		t.Fatalf("%d audio bytes sent to a receive-only modem", len(a))
	}
	if err := h.p.Release(); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	ev := append([]byte(nil), m.events...)
	m.mu.Unlock()
	if !slices.Contains(ev, '!') {
		t.Fatalf("receive stream ended with %q, want <DLE>!", ev)
	}
}

// TestModemDiesInCall: the voice stream stops; the call's line is lost,
// the port faults and recovers when the modem answers again.
func TestModemDiesInCall(t *testing.T) {
	m := newFakeModem()
	h := start(t, m, func(c *Config) { quickTimeouts(c); c.VoiceTimeout = 200 * time.Millisecond })
	h.ready()
	if err := h.p.Seize(); err != nil {
		t.Fatal(err)
	}
	m.set(func(m *fakeModem) { m.silent = true })
	h.event(board.EventLineVoltageLost)
	h.event(board.EventFault)
	if h.p.Status().Hook != board.OnHook {
		t.Fatal("still off hook after the modem died")
	}
	m.set(func(m *fakeModem) { m.silent = false; m.voice = false })
	h.event(board.EventRecovered)
}

// TestStreamEndedByModem: the modem ends the stream on its own (its
// inactivity timer); the driver restarts it and the call goes on.
func TestStreamEndedByModem(t *testing.T) {
	m := newFakeModem()
	h := start(t, m, nil)
	h.ready()
	frames := make(chan struct{}, 10)
	h.p.SetAudio(func(rx, tx *board.Frame) { frames <- struct{}{} })
	if err := h.p.Seize(); err != nil {
		t.Fatal(err)
	}
	m.set(func(m *fakeModem) {
		m.voice = false
		m.toHost = append(m.toHost, DLE, ETX)
		m.toHost = append(m.toHost, "\r\nVCON\r\n"...)
	})
	h.waitFor("restart", func() bool {
		n := 0
		for _, c := range m.cmds() {
			if c == "AT+VTR" {
				n++
			}
		}
		return n == 2 && m.inVoice()
	})
	m.send(make([]byte, board.FrameSamples))
	<-frames
}

func TestFlash(t *testing.T) {
	m := newFakeModem()
	h := start(t, m, nil)
	h.ready()
	if err := h.p.Flash(100 * time.Millisecond); err == nil {
		t.Fatal("flash while on hook accepted")
	}
	if err := h.p.Seize(); err != nil {
		t.Fatal(err)
	}
	var onAt, offAt time.Time
	m.set(func(m *fakeModem) {
		m.onCmd = func(cmd string) {
			switch cmd {
			case "AT+VLS=0":
				onAt = time.Now()
			case "AT+VLS=1":
				offAt = time.Now()
			}
		}
	})
	if err := h.p.Flash(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	d := offAt.Sub(onAt)
	m.mu.Unlock()
	if d < 100*time.Millisecond {
		t.Fatalf("on hook for %v", d)
	}
	if !m.inVoice() || h.p.Status().Hook != board.OffHook {
		t.Fatal("not back in the call")
	}
	if err := h.p.Flash(3 * time.Second); err == nil {
		t.Fatal("3 s flash accepted")
	}
}

func TestClosedPort(t *testing.T) {
	m := newFakeModem()
	h := start(t, m, nil)
	h.ready()
	h.p.Close()
	h.event(board.EventFault)
	h.stop()
	if err := h.p.Seize(); !errors.Is(err, board.ErrClosed) {
		t.Fatalf("Seize after Run ended: %v", err)
	}
}

func TestLinear16Stream(t *testing.T) {
	m := newFakeModem()
	m.formats = []string{`129,"16-BIT LINEAR",16,0,(8000),(0),(0)`, `4,"G711U",8,0,(8000),(0),(0)`}
	h := start(t, m, func(c *Config) { c.Baud = 460800; c.Prefer = EncSigned16 })
	h.ready()
	var mu sync.Mutex
	var heard []int16
	h.p.SetAudio(func(rx, tx *board.Frame) {
		mu.Lock()
		heard = append(heard, rx[:]...)
		mu.Unlock()
		tx[0] = 0x1010 // both bytes DLE
	})
	if err := h.p.Seize(); err != nil {
		t.Fatal(err)
	}
	var want []int16
	var raw []byte
	for i := range board.FrameSamples {
		s := int16(i*97 - 7000)
		if i == 3 {
			s = 0x1010
		}
		want = append(want, s)
		raw = append(raw, byte(s), byte(uint16(s)>>8))
	}
	st := shield(nil, raw)
	for i := 0; i < len(st); i += 7 { // odd chunks split samples and DLE pairs
		m.send(st[i:min(i+7, len(st))])
	}
	h.waitFor("a frame", func() bool { mu.Lock(); defer mu.Unlock(); return len(heard) == 160 })
	mu.Lock()
	if !slices.Equal(heard, want) {
		t.Fatal("16-bit audio differs")
	}
	mu.Unlock()
	h.waitFor("answer", func() bool { m.mu.Lock(); defer m.mu.Unlock(); return len(m.txAudio) >= 4*board.FrameSamples })
	tx := m.takeAudio()
	if tx[2*board.FrameSamples] != 0x10 || tx[2*board.FrameSamples+1] != 0x10 {
		t.Fatalf("tx sample % X", tx[2*board.FrameSamples:2*board.FrameSamples+2])
	}
}

type discardPort struct{}

func (discardPort) Read(b []byte) (int, error)         { return 0, nil }
func (discardPort) Write(b []byte) (int, error)        { return len(b), nil }
func (discardPort) SetReadTimeout(time.Duration) error { return nil }

// TestVoiceNoAllocs: the voice path allocates nothing per frame.
func TestVoiceNoAllocs(t *testing.T) {
	p, err := New(Config{Port: discardPort{}})
	if err != nil {
		t.Fatal(err)
	}
	p.format = Format{Encoding: EncULaw}
	p.duplex, p.streaming, p.half = true, true, -1
	p.SetAudio(func(rx, tx *board.Frame) { copy(tx[:], rx[:]) })
	in := shield(nil, bytes160())
	allocs := testing.AllocsPerRun(100, func() {
		p.r, p.w = 0, copy(p.rbuf[:], in)
		p.consumeVoice(true)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per frame", allocs)
	}
}

func bytes160() []byte {
	b := make([]byte, board.FrameSamples)
	for i := range b {
		b[i] = byte(i * 3)
	}
	return b
}

func BenchmarkVoiceFrame(b *testing.B) {
	p, _ := New(Config{Port: discardPort{}})
	p.format = Format{Encoding: EncULaw}
	p.duplex, p.streaming, p.half = true, true, -1
	p.SetAudio(func(rx, tx *board.Frame) { copy(tx[:], rx[:]) })
	in := shield(nil, bytes160())
	b.ReportAllocs()
	for b.Loop() {
		p.r, p.w = 0, copy(p.rbuf[:], in)
		p.consumeVoice(true)
	}
}
