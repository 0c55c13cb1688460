package sip

import (
	"context"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// BenchmarkCallSetup measures one whole authenticated call on loopback:
// INVITE, 407, INVITE with credentials, 100/180/200, ACK, BYE/200, with an
// RTP session opened and closed at each end. 1e9/(ns/op) is the call
// rate one caller sustains sequentially.
func BenchmarkCallSetup(b *testing.B) {
	// One source address calling flat out: lift the per-address challenge limit.
	s := startServer(b, Config{Ban: BanPolicy{ChallengeRate: 1 << 20}, OnCall: func(ch channel.Channel) {
		_ = ch.Progress()
		_ = ch.Answer(context.Background())
		for range ch.Events() {
		}
	}})
	a := newPhone(b, s.Addr(), "201", "secret201")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m, err := media.NewSession(media.SessionConfig{BindIP: mustAddr("127.0.0.1")})
		if err != nil {
			b.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		d, err := a.call(cctx, "600", m, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Bye(cctx); err != nil {
			b.Fatal(err)
		}
		cancel()
		m.Close()
	}
	b.StopTimer()
	waitFor(b, func() bool { return s.ActiveCalls() == 0 }, "calls ended")
}

// BenchmarkRegister measures an authenticated registration refresh: the
// REGISTER, its 401 challenge and the REGISTER with digest credentials.
func BenchmarkRegister(b *testing.B) {
	s := startServer(b, Config{Ban: BanPolicy{ChallengeRate: 1 << 20}})
	p := newPhone(b, s.Addr(), "201", "secret201")
	b.ReportAllocs()
	for b.Loop() {
		res, err := p.registerErr("secret201", 300, nil)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%v %v", res, err)
		}
	}
}
