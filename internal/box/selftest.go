package box

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"minipbx/dsp"
	"minipbx/internal/audiotest"
)

// SelfTest starts a box on a throw-away database and the simulated board,
// makes one internal call end to end — FXS 1 lifts, hears dial tone, dials
// extension 102 by DTMF; FXS 2 rings with FXS 1's caller ID, answers; a
// 1 kHz tone crosses; FXS 1 hangs up — and checks the call record. It is
// what `pbxd -selftest` runs, on the build machine and under qemu.
func SelfTest(ctx context.Context, log *slog.Logger, out io.Writer) error {
	dir, err := os.MkdirTemp("", "pbxd-selftest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	step := func(format string, args ...any) { fmt.Fprintf(out, "selftest: "+format+"\n", args...) }

	b, err := Open(ctx, Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", Board: "sim",
		Logger: log, Version: "selftest"})
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(runCtx) }()
	err = selfCall(ctx, b, step)
	stop()
	if rerr := <-runErr; rerr != nil && err == nil {
		err = fmt.Errorf("shutdown: %w", rerr)
	}
	return err
}

func selfCall(ctx context.Context, b *Box, step func(string, ...any)) error {
	select {
	case <-b.Ready():
	case <-ctx.Done():
		return fmt.Errorf("box not ready: %w", ctx.Err())
	}
	step("box up: SIP %s, web https://%s/", b.SIPAddr(), b.WebAddr())
	s := b.Sim()
	a, c := s.Phone(1), s.Phone(2)
	a.OffHook()
	if err := a.Hears(ctx, dsp.ToneDial); err != nil {
		return fmt.Errorf("FXS 1 hears no dial tone: %w", err)
	}
	step("FXS 1 off hook: dial tone")
	if err := a.DialDTMF("102"); err != nil {
		return err
	}
	if err := c.WaitRing(ctx); err != nil {
		return fmt.Errorf("FXS 2 does not ring: %w", err)
	}
	cid, err := c.WaitCallerID(ctx)
	if err != nil {
		return fmt.Errorf("FXS 2 decodes no caller ID: %w", err)
	}
	if cid.Number != "101" {
		return fmt.Errorf("FXS 2 shows caller %q, want 101", cid.Number)
	}
	step("FXS 2 rings, caller ID %s %q", cid.Number, cid.Name)
	c.OffHook()
	tone := audiotest.Tone{Freq: 1000, Peak: 8000}
	a.Talk(tone.Fill)
	time.Sleep(300 * time.Millisecond) // let the path settle
	c.Record()
	time.Sleep(time.Second)
	rec := c.StopRecording()
	a.Talk(nil)
	m := audiotest.Analyze(rec, 1000)
	if m.SNR < 30 {
		return fmt.Errorf("1 kHz from FXS 1 reaches FXS 2 at %.1f dB SNR (peak %.0f), want > 30 dB", m.SNR, m.Peak)
	}
	step("1 kHz crossed at %.1f dB SNR", m.SNR)
	a.OnHook()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		recs, err := b.Service().CallRecords(ctx, 0, 1)
		if err != nil {
			return err
		}
		if len(recs) == 1 {
			r := recs[0]
			if r.Disposition != "answered" || r.Caller != "101" || r.Callee != "102" {
				return fmt.Errorf("call record %+v", r)
			}
			c.OnHook()
			step("call record: %s → %s %s, %d s", r.Caller, r.Callee, r.Disposition, r.DurationS)
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no call record after the call")
}
