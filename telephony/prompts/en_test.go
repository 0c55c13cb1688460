package prompts

import (
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
		if got := strings.Join(English.When(c.t, c.now), " "); got != c.want {
			t.Errorf("%s: When(%v, %v) = %q, want %q", c.name, c.t, c.now, got, c.want)
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
		if got := strings.Join(english{}.year(c.y), " "); got != c.want {
			t.Errorf("Year(%d) = %q, want %q", c.y, got, c.want)
		}
	}
}

func TestNamesOfDays(t *testing.T) {
	for n := 1; n <= 31; n++ {
		if English.Text(enOrdinal(n)) == "" {
			t.Errorf("day %d: %q has no recording", n, enOrdinal(n))
		}
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if English.Text(weekdayName(d)) != d.String() {
			t.Errorf("%v says %q", d, English.Text(weekdayName(d)))
		}
	}
	for m := time.January; m <= time.December; m++ {
		if English.Text(monthName(m)) != m.String() {
			t.Errorf("%v says %q", m, English.Text(monthName(m)))
		}
	}
}

func TestEnglishNumber(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "0"}, {7, "7"}, {13, "13"}, {19, "19"}, {20, "20"}, {21, "20 1"}, {40, "40"}, {99, "90 9"},
		{100, "1 hundred"}, {105, "1 hundred 5"}, {110, "1 hundred 10"}, {342, "3 hundred 40 2"},
		{900, "9 hundred"}, {999, "9 hundred 90 9"},
		{1000, "1 0 0 0"}, {-5, "5"}, {12345, "1 2 3 4 5"},
	} {
		if got := strings.Join(English.Number(c.n), " "); got != c.want {
			t.Errorf("Number(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestDigits(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""}, {"0", "0"}, {"2025", "2 0 2 5"}, {"*72", "star 7 2"}, {"12#", "1 2 pound"},
		{"+49 (30) 1234-5", "4 9 3 0 1 2 3 4 5"}, {"abc", ""},
	} {
		for _, l := range Languages() {
			if got := strings.Join(l.Digits(c.in), " "); got != c.want {
				t.Errorf("%s.Digits(%q) = %q, want %q", l, c.in, got, c.want)
			}
		}
	}
}

// TestEnglishSentences: the sentences the exchange asks for, as the
// box said them before it spoke other languages.
func TestEnglishSentences(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 15, 30, 0, 0, ny)
	for _, c := range []struct {
		got  []string
		want string
	}{
		{English.MailboxCounts(0, 0), "vm-you-have vm-no-messages"},
		{English.MailboxCounts(1, 0), "vm-you-have 1 vm-new vm-message"},
		{English.MailboxCounts(2, 0), "vm-you-have 2 vm-new vm-messages"},
		{English.MailboxCounts(0, 1), "vm-you-have 1 vm-old vm-message"},
		{English.MailboxCounts(3, 21), "vm-you-have 3 vm-new vm-messages vm-and 20 1 vm-old vm-messages"},
		{English.Count(0, NewMessage), "0 vm-new vm-messages"},
		{English.MessageIntro(1, time.Date(2026, 11, 21, 9, 5, 0, 0, ny), now, "102"),
			"vm-message-n 1 vm-received yesterday at 9 oh 5 am vm-from 1 0 2"},
		{English.MessageIntro(12, time.Date(2026, 11, 22, 15, 15, 0, 0, ny), now, ""),
			"vm-message-n 12 vm-received today at 3 15 pm vm-unknown-caller"},
		{English.QueuePosition(3), "queue-caller-number 3 queue-in-line"},
		{English.ForwardedTo(ForwardAlways, "202"), "fwd-always-on 2 0 2"},
		{English.ForwardedTo(ForwardBusy, "*9#"), "fwd-busy-on star 9 pound"},
		{English.ForwardedTo(ForwardNoAnswer, "8"), "fwd-noanswer-on 8"},
		{English.ParkedAt("701"), "parked-at 7 0 1"},
		{English.Unavailable("201", false), "vm-extension 2 0 1 vm-unavailable"},
		{English.Unavailable("201", true), "vm-extension 2 0 1 vm-busy"},
	} {
		if got := strings.Join(c.got, " "); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
