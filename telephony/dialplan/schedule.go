package dialplan

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Weekdays is a set of days of the week (bit i = time.Weekday(i)).
type Weekdays uint8

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWeekdays parses a list of days and ranges such as "mon-fri",
// "sat,sun", "fri-mon" (a range may wrap past Sunday) or "*" (every day).
func ParseWeekdays(s string) (Weekdays, error) {
	if s == "*" {
		return 1<<7 - 1, nil
	}
	day := func(n string) (int, error) {
		for i, d := range dayNames {
			if strings.EqualFold(n, d) {
				return i, nil
			}
		}
		return 0, fmt.Errorf("unknown day %q (mon, tue, wed, thu, fri, sat, sun)", n)
	}
	var w Weekdays
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := day(lo)
		if err != nil {
			return 0, err
		}
		b := a
		if isRange {
			if b, err = day(hi); err != nil {
				return 0, err
			}
		}
		for i := a; ; i = (i + 1) % 7 {
			w |= 1 << i
			if i == b {
				break
			}
		}
	}
	return w, nil
}

func (w Weekdays) String() string {
	var out []string
	for i, n := range dayNames {
		if w.Has(time.Weekday(i)) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

// ParseClock parses a time of day "HH:MM" (00:00 to 24:00) into minutes
// since midnight.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q: want HH:MM between 00:00 and 24:00", s)
	}
	return hh*60 + mm, nil
}

// Hours is a weekly opening period: on Days, from From to To (minutes
// since midnight, From < To; To may be 1440 for the end of the day).
type Hours struct {
	Days     Weekdays
	From, To int
}

// ParseHours parses "mon-fri 09:00-18:00".
func ParseHours(s string) (Hours, error) {
	days, span, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return Hours{}, fmt.Errorf("hours %q: want DAYS HH:MM-HH:MM, e.g. mon-fri 09:00-18:00", s)
	}
	w, err := ParseWeekdays(days)
	if err != nil {
		return Hours{}, fmt.Errorf("hours %q: %w", s, err)
	}
	from, to, ok := strings.Cut(strings.TrimSpace(span), "-")
	if !ok {
		return Hours{}, fmt.Errorf("hours %q: want DAYS HH:MM-HH:MM", s)
	}
	f, err := ParseClock(from)
	if err != nil {
		return Hours{}, fmt.Errorf("hours %q: %w", s, err)
	}
	t, err := ParseClock(to)
	if err != nil {
		return Hours{}, fmt.Errorf("hours %q: %w", s, err)
	}
	if f >= t {
		return Hours{}, fmt.Errorf("hours %q: the end must be after the start (split a night shift in two: 22:00-24:00 and 00:00-06:00)", s)
	}
	return Hours{Days: w, From: f, To: t}, nil
}

// Holiday is a closed day: a date, or every year's Month and Day when Year
// is 0.
type Holiday struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseHoliday parses "2026-12-31" (that day) or "12-25" (every year).
func ParseHoliday(s string) (Holiday, error) {
	parts := strings.Split(s, "-")
	var h Holiday
	num := func(p string, digits int) (int, bool) {
		if len(p) != digits {
			return 0, false
		}
		n, err := strconv.Atoi(p)
		return n, err == nil && n >= 0
	}
	var ok1, ok2, ok3 bool
	var m int
	switch len(parts) {
	case 3:
		h.Year, ok1 = num(parts[0], 4)
		m, ok2 = num(parts[1], 2)
		h.Day, ok3 = num(parts[2], 2)
	case 2:
		ok1 = true
		m, ok2 = num(parts[0], 2)
		h.Day, ok3 = num(parts[1], 2)
	}
	h.Month = time.Month(m)
	if !ok1 || !ok2 || !ok3 || (len(parts) == 3 && h.Year < 1) {
		return Holiday{}, fmt.Errorf("holiday %q: want YYYY-MM-DD, or MM-DD for every year", s)
	}
	y := h.Year
	if y == 0 {
		y = 2024 // a leap year, so that 02-29 is allowed
	}
	if h.Month < 1 || h.Month > 12 || h.Day < 1 || time.Date(y, h.Month, h.Day, 0, 0, 0, 0, time.UTC).Day() != h.Day {
		return Holiday{}, fmt.Errorf("holiday %q: no such date", s)
	}
	return h, nil
}

// On reports whether the calendar day (y, m, d) is this holiday.
func (h Holiday) On(y int, m time.Month, d int) bool {
	return (h.Year == 0 || h.Year == y) && h.Month == m && h.Day == d
}

// Schedule is working hours and holidays in a time zone.
type Schedule struct {
	Name     string
	Location *time.Location // nil means UTC
	Hours    []Hours
	Holidays []Holiday
}

// Open reports whether t falls in the working hours (in the schedule's
// zone) on a day that is not a holiday.
func (s *Schedule) Open(t time.Time) bool {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.Date()
	for _, h := range s.Holidays {
		if h.On(y, m, d) {
			return false
		}
	}
	min := t.Hour()*60 + t.Minute()
	for _, h := range s.Hours {
		if h.Days.Has(t.Weekday()) && min >= h.From && min < h.To {
			return true
		}
	}
	return false
}
