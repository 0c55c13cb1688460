package prompts

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// say is names as the words they speak in l, one after the other: what
// a listener hears, so a grammar table reads as the language.
func say(t *testing.T, l Language, names []string) string {
	t.Helper()
	texts := l.texts()
	var out []string
	for _, n := range names {
		w, ok := texts[n]
		if !ok {
			t.Fatalf("%s: no prompt %q (in %q)", l, n, names)
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// TestCountAgreement: the number and the noun agree, n = 0, 1, 2, 5, 11,
// 21, 22, 25, 101, 111 … in every language.
func TestCountAgreement(t *testing.T) {
	for _, c := range []struct {
		l     Language
		n     int
		noun  Noun
		wants string
	}{
		{English, 0, NewMessage, "zero new messages"},
		{English, 1, NewMessage, "one new message"},
		{English, 21, SavedMessage, "twenty one saved messages"},

		{Russian, 0, NewMessage, "ноль новых сообщений"},
		{Russian, 1, NewMessage, "одно новое сообщение"},
		{Russian, 2, NewMessage, "два новых сообщения"},
		{Russian, 4, NewMessage, "четыре новых сообщения"},
		{Russian, 5, NewMessage, "пять новых сообщений"},
		{Russian, 11, NewMessage, "одиннадцать новых сообщений"},
		{Russian, 12, NewMessage, "двенадцать новых сообщений"},
		{Russian, 14, NewMessage, "четырнадцать новых сообщений"},
		{Russian, 20, NewMessage, "двадцать новых сообщений"},
		{Russian, 21, NewMessage, "двадцать одно новое сообщение"},
		{Russian, 22, NewMessage, "двадцать два новых сообщения"},
		{Russian, 25, NewMessage, "двадцать пять новых сообщений"},
		{Russian, 100, NewMessage, "сто новых сообщений"},
		{Russian, 101, NewMessage, "сто одно новое сообщение"},
		{Russian, 111, NewMessage, "сто одиннадцать новых сообщений"},
		{Russian, 112, SavedMessage, "сто двенадцать сохранённых сообщений"},
		{Russian, 121, SavedMessage, "сто двадцать одно сохранённое сообщение"},
		{Russian, 1, SavedMessage, "одно сохранённое сообщение"},
		{Russian, 3, SavedMessage, "три сохранённых сообщения"},
		{Russian, 342, SavedMessage, "триста сорок два сохранённых сообщения"},
		{Russian, 500, SavedMessage, "пятьсот сохранённых сообщений"},

		{Armenian, 0, NewMessage, "զրո նոր հաղորդագրություն"},
		{Armenian, 1, NewMessage, "մեկ նոր հաղորդագրություն"},
		{Armenian, 2, NewMessage, "երկու նոր հաղորդագրություն"},
		{Armenian, 21, NewMessage, "քսան մեկ նոր հաղորդագրություն"},
		{Armenian, 100, SavedMessage, "հարյուր պահպանված հաղորդագրություն"},
		{Armenian, 111, SavedMessage, "հարյուր տասնմեկ պահպանված հաղորդագրություն"},
		{Armenian, 205, SavedMessage, "երկու հարյուր հինգ պահպանված հաղորդագրություն"},

		{Kyrgyz, 0, NewMessage, "нөл жаңы билдирүү"},
		{Kyrgyz, 1, NewMessage, "бир жаңы билдирүү"},
		{Kyrgyz, 2, NewMessage, "эки жаңы билдирүү"},
		{Kyrgyz, 5, NewMessage, "беш жаңы билдирүү"},
		{Kyrgyz, 11, NewMessage, "он бир жаңы билдирүү"},
		{Kyrgyz, 21, NewMessage, "жыйырма бир жаңы билдирүү"},
		{Kyrgyz, 25, SavedMessage, "жыйырма беш сакталган билдирүү"},
		{Kyrgyz, 101, SavedMessage, "жүз бир сакталган билдирүү"},
		{Kyrgyz, 111, SavedMessage, "жүз он бир сакталган билдирүү"},
		{Kyrgyz, 300, SavedMessage, "үч жүз сакталган билдирүү"},

		{Italian, 0, NewMessage, "zero nuovi messaggi"},
		{Italian, 1, NewMessage, "un nuovo messaggio"},
		{Italian, 2, NewMessage, "due nuovi messaggi"},
		{Italian, 21, NewMessage, "ventuno nuovi messaggi"},
		{Italian, 23, NewMessage, "venti tre nuovi messaggi"},
		{Italian, 28, NewMessage, "ventotto nuovi messaggi"},
		{Italian, 1, SavedMessage, "un messaggio salvato"},
		{Italian, 3, SavedMessage, "tre messaggi salvati"},
		{Italian, 101, SavedMessage, "cento uno messaggi salvati"},
		{Italian, 111, SavedMessage, "cento undici messaggi salvati"},
	} {
		if got := say(t, c.l, c.l.Count(c.n, c.noun)); got != c.wants {
			t.Errorf("%s.Count(%d, %d) says %q, want %q", c.l, c.n, c.noun, got, c.wants)
		}
	}
}

// TestRussianGender: один/одна/одно, два/две by the gender of what is
// counted, on every number that ends in them.
func TestRussianGender(t *testing.T) {
	r := russian{}
	for _, c := range []struct {
		n                int
		masc, fem, neutr string
	}{
		{1, "один", "одна", "одно"},
		{2, "два", "две", "два"},
		{3, "три", "три", "три"},
		{11, "одиннадцать", "одиннадцать", "одиннадцать"},
		{12, "двенадцать", "двенадцать", "двенадцать"},
		{21, "двадцать один", "двадцать одна", "двадцать одно"},
		{22, "двадцать два", "двадцать две", "двадцать два"},
		{101, "сто один", "сто одна", "сто одно"},
		{202, "двести два", "двести две", "двести два"},
		{999, "девятьсот девяносто девять", "девятьсот девяносто девять", "девятьсот девяносто девять"},
	} {
		for g, want := range []string{c.masc, c.fem, c.neutr} {
			if got := say(t, Russian, r.cardinal(c.n, gender(g))); got != want {
				t.Errorf("cardinal(%d, %d) says %q, want %q", c.n, g, got, want)
			}
		}
	}
	for n, want := range map[int]int{0: 2, 1: 0, 2: 1, 4: 1, 5: 2, 11: 2, 12: 2, 14: 2, 15: 2, 21: 0, 22: 1, 25: 2,
		101: 0, 104: 1, 111: 2, 112: 2, 121: 0, 1001: 0, 1011: 2} {
		if got := ruForm(n); got != want {
			t.Errorf("ruForm(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestMailboxCounts(t *testing.T) {
	for _, c := range []struct {
		l            Language
		fresh, saved int
		wants        string
	}{
		{Russian, 0, 0, "У вас нет сообщений."},
		{Russian, 1, 0, "У вас одно новое сообщение"},
		{Russian, 3, 1, "У вас три новых сообщения и одно сохранённое сообщение"},
		{Russian, 21, 5, "У вас двадцать одно новое сообщение и пять сохранённых сообщений"},
		{Russian, 25, 2, "У вас двадцать пять новых сообщений и два сохранённых сообщения"},
		{Russian, 0, 2, "У вас два сохранённых сообщения"},
		{Armenian, 0, 0, "Դուք հաղորդագրություններ չունեք։"},
		{Armenian, 3, 1, "Դուք ունեք երեք նոր հաղորդագրություն և մեկ պահպանված հաղորդագրություն"},
		{Armenian, 0, 2, "Դուք ունեք երկու պահպանված հաղորդագրություն"},
		{Kyrgyz, 0, 0, "Сизде билдирүү жок."},
		{Kyrgyz, 3, 1, "Сизде үч жаңы билдирүү жана бир сакталган билдирүү бар."},
		{Kyrgyz, 1, 0, "Сизде бир жаңы билдирүү бар."},
		{Italian, 0, 0, "Non ci sono messaggi."},
		{Italian, 1, 0, "C'è un nuovo messaggio"},
		{Italian, 1, 2, "C'è un nuovo messaggio e due messaggi salvati"},
		{Italian, 3, 1, "Ci sono tre nuovi messaggi e un messaggio salvato"},
		{Italian, 0, 1, "C'è un messaggio salvato"},
		{Italian, 0, 21, "Ci sono ventuno messaggi salvati"},
	} {
		if got := say(t, c.l, c.l.MailboxCounts(c.fresh, c.saved)); got != c.wants {
			t.Errorf("%s.MailboxCounts(%d, %d) says %q, want %q", c.l, c.fresh, c.saved, got, c.wants)
		}
	}
}

// TestWhenInEveryLanguage: dates and times as each language says them
// (the box in Moscow, heard on Sunday 22 November 2026 at 15:30).
func TestWhenInEveryLanguage(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, msk) }
	now := at(2026, 11, 22, 15, 30)
	for _, c := range []struct {
		l     Language
		t     time.Time
		wants string
	}{
		{Russian, at(2026, 11, 22, 9, 5), "сегодня в девять ноль пять"},
		{Russian, at(2026, 11, 21, 9, 0), "вчера в девять ноль-ноль"},
		{Russian, at(2026, 11, 21, 21, 30), "вчера в двадцать один тридцать"},
		{Russian, at(2026, 11, 22, 1, 21), "сегодня в час двадцать одна"},
		{Russian, at(2026, 11, 22, 13, 2), "сегодня в тринадцать ноль две"},
		{Russian, at(2026, 11, 22, 0, 0), "сегодня в полночь"},
		{Russian, at(2026, 11, 22, 0, 15), "сегодня в ноль пятнадцать"},
		{Russian, at(2026, 11, 22, 12, 0), "сегодня в полдень"},
		{Russian, at(2026, 11, 22, 12, 45), "сегодня в двенадцать сорок пять"},
		{Russian, at(2026, 11, 17, 10, 1), "во вторник в десять ноль одна"},
		{Russian, at(2026, 11, 3, 8, 20), "третьего ноября в восемь двадцать"},
		{Russian, at(2026, 10, 21, 8, 22), "двадцать первого октября в восемь двадцать две"},
		{Russian, at(2026, 10, 31, 23, 59), "тридцать первого октября в двадцать три пятьдесят девять"},
		{Russian, at(2025, 11, 3, 9, 5), "третьего ноября две тысячи двадцать пятого года в девять ноль пять"},
		{Russian, at(2020, 1, 1, 9, 5), "первого января две тысячи двадцатого года в девять ноль пять"},
		{Russian, at(2000, 2, 29, 9, 5), "двадцать девятого февраля двухтысячного года в девять ноль пять"},
		{Russian, at(1999, 12, 31, 9, 5), "тридцать первого декабря тысяча девятьсот девяносто девятого года в девять ноль пять"},

		{Armenian, at(2026, 11, 22, 9, 5), "այսօր ժամը ինն անց հինգ րոպեին"},
		{Armenian, at(2026, 11, 21, 9, 0), "երեկ ժամը իննին"},
		{Armenian, at(2026, 11, 21, 21, 30), "երեկ ժամը քսանմեկն անց երեսուն րոպեին"},
		{Armenian, at(2026, 11, 22, 0, 0), "այսօր կեսգիշերին"},
		{Armenian, at(2026, 11, 22, 12, 0), "այսօր կեսօրին"},
		{Armenian, at(2026, 11, 17, 10, 1), "երեքշաբթի ժամը տասն անց մեկ րոպեին"},
		{Armenian, at(2026, 11, 3, 8, 20), "նոյեմբերի երեքին ժամը ութն անց քսան րոպեին"},
		{Armenian, at(2025, 11, 3, 13, 0), "երկու հազար քսան հինգ թվականի նոյեմբերի երեքին ժամը տասներեքին"},

		{Kyrgyz, at(2026, 11, 22, 9, 5), "бүгүн саат тогуз нөл беште"},
		{Kyrgyz, at(2026, 11, 21, 9, 0), "кечээ саат тогузда"},
		{Kyrgyz, at(2026, 11, 21, 21, 30), "кечээ саат жыйырма бир отузда"},
		{Kyrgyz, at(2026, 11, 21, 10, 0), "кечээ саат ондо"},
		{Kyrgyz, at(2026, 11, 21, 20, 0), "кечээ саат жыйырмада"},
		{Kyrgyz, at(2026, 11, 21, 14, 43), "кечээ саат он төрт кырк үчтө"},
		{Kyrgyz, at(2026, 11, 22, 0, 0), "бүгүн түн ортосунда"},
		{Kyrgyz, at(2026, 11, 22, 12, 0), "бүгүн чак түштө"},
		{Kyrgyz, at(2026, 11, 17, 10, 1), "шейшембиде саат он нөл бирде"},
		{Kyrgyz, at(2026, 11, 3, 8, 20), "үчүнчү ноябрда саат сегиз жыйырмада"},
		{Kyrgyz, at(2026, 10, 26, 8, 40), "жыйырма алтынчы октябрда саат сегиз кыркта"},
		{Kyrgyz, at(2025, 11, 3, 9, 5), "эки миң жыйырма бешинчи жылы үчүнчү ноябрда саат тогуз нөл беште"},
		{Kyrgyz, at(2000, 11, 3, 9, 5), "эки миңинчи жылы үчүнчү ноябрда саат тогуз нөл беште"},

		{Italian, at(2026, 11, 22, 9, 5), "oggi alle nove e cinque"},
		{Italian, at(2026, 11, 21, 9, 0), "ieri alle nove"},
		{Italian, at(2026, 11, 21, 21, 30), "ieri alle ventuno e trenta"},
		{Italian, at(2026, 11, 22, 1, 0), "oggi all'una"},
		{Italian, at(2026, 11, 22, 1, 20), "oggi all'una e venti"},
		{Italian, at(2026, 11, 22, 0, 0), "oggi a mezzanotte"},
		{Italian, at(2026, 11, 22, 0, 10), "oggi a mezzanotte e dieci"},
		{Italian, at(2026, 11, 22, 12, 0), "oggi a mezzogiorno"},
		{Italian, at(2026, 11, 22, 12, 15), "oggi alle dodici e quindici"},
		{Italian, at(2026, 11, 17, 10, 1), "martedì alle dieci e uno"},
		{Italian, at(2026, 11, 3, 8, 20), "il tre novembre alle otto e venti"},
		{Italian, at(2026, 11, 1, 8, 20), "il primo novembre alle otto e venti"},
		{Italian, at(2026, 11, 8, 8, 20), "l'otto novembre alle otto e venti"},
		{Italian, at(2026, 11, 11, 8, 20), "l'undici novembre alle otto e venti"},
		{Italian, at(2025, 11, 3, 9, 5), "il tre novembre duemila venti cinque alle nove e cinque"},
		{Italian, at(1999, 11, 3, 9, 5), "il tre novembre mille novecento novanta nove alle nove e cinque"},
	} {
		if got := say(t, c.l, c.l.When(c.t, now)); got != c.wants {
			t.Errorf("%s.When(%s) says %q, want %q", c.l, c.t.Format("2006-01-02 15:04"), got, c.wants)
		}
	}
}

// TestSentences: the rest of what the exchange asks for, in word order.
func TestSentences(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 15, 30, 0, 0, msk)
	yesterday := time.Date(2026, 11, 21, 9, 5, 0, 0, msk)
	for _, c := range []struct {
		l     Language
		names []string
		wants string
	}{
		{Russian, Russian.MessageIntro(2, yesterday, now, "201"), "Сообщение номер два получено вчера в девять ноль пять с номера два ноль один"},
		{Russian, Russian.MessageIntro(1, yesterday, now, ""), "Сообщение номер один получено вчера в девять ноль пять от неизвестного абонента."},
		{Russian, Russian.QueuePosition(3), "Ваш номер в очереди: три Пожалуйста, оставайтесь на линии, вам ответит первый освободившийся оператор."},
		{Russian, Russian.QueuePosition(21), "Ваш номер в очереди: двадцать один Пожалуйста, оставайтесь на линии, вам ответит первый освободившийся оператор."},
		{Russian, Russian.ForwardedTo(ForwardBusy, "202"), "Когда вы заняты, ваши вызовы переадресуются на номер два ноль два"},
		{Russian, Russian.ParkedAt("701"), "Вызов припаркован на месте номер семь ноль один"},
		{Russian, Russian.Unavailable("201", false), "Абонент добавочного номера два ноль один сейчас недоступен."},

		{Armenian, Armenian.MessageIntro(2, yesterday, now, "201"), "Հաղորդագրություն երկու ստացվել է երեկ ժամը ինն անց հինգ րոպեին երկու զրո մեկ համարից։"},
		{Armenian, Armenian.MessageIntro(2, yesterday, now, ""), "Հաղորդագրություն երկու ստացվել է երեկ ժամը ինն անց հինգ րոպեին անհայտ համարից։"},
		{Armenian, Armenian.ForwardedTo(ForwardAlways, "202"), "Ձեր բոլոր զանգերն այժմ կվերահասցեավորվեն երկու զրո երկու համարին։"},
		{Armenian, Armenian.ParkedAt("701"), "Ձեր զանգը պահվում է յոթ զրո մեկ համարով։"},
		{Armenian, Armenian.Unavailable("201", true), "երկու զրո մեկ ներքին համարի բաժանորդը զբաղված է։"},

		{Kyrgyz, Kyrgyz.MessageIntro(2, yesterday, now, "201"), "экинчи билдирүү. кечээ саат тогуз нөл беште эки нөл бир номеринен келген."},
		{Kyrgyz, Kyrgyz.MessageIntro(101, yesterday, now, ""), "жүз биринчи билдирүү. кечээ саат тогуз нөл беште белгисиз номерден келген."},
		{Kyrgyz, Kyrgyz.MessageIntro(10, yesterday, now, ""), "онунчу билдирүү. кечээ саат тогуз нөл беште белгисиз номерден келген."},
		{Kyrgyz, Kyrgyz.QueuePosition(3), "Сиз кезекте үчүнчү орундасыз. Линиядан чыкпаңыз, сизге биринчи бошогон кызматкер жооп берет."},
		{Kyrgyz, Kyrgyz.QueuePosition(40), "Сиз кезекте кыркынчы орундасыз. Линиядан чыкпаңыз, сизге биринчи бошогон кызматкер жооп берет."},
		{Kyrgyz, Kyrgyz.ForwardedTo(ForwardNoAnswer, "202"), "Жооп бербеген кезиңизде чалууларыңыз эки нөл эки номерине багытталат."},
		{Kyrgyz, Kyrgyz.ParkedAt("701"), "Чалууңуз жети нөл бир орунда кармалып турат."},
		{Kyrgyz, Kyrgyz.Unavailable("201", false), "эки нөл бир ички номериндеги абонент азыр жеткиликсиз."},

		{Italian, Italian.MessageIntro(2, yesterday, now, "201"), "Messaggio numero due ricevuto ieri alle nove e cinque dal numero due zero uno"},
		{Italian, Italian.MessageIntro(1, yesterday, now, ""), "Messaggio numero uno ricevuto ieri alle nove e cinque da un numero sconosciuto."},
		{Italian, Italian.QueuePosition(3), "La sua posizione in coda è: tre La preghiamo di restare in linea: il primo operatore disponibile le risponderà."},
		{Italian, Italian.ForwardedTo(ForwardAlways, "202"), "Tutte le sue chiamate vengono ora inoltrate al numero due zero due"},
		{Italian, Italian.ParkedAt("701"), "La chiamata è parcheggiata alla posizione sette zero uno"},
		{Italian, Italian.Unavailable("201", true), "L'interno due zero uno è impegnato in un'altra conversazione."},
	} {
		if got := say(t, c.l, c.names); got != c.wants {
			t.Errorf("%s: says %q, want %q", c.l, got, c.wants)
		}
	}
}

// TestClockEveryMinute: in every language no two minutes of a day sound
// the same.
func TestClockEveryMinute(t *testing.T) {
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, l := range Languages() {
		seen := map[string]time.Time{}
		for m := range 24 * 60 {
			tm := day.Add(time.Duration(m) * time.Minute)
			key := strings.Join(l.Clock(tm), " ")
			if prev, ok := seen[key]; ok {
				t.Errorf("%s: %s and %s both say %q", l, prev.Format("15:04"), tm.Format("15:04"), key)
			}
			seen[key] = tm
		}
	}
}

// TestNumbersAreDistinct: no two numbers 0–999 sound the same in any
// language, and each is said with recorded prompts.
func TestNumbersAreDistinct(t *testing.T) {
	for _, l := range Languages() {
		names := l.Names()
		seen := map[string]int{}
		for n := range 1000 {
			words := l.Number(n)
			for _, w := range words {
				if !slices.Contains(names, w) {
					t.Fatalf("%s.Number(%d) = %v: no prompt %q", l, n, words, w)
				}
			}
			key := strings.Join(words, " ")
			if prev, ok := seen[key]; ok {
				t.Errorf("%s: %d and %d both say %q", l, prev, n, key)
			}
			seen[key] = n
		}
	}
}
