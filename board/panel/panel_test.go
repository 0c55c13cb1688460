package panel

import (
	"context"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
	ch  chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTicker(time.Duration) Ticker { return fakeTicker{c.ch} }

type fakeTicker struct{ ch chan time.Time }

func (t fakeTicker) C() <-chan time.Time { return t.ch }
func (t fakeTicker) Stop()               {}

type rig struct {
	t                 *testing.T
	clock             *fakeClock
	relay, status, bt *gpiotest.Pin
	ports             []*gpiotest.Pin
	p                 *Panel
	reboots, resets   int
}

func newRig(t *testing.T, tweak func(*Config)) *rig {
	r := &rig{
		t:      t,
		clock:  &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ch: make(chan time.Time)},
		relay:  &gpiotest.Pin{N: "RELAY", L: gpio.High},
		status: &gpiotest.Pin{N: "LED_STATUS", L: gpio.High},
		bt:     &gpiotest.Pin{N: "BUTTON"},
	}
	for _, n := range []string{"LED1", "LED2", "LED3", "LED4"} {
		r.ports = append(r.ports, &gpiotest.Pin{N: n})
	}
	c := Config{
		Relay: r.relay, Status: r.status, Button: r.bt, Clock: r.clock,
		OnReboot:       func() { r.reboots++ },
		OnFactoryReset: func() { r.resets++ },
	}
	for _, p := range r.ports {
		c.Ports = append(c.Ports, p)
	}
	if tweak != nil {
		tweak(&c)
	}
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	r.p = p
	return r
}

// run advances the clock by d in ticks, stepping the panel each tick.
func (r *rig) run(d time.Duration) {
	for end := r.clock.Now().Add(d); r.clock.Now().Before(end); {
		r.clock.mu.Lock()
		r.clock.now = r.clock.now.Add(Tick)
		now := r.clock.now
		r.clock.mu.Unlock()
		r.p.step(now)
	}
}

// trace records an LED over d, one sample per tick.
func (r *rig) trace(pin *gpiotest.Pin, d time.Duration) []bool {
	var out []bool
	for end := r.clock.Now().Add(d); r.clock.Now().Before(end); {
		r.run(Tick)
		out = append(out, pin.Read() == gpio.High)
	}
	return out
}

func TestRelayIsFailSafe(t *testing.T) {
	r := newRig(t, nil)
	if r.relay.Read() != gpio.Low || !r.p.Lifeline() {
		t.Fatal("relay energised before the firmware said it is healthy")
	}
	r.run(time.Second)
	if r.relay.Read() != gpio.Low {
		t.Fatal("relay energised without a heartbeat")
	}
	r.p.Healthy()
	r.run(Tick)
	if r.relay.Read() != gpio.High || r.p.Lifeline() {
		t.Fatal("relay not energised while healthy")
	}
	for range 8 { // heartbeats every second keep it up
		r.run(time.Second)
		r.p.Healthy()
	}
	if r.relay.Read() != gpio.High {
		t.Fatal("relay dropped despite heartbeats")
	}
	r.run(4900 * time.Millisecond)
	if r.relay.Read() != gpio.High {
		t.Fatal("relay dropped before the health timeout")
	}
	r.run(200 * time.Millisecond) // firmware hung: lifeline
	if r.relay.Read() != gpio.Low || !r.p.Lifeline() {
		t.Fatal("relay still energised after a missed heartbeat")
	}
	r.p.Healthy()
	r.p.SetLifeline(true)
	r.run(Tick)
	if r.relay.Read() != gpio.Low {
		t.Fatal("forced lifeline ignored")
	}
	r.p.SetLifeline(false)
	r.run(Tick)
	if r.relay.Read() != gpio.High {
		t.Fatal("relay not back after the forced lifeline")
	}
}

func TestRelayActiveLow(t *testing.T) {
	r := newRig(t, func(c *Config) { c.RelayActiveLow = true })
	if r.relay.Read() != gpio.High {
		t.Fatal("active-low relay energised at start")
	}
	r.p.Healthy()
	r.run(Tick)
	if r.relay.Read() != gpio.Low {
		t.Fatal("active-low relay not energised")
	}
}

func count(tr []bool) (on int, edges int) {
	for i, v := range tr {
		if v {
			on++
		}
		if i > 0 && v != tr[i-1] {
			edges++
		}
	}
	return
}

func TestLEDPatterns(t *testing.T) {
	cases := []struct {
		p             Pattern
		onMin, onMax  int // ticks lit in 2 s (200 ticks)
		edges, edgesT int // edges in 2 s, with tolerance
	}{
		{Off, 0, 0, 0, 0},
		{On, 200, 200, 0, 0},
		{InCall, 200, 200, 0, 0},
		{Booting, 99, 101, 3, 1}, // 1 Hz: on 0.5 s, off 0.5 s
		{Ringing, 99, 101, 7, 1}, // 2 Hz
		{Alarm, 96, 104, 15, 1},  // 4 Hz
		{Ready, 189, 200, 0, 2},  // on with a 100 ms blink every 5 s
	}
	for _, c := range cases {
		r := newRig(t, nil)
		r.p.SetStatus(c.p)
		if err := r.p.SetPort(2, c.p); err != nil {
			t.Fatal(err)
		}
		st := r.trace(r.status, 2*time.Second)
		on, edges := count(st)
		if on < c.onMin || on > c.onMax || edges < c.edges-c.edgesT || edges > c.edges+c.edgesT {
			t.Errorf("%v: lit %d ticks, %d edges", c.p, on, edges)
		}
		if pt := r.trace(r.ports[2], 200*time.Millisecond); c.p == On && !pt[0] {
			t.Errorf("%v: port LED not lit", c.p)
		}
		if r.ports[0].Read() != gpio.Low {
			t.Errorf("port 0 LED lit without a pattern")
		}
	}
	r := newRig(t, nil)
	if err := r.p.SetPort(4, On); err == nil {
		t.Error("LED for a port that has none accepted")
	}
	// Ready's blink over 10 s: exactly two 100 ms dark spells.
	r.p.SetStatus(Ready)
	tr := r.trace(r.status, 10*time.Second)
	if on, edges := count(tr); on != 980 || edges != 4 {
		t.Errorf("ready over 10 s: lit %d ticks, %d edges", on, edges)
	}
}

func press(r *rig, d time.Duration) {
	r.bt.Out(gpio.Low)
	r.run(d)
	r.bt.Out(gpio.High)
	r.run(200 * time.Millisecond)
}

func TestButton(t *testing.T) {
	r := newRig(t, nil)
	r.run(100 * time.Millisecond)
	if r.bt.Pull() != gpio.PullUp {
		t.Fatal("button not pulled up")
	}
	// Bounce: 10 ms pulses never reach the debounce time.
	for range 5 {
		r.bt.Out(gpio.Low)
		r.run(Tick)
		r.bt.Out(gpio.High)
		r.run(Tick)
	}
	r.run(100 * time.Millisecond)
	if r.reboots+r.resets != 0 {
		t.Fatal("bounce taken for a press")
	}
	press(r, 300*time.Millisecond)
	if r.reboots != 1 || r.resets != 0 {
		t.Fatalf("short press: reboots %d resets %d", r.reboots, r.resets)
	}
	press(r, 5*time.Second) // released before the hold: nothing
	if r.reboots != 1 || r.resets != 0 {
		t.Fatalf("5 s press: reboots %d resets %d", r.reboots, r.resets)
	}
	r.p.SetStatus(Ready)
	r.bt.Out(gpio.Low)
	r.run(3 * time.Second)
	if _, edges := count(r.trace(r.status, time.Second)); edges < 12 {
		t.Fatalf("no reset warning on the status LED (%d edges)", edges)
	}
	r.run(5900 * time.Millisecond)
	if r.resets != 0 {
		t.Fatal("factory reset before 10 s")
	}
	r.run(200 * time.Millisecond)
	if r.resets != 1 {
		t.Fatal("no factory reset at 10 s")
	}
	r.run(5 * time.Second) // still held: once only
	r.bt.Out(gpio.High)
	r.run(time.Second)
	if r.resets != 1 || r.reboots != 1 {
		t.Fatalf("after the hold: resets %d reboots %d", r.resets, r.reboots)
	}
}

func TestButtonActiveHigh(t *testing.T) {
	r := newRig(t, func(c *Config) { c.ButtonActiveHigh = true })
	if r.bt.Pull() != gpio.PullDown {
		t.Fatal("active-high button not pulled down")
	}
	r.bt.Out(gpio.High)
	r.run(100 * time.Millisecond)
	r.bt.Out(gpio.Low)
	r.run(100 * time.Millisecond)
	if r.reboots != 1 {
		t.Fatal("active-high press not seen")
	}
}

// TestRun drives the goroutine through the fake ticker and checks the
// fail-safe shutdown.
func TestRun(t *testing.T) {
	r := newRig(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.p.Run(ctx) }()
	r.p.Healthy()
	r.p.SetStatus(On)
	for i := 0; r.relay.Read() != gpio.High || r.status.Read() != gpio.High; i++ {
		if i > 1000 {
			t.Fatal("Run does not step")
		}
		r.clock.ch <- r.clock.Now() // unbuffered: Run has taken it
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.relay.Read() != gpio.Low || r.status.Read() != gpio.Low {
		t.Fatal("Run left the relay energised or the LED lit")
	}
}

func TestNoPins(t *testing.T) {
	c := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ch: make(chan time.Time)}
	p, err := New(Config{Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	p.Healthy()
	p.step(c.Now())
	if p.Lifeline() {
		t.Fatal("relay state not tracked without a pin")
	}
}
