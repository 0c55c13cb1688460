package prompts

import (
	"strconv"
	"time"
)

// Eastern Armenian (espeak-ng's hy voice). A counted noun stays singular
// ("երեք նոր հաղորդագրություն"); the words that say where a number goes
// follow it ("2 0 1 համարից", from number 201); a date is the month in
// the genitive and the day in the dative ("նոյեմբերի երեքին"), after
// the year ("2025 թվականի"); a time is "ժամը" and the hour in the dative
// on the hour ("ժամը իննին"), else the hour with its article and "անց",
// the minutes, "րոպեին" ("ժամը ինն անց հինգ րոպեին", 9:05), on the
// 24-hour clock.
type armenian struct{}

// The Armenian prompts beyond the ones every language has. Numbers are
// "0".."19", "20".."90", "hundred" (հարյուր), "thousand" (հազար); "d1" ..
// "d31" are the numbers in the dative (մեկին … երեսունմեկին), for days
// and hours; "hp0".."hp23" the hours before "past" (զրոն անց … քսաներեքն
// անց). Weekdays ("monday") say "երկուշաբթի", months ("november")
// "նոյեմբերի".
const (
	hyHundred       = "hundred"
	hyThousand      = "thousand"
	hyYouHave       = "vm-you-have"       // Դուք ունեք
	hyNoMessages    = "vm-no-messages"    // Դուք հաղորդագրություններ չունեք։
	hyAnd           = "vm-and"            // և
	hyNew           = "vm-new"            // նոր հաղորդագրություն
	hySaved         = "vm-old"            // պահպանված հաղորդագրություն
	hyMessageN      = "vm-message-n"      // Հաղորդագրություն
	hyReceived      = "vm-received"       // ստացվել է
	hyFrom          = "vm-from"           // համարից։
	hyUnknownCaller = "vm-unknown-caller" // անհայտ համարից։
	hyToday         = "today"             // այսօր
	hyYesterday     = "yesterday"         // երեկ
	hyYear          = "year"              // թվականի
	hyAt            = "at"                // ժամը
	hyMinutes       = "minutes"           // րոպեին
	hyMidnight      = "midnight"          // կեսգիշերին
	hyNoon          = "noon"              // կեսօրին
	hyQueueNumber   = "queue-caller-number"
	hyQueueInLine   = "queue-in-line"
	hyFwdAlwaysOn   = "fwd-always-on"
	hyFwdBusyOn     = "fwd-busy-on"
	hyFwdNoAnswerOn = "fwd-noanswer-on"
	hyFwdTo         = "fwd-to"         // համարին։
	hyParkedAt      = "parked-at"      // Ձեր զանգը պահվում է
	hyParkSlot      = "park-slot"      // համարով։
	hyUnavailable   = "vm-unavailable" // ներքին համարի բաժանորդը հասանելի չէ։
	hyBusy          = "vm-busy"        // ներքին համարի բաժանորդը զբաղված է։
)

func (armenian) name() string { return "Հայերեն" }

// number: 21 is "20" "1" (քսան մեկ), 100 "hundred" (հարյուր, without
// մեկ), 205 "2" "hundred" "5".
func (armenian) number(n int) []string {
	if n < 0 || n > 999 {
		return digits(strconv.Itoa(n))
	}
	if n == 0 {
		return []string{"0"}
	}
	var out []string
	switch h := n / 100; h {
	case 0:
	case 1:
		out = append(out, hyHundred)
	default:
		out = append(out, strconv.Itoa(h), hyHundred)
	}
	r := n % 100
	if r >= 20 {
		out = append(out, strconv.Itoa(r/10*10))
		r %= 10
	}
	if r > 0 {
		out = append(out, strconv.Itoa(r))
	}
	return out
}

// count: "մեկ նոր հաղորդագրություն", "երեք պահպանված հաղորդագրություն".
func (a armenian) count(n int, noun Noun) []string {
	if noun == SavedMessage {
		return append(a.number(n), hySaved)
	}
	return append(a.number(n), hyNew)
}

// mailbox: "Դուք ունեք երեք նոր հաղորդագրություն և մեկ պահպանված
// հաղորդագրություն", "Դուք հաղորդագրություններ չունեք։"
func (a armenian) mailbox(fresh, saved int) []string {
	if fresh == 0 && saved == 0 {
		return []string{hyNoMessages}
	}
	out := []string{hyYouHave}
	if fresh > 0 {
		out = append(out, a.count(fresh, NewMessage)...)
	}
	if fresh > 0 && saved > 0 {
		out = append(out, hyAnd)
	}
	if saved > 0 {
		out = append(out, a.count(saved, SavedMessage)...)
	}
	return out
}

// messageIntro: "Հաղորդագրություն երկու, ստացվել է երեկ ժամը ինն անց
// հինգ րոպեին, 2 0 1 համարից։" / "… անհայտ համարից։"
func (a armenian) messageIntro(n int, when []string, caller string) []string {
	out := append([]string{hyMessageN}, a.number(n)...)
	out = append(out, hyReceived)
	out = append(out, when...)
	if caller == "" {
		return append(out, hyUnknownCaller)
	}
	return append(append(out, digits(caller)...), hyFrom)
}

// when: "այսօր ժամը …", "երեկ ժամը …", "երկուշաբթի ժամը …",
// "նոյեմբերի երեքին ժամը …", "երկու հազար քսան հինգ թվականի նոյեմբերի
// երեքին ժամը …".
func (a armenian) when(d day) []string {
	var out []string
	switch d.kind {
	case dayToday:
		out = append(out, hyToday)
	case dayYesterday:
		out = append(out, hyYesterday)
	case dayWeekday:
		out = append(out, weekdayName(d.t.Weekday()))
	default:
		if d.kind == dayDateYear {
			out = append(out, a.year(d.t.Year())...)
		}
		out = append(out, monthName(d.t.Month()), "d"+strconv.Itoa(d.t.Day()))
	}
	return append(out, a.clock(d.t)...)
}

// year says y before the month it is of: "երկու հազար քսան հինգ
// թվականի", "հազար ինը հարյուր իննսուն ինը թվականի". Years outside
// 1000–2999 are said digit by digit.
func (a armenian) year(y int) []string {
	if y < 1000 || y > 2999 {
		return append(digits(strconv.Itoa(y)), hyYear)
	}
	out := []string{hyThousand}
	if y >= 2000 {
		out = []string{"2", hyThousand}
	}
	if r := y % 1000; r > 0 {
		out = append(out, a.number(r)...)
	}
	return append(out, hyYear)
}

// clock: "ժամը իննին" (9:00), "ժամը ինն անց հինգ րոպեին" (9:05),
// "ժամը քսանմեկն անց երեսուն րոպեին" (21:30), "կեսգիշերին" (0:00),
// "կեսօրին" (12:00).
func (a armenian) clock(t time.Time) []string {
	h, m := t.Hour(), t.Minute()
	switch {
	case h == 0 && m == 0:
		return []string{hyMidnight}
	case h == 12 && m == 0:
		return []string{hyNoon}
	case m == 0:
		return []string{hyAt, "d" + strconv.Itoa(h)}
	}
	out := []string{hyAt, "hp" + strconv.Itoa(h)}
	return append(append(out, a.number(m)...), hyMinutes)
}

// queuePosition: "Ձեր հերթական համարը՝ երեք։ Խնդրում ենք մնալ գծում…"
func (a armenian) queuePosition(n int) []string {
	return append(append([]string{hyQueueNumber}, a.number(n)...), hyQueueInLine)
}

// forwardedTo: "Ձեր բոլոր զանգերն այժմ կվերահասցեավորվեն 2 0 2
// համարին։"
func (armenian) forwardedTo(k ForwardKind, number string) []string {
	head := hyFwdAlwaysOn
	switch k {
	case ForwardBusy:
		head = hyFwdBusyOn
	case ForwardNoAnswer:
		head = hyFwdNoAnswerOn
	}
	return append(append([]string{head}, digits(number)...), hyFwdTo)
}

// parkedAt: "Ձեր զանգը պահվում է 7 0 1 համարով։"
func (armenian) parkedAt(slot string) []string {
	return append(append([]string{hyParkedAt}, digits(slot)...), hyParkSlot)
}

// unavailable: "2 0 1 ներքին համարի բաժանորդը հասանելի չէ։"
func (armenian) unavailable(ext string, busy bool) []string {
	if busy {
		return append(digits(ext), hyBusy)
	}
	return append(digits(ext), hyUnavailable)
}
