package prompts

import (
	"strconv"
	"time"
)

// Kyrgyz (espeak-ng's ky voice). A counted noun stays singular ("үч жаңы
// билдирүү"); the case endings of a number go on its last word, in the
// form vowel harmony and the word's last sound ask for: ordinals
// ("үчүнчү", "жыйырма бешинчи"), the locative of a time ("саат тогуз
// нөл беште", at 9:05; "саат тогузда", at 9:00). Dates are the ordinal
// day and the month in the locative ("үчүнчү ноябрда"), after the year
// ("эки миң жыйырма бешинчи жылы"); the verb comes last.
type kyrgyz struct{}

// The Kyrgyz prompts beyond the ones every language has. Numbers are
// "0".."10", "20".."90", "hundred" (жүз), "thousand" (миң): 11 is "10"
// "1" (он бир). "o1".."o10", "o20".."o90", "o100", "o1000" are ordinals
// (биринчи … жүзүнчү, миңинчи), "l0".."l10", "l20".."l50" numbers in the
// locative (нөлдө … элүүдө). Weekdays ("monday") say "дүйшөмбүдө", months
// ("november") "ноябрда".
const (
	kyHundred       = "hundred"
	kyThousand      = "thousand"
	kyYouHave       = "vm-you-have"       // Сизде
	kyNew           = "vm-new"            // жаңы билдирүү
	kySaved         = "vm-old"            // сакталган билдирүү
	kyAnd           = "vm-and"            // жана
	kyThereAre      = "vm-there-are"      // бар.
	kyNoMessages    = "vm-no-messages"    // билдирүү жок.
	kyMessageN      = "vm-message-n"      // билдирүү.
	kyFrom          = "vm-from"           // номеринен келген.
	kyUnknownCaller = "vm-unknown-caller" // белгисиз номерден келген.
	kyToday         = "today"             // бүгүн
	kyYesterday     = "yesterday"         // кечээ
	kyYear          = "year"              // жылы
	kyAt            = "at"                // саат
	kyMidnight      = "midnight"          // түн ортосунда
	kyNoon          = "noon"              // чак түштө
	kyQueueNumber   = "queue-caller-number"
	kyQueueInLine   = "queue-in-line"
	kyFwdAlwaysOn   = "fwd-always-on"
	kyFwdBusyOn     = "fwd-busy-on"
	kyFwdNoAnswerOn = "fwd-noanswer-on"
	kyFwdTo         = "fwd-to"         // номерине багытталат.
	kyParkedAt      = "parked-at"      // Чалууңуз
	kyParkSlot      = "park-slot"      // орунда кармалып турат.
	kyUnavailable   = "vm-unavailable" // ички номериндеги абонент азыр жеткиликсиз.
	kyBusy          = "vm-busy"        // ички номериндеги абонент азыр башка чалууда.
)

func (kyrgyz) name() string { return "Кыргызча" }

// number: 11 is "10" "1" (он бир), 100 "hundred" (жүз), 205 "2"
// "hundred" "5".
func (kyrgyz) number(n int) []string {
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
		out = append(out, kyHundred)
	default:
		out = append(out, strconv.Itoa(h), kyHundred)
	}
	r := n % 100
	if r >= 10 {
		out = append(out, strconv.Itoa(r/10*10))
		r %= 10
	}
	if r > 0 {
		out = append(out, strconv.Itoa(r))
	}
	return out
}

// ending puts a case ending on the last word of a number: prefix "o"
// (ordinal) or "l" (locative) before its name ("5" → "o5"; "hundred" →
// "o100"). words is not modified.
func (kyrgyz) ending(words []string, prefix string) []string {
	out := append([]string(nil), words...)
	last := out[len(out)-1]
	switch last {
	case kyHundred:
		last = "100"
	case kyThousand:
		last = "1000"
	}
	out[len(out)-1] = prefix + last
	return out
}

// ordinal says n (1–999) as an ordinal: "үчүнчү", "жыйырма бешинчи".
func (k kyrgyz) ordinal(n int) []string {
	if n < 1 || n > 999 {
		return digits(strconv.Itoa(n)) // no message, place or day is numbered so
	}
	return k.ending(k.number(n), "o")
}

// count: "бир жаңы билдирүү", "үч сакталган билдирүү".
func (k kyrgyz) count(n int, noun Noun) []string {
	if noun == SavedMessage {
		return append(k.number(n), kySaved)
	}
	return append(k.number(n), kyNew)
}

// mailbox: "Сизде үч жаңы билдирүү жана бир сакталган билдирүү бар.",
// "Сизде билдирүү жок."
func (k kyrgyz) mailbox(fresh, saved int) []string {
	out := []string{kyYouHave}
	if fresh == 0 && saved == 0 {
		return append(out, kyNoMessages)
	}
	if fresh > 0 {
		out = append(out, k.count(fresh, NewMessage)...)
	}
	if fresh > 0 && saved > 0 {
		out = append(out, kyAnd)
	}
	if saved > 0 {
		out = append(out, k.count(saved, SavedMessage)...)
	}
	return append(out, kyThereAre)
}

// messageIntro: "Экинчи билдирүү. Кечээ саат тогуз нөл беште 2 0 1
// номеринен келген." / "… белгисиз номерден келген."
func (k kyrgyz) messageIntro(n int, when []string, caller string) []string {
	out := append(k.ordinal(n), kyMessageN)
	out = append(out, when...)
	if caller == "" {
		return append(out, kyUnknownCaller)
	}
	return append(append(out, digits(caller)...), kyFrom)
}

// when: "бүгүн саат …", "кечээ саат …", "дүйшөмбүдө саат …", "үчүнчү
// ноябрда саат …", "эки миң жыйырма бешинчи жылы үчүнчү ноябрда саат …".
func (k kyrgyz) when(d day) []string {
	var out []string
	switch d.kind {
	case dayToday:
		out = append(out, kyToday)
	case dayYesterday:
		out = append(out, kyYesterday)
	case dayWeekday:
		out = append(out, weekdayName(d.t.Weekday()))
	default:
		if d.kind == dayDateYear {
			out = append(out, k.year(d.t.Year())...)
		}
		out = append(out, k.ordinal(d.t.Day())...)
		out = append(out, monthName(d.t.Month()))
	}
	return append(out, k.clock(d.t)...)
}

// year: "эки миң жыйырма бешинчи жылы", "эки миңинчи жылы"; years
// outside 1000–2999 digit by digit.
func (k kyrgyz) year(y int) []string {
	if y < 1000 || y > 2999 {
		return append(digits(strconv.Itoa(y)), kyYear)
	}
	out := []string{kyThousand}
	if y >= 2000 {
		out = []string{"2", kyThousand}
	}
	if r := y % 1000; r > 0 {
		out = append(out, k.number(r)...)
	}
	return append(k.ending(out, "o"), kyYear)
}

// clock: "саат тогузда" (9:00), "саат тогуз нөл беште" (9:05), "саат
// жыйырма бир отузда" (21:30), "түн ортосунда" (0:00), "чак түштө"
// (12:00).
func (k kyrgyz) clock(t time.Time) []string {
	h, m := t.Hour(), t.Minute()
	switch {
	case h == 0 && m == 0:
		return []string{kyMidnight}
	case h == 12 && m == 0:
		return []string{kyNoon}
	case m == 0:
		return append([]string{kyAt}, k.ending(k.number(h), "l")...)
	}
	out := append([]string{kyAt}, k.number(h)...)
	if m < 10 {
		out = append(out, "0")
	}
	return append(out, k.ending(k.number(m), "l")...)
}

// queuePosition: "Сиз кезекте үчүнчү орундасыз. Линиядан чыкпаңыз, …"
func (k kyrgyz) queuePosition(n int) []string {
	return append(append([]string{kyQueueNumber}, k.ordinal(n)...), kyQueueInLine)
}

// forwardedTo: "Бардык чалууларыңыз эми 2 0 2 номерине багытталат."
func (kyrgyz) forwardedTo(k ForwardKind, number string) []string {
	head := kyFwdAlwaysOn
	switch k {
	case ForwardBusy:
		head = kyFwdBusyOn
	case ForwardNoAnswer:
		head = kyFwdNoAnswerOn
	}
	return append(append([]string{head}, digits(number)...), kyFwdTo)
}

// parkedAt: "Чалууңуз 7 0 1 орунда кармалып турат."
func (kyrgyz) parkedAt(slot string) []string {
	return append(append([]string{kyParkedAt}, digits(slot)...), kyParkSlot)
}

// unavailable: "2 0 1 ички номериндеги абонент азыр жеткиликсиз."
func (kyrgyz) unavailable(ext string, busy bool) []string {
	if busy {
		return append(digits(ext), kyBusy)
	}
	return append(digits(ext), kyUnavailable)
}
