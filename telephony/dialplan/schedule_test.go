package dialplan

import (
	"strings"
	"testing"
	"time"
)

func TestParseWeekdays(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"mon-fri", "mon,tue,wed,thu,fri", ""},
		{"sat,sun", "sun,sat", ""},
		{"fri-mon", "sun,mon,fri,sat", ""},
		{"Mon", "mon", ""},
		{"*", "sun,mon,tue,wed,thu,fri,sat", ""},
		{"mon-", "", "unknown day"},
		{"", "", "unknown day"},
		{"monday", "", "unknown day"},
	} {
		w, err := ParseWeekdays(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseWeekdays(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || w.String() != tc.want {
			t.Errorf("ParseWeekdays(%q) = %s, %v; want %s", tc.in, w, err, tc.want)
		}
	}
}

func TestParseHours(t *testing.T) {
	for _, tc := range []struct {
		in       string
		from, to int
		err      string
	}{
		{"mon-fri 09:00-18:00", 540, 1080, ""},
		{"sat 10:30-24:00", 630, 1440, ""},
		{"mon-fri 18:00-09:00", 0, 0, "end must be after the start"},
		{"mon-fri 9:00-18:00", 0, 0, "want HH:MM"},
		{"mon-fri 09:60-18:00", 0, 0, "between 00:00 and 24:00"},
		{"mon-fri 09:00-24:01", 0, 0, "between"},
		{"mon-fri", 0, 0, "want DAYS"},
		{"mon-fri 09:00", 0, 0, "want DAYS"},
		{"xyz 09:00-10:00", 0, 0, "unknown day"},
	} {
		h, err := ParseHours(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseHours(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || h.From != tc.from || h.To != tc.to {
			t.Errorf("ParseHours(%q) = %+v, %v", tc.in, h, err)
		}
	}
}

func TestParseHoliday(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Holiday
		err  bool
	}{
		{"2026-12-31", Holiday{2026, 12, 31}, false},
		{"01-01", Holiday{0, 1, 1}, false},
		{"02-29", Holiday{0, 2, 29}, false},
		{"2026-02-29", Holiday{}, true},
		{"2026-13-01", Holiday{}, true},
		{"0000-01-01", Holiday{}, true},
		{"1-1", Holiday{}, true},
		{"12-32", Holiday{}, true},
		{"", Holiday{}, true},
		{"2026-1-01", Holiday{}, true},
		{"-1-01", Holiday{}, true},
	} {
		h, err := ParseHoliday(tc.in)
		if (err != nil) != tc.err || h != tc.want {
			t.Errorf("ParseHoliday(%q) = %+v, %v", tc.in, h, err)
		}
	}
}

func TestScheduleOpen(t *testing.T) {
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	wk, _ := ParseHours("mon-fri 09:00-18:00")
	sat, _ := ParseHours("sat 10:00-14:00")
	ny, _ := ParseHoliday("01-01")
	one, _ := ParseHoliday("2026-03-09")
	s := &Schedule{Name: "office", Location: moscow, Hours: []Hours{wk, sat}, Holidays: []Holiday{ny, one}}
	at := func(y int, m time.Month, d, hh, mm, ss int) time.Time {
		return time.Date(y, m, d, hh, mm, ss, 0, moscow)
	}
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{
		{at(2026, 3, 2, 8, 59, 59), false}, // Monday, a second before opening
		{at(2026, 3, 2, 9, 0, 0), true},    // the boundary opens
		{at(2026, 3, 2, 17, 59, 59), true},
		{at(2026, 3, 2, 18, 0, 0), false}, // the boundary closes
		{at(2026, 3, 7, 10, 0, 0), true},  // Saturday morning
		{at(2026, 3, 7, 14, 0, 0), false},
		{at(2026, 3, 8, 12, 0, 0), false},                   // Sunday
		{at(2026, 3, 9, 12, 0, 0), false},                   // a one-off holiday (a Monday)
		{at(2027, 3, 9, 12, 0, 0), true},                    // the same date next year is a Tuesday, not a holiday
		{at(2027, 1, 1, 12, 0, 0), false},                   // every New Year's Day (a Friday in 2027)
		{time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC), true}, // 09:00 in Moscow (UTC+3)
		{time.Date(2026, 3, 2, 5, 59, 0, 0, time.UTC), false},
	} {
		if got := s.Open(tc.t); got != tc.want {
			t.Errorf("Open(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	if (&Schedule{}).Open(time.Now()) {
		t.Error("a schedule with no hours is never open")
	}
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"mon-fri 09:00-18:00", "* 00:00-24:00", "fri-mon 1:00-2:00", "sat,sun 10:00-14:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHours(s)
		if err != nil {
			return
		}
		if h.From < 0 || h.To > 1440 || h.From >= h.To || h.Days == 0 || h.Days >= 1<<7 {
			t.Fatalf("ParseHours(%q) = %+v", s, h)
		}
	})
}

func FuzzParseHoliday(f *testing.F) {
	for _, s := range []string{"2026-12-31", "01-01", "02-29", "2026-02-29"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHoliday(s)
		if err != nil {
			return
		}
		y := h.Year
		if y == 0 {
			y = 2024
		}
		d := time.Date(y, h.Month, h.Day, 0, 0, 0, 0, time.UTC)
		if d.Month() != h.Month || d.Day() != h.Day || !h.On(y, h.Month, h.Day) {
			t.Fatalf("ParseHoliday(%q) = %+v, not a real date", s, h)
		}
	})
}
