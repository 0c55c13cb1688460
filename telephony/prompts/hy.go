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

// The Armenian prompts beyond the shared ones (language.go). Numbers are
// "0".."19", "20".."90", "hundred" (հարյուր), "thousand" (հազար); "d1" ..
// "d31" are the numbers in the dative (մեկին … երեսունմեկին), for days
// and hours; "hp0".."hp23" the hours before "past" (զրոն անց … քսաներեքն
// անց). Weekdays ("monday") say "երկուշաբթի", months ("november")
// "նոյեմբերի". The shared "vm-no-messages" is a whole sentence
// ("Դուք հաղորդագրություններ չունեք։"), "vm-from" follows the number
// ("համարից։").
const (
	hyHundred  = "hundred"
	hyThousand = "thousand"
	hyNew      = "vm-new"    // նոր հաղորդագրություն
	hySaved    = "vm-old"    // պահպանված հաղորդագրություն
	hyYear     = "year"      // թվականի
	hyAt       = "at"        // ժամը
	hyMinutes  = "minutes"   // րոպեին
	hyFwdTo    = "fwd-to"    // համարին։
	hyParkSlot = "park-slot" // համարով։
)

func (armenian) name() string { return "Հայերեն" }

// number: 21 is "20" "1" (քսան մեկ), 100 "hundred" (հարյուր, without
// մեկ), 205 "2" "hundred" "5".
func (armenian) number(n int) []string {
	return spell(n, hyHundred, true, 20)
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
		return words(partNoMessages)
	}
	return cat(words(partYouHave), bothCounts(a, fresh, saved, partAnd))
}

// messageIntro: "Հաղորդագրություն երկու, ստացվել է երեկ ժամը ինն անց
// հինգ րոպեին, 2 0 1 համարից։" / "… անհայտ համարից։"
func (a armenian) messageIntro(n int, when []string, caller string) []string {
	return cat(words(partMessageN), a.number(n), words(partReceived), when, callerFrom(caller))
}

// when: "այսօր ժամը …", "երեկ ժամը …", "երկուշաբթի ժամը …",
// "նոյեմբերի երեքին ժամը …", "երկու հազար քսան հինգ թվականի նոյեմբերի
// երեքին ժամը …".
func (a armenian) when(d day) []string {
	date := words(monthName(d.t.Month()), "d"+strconv.Itoa(d.t.Day()))
	if d.kind == dayDateYear {
		date = cat(a.year(d.t.Year()), date)
	}
	return cat(d.names(words(weekdayName(d.t.Weekday())), date), a.clock(d.t))
}

// year says y before the month it is of: "երկու հազար քսան հինգ
// թվականի", "հազար ինը հարյուր իննսուն ինը թվականի". Years outside
// 1000–2999 are said digit by digit.
func (a armenian) year(y int) []string {
	if y < 1000 || y > 2999 {
		return append(digits(strconv.Itoa(y)), hyYear)
	}
	return append(thousands(y, hyThousand, a.number), hyYear)
}

// clock: "ժամը իննին" (9:00), "ժամը ինն անց հինգ րոպեին" (9:05),
// "ժամը քսանմեկն անց երեսուն րոպեին" (21:30), "կեսգիշերին" (0:00),
// "կեսօրին" (12:00).
func (a armenian) clock(t time.Time) []string {
	h, m := t.Hour(), t.Minute()
	if w := noonOrMidnight(h, m); w != nil {
		return w
	}
	if m == 0 {
		return words(hyAt, "d"+strconv.Itoa(h))
	}
	return cat(words(hyAt, "hp"+strconv.Itoa(h)), a.number(m), words(hyMinutes))
}

// queuePosition: "Ձեր հերթական համարը՝ երեք։ Խնդրում ենք մնալ գծում…"
func (a armenian) queuePosition(n int) []string {
	return cat(words(partQueueNumber), a.number(n), words(partQueueInLine))
}

// forwardedTo: "Ձեր բոլոր զանգերն այժմ կվերահասցեավորվեն 2 0 2
// համարին։"
func (armenian) forwardedTo(k ForwardKind, number string) []string {
	return append(numberAfter(forwardHead(k), number), hyFwdTo)
}

// parkedAt: "Ձեր զանգը պահվում է 7 0 1 համարով։"
func (armenian) parkedAt(slot string) []string {
	return append(numberAfter(partParkedAt, slot), hyParkSlot)
}

// unavailable: "2 0 1 ներքին համարի բաժանորդը հասանելի չէ։"
func (armenian) unavailable(ext string, busy bool) []string {
	return append(digits(ext), unavailablePart(busy))
}
