package hwtest

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"minipbx/board"
	"minipbx/board/hw"
)

// description returns the board to test, or skips the test.
func description(t *testing.T) hw.Description {
	t.Helper()
	if os.Getenv("MINIPBX_HW") != "1" {
		t.Skip("hardware smoke test: set MINIPBX_HW=1 on a real minipbx board to run it")
	}
	d := hw.Reference()
	if path := os.Getenv("MINIPBX_BOARD"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("MINIPBX_BOARD: %v", err)
		}
		defer f.Close()
		if d, err = hw.LoadDescription(f); err != nil {
			t.Fatal(err)
		}
	}
	if dev := spidev(d); dev != "" {
		if _, err := os.Stat(dev); err != nil {
			t.Skipf("hardware smoke test: MINIPBX_HW=1 but %s is missing (%v): not a minipbx board, or SPI not enabled", dev, err)
		}
	}
	return d
}

// spidev maps the first described SPI port "SPIb.c" to /dev/spidevb.c.
func spidev(d hw.Description) string {
	var first string
	switch {
	case len(d.FXS) > 0:
		first = d.FXS[0].SPI
	case len(d.FXO) > 0:
		first = d.FXO[0].SPI
	default:
		return ""
	}
	var bus, cs int
	if _, err := fmt.Sscanf(first, "SPI%d.%d", &bus, &cs); err != nil {
		return ""
	}
	return fmt.Sprintf("/dev/spidev%d.%d", bus, cs)
}

func logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func TestEveryChipAnswers(t *testing.T) {
	d := description(t)
	_, rep, err := hw.Detect(context.Background(), d, hw.Options{ProbeOnly: true, Logger: logger(t)})
	t.Log(rep.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Ports {
		if p.Timeslot >= 0 && !p.Found {
			t.Errorf("%s does not answer: %s", p.Name, p.Error)
		}
	}
}

func openBoard(t *testing.T) *hw.Board {
	d := description(t)
	ctx, cancel := context.WithCancel(context.Background())
	b, rep, err := hw.Detect(ctx, d, hw.Options{Logger: logger(t)})
	t.Log(rep.String())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		cancel()
	})
	go func() { // drain events, logging them
		for e := range b.Events() {
			t.Logf("event: %v", e)
		}
	}()
	if rep.Found() != len(rep.Ports) {
		t.Errorf("%d of %d ports found", rep.Found(), len(rep.Ports))
	}
	for _, p := range rep.Problems {
		t.Errorf("problem: %s", p)
	}
	return b
}

func TestPCMLinkRunsClean(t *testing.T) {
	b := openBoard(t)
	deadline := time.Now().Add(2 * time.Second)
	for {
		st, ok := b.LinkStats()
		if !ok {
			t.Fatal("no PCM link")
		}
		if st.Up {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PCM link not up after 2 s: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	before, _ := b.LinkStats()
	time.Sleep(2 * time.Second)
	after, _ := b.LinkStats()
	frames := after.RxFrames - before.RxFrames
	// 2 s of 5 ms periods: 400, give or take scheduling at the edges.
	if frames < 390 || frames > 410 {
		t.Errorf("%d AUDIO_UP frames in 2 s, want 400: the MCU's clock is off", frames)
	}
	if d := after.CRCErrors - before.CRCErrors; d != 0 {
		t.Errorf("%d CRC errors in 2 s", d)
	}
	if d := after.Dropped + after.Late - before.Dropped - before.Late; d != 0 {
		t.Errorf("%d dropped or late frames in 2 s", d)
	}
	if after.HasMCU {
		t.Logf("MCU: %+v", after.MCU)
		if after.MCU.Flags&1 != 0 {
			t.Error("MCU reports no PCM clock")
		}
	}
}

func TestPortsMeasure(t *testing.T) {
	b := openBoard(t)
	for _, p := range b.Ports() {
		m, err := p.Measure()
		if err != nil {
			t.Logf("%s: %v", p.Info().Name, err)
			continue
		}
		st := p.Status()
		t.Logf("%s: %+v status %+v", p.Info().Name, m, st)
		switch p.Info().Kind {
		case board.FXS:
			if m.HasBattery && math.Abs(m.BatteryVolts) < 40 {
				t.Errorf("%s: battery %.1f V, want at least 40 V", p.Info().Name, m.BatteryVolts)
			}
			if st.Hook != board.OnHook {
				t.Errorf("%s: off hook: put the phone on hook for the smoke test", p.Info().Name)
			}
		case board.FXO:
			if m.HasLine && math.Abs(m.LineVolts) < 3 {
				t.Logf("%s: no line voltage (%.1f V): no telephone line connected?", p.Info().Name, m.LineVolts)
			}
		}
		if st.Fault != "" {
			t.Errorf("%s: fault: %s", p.Info().Name, st.Fault)
		}
	}
}

func TestRing(t *testing.T) {
	description(t)
	if os.Getenv("MINIPBX_HW_RING") != "1" {
		t.Skip("set MINIPBX_HW_RING=1 to ring each FXS port for 2 s")
	}
	b := openBoard(t)
	for _, p := range b.Ports() {
		fxs, ok := p.(board.FXSPort)
		if !ok {
			continue
		}
		if err := fxs.Ring(true); err != nil {
			t.Errorf("%s: ring: %v", p.Info().Name, err)
			continue
		}
		time.Sleep(2 * time.Second)
		if err := fxs.Ring(false); err != nil {
			t.Errorf("%s: stop ring: %v", p.Info().Name, err)
		}
	}
}

func TestLifelineFollowsHeartbeat(t *testing.T) {
	b := openBoard(t)
	pn := b.Panel()
	if pn == nil {
		t.Skip("no panel described")
	}
	if !pn.Lifeline() {
		t.Error("relay energised before the first heartbeat")
	}
	pn.Healthy()
	waitUntil(t, "relay energised", func() bool { return !pn.Lifeline() })
	pn.SetLifeline(true)
	waitUntil(t, "lifeline forced", pn.Lifeline)
	pn.SetLifeline(false)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
