package diag

import (
	"testing"
	"time"

	"minipbx/telephony/store"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestScheduleNext(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	for _, c := range []struct {
		name string
		d    store.Diagnostics
		tz   string
		last time.Time
		want time.Time
	}{
		{"interval hours", store.Diagnostics{Mode: "interval", Interval: "00:06"}, "UTC",
			at(time.UTC, 2026, 5, 1, 22, 0), at(time.UTC, 2026, 5, 2, 4, 0)},
		// A daily interval keeps the local time across spring forward
		// (the day is 23 hours long) ...
		{"interval day across spring forward", store.Diagnostics{Mode: "interval", Interval: "01:00"}, "Europe/Berlin",
			at(berlin, 2026, 3, 28, 3, 0), at(berlin, 2026, 3, 29, 3, 0)},
		// ... and fall back (25 hours).
		{"interval day across fall back", store.Diagnostics{Mode: "interval", Interval: "01:00"}, "Europe/Berlin",
			at(berlin, 2026, 10, 24, 3, 0), at(berlin, 2026, 10, 25, 3, 0)},
		// Hours are elapsed hours: 12 h after 20:00 on the night clocks
		// go back is 07:00 local.
		{"interval hours across fall back", store.Diagnostics{Mode: "interval", Interval: "00:12"}, "Europe/Berlin",
			at(berlin, 2026, 10, 24, 20, 0), at(berlin, 2026, 10, 25, 7, 0)},
		{"interval days and hours", store.Diagnostics{Mode: "interval", Interval: "02:03"}, "America/New_York",
			at(ny, 2026, 3, 7, 12, 0), at(ny, 2026, 3, 9, 15, 0)},
		{"daily later today", store.Diagnostics{Mode: "daily", At: "03:15"}, "Europe/Berlin",
			at(berlin, 2026, 6, 1, 1, 0), at(berlin, 2026, 6, 1, 3, 15)},
		{"daily tomorrow", store.Diagnostics{Mode: "daily", At: "03:15"}, "Europe/Berlin",
			at(berlin, 2026, 6, 1, 3, 15), at(berlin, 2026, 6, 2, 3, 15)},
		{"daily in the time zone, not UTC", store.Diagnostics{Mode: "daily", At: "23:30"}, "America/New_York",
			time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 2, 3, 30, 0, 0, time.UTC)},
		// 02:30 does not exist on 29 March 2026 in Berlin: run at the jump.
		{"daily in the spring-forward gap", store.Diagnostics{Mode: "daily", At: "02:30"}, "Europe/Berlin",
			at(berlin, 2026, 3, 28, 12, 0), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"daily in the gap, New York", store.Diagnostics{Mode: "daily", At: "02:30"}, "America/New_York",
			at(ny, 2026, 3, 7, 12, 0), time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
		// 02:30 happens twice on 25 October 2026 in Berlin: the first.
		{"daily in the fall-back overlap", store.Diagnostics{Mode: "daily", At: "02:30"}, "Europe/Berlin",
			at(berlin, 2026, 10, 24, 12, 0), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		// ... and only once: after the first, the next is the next day.
		{"daily overlap runs once", store.Diagnostics{Mode: "daily", At: "02:30"}, "Europe/Berlin",
			time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), at(berlin, 2026, 10, 26, 2, 30)},
		{"daily after the gap day", store.Diagnostics{Mode: "daily", At: "02:30"}, "Europe/Berlin",
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), at(berlin, 2026, 3, 30, 2, 30)},
		{"off", store.Diagnostics{}, "UTC", at(time.UTC, 2026, 1, 1, 0, 0), time.Time{}},
	} {
		s, err := ParseSchedule(c.d, c.tz)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := s.Next(c.last)
		if !got.Equal(c.want) {
			t.Errorf("%s: Next(%v) = %v, want %v", c.name, c.last, got, c.want)
		}
	}
}

func TestScheduleDue(t *testing.T) {
	s, err := ParseSchedule(store.Diagnostics{Mode: "daily", At: "03:00"}, "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	berlin := s.Loc
	last := time.Date(2026, 3, 27, 3, 0, 0, 0, berlin)
	// Off for three days, across the spring-forward night: one missed run.
	now := time.Date(2026, 3, 30, 9, 0, 0, 0, berlin)
	next, missed := s.Due(last, now)
	if !missed || !next.Equal(now) {
		t.Fatalf("Due = %v %v, want a missed run now", next, missed)
	}
	// After it, the next is counted from the catch-up run.
	if n := s.Next(now); !n.Equal(time.Date(2026, 3, 31, 3, 0, 0, 0, berlin)) {
		t.Fatalf("after catch-up: %v", n)
	}
	// Not missed: the next run is still ahead.
	next, missed = s.Due(last, time.Date(2026, 3, 28, 2, 0, 0, 0, berlin))
	if missed || !next.Equal(time.Date(2026, 3, 28, 3, 0, 0, 0, berlin)) {
		t.Fatalf("Due = %v %v", next, missed)
	}
	// Never ran: no catch-up, the next one.
	next, missed = s.Due(time.Time{}, now)
	if missed || !next.Equal(time.Date(2026, 3, 31, 3, 0, 0, 0, berlin)) {
		t.Fatalf("first: %v %v", next, missed)
	}
	off, _ := ParseSchedule(store.Diagnostics{Mode: "off"}, "UTC")
	if n, m := off.Due(last, now); !n.IsZero() || m {
		t.Fatal("off schedule due")
	}
	if _, err := ParseSchedule(store.Diagnostics{Mode: "interval", Interval: "00:00"}, "UTC"); err == nil {
		t.Fatal("00:00 accepted")
	}
	if _, err := ParseSchedule(store.Diagnostics{Mode: "daily", At: "03:00"}, "Mars/Olympus"); err == nil {
		t.Fatal("bad zone accepted")
	}
}

func TestManualClock(t *testing.T) {
	c := NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a := c.After(time.Hour)
	b := c.After(2 * time.Hour)
	c.Advance(90 * time.Minute)
	select {
	case <-a:
	default:
		t.Fatal("1 h wait did not fire after 90 min")
	}
	select {
	case <-b:
		t.Fatal("2 h wait fired after 90 min")
	default:
	}
	if c.Waiters() != 1 {
		t.Fatalf("waiters %d", c.Waiters())
	}
}
