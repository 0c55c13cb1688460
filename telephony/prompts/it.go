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

// The Italian prompts beyond the ones every language has. Numbers are
// "0".."20", the tens "30".."90", the tens with uno and otto ("21",
// "28" … "98"), "100".."900" (cento … novecento), "1000" (mille), "2000"
// (duemila); "d1".."d31" the days of a month with their article (il
// primo, il due … l'otto … il trentuno); "h1".."h23" the hours with
// their preposition (all'una, alle due …). Weekdays ("monday") say
// "lunedì", months ("november") "novembre".
const (
	itThereIs       = "vm-there-is"       // C'è
	itThereAre      = "vm-there-are"      // Ci sono
	itNoMessages    = "vm-no-messages"    // Non ci sono messaggi.
	itAnd           = "vm-and"            // e
	itNewOne        = "vm-new-one"        // un nuovo messaggio
	itNew           = "vm-new"            // nuovi messaggi
	itSavedOne      = "vm-old-one"        // un messaggio salvato
	itSaved         = "vm-old"            // messaggi salvati
	itMessageN      = "vm-message-n"      // Messaggio numero
	itReceived      = "vm-received"       // ricevuto
	itFrom          = "vm-from"           // dal numero
	itUnknownCaller = "vm-unknown-caller" // da un numero sconosciuto.
	itToday         = "today"             // oggi
	itYesterday     = "yesterday"         // ieri
	itMidnight      = "midnight"          // a mezzanotte
	itNoon          = "noon"              // a mezzogiorno
	itThousand      = "1000"              // mille
	itTwoThousand   = "2000"              // duemila
	itQueueNumber   = "queue-caller-number"
	itQueueInLine   = "queue-in-line"
	itFwdAlwaysOn   = "fwd-always-on"
	itFwdBusyOn     = "fwd-busy-on"
	itFwdNoAnswerOn = "fwd-noanswer-on"
	itParkedAt      = "parked-at"
	itExtension     = "vm-extension"   // L'interno
	itUnavailable   = "vm-unavailable" // non è disponibile.
	itBusy          = "vm-busy"        // è impegnato in un'altra conversazione.
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
		return []string{itNoMessages}
	}
	first := fresh
	if fresh == 0 {
		first = saved
	}
	out := []string{itThereAre}
	if first == 1 {
		out = []string{itThereIs}
	}
	if fresh > 0 {
		out = append(out, i.count(fresh, NewMessage)...)
	}
	if fresh > 0 && saved > 0 {
		out = append(out, itAnd)
	}
	if saved > 0 {
		out = append(out, i.count(saved, SavedMessage)...)
	}
	return out
}

// messageIntro: "Messaggio numero due, ricevuto ieri alle nove e cinque,
// dal numero 2 0 1." / "… da un numero sconosciuto."
func (i italian) messageIntro(n int, when []string, caller string) []string {
	out := append([]string{itMessageN}, i.number(n)...)
	out = append(out, itReceived)
	out = append(out, when...)
	if caller == "" {
		return append(out, itUnknownCaller)
	}
	return append(append(out, itFrom), digits(caller)...)
}

// when: "oggi alle …", "ieri alle …", "lunedì alle …", "il tre novembre
// alle …", "il tre novembre duemila venticinque alle …".
func (i italian) when(d day) []string {
	var out []string
	switch d.kind {
	case dayToday:
		out = append(out, itToday)
	case dayYesterday:
		out = append(out, itYesterday)
	case dayWeekday:
		out = append(out, weekdayName(d.t.Weekday()))
	default:
		out = append(out, "d"+strconv.Itoa(d.t.Day()), monthName(d.t.Month()))
		if d.kind == dayDateYear {
			out = append(out, i.year(d.t.Year())...)
		}
	}
	return append(out, i.clock(d.t)...)
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
	switch {
	case h == 0 && m == 0:
		return []string{itMidnight}
	case h == 12 && m == 0:
		return []string{itNoon}
	}
	hour := "h" + strconv.Itoa(h)
	if h == 0 {
		hour = itMidnight
	}
	if m == 0 {
		return []string{hour}
	}
	return append([]string{hour, itAnd}, i.number(m)...)
}

// queuePosition: "La sua posizione in coda è: tre. La preghiamo di
// restare in linea; …"
func (i italian) queuePosition(n int) []string {
	return append(append([]string{itQueueNumber}, i.number(n)...), itQueueInLine)
}

func (italian) forwardedTo(k ForwardKind, number string) []string {
	head := itFwdAlwaysOn
	switch k {
	case ForwardBusy:
		head = itFwdBusyOn
	case ForwardNoAnswer:
		head = itFwdNoAnswerOn
	}
	return append([]string{head}, digits(number)...)
}

func (italian) parkedAt(slot string) []string {
	return append([]string{itParkedAt}, digits(slot)...)
}

// unavailable: "L'interno 2 0 1 non è disponibile."
func (italian) unavailable(ext string, busy bool) []string {
	out := append([]string{itExtension}, digits(ext)...)
	if busy {
		return append(out, itBusy)
	}
	return append(out, itUnavailable)
}
