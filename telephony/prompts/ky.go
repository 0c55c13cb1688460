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

// The Kyrgyz prompts beyond the shared ones (language.go). Numbers are
// "0".."10", "20".."90", "hundred" (жүз), "thousand" (миң): 11 is "10"
// "1" (он бир). "o1".."o10", "o20".."o90", "o100", "o1000" are ordinals
// (биринчи … жүзүнчү, миңинчи), "l1".."l10", "l20".."l50" numbers in the
// locative (бирде … элүүдө). Weekdays ("monday") say "дүйшөмбүдө",
// months ("november") "ноябрда". The shared "vm-message-n" follows the
// ordinal ("билдирүү."), "vm-from" the number ("номеринен келген.").
const (
	kyHundred  = "hundred"
	kyThousand = "thousand"
	kyNew      = "vm-new"       // жаңы билдирүү
	kySaved    = "vm-old"       // сакталган билдирүү
	kyThereAre = "vm-there-are" // бар.
	kyYear     = "year"         // жылы
	kyAt       = "at"           // саат
	kyFwdTo    = "fwd-to"       // номерине багытталат.
	kyParkSlot = "park-slot"    // орунда кармалып турат.
)

func (kyrgyz) name() string { return "Кыргызча" }

// number: 11 is "10" "1" (он бир), 100 "hundred" (жүз), 205 "2"
// "hundred" "5".
func (kyrgyz) number(n int) []string { return spell(n, kyHundred, true, 10) }

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
	if fresh == 0 && saved == 0 {
		return words(partYouHave, partNoMessages)
	}
	return cat(words(partYouHave), bothCounts(k, fresh, saved, partAnd), words(kyThereAre))
}

// messageIntro: "Экинчи билдирүү. Кечээ саат тогуз нөл беште 2 0 1
// номеринен келген." / "… белгисиз номерден келген."
func (k kyrgyz) messageIntro(n int, when []string, caller string) []string {
	return cat(k.ordinal(n), words(partMessageN), when, callerFrom(caller))
}

// when: "бүгүн саат …", "кечээ саат …", "дүйшөмбүдө саат …", "үчүнчү
// ноябрда саат …", "эки миң жыйырма бешинчи жылы үчүнчү ноябрда саат …".
func (k kyrgyz) when(d day) []string {
	date := append(k.ordinal(d.t.Day()), monthName(d.t.Month()))
	if d.kind == dayDateYear {
		date = cat(k.year(d.t.Year()), date)
	}
	return cat(d.names(words(weekdayName(d.t.Weekday())), date), k.clock(d.t))
}

// year: "эки миң жыйырма бешинчи жылы", "эки миңинчи жылы"; years
// outside 1000–2999 digit by digit.
func (k kyrgyz) year(y int) []string {
	if y < 1000 || y > 2999 {
		return append(digits(strconv.Itoa(y)), kyYear)
	}
	return append(k.ending(thousands(y, kyThousand, k.number), "o"), kyYear)
}

// clock: "саат тогузда" (9:00), "саат тогуз нөл беште" (9:05), "саат
// жыйырма бир отузда" (21:30), "түн ортосунда" (0:00), "чак түштө"
// (12:00).
func (k kyrgyz) clock(t time.Time) []string {
	h, m := t.Hour(), t.Minute()
	if w := noonOrMidnight(h, m); w != nil {
		return w
	}
	switch {
	case m == 0:
		return cat(words(kyAt), k.ending(k.number(h), "l"))
	case m < 10:
		return cat(words(kyAt), k.number(h), words("0"), k.ending(k.number(m), "l"))
	}
	return cat(words(kyAt), k.number(h), k.ending(k.number(m), "l"))
}

// queuePosition: "Сиз кезекте үчүнчү орундасыз. Линиядан чыкпаңыз, …"
func (k kyrgyz) queuePosition(n int) []string {
	return cat(words(partQueueNumber), k.ordinal(n), words(partQueueInLine))
}

// forwardedTo: "Бардык чалууларыңыз эми 2 0 2 номерине багытталат."
func (kyrgyz) forwardedTo(k ForwardKind, number string) []string {
	return append(numberAfter(forwardHead(k), number), kyFwdTo)
}

// parkedAt: "Чалууңуз 7 0 1 орунда кармалып турат."
func (kyrgyz) parkedAt(slot string) []string {
	return append(numberAfter(partParkedAt, slot), kyParkSlot)
}

// unavailable: "2 0 1 ички номериндеги абонент азыр жеткиликсиз."
func (kyrgyz) unavailable(ext string, busy bool) []string {
	return append(digits(ext), unavailablePart(busy))
}
