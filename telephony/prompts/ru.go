package prompts

import (
	"strconv"
	"time"
)

// Russian (espeak-ng's ru voice) counts with agreement: the number takes
// the gender of the noun it counts (один час, одна минута, одно
// сообщение; два/две), and the noun the form its last digits ask for
// (1, 21, 101: сообщение; 2–4, 22: сообщения; 0, 5–20, 25, 111:
// сообщений). Dates are ordinals in the genitive ("третьего ноября"),
// times the 24-hour clock read as digital clocks are ("в девять ноль
// пять", "в двадцать один тридцать").
type russian struct{}

// gender is a Russian noun's gender, which the numbers 1 and 2 agree
// with.
type gender int

const (
	masculine gender = iota
	feminine
	neuter
)

// The Russian prompts beyond the shared ones (language.go). Numbers are
// "0".."19", "20".."90", "100".."900" in the masculine; "1f" "одна", "2f"
// "две", "1n" "одно". Ordinals in the genitive (of a day of the month, of
// a year) are "o1".."o19", "o20".."o90" ("первого" … "девяностого").
// Weekdays ("monday") say "в понедельник", months ("november") "ноября",
// the hours "h0".."h23" "в ноль", "в час", "в два" … "в двадцать три".
const (
	ruOhOh        = "00"    // ноль-ноль (the minutes of 9:00)
	ruThousand    = "1000"  // тысяча
	ruTwoThousand = "2000"  // две тысячи
	ruYear2000    = "o2000" // двухтысячного
	ruYear        = "year"  // года
)

// ruNoun is the gender of a counted noun and the names of its forms
// (with its adjective) for one, a few and many: "vm-new-one" says "новое
// сообщение", "vm-new-few" "новых сообщения", "vm-new-many" "новых
// сообщений". Each form has a twin ending in "и" (and), "vm-new-one-and"
// "новое сообщение и": a lone "и" is too short a sound to be its own
// prompt.
func ruNoun(noun Noun) (gender, [3]string) {
	if noun == SavedMessage {
		return neuter, [3]string{"vm-old-one", "vm-old-few", "vm-old-many"} // сохранённое сообщение …
	}
	return neuter, [3]string{"vm-new-one", "vm-new-few", "vm-new-many"}
}

func (russian) name() string { return "Русский" }

func (r russian) number(n int) []string { return r.cardinal(n, masculine) }

// cardinal says n (0–999) agreeing with a noun of gender g; other
// numbers digit by digit.
func (russian) cardinal(n int, g gender) []string {
	if n < 0 || n > 999 {
		return digits(strconv.Itoa(n))
	}
	if n == 0 {
		return []string{"0"}
	}
	var out []string
	if h := n / 100; h > 0 {
		out = append(out, strconv.Itoa(h*100))
	}
	r := n % 100
	if r >= 20 {
		out = append(out, strconv.Itoa(r/10*10))
		r %= 10
	}
	switch {
	case r == 0:
	case r == 1 && g == feminine:
		out = append(out, "1f")
	case r == 1 && g == neuter:
		out = append(out, "1n")
	case r == 2 && g == feminine:
		out = append(out, "2f")
	default:
		out = append(out, strconv.Itoa(r))
	}
	return out
}

// ruForm is the form of a noun counted n times: 0 for one (1, 21, 101),
// 1 for a few (2–4, 22–24), 2 for many (0, 5–20, 25–30, 111–114).
func ruForm(n int) int {
	switch n10, n100 := n%10, n%100; {
	case n100 >= 11 && n100 <= 14:
		return 2
	case n10 == 1:
		return 0
	case n10 >= 2 && n10 <= 4:
		return 1
	}
	return 2
}

// count: "одно новое сообщение", "двадцать два новых сообщения",
// "сто одиннадцать сохранённых сообщений".
func (r russian) count(n int, noun Noun) []string {
	g, forms := ruNoun(noun)
	return append(r.cardinal(n, g), forms[ruForm(n)])
}

// mailbox: "У вас три новых сообщения и одно сохранённое сообщение.",
// "У вас нет сообщений."
func (r russian) mailbox(fresh, saved int) []string {
	out := []string{partYouHave}
	if fresh == 0 && saved == 0 {
		return append(out, partNoMessages)
	}
	if fresh > 0 {
		out = append(out, r.count(fresh, NewMessage)...)
	}
	if fresh > 0 && saved > 0 {
		out[len(out)-1] += "-and"
	}
	if saved > 0 {
		out = append(out, r.count(saved, SavedMessage)...)
	}
	return out
}

// messageIntro: "Сообщение номер два, получено вчера в девять ноль пять,
// с номера 2 0 1." / "… от неизвестного абонента."
func (r russian) messageIntro(n int, when []string, caller string) []string {
	return cat(words(partMessageN), r.number(n), words(partReceived), when, fromCaller(caller))
}

// when: "сегодня в …", "вчера в …", "в понедельник в …", "третьего
// ноября в …", "третьего ноября две тысячи двадцать пятого года в …".
func (r russian) when(d day) []string {
	date := cat(r.ordinal(d.t.Day()), words(monthName(d.t.Month())))
	if d.kind == dayDateYear {
		date = cat(date, r.year(d.t.Year()))
	}
	return cat(d.names(words(weekdayName(d.t.Weekday())), date), r.clock(d.t))
}

// ordinal says n (1–99) as an ordinal in the genitive: only the last
// word is one ("двадцать первого").
func (russian) ordinal(n int) []string {
	if n >= 20 && n%10 != 0 {
		return []string{strconv.Itoa(n / 10 * 10), "o" + strconv.Itoa(n%10)}
	}
	return []string{"o" + strconv.Itoa(n)}
}

// year says y in the genitive a date needs: "две тысячи двадцать пятого
// года", "тысяча девятьсот девяносто девятого года",
// "двухтысячного года". Years outside 1001–2999 and other round
// hundreds (which no message of a running box has) are said digit by
// digit.
func (r russian) year(y int) []string {
	switch {
	case y == 2000:
		return []string{ruYear2000, ruYear}
	case y < 1001 || y > 2999 || y%100 == 0:
		return append(digits(strconv.Itoa(y)), ruYear)
	}
	out := []string{ruThousand}
	if y >= 2000 {
		out = []string{ruTwoThousand}
	}
	if h := y / 100 % 10; h > 0 {
		out = append(out, strconv.Itoa(h*100))
	}
	out = append(out, r.ordinal(y%100)...)
	return append(out, ruYear)
}

// clock says the time as a digital clock is read: "в девять ноль пять",
// "в девять ноль-ноль", "в двадцать один тридцать", "в час двадцать
// одна" (the minutes agree with минута, which goes unsaid), "в
// полночь", "в полдень".
func (r russian) clock(t time.Time) []string {
	h, m := t.Hour(), t.Minute()
	if w := noonOrMidnight(h, m); w != nil {
		return w // в полночь, в полдень
	}
	out := []string{"h" + strconv.Itoa(h)}
	switch {
	case m == 0:
		return append(out, ruOhOh)
	case m < 10:
		out = append(out, "0")
	}
	return append(out, r.cardinal(m, feminine)...)
}

// queuePosition: "Ваш номер в очереди: три. Пожалуйста, оставайтесь на
// линии; …"
func (r russian) queuePosition(n int) []string {
	return cat(words(partQueueNumber), r.number(n), words(partQueueInLine))
}

// forwardedTo: "Теперь все ваши вызовы переадресуются на номер 2 0 2".
func (russian) forwardedTo(k ForwardKind, number string) []string {
	return numberAfter(forwardHead(k), number)
}

// parkedAt: "Вызов припаркован на месте номер 7 0 1".
func (russian) parkedAt(slot string) []string { return numberAfter(partParkedAt, slot) }

// unavailable: "Абонент добавочного номера 2 0 1 сейчас недоступен."
func (russian) unavailable(ext string, busy bool) []string {
	return append(numberAfter(partExtension, ext), unavailablePart(busy))
}
