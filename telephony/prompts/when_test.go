package prompts

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWhen(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	sunday := at(ny, 2026, 11, 22, 15, 30) // Sunday 22 November 2026, 3:30 PM
	for _, c := range []struct {
		name   string
		t, now time.Time
		want   string
	}{
		{"minutes", at(ny, 2026, 11, 22, 15, 15), sunday, "today at 3 15 pm"},
		{"oh minutes", at(ny, 2026, 11, 22, 15, 5), sunday, "today at 3 oh 5 pm"},
		{"on the hour", at(ny, 2026, 11, 22, 15, 0), sunday, "today at 3 oclock pm"},
		{"seconds dropped", sunday.Add(-31 * time.Minute).Add(-59 * time.Second), sunday, "today at 2 50 8 pm"},
		{"midnight", at(ny, 2026, 11, 22, 0, 0), sunday, "today at midnight"},
		{"after midnight", at(ny, 2026, 11, 22, 0, 7), sunday, "today at 12 oh 7 am"},
		{"1 AM", at(ny, 2026, 11, 22, 1, 0), sunday, "today at 1 oclock am"},
		{"before noon", at(ny, 2026, 11, 22, 11, 59), sunday, "today at 11 50 9 am"},
		{"noon", at(ny, 2026, 11, 22, 12, 0), sunday, "today at noon"},
		{"after noon", at(ny, 2026, 11, 22, 12, 30), sunday, "today at 12 30 pm"},
		{"teens", at(ny, 2026, 11, 22, 10, 13), sunday, "today at 10 13 am"},
		{"later today (clock set back)", at(ny, 2026, 11, 22, 16, 0), sunday, "today at 4 oclock pm"},
		{"yesterday", at(ny, 2026, 11, 21, 23, 59), sunday, "yesterday at 11 50 9 pm"},
		{"yesterday, under 24 h", at(ny, 2026, 11, 21, 16, 0), sunday, "yesterday at 4 oclock pm"},
		{"two days", at(ny, 2026, 11, 20, 9, 45), sunday, "on friday at 9 40 5 am"},
		{"six days", at(ny, 2026, 11, 16, 10, 0), sunday, "on monday at 10 oclock am"},
		{"a week: the date", at(ny, 2026, 11, 15, 10, 0), sunday, "on november d15 at 10 oclock am"},
		{"this month", at(ny, 2026, 11, 3, 8, 20), sunday, "on november d3 at 8 20 am"},
		{"ordinal", at(ny, 2026, 10, 31, 20, 1), sunday, "on october d31 at 8 oh 1 pm"},
		{"last year, within a year", at(ny, 2025, 11, 23, 9, 0), sunday, "on november d23 at 9 oclock am"},
		{"a year ago: the year", at(ny, 2025, 11, 22, 9, 0), sunday, "on november d22 20 20 5 at 9 oclock am"},
		{"leap day", at(ny, 2024, 2, 29, 18, 45), sunday, "on february d29 20 20 4 at 6 40 5 pm"},
		{"tomorrow (clock set back)", at(ny, 2026, 11, 23, 9, 0), sunday, "on november d23 20 20 6 at 9 oclock am"},

		// Across the year's end.
		{"new year's eve", at(ny, 2026, 12, 31, 23, 55), at(ny, 2027, 1, 1, 0, 10), "yesterday at 11 50 5 pm"},
		{"last week of last year", at(ny, 2026, 12, 28, 9, 0), at(ny, 2027, 1, 1, 0, 10), "on monday at 9 oclock am"},
		{"christmas", at(ny, 2026, 12, 25, 9, 0), at(ny, 2027, 1, 1, 0, 10), "on december d25 at 9 oclock am"},
		{"january the year before", at(ny, 2026, 1, 1, 0, 5), at(ny, 2027, 1, 1, 0, 10), "on january d1 20 20 6 at 12 oh 5 am"},

		// Daylight saving: New York springs forward on 8 March 2026
		// (a 23-hour day) and falls back on 1 November (25 hours).
		{"spring: yesterday though under 24 h", at(ny, 2026, 3, 8, 0, 15), at(ny, 2026, 3, 9, 0, 30), "yesterday at 12 15 am"},
		{"spring: after the jump", at(ny, 2026, 3, 8, 3, 0), at(ny, 2026, 3, 8, 9, 0), "today at 3 oclock am"},
		{"fall: today though over 24 h", at(ny, 2026, 11, 1, 0, 10), at(ny, 2026, 11, 1, 23, 50), "today at 12 10 am"},
		{"fall: the second 1:30", at(ny, 2026, 11, 1, 1, 30).Add(time.Hour), at(ny, 2026, 11, 1, 23, 50), "today at 1 30 am"},
		{"fall: the day before", at(ny, 2026, 10, 31, 23, 0), at(ny, 2026, 11, 2, 0, 30), "on saturday at 11 oclock pm"},

		// t is put in now's zone: 16:00 UTC is 1 AM the next day in Tokyo.
		{"zone", time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC), at(tokyo, 2026, 11, 23, 9, 0), "today at 1 oclock am"},
		{"zone, the day before", time.Date(2026, 11, 22, 14, 59, 0, 0, time.UTC), at(tokyo, 2026, 11, 23, 9, 0), "yesterday at 11 50 9 pm"},
	} {
		if got := strings.Join(When(c.t, c.now), " "); got != c.want {
			t.Errorf("%s: When(%v, %v) = %q, want %q", c.name, c.t, c.now, got, c.want)
		}
	}
}

// TestClockEveryMinute: every minute of a day is said with recorded
// prompts, and no two minutes sound the same.
func TestClockEveryMinute(t *testing.T) {
	names := Names()
	seen := map[string]time.Time{}
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for m := range 24 * 60 {
		tm := day.Add(time.Duration(m) * time.Minute)
		words := Clock(tm)
		for _, w := range words {
			if !slices.Contains(names, w) {
				t.Fatalf("Clock(%s) = %v: no prompt %q", tm.Format("15:04"), words, w)
			}
		}
		key := strings.Join(words, " ")
		if prev, ok := seen[key]; ok {
			t.Errorf("%s and %s both say %q", prev.Format("15:04"), tm.Format("15:04"), key)
		}
		seen[key] = tm
	}
}

// TestWhenEveryDay: a message from any day of the last two years, and a
// few days ahead, is said with recorded prompts.
func TestWhenEveryDay(t *testing.T) {
	names := Names()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for d := -800; d <= 5; d++ {
		tm := now.AddDate(0, 0, d).Add(37 * time.Minute)
		words := When(tm, now)
		for _, w := range words {
			if !slices.Contains(names, w) {
				t.Fatalf("When(%s) = %v: no prompt %q", tm.Format(time.DateOnly), words, w)
			}
		}
	}
}

func TestYear(t *testing.T) {
	for _, c := range []struct {
		y    int
		want string
	}{
		{2026, "20 20 6"}, {2030, "20 30"}, {2010, "20 10"}, {2005, "20 oh 5"}, {2000, "20 hundred"},
		{1999, "19 90 9"}, {1900, "19 hundred"}, {999, "9 9 9"}, {10000, "1 0 0 0 0"},
	} {
		if got := strings.Join(Year(c.y), " "); got != c.want {
			t.Errorf("Year(%d) = %q, want %q", c.y, got, c.want)
		}
	}
}

func TestNamesOfDays(t *testing.T) {
	if Weekday(time.Monday) != "monday" || Weekday(time.Sunday) != "sunday" {
		t.Errorf("Weekday: %q %q", Weekday(time.Monday), Weekday(time.Sunday))
	}
	if Month(time.January) != "january" || Month(time.December) != "december" {
		t.Errorf("Month: %q %q", Month(time.January), Month(time.December))
	}
	for _, c := range []struct {
		n    int
		want string
	}{{1, "d1"}, {31, "d31"}, {0, ""}, {32, ""}} {
		if got := Ordinal(c.n); got != c.want {
			t.Errorf("Ordinal(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for n := 1; n <= 31; n++ {
		if Text(Ordinal(n)) == "" {
			t.Errorf("Ordinal(%d) = %q has no recording", n, Ordinal(n))
		}
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if Text(Weekday(d)) != d.String() {
			t.Errorf("Weekday(%v) says %q", d, Text(Weekday(d)))
		}
	}
	for m := time.January; m <= time.December; m++ {
		if Text(Month(m)) != m.String() {
			t.Errorf("Month(%v) says %q", m, Text(Month(m)))
		}
	}
}
