package sip

import (
	"context"
	"strconv"
	"testing"
	"time"

	"minipbx/internal/testutil"
)

// Message-waiting indication with SIPp as the phone: a subscriber that
// registers, subscribes with digest authentication, sees its lamp light
// and unsubscribes; the refusals (another mailbox, another event); and a
// phone that never subscribes but gets unsolicited NOTIFYs.

func TestSIPpMessageWaitingSubscription(t *testing.T) {
	bin := testutil.Tool(t, "sipp")
	s := startServer(t, Config{})
	pbx := s.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	port := strconv.Itoa(freeUDPPort(t))
	if out, err := sipp(t, bin, ctx, pbx, "-sf", scenario("register.xml"), "-m", "1",
		"-s", "201", "-au", "201", "-ap", "secret201", "-key", "uas_port", port); err != nil {
		t.Fatalf("register: %v\n%s", err, tail(out))
	}
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = sipp(t, bin, ctx, pbx, "-sf", scenario("mwi_subscribe.xml"), "-m", "1", "-p", port,
			"-s", "201", "-au", "201", "-ap", "secret201")
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for s.Subscriptions("201") == 0 {
		select {
		case err := <-done:
			t.Fatalf("SIPp ended before subscribing: %v\n%s", err, tail(out))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("SIPp did not subscribe")
		}
	}
	time.Sleep(200 * time.Millisecond) // let it take the first NOTIFY
	s.SetMessageWaiting("201", 2, 0)
	if err := <-done; err != nil {
		t.Fatalf("sipp subscriber: %v\n%s", err, tail(out))
	}
	if n := s.Subscriptions("201"); n != 0 {
		t.Fatalf("%d subscriptions left after SIPp unsubscribed", n)
	}
}

func TestSIPpMessageWaitingRefused(t *testing.T) {
	bin := testutil.Tool(t, "sipp")
	s := startServer(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := sipp(t, bin, ctx, s.Addr().String(), "-sf", scenario("mwi_refused.xml"), "-m", "1",
		"-s", "201", "-au", "201", "-ap", "secret201", "-key", "mailbox", "202"); err != nil {
		t.Fatalf("sipp: %v\n%s", err, tail(out))
	}
	if s.Subscriptions("201")+s.Subscriptions("202") != 0 {
		t.Fatal("a refused SUBSCRIBE left a subscription")
	}
}

func TestSIPpMessageWaitingUnsolicited(t *testing.T) {
	bin := testutil.Tool(t, "sipp")
	s := startServer(t, Config{})
	pbx := s.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	uasPort := freeUDPPort(t)
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = sipp(t, bin, ctx, "-sf", scenario("mwi_unsolicited.xml"), "-p", strconv.Itoa(uasPort), "-m", "1")
		done <- err
	}()
	time.Sleep(300 * time.Millisecond) // let the UAS bind
	if o, err := sipp(t, bin, ctx, pbx, "-sf", scenario("register.xml"), "-m", "1",
		"-s", "203", "-au", "203", "-ap", "secret203", "-key", "uas_port", strconv.Itoa(uasPort)); err != nil {
		t.Fatalf("register: %v\n%s", err, tail(o))
	}
	s.SetMessageWaiting("203", 1, 3)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sipp desk phone: %v\n%s", err, tail(out))
		}
	case <-ctx.Done():
		t.Fatal("no unsolicited NOTIFY reached the registered contact")
	}
}
