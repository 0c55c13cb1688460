package prompts

import (
	"strconv"
	"time"
)

// Italian (espeak-ng's it voice). A number's tens and units are said one
// after the other ("venti" "tre"), except where the tens drop their vowel
// before uno and otto ("ventuno", "ventotto"), which are recorded whole;
// one message is "un messaggio", more
// "messaggi", and the verb agrees with the first count ("c'è un nuovo
// messaggio", "ci sono tre nuovi messaggi"); dates take the article,
// with the first of the month an ordinal ("il primo novembre", "il tre
// novembre", "l'otto novembre"); times the 24-hour clock ("alle nove e
// cinque", "all'una", "a mezzanotte e dieci").
type italian struct{}

// The Italian prompts beyond the shared ones (language.go). Numbers are
// "0".."20", the tens "30".."90", the tens with uno and otto ("21",
// "28" … "98"), "100".."900" (cento … novecento), "1000" (mille), "2000"
// (duemila); "d1".."d31" the days of a month with their article (il
// primo, il due … l'otto … il trentuno); "h1".."h23" the hours with
// their preposition (all'una, alle due …). Weekdays ("monday") say
// "lunedì", months ("november") "novembre".
const (
	itThereIs     = "vm-there-is"  // C'è
	itThereAre    = "vm-there-are" // Ci sono
	itNewOne      = "vm-new-one"   // un nuovo messaggio
	itNew         = "vm-new"       // nuovi messaggi
	itSavedOne    = "vm-old-one"   // un messaggio salvato
	itSaved       = "vm-old"       // messaggi salvati
	itThousand    = "1000"         // mille
	itTwoThousand = "2000"         // duemila
)

func (italian) name() string { return "Italiano" }

// number: 23 is "20" "3" (venti tre), 21 "21" (ventuno), 101 "100" "1"
// (cento uno), 350 "300" "50".
func (italian) number(n int) []string {
	if n < 0 || n > 999 {
		return digits(strconv.Itoa(n))
	}
	var out []string
	if h := n / 100; h > 0 {
		out = append(out, strconv.Itoa(h*100))
	}
	switch r := n % 100; {
	case r == 0 && n > 0:
	case r <= 20 || r%10 == 0 || r%10 == 1 || r%10 == 8:
		out = append(out, strconv.Itoa(r))
	default:
		out = append(out, strconv.Itoa(r/10*10), strconv.Itoa(r%10))
	}
	return out
}

// count: "un nuovo messaggio", "tre nuovi messaggi", "un messaggio
// salvato", "ventuno messaggi salvati".
func (i italian) count(n int, noun Noun) []string {
	switch {
	case n == 1 && noun == SavedMessage:
		return []string{itSavedOne}
	case n == 1:
		return []string{itNewOne}
	case noun == SavedMessage:
		return append(i.number(n), itSaved)
	}
	return append(i.number(n), itNew)
}

// mailbox: "C'è un nuovo messaggio e due messaggi salvati.", "Ci sono tre
// nuovi messaggi.", "Non ci sono messaggi."
func (i italian) mailbox(fresh, saved int) []string {
	if fresh == 0 && saved == 0 {
		return words(partNoMessages) // Non ci sono messaggi.
	}
	first := fresh
	if fresh == 0 {
		first = saved
	}
	verb := itThereAre
	if first == 1 {
		verb = itThereIs
	}
	return cat(words(verb), bothCounts(i, fresh, saved, partAnd))
}

// messageIntro: "Messaggio numero due, ricevuto ieri alle nove e cinque,
// dal numero 2 0 1." / "… da un numero sconosciuto."
func (i italian) messageIntro(n int, when []string, caller string) []string {
	return cat(words(partMessageN), i.number(n), words(partReceived), when, fromCaller(caller))
}

// when: "oggi alle …", "ieri alle …", "lunedì alle …", "il tre novembre
// alle …", "il tre novembre duemila venticinque alle …".
func (i italian) when(d day) []string {
	date := words("d"+strconv.Itoa(d.t.Day()), monthName(d.t.Month()))
	if d.kind == dayDateYear {
		date = cat(date, i.year(d.t.Year()))
	}
	return cat(d.names(words(weekdayName(d.t.Weekday())), date), i.clock(d.t))
}

// year: "duemila venticinque", "mille novecento novantanove"; years
// outside 1000–2999 digit by digit.
func (i italian) year(y int) []string {
	if y < 1000 || y > 2999 {
		return digits(strconv.Itoa(y))
	}
	out := []string{itThousand}
	if y >= 2000 {
		out = []string{itTwoThousand}
	}
	if r := y % 1000; r > 0 {
		out = append(out, i.number(r)...)
	}
	return out
}

// clock: "alle nove" (9:00), "alle nove e cinque" (9:05), "all'una e
// venti" (1:20), "alle ventuno e trenta" (21:30), "a mezzanotte" (0:00),
// "a mezzanotte e dieci" (0:10), "a mezzogiorno" (12:00), "alle dodici e
// quindici" (12:15): the minutes are numbers, as a digital clock is
// read (not "e un quarto", "e mezza").
func (i italian) clock(t time.Time) []string {
	h, m := t.Hour(), t.Minute()
	if w := noonOrMidnight(h, m); w != nil {
		return w // a mezzanotte, a mezzogiorno
	}
	hour := "h" + strconv.Itoa(h)
	if h == 0 {
		hour = partMidnight // a mezzanotte
	}
	if m == 0 {
		return words(hour)
	}
	return cat(words(hour, partAnd), i.number(m))
}

// queuePosition: "La sua posizione in coda è: tre. La preghiamo di
// restare in linea; …"
func (i italian) queuePosition(n int) []string {
	return cat(words(partQueueNumber), i.number(n), words(partQueueInLine))
}

// forwardedTo: "Tutte le sue chiamate vengono ora inoltrate al numero 2
// 0 2".
func (italian) forwardedTo(k ForwardKind, number string) []string {
	return numberAfter(forwardHead(k), number)
}

// parkedAt: "La chiamata è parcheggiata alla posizione 7 0 1".
func (italian) parkedAt(slot string) []string { return numberAfter(partParkedAt, slot) }

// unavailable: "L'interno 2 0 1 non è disponibile."
func (italian) unavailable(ext string, busy bool) []string {
	return append(numberAfter(partExtension, ext), unavailablePart(busy))
}
