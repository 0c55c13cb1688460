package prompts

import (
	"strconv"
	"strings"
	"time"
)

// The words that say when something happened (When). Weekdays, months
// and the days of a month have names of their own: Weekday, Month and
// Ordinal give them.
const (
	VMReceived = "vm-received" // received
	Today      = "today"       // today
	Yesterday  = "yesterday"   // yesterday
	On         = "on"          // on
	At         = "at"          // at
	AM         = "am"          // A.M.
	PM         = "pm"          // P.M.
	OClock     = "oclock"      // o'clock
	Oh         = "oh"          // oh (the zero of "three oh five")
	Noon       = "noon"        // noon
	Midnight   = "midnight"    // midnight
)

// Weekday returns the name of the prompt that says d: "monday" says
// "Monday".
func Weekday(d time.Weekday) string {
	return strings.ToLower(d.String())
}

// Month returns the name of the prompt that says m: "november" says
// "November".
func Month(m time.Month) string {
	return strings.ToLower(m.String())
}

// Ordinal returns the name of the prompt that says day n of a month as
// an ordinal, for 1 ≤ n ≤ 31: "d3" says "third", "d21" "twenty-first".
// Other numbers have none: "".
func Ordinal(n int) string {
	if n < 1 || n > 31 {
		return ""
	}
	return "d" + strconv.Itoa(n)
}

// When returns the names that say when t happened, heard at now, the way
// an American voicemail says it after "received":
//
//	today at 3 15 PM             the same calendar day as now
//	yesterday at 9 oh 5 AM       the day before
//	on Monday at 11 oclock AM    two to six days before: the weekday
//	on November 3rd at noon      a week or more before, within a year
//	on November 3rd 20 25 at …   a year or more before, or after now
//
// Days are calendar days in now's zone (t is put in it): the box's time
// zone, so "yesterday" means the owner's yesterday, and a day of 23 or 25
// hours (a daylight-saving change) counts as one. A date without a year
// is heard as its latest occurrence, so the year is said only when that
// would be wrong: the date is a year or more ago, or after now (a clock
// set back).
//
// The time is the 12-hour clock, to the minute: the hour, then the
// minutes as a number ("3 15"), "oh" and a digit for minutes 1 to 9
// ("3 oh 5"), or "o'clock" on the hour ("3 o'clock"); then A.M. or P.M.
// 12:00 is "noon" and 00:00 "midnight", as US style guides advise,
// since "12 A.M." and "12 P.M." are often mistaken for each other; other
// minutes of those hours are "12 … A.M." (just after midnight) and
// "12 … P.M." (just after noon).
func When(t, now time.Time) []string {
	t = t.In(now.Location())
	days := civilDay(now) - civilDay(t)
	var out []string
	switch {
	case days == 0:
		out = append(out, Today)
	case days == 1:
		out = append(out, Yesterday)
	case days >= 2 && days <= 6:
		out = append(out, On, Weekday(t.Weekday()))
	default:
		out = append(out, On, Month(t.Month()), Ordinal(t.Day()))
		yearAgo := now.AddDate(-1, 0, 0)
		if days < 0 || civilDay(t) <= civilDay(yearAgo) {
			out = append(out, Year(t.Year())...)
		}
	}
	out = append(out, At)
	return append(out, Clock(t)...)
}

// Clock returns the names that say the time of day of t on the 12-hour
// clock, to the minute, as When describes: "3 15 P.M.", "9 oh 5 A.M.",
// "11 o'clock A.M.", "noon", "midnight".
func Clock(t time.Time) []string {
	h, m := t.Hour(), t.Minute()
	switch {
	case h == 0 && m == 0:
		return []string{Midnight}
	case h == 12 && m == 0:
		return []string{Noon}
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	out := Number(h12)
	switch {
	case m == 0:
		out = append(out, OClock)
	case m < 10:
		out = append(out, Oh)
		out = append(out, Number(m)...)
	default:
		out = append(out, Number(m)...)
	}
	if h < 12 {
		return append(out, AM)
	}
	return append(out, PM)
}

// Year returns the names that say year y as Americans say years: 2026 is
// "20" "20 6" (twenty twenty-six), 2005 "20" "oh" "5", 1900 "19"
// "hundred". Years before 1000 or after 9999 are said digit by digit.
func Year(y int) []string {
	if y < 1000 || y > 9999 {
		return Digits(strconv.Itoa(y))
	}
	out := Number(y / 100)
	switch r := y % 100; {
	case r == 0:
		out = append(out, "hundred")
	case r < 10:
		out = append(out, Oh)
		out = append(out, Number(r)...)
	default:
		out = append(out, Number(r)...)
	}
	return out
}

// civilDay numbers t's calendar day (in t's zone): consecutive days have
// consecutive numbers, however many hours the days have.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}
