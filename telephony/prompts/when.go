package prompts

import (
	"strings"
	"time"
)

// dayKind is how a language names the day something happened, heard on
// another day (dayOf).
type dayKind int

const (
	dayToday     dayKind = iota // the same calendar day
	dayYesterday                // the day before
	dayWeekday                  // two to six days before: its weekday
	dayDate                     // a week or more before, within a year: its date
	dayDateYear                 // a year or more before, or after now: its date and year
)

// day is when something happened as a language says it: the time (in the
// listener's zone) and how to name its day.
type day struct {
	t    time.Time
	kind dayKind
}

// dayOf says how t is named when heard at now. Days are calendar days in
// now's zone (t is put in it), so a day of 23 or 25 hours counts as one.
// A date without a year is heard as its latest occurrence, so the year
// is said only when that would be wrong: the date is a year or more ago,
// or after now (a clock set back).
func dayOf(t, now time.Time) day {
	t = t.In(now.Location())
	days := civilDay(now) - civilDay(t)
	d := day{t: t}
	switch {
	case days == 0:
		d.kind = dayToday
	case days == 1:
		d.kind = dayYesterday
	case days >= 2 && days <= 6:
		d.kind = dayWeekday
	case days < 0 || civilDay(t) <= civilDay(now.AddDate(-1, 0, 0)):
		d.kind = dayDateYear
	default:
		d.kind = dayDate
	}
	return d
}

// civilDay numbers t's calendar day (in t's zone): consecutive days have
// consecutive numbers, however many hours the days have.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// names names d's day: today, yesterday, weekday (the names of its
// weekday), or date (the names of its date, with or without the year as
// its kind says).
func (d day) names(weekday, date []string) []string {
	switch d.kind {
	case dayToday:
		return []string{partToday}
	case dayYesterday:
		return []string{partYesterday}
	case dayWeekday:
		return weekday
	}
	return date
}

// weekdayName is the name of the prompt that says weekday d in every
// language: "monday" says "Monday" in English, "в понедельник" in
// Russian (each language says it as its sentences need).
func weekdayName(d time.Weekday) string { return strings.ToLower(d.String()) }

// monthName is the name of the prompt that says month m in every
// language: "november" says "November" in English, "ноября" in Russian.
func monthName(m time.Month) string { return strings.ToLower(m.String()) }
