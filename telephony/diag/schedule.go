package diag

import (
	"fmt"
	"time"

	"minipbx/telephony/store"
)

// Schedule says when the diagnostics run by themselves.
type Schedule struct {
	Mode string // store.DiagOff, DiagInterval, DiagDaily
	// Days and Hours of an interval. Days are calendar days in Loc, so a
	// run every 01:00 stays at the same local time across a daylight
	// saving change; hours are elapsed hours.
	Days, Hours int
	// Hour and Minute of a daily run, in Loc.
	Hour, Minute int
	Loc          *time.Location
}

// ParseSchedule reads the schedule of the settings in the time zone tz.
func ParseSchedule(d store.Diagnostics, tz string) (Schedule, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return Schedule{}, fmt.Errorf("diag: time zone %q: %w", tz, err)
		}
		loc = l
	}
	s := Schedule{Mode: d.Mode, Loc: loc}
	switch d.Mode {
	case "", store.DiagOff:
		s.Mode = store.DiagOff
	case store.DiagInterval:
		iv, err := store.ParseDiagInterval(d.Interval)
		if err != nil {
			return Schedule{}, fmt.Errorf("diag: interval: %w", err)
		}
		h := int(iv / time.Hour)
		s.Days, s.Hours = h/24, h%24
	case store.DiagDaily:
		h, m, err := store.ParseDiagTimeOfDay(d.At)
		if err != nil {
			return Schedule{}, fmt.Errorf("diag: time of day: %w", err)
		}
		s.Hour, s.Minute = h, m
	default:
		return Schedule{}, fmt.Errorf("diag: unknown mode %q", d.Mode)
	}
	return s, nil
}

// String writes the schedule as an installer reads it.
func (s Schedule) String() string {
	switch s.Mode {
	case store.DiagInterval:
		return fmt.Sprintf("every %02d:%02d (days:hours)", s.Days, s.Hours)
	case store.DiagDaily:
		return fmt.Sprintf("daily at %02d:%02d %s", s.Hour, s.Minute, s.Loc)
	}
	return "off"
}

// Next is the first run strictly after last, the previous run (or, with
// none, the moment the schedule started counting); zero when off.
func (s Schedule) Next(last time.Time) time.Time {
	switch s.Mode {
	case store.DiagInterval:
		t := last.In(s.Loc)
		if s.Days > 0 {
			t = t.AddDate(0, 0, s.Days) // wall clock: same local time
		}
		return t.Add(time.Duration(s.Hours) * time.Hour)
	case store.DiagDaily:
		l := last.In(s.Loc)
		for day := 0; day < 3; day++ {
			t := s.atDay(l.Year(), l.Month(), l.Day()+day)
			if t.After(last) {
				return t
			}
		}
	}
	return time.Time{}
}

// atDay is the daily run time on a calendar day. A time skipped by a
// daylight saving change (02:30 when clocks jump from 02:00 to 03:00)
// runs at the moment of the jump; a time that happens twice (clocks
// going back) runs at its first occurrence only.
func (s Schedule) atDay(y int, m time.Month, d int) time.Time {
	t := time.Date(y, m, d, s.Hour, s.Minute, 0, 0, s.Loc)
	if t.Hour() != s.Hour || t.Minute() != s.Minute {
		// In the gap: time.Date read the wall time in one of the two
		// offsets; the jump is the boundary of the zone period it landed
		// in, on the side of the requested time.
		zs, ze := t.ZoneBounds()
		if t.Hour()*60+t.Minute() > s.Hour*60+s.Minute {
			return zs
		}
		return ze
	}
	// Clocks going back: the same wall time an offset-change earlier?
	for _, back := range []time.Duration{time.Hour, 30 * time.Minute, 2 * time.Hour} {
		e := t.Add(-back)
		if w := e.In(s.Loc); w.Hour() == s.Hour && w.Minute() == s.Minute && w.Day() == t.Day() {
			return e
		}
	}
	return t
}

// Due is what the scheduler does at start or after a change: the next
// run and whether a run was missed while the box was off (the next run
// after the previous one is already past). A missed run runs once, now;
// the ones after are counted from it.
func (s Schedule) Due(last, now time.Time) (next time.Time, missed bool) {
	if s.Mode == store.DiagOff || s.Mode == "" {
		return time.Time{}, false
	}
	if last.IsZero() {
		return s.Next(now), false
	}
	n := s.Next(last)
	if !n.After(now) {
		return now, true
	}
	return n, false
}
