package box

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/internal/audiotest"
	"minipbx/internal/siptest"
	"minipbx/telephony/store"
)

// testBox is a running box on a temporary data directory.
type testBox struct {
	*Box
	dir  string
	stop func()
}

// startBox runs a box on the simulated board (in dir, a new one when
// ""), its configuration changed by each of with.
func startBox(t *testing.T, dir string, with ...func(*Config)) *testBox {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: testLogLevel()}))
	c := Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", Board: "sim", Logger: log, Version: "test"}
	for _, f := range with {
		f(&c)
	}
	b, err := Open(context.Background(), c)
	if err != nil {
		t.Fatalf("open box: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	select {
	case <-b.Ready():
	case err := <-done:
		t.Fatalf("box stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("box not ready")
	}
	stopped := false
	tb := &testBox{Box: b, dir: dir}
	tb.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("box stopped with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("box did not stop")
		}
	}
	t.Cleanup(tb.stop)
	return tb
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func tctx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// addSIPExtension creates a SIP extension and returns its generated secret.
func (b *testBox) addSIPExtension(t *testing.T, number, name string, outside bool) string {
	t.Helper()
	e, err := b.Service().CreateExtension(context.Background(), store.Extension{Number: number, Name: name, OutsideCalls: outside})
	if err != nil {
		t.Fatalf("create extension %s: %v", number, err)
	}
	return e.Secret
}

func (b *testBox) phone(t *testing.T, user, secret string) *siptest.Phone {
	t.Helper()
	p, err := siptest.New(b.SIPAddr(), user, secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if code, err := p.Register(tctx(t, 5*time.Second), secret, 300); err != nil || code != 200 {
		t.Fatalf("register %s: %d %v", user, code, err)
	}
	return p
}

// waitRecord waits for the newest call record to satisfy ok.
func (b *testBox) waitRecord(t *testing.T, ok func(store.CallRecord) bool) store.CallRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var last []store.CallRecord
	for time.Now().Before(deadline) {
		recs, err := b.Service().CallRecords(context.Background(), 0, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if ok(r) {
				return r
			}
		}
		last = recs
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no matching call record; newest: %+v", last)
	return store.CallRecord{}
}

// waitPortIdle waits until the board port with index i is on hook and
// free (a hang-up is confirmed only once the on-hook outlasts a flash).
func (b *testBox) waitPortIdle(t *testing.T, i int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range b.analog.PortStates() {
			if s.Index == i && s.State == "idle" {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("port %d not idle: %+v", i, b.analog.PortStates())
}

// recorder is one end's ear: start begins a recording, got returns all
// samples recorded since.
type recorder struct {
	start func()
	got   func() []int16
}

func phoneEar(ph *sim.Phone) recorder { return recorder{ph.Record, ph.Recording} }
func lineEar(l *sim.Line) recorder    { return recorder{l.Record, l.Recording} }

func sipEar(c *siptest.Call) recorder {
	var acc []int16
	return recorder{
		start: func() { c.Recorded(); acc = nil },
		got:   func() []int16 { acc = append(acc, c.Recorded()...); return acc },
	}
}

// ringFromTelco makes a caller on the telco line ring the box with
// number as caller ID (FSK, with the date), on a short cadence (0.5 s on,
// 1.6 s off) so a test waits ~2.5 s for the box's second-ring answer, not
// ~8 s.
func ringFromTelco(t *testing.T, line *sim.Line, number string) {
	t.Helper()
	if err := line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := line.Ring(dsp.CallerIDMessage{Number: number, Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
		t.Fatal(err)
	}
}

// takeCall waits for phone p to ring (failing with what when it does
// not), checks that it shows caller, and answers.
func takeCall(ctx context.Context, t *testing.T, p *siptest.Phone, caller, what string) *siptest.Call {
	t.Helper()
	in, err := p.Incoming(ctx)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if n, _ := in.Caller(); n != caller {
		t.Errorf("%s sees caller %q, want %s", p.User, n, caller)
	}
	if err := in.Answer(); err != nil {
		t.Fatal(err)
	}
	return in
}

// measure sends a 1 kHz tone through talk and measures what the other end
// records: 1.3 s of it, waiting as long as it takes to arrive (a loaded
// machine may deliver late; what is judged is the quality, not the timing).
// The SNR is fitted per 100 ms block and the median block's figure is
// returned. A host stall on a shared test machine makes the jitter buffer
// conceal a few frames — one CI run lost two adjacent blocks to one stall —
// and those blocks say nothing about the transmission; any real impairment
// (a wrong law, gain, clipping, a buffer that keeps running dry) spoils
// every block, so the median still fails it. The blocks spoiled are logged.
func measure(t *testing.T, talk func(func([]int16)), ear recorder) audiotest.Measurement {
	t.Helper()
	const skip, blockLen, nBlocks = 800, 800, 12
	const want = skip + blockLen*nBlocks
	tone := audiotest.Tone{Freq: 1000, Peak: 8000}
	talk(tone.Fill)
	defer talk(nil)
	time.Sleep(300 * time.Millisecond)
	ear.start()
	deadline := time.Now().Add(10 * time.Second)
	var rec []int16
	for rec = ear.got(); len(rec) < want && time.Now().Before(deadline); rec = ear.got() {
		time.Sleep(50 * time.Millisecond)
	}
	if len(rec) < want {
		t.Fatalf("only %d samples arrived in 10 s", len(rec))
	}
	blocks := audiotest.Blocks(rec[skip:want], 1000, blockLen)
	var spoiled []string
	for i, m := range blocks {
		if os.Getenv("BOX_TEST_BLOCKS") != "" {
			t.Logf("block %d: %.1f dB SNR, peak %.0f", i, m.SNR, m.Peak)
		}
		if m.SNR < 30 {
			spoiled = append(spoiled, fmt.Sprintf("%d (%.1f dB)", i, m.SNR))
		}
	}
	if len(spoiled) > 0 {
		t.Logf("%d of %d blocks of 100 ms below 30 dB SNR (a host stall concealed by the jitter buffer): %s",
			len(spoiled), len(blocks), strings.Join(spoiled, ", "))
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].SNR < blocks[j].SNR })
	return blocks[len(blocks)/2]
}

func TestSIPRegisterAndCall(t *testing.T) {
	b := startBox(t, "")
	sa := b.addSIPExtension(t, "201", "Alice", false)
	sb := b.addSIPExtension(t, "202", "Bob", false)
	a, c := b.phone(t, "201", sa), b.phone(t, "202", sb)

	// A wrong password and an unknown user get the same refusal.
	ctx := tctx(t, 20*time.Second)
	wrong, err := a.RegisterChallenge(ctx, "201", "not-the-secret")
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := a.RegisterChallenge(ctx, "299", "whatever")
	if err != nil {
		t.Fatal(err)
	}
	if wrong.StatusCode != unknown.StatusCode || wrong.StatusCode < 400 || wrong.Reason != unknown.Reason {
		t.Errorf("wrong password got %d %s, unknown user %d %s: must be the same refusal",
			wrong.StatusCode, wrong.Reason, unknown.StatusCode, unknown.Reason)
	}

	incoming := make(chan *siptest.Call, 1)
	go func() {
		in, err := c.Incoming(ctx)
		if err == nil {
			if n, _ := in.Caller(); n != "201" {
				t.Errorf("callee sees caller %q, want 201", n)
			}
			if err := in.Answer(); err != nil {
				t.Error(err)
			}
		}
		incoming <- in
	}()
	call, err := a.Dial(ctx, "202")
	if err != nil {
		t.Fatalf("call 201→202: %v", err)
	}
	in := <-incoming
	if in == nil {
		t.Fatal("callee got no call")
	}
	fwd := measure(t, call.Send, sipEar(in))
	back := measure(t, in.Send, sipEar(call))
	if fwd.SNR < 30 || back.SNR < 30 {
		t.Errorf("1 kHz SNR: caller→callee %.1f dB, callee→caller %.1f dB; want > 30", fwd.SNR, back.SNR)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-in.Ended():
	case <-ctx.Done():
		t.Fatal("callee's leg not ended by the caller's BYE")
	}
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "201" && r.Callee == "202" && r.Disposition == "answered"
	})
}

func TestSIPCallsAnalogPhone(t *testing.T) {
	b := startBox(t, "")
	sa := b.addSIPExtension(t, "201", "Alice", false)
	a := b.phone(t, "201", sa)
	ph := b.Sim().Phone(1) // extension 101
	ctx := tctx(t, 30*time.Second)

	for _, hangupFromPhone := range []bool{false, true} {
		answered := make(chan error, 1)
		go func() {
			if err := ph.WaitRing(ctx); err != nil {
				answered <- err
				return
			}
			cid, err := ph.WaitCallerID(ctx)
			if err != nil {
				answered <- err
				return
			}
			if cid.Number != "201" || cid.Name != "Alice" {
				t.Errorf("phone shows caller %q %q, want 201 Alice", cid.Number, cid.Name)
			}
			ph.OffHook()
			answered <- nil
		}()
		call, err := a.Dial(ctx, "101")
		if err != nil {
			t.Fatalf("call to 101: %v", err)
		}
		if err := <-answered; err != nil {
			t.Fatal(err)
		}
		fwd := measure(t, call.Send, phoneEar(ph))
		back := measure(t, ph.Talk, sipEar(call))
		if fwd.SNR < 30 || back.SNR < 30 {
			t.Errorf("1 kHz SNR through G.711 and the port: SIP→phone %.1f dB, phone→SIP %.1f dB; want > 30", fwd.SNR, back.SNR)
		}
		if hangupFromPhone {
			ph.OnHook()
			select {
			case <-call.Ended():
			case <-ctx.Done():
				t.Fatal("the phone hung up but the SIP leg got no BYE")
			}
		} else {
			if err := call.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if err := ph.Hears(ctx, dsp.ToneBusy); err != nil {
				t.Errorf("after the far end hung up, the phone hears no busy tone: %v", err)
			}
			ph.OnHook()
		}
		b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "101" && r.Destination == "fxs:1" })
		b.waitPortIdle(t, 0)
	}
}

func TestAnalogPhoneDialsSIPByTonesAndPulses(t *testing.T) {
	b := startBox(t, "")
	sa := b.addSIPExtension(t, "201", "Alice", false)
	a := b.phone(t, "201", sa)
	ctx := tctx(t, 40*time.Second)
	for i, pulse := range []bool{false, true} {
		ph := b.Sim().Phone(i + 1)
		ph.OffHook()
		if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
			t.Fatalf("no dial tone: %v", err)
		}
		var err error
		if pulse {
			err = ph.DialPulse("201")
		} else {
			err = ph.DialDTMF("201")
		}
		if err != nil {
			t.Fatal(err)
		}
		in, err := a.Incoming(ctx)
		if err != nil {
			t.Fatalf("pulse=%v: %v", pulse, err)
		}
		want := []string{"101", "102"}[i]
		if n, _ := in.Caller(); n != want {
			t.Errorf("SIP phone sees caller %q, want %s", n, want)
		}
		if err := in.Answer(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		ph.OnHook()
		select {
		case <-in.Ended():
		case <-ctx.Done():
			t.Fatal("phone hung up; SIP leg not ended")
		}
		b.waitRecord(t, func(r store.CallRecord) bool {
			return r.Caller == want && r.Callee == "201" && r.Disposition == "answered"
		})
	}
}

func TestAnalogPhoneCallsOutThroughFXO(t *testing.T) {
	b := startBox(t, "")
	ctx := tctx(t, 40*time.Second)
	ph := b.Sim().Phone(1) // 101 may call outside by default
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF("95551234"); err != nil {
		t.Fatal(err)
	}
	// The first free line (FXO 1) is seized and receives exactly the number.
	line := b.Sim().Line(1)
	if err := line.WaitSeized(ctx); err != nil {
		t.Fatalf("no FXO line seized: %v", err)
	}
	got, err := line.WaitDigits(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got != "5551234" {
		t.Errorf("the telco received %q, want 5551234", got)
	}
	if err := line.Answer(); err != nil {
		t.Fatal(err)
	}
	m := measure(t, ph.Talk, lineEar(line))
	if m.SNR < 25 {
		t.Errorf("phone→line 1 kHz SNR %.1f dB", m.SNR)
	}
	// The far end hangs up: busy tone on the line ends the call.
	if err := line.Hangup(sim.HangupBusyTone); err != nil {
		t.Fatal(err)
	}
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatalf("the line was not released after the far end hung up: %v", err)
	}
	ph.OnHook()
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "101" && r.Callee == "95551234" && r.Destination == "fxo:1"
	})
}

func TestIncomingLineReachesExtensionWithCallerID(t *testing.T) {
	b := startBox(t, "")
	sa := b.addSIPExtension(t, "201", "Alice", false)
	if _, err := b.Service().UpdateFXOLine(context.Background(), store.FXOLine{Port: 1, Name: "Line 1", Enabled: true,
		AnswerAfterRings: 2, Destination: "201"}); err != nil {
		t.Fatal(err)
	}
	a := b.phone(t, "201", sa)
	ctx := tctx(t, 40*time.Second)
	line := b.Sim().Line(1)
	line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond}) // answer in ~2.5 s, not ~8
	if err := line.Ring(dsp.CallerIDMessage{Number: "5551234", Name: "OUTSIDE CALLER", Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
		t.Fatal(err)
	}
	in, err := a.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, name := in.Caller(); n != "5551234" || !strings.Contains(name, "OUTSIDE CALLER") {
		t.Errorf("extension sees caller %q %q, want 5551234 OUTSIDE CALLER", n, name)
	}
	if err := in.Answer(); err != nil {
		t.Fatal(err)
	}
	m := measure(t, line.Talk, sipEar(in))
	if m.SNR < 25 {
		t.Errorf("line→SIP 1 kHz SNR %.1f dB", m.SNR)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatalf("line not released after the extension hung up: %v", err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "5551234" && r.Source == "fxo:1" })
}

func TestRestartKeepsExtensionsAndRecords(t *testing.T) {
	dir := t.TempDir()
	b := startBox(t, dir)
	sa := b.addSIPExtension(t, "201", "Alice", false)
	a := b.phone(t, "201", sa)
	ctx := tctx(t, 20*time.Second)
	if _, err := a.Dial(ctx, "555"); err == nil {
		t.Fatal("a call to a number that does not exist was answered")
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "555" && r.Disposition == "not-found" })
	a.Close()
	b.stop()

	b2 := startBox(t, dir)
	e, err := b2.Service().Extension(context.Background(), "201")
	if err != nil || e.Secret != sa {
		t.Fatalf("after restart extension 201 = %+v, %v", e, err)
	}
	b2.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "555" })
	// and the restarted box still takes registrations with the same secret.
	b2.phone(t, "201", sa)
}

// TestRestartKeepsRegistrations: a SIP phone registered for five minutes
// does not notice the box restarting (a firmware upgrade, a power cut);
// the restarted box still knows where it is, and the analog phone's call
// to it rings it without the phone registering again.
func TestRestartKeepsRegistrations(t *testing.T) {
	dir := t.TempDir()
	b := startBox(t, dir)
	sa := b.addSIPExtension(t, "201", "Alice", false)
	a := b.phone(t, "201", sa)
	b.stop()

	b2 := startBox(t, dir)
	ctx := tctx(t, 30*time.Second)
	st, err := b2.Exchange().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if regs := st.Registrations; len(regs) != 1 || regs[0].Extension != "201" {
		t.Fatalf("after the restart the status page lists %+v, want 201's phone", regs)
	}
	ph := b2.Sim().Phone(1)
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF("201"); err != nil {
		t.Fatal(err)
	}
	in := takeCall(ctx, t, a, "101", "201's phone did not ring after the restart")
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ph.OnHook()
	b2.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "101" && r.Destination == "sip:201" })
}

func TestCorruptDatabaseStopsTheStart(t *testing.T) {
	for name, content := range map[string][]byte{
		"garbage":   []byte(strings.Repeat("not a database ", 1000)),
		"truncated": nil,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if content == nil {
				// a real database cut short
				b := startBox(t, dir)
				b.stop()
				p := filepath.Join(dir, store.FileName)
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				content = data[:len(data)/3]
			}
			p := filepath.Join(dir, store.FileName)
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", Board: "sim"})
			if err == nil {
				t.Fatal("a box started on a corrupt database")
			}
			var oe *store.OpenError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
			after, _ := os.ReadFile(p)
			if string(after) != string(content) {
				t.Error("the corrupt database was changed")
			}
		})
	}
}

// TestStopHangsUpCallsAndKeepsRecords is what SIGTERM does to pbxd: both
// SIP phones of a call in progress get a BYE, the record is written, and
// the database closes so that a new start finds it.
func TestStopHangsUpCallsAndKeepsRecords(t *testing.T) {
	dir := t.TempDir()
	b := startBox(t, dir)
	sa := b.addSIPExtension(t, "201", "Alice", false)
	sb := b.addSIPExtension(t, "202", "Bob", false)
	a, c := b.phone(t, "201", sa), b.phone(t, "202", sb)
	ctx := tctx(t, 20*time.Second)
	go func() {
		if in, err := c.Incoming(ctx); err == nil {
			_ = in.Answer()
		}
	}()
	call, err := a.Dial(ctx, "202")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	b.stop()
	select {
	case <-call.Ended():
	case <-ctx.Done():
		t.Fatal("the caller got no BYE when the box stopped")
	}
	b2 := startBox(t, dir)
	b2.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "201" && r.Callee == "202" && r.Disposition == "answered"
	})
}
