package prompts

import (
	"strconv"
	"time"
)

// English is spoken the American way (espeak-ng's en-us voice). Its
// prompts have the box's first names, which installers' recordings of
// earlier firmware already replace (NAME.wav): they stay.
type english struct{}

// The English parts of sentences beyond the shared ones (language.go).
// Numbers are "0".."19", the tens "20".."90", "hundred"; weekdays and
// months are their lower-case English names; the days of a month are
// "d1".."d31" (first … thirty-first).
const (
	enNew      = "vm-new"      // new
	enOld      = "vm-old"      // saved
	enMessage  = "vm-message"  // message
	enMessages = "vm-messages" // messages
	enOn       = "on"          // on
	enAt       = "at"          // at
	enAM       = "am"          // A.M.
	enPM       = "pm"          // P.M.
	enOClock   = "oclock"      // o'clock
	enOh       = "oh"          // oh (the zero of "three oh five")
	enHundred  = "hundred"     // hundred
)

func (english) name() string { return "English" }

// number says n the way an American says it: 21 is "20" "1", 105 is "1"
// "hundred" "5", 0 is "0".
func (english) number(n int) []string {
	return spell(n, enHundred, false, 20)
}

// count: "1 new message", "3 saved messages", "0 new messages".
func (e english) count(n int, noun Noun) []string {
	adj := enNew
	if noun == SavedMessage {
		adj = enOld
	}
	kind := enMessages
	if n == 1 {
		kind = enMessage
	}
	return append(e.number(n), adj, kind)
}

// mailbox: "You have 3 new messages and 1 saved message", "You have no
// messages."
func (e english) mailbox(fresh, saved int) []string {
	if fresh == 0 && saved == 0 {
		return words(partYouHave, partNoMessages)
	}
	return cat(words(partYouHave), bothCounts(e, fresh, saved, partAnd))
}

// messageIntro: "Message 2 received WHEN from 2 0 1" / "… from an
// unknown caller."
func (e english) messageIntro(n int, when []string, caller string) []string {
	return cat(words(partMessageN), e.number(n), words(partReceived), when, fromCaller(caller))
}

// when says the day the way an American voicemail does after
// "received":
//
//	today at 3 15 PM             the same calendar day as now
//	yesterday at 9 oh 5 AM       the day before
//	on Monday at 11 oclock AM    two to six days before: the weekday
//	on November 3rd at noon      a week or more before, within a year
//	on November 3rd 20 25 at …   a year or more before, or after now
func (e english) when(d day) []string {
	date := words(enOn, monthName(d.t.Month()), enOrdinal(d.t.Day()))
	if d.kind == dayDateYear {
		date = cat(date, e.year(d.t.Year()))
	}
	return cat(d.names(words(enOn, weekdayName(d.t.Weekday())), date), words(enAt), e.clock(d.t))
}

// clock says the time of day on the 12-hour clock, to the minute: the
// hour, then the minutes as a number ("3 15"), "oh" and a digit for
// minutes 1 to 9 ("3 oh 5"), or "o'clock" on the hour ("3 o'clock");
// then A.M. or P.M. 12:00 is "noon" and 00:00 "midnight", as US style
// guides advise, since "12 A.M." and "12 P.M." are often mistaken for
// each other; other minutes of those hours are "12 … A.M." (just after
// midnight) and "12 … P.M." (just after noon).
func (e english) clock(t time.Time) []string {
	h, m := t.Hour(), t.Minute()
	if w := noonOrMidnight(h, m); w != nil {
		return w
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	out := e.number(h12)
	switch {
	case m == 0:
		out = append(out, enOClock)
	case m < 10:
		out = append(out, enOh)
		out = append(out, e.number(m)...)
	default:
		out = append(out, e.number(m)...)
	}
	if h < 12 {
		return append(out, enAM)
	}
	return append(out, enPM)
}

// year says y as Americans say years: 2026 is "20" "20 6" (twenty
// twenty-six), 2005 "20" "oh" "5", 1900 "19" "hundred". Years before
// 1000 or after 9999 are said digit by digit.
func (e english) year(y int) []string {
	if y < 1000 || y > 9999 {
		return digits(strconv.Itoa(y))
	}
	out := e.number(y / 100)
	switch r := y % 100; {
	case r == 0:
		out = append(out, enHundred)
	case r < 10:
		out = append(out, enOh)
		out = append(out, e.number(r)...)
	default:
		out = append(out, e.number(r)...)
	}
	return out
}

func (e english) queuePosition(n int) []string {
	return cat(words(partQueueNumber), e.number(n), words(partQueueInLine))
}

func (english) forwardedTo(k ForwardKind, number string) []string {
	return numberAfter(forwardHead(k), number)
}

func (english) parkedAt(slot string) []string { return numberAfter(partParkedAt, slot) }

func (english) unavailable(ext string, busy bool) []string {
	return append(numberAfter(partExtension, ext), unavailablePart(busy))
}

// enOrdinal is the prompt that says day n of a month (1 ≤ n ≤ 31):
// "d3" says "third", "d21" "twenty-first".
func enOrdinal(n int) string { return "d" + strconv.Itoa(n) }
