package prompts

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Language is one of the languages the box speaks, by its ISO 639-1
// code. Each has its own built-in recordings and its own grammar: the
// exchange asks a Language for the words that say something ("You have
// 3 new messages", "Message 2, received yesterday at 9:05 from 201") and
// gets the names of its prompts in that language's order and forms.
//
// The zero value, "", is English, as is any code the box has no voice
// for (a configuration is validated against Languages, so that only
// happens to a hand-made value).
type Language string

// The languages the box speaks.
const (
	English  Language = "en"
	Russian  Language = "ru"
	Armenian Language = "hy" // Eastern Armenian
	Kyrgyz   Language = "ky"
	Italian  Language = "it"
)

// Languages returns every language the box speaks, English first.
func Languages() []Language {
	return []Language{English, Russian, Armenian, Kyrgyz, Italian}
}

// Known reports whether the box speaks code.
func Known(code string) bool {
	return slices.Contains(Languages(), Language(code))
}

// CheckLanguage says what is wrong with code as a configured language
// ("" is the default of whatever holds it, and fine); nil when the box
// speaks it.
func CheckLanguage(code string) error {
	if code == "" || Known(code) {
		return nil
	}
	var known []string
	for _, l := range Languages() {
		known = append(known, fmt.Sprintf("%s (%s)", l, l.Name()))
	}
	return fmt.Errorf("unknown language %q; the box speaks %s", code, strings.Join(known, ", "))
}

// Pick returns the first of codes the box speaks, skipping empty and
// unknown ones, else English: Pick(mailbox.Language, system.Language)
// is the mailbox's language, else the box's.
func Pick(codes ...string) Language {
	for _, c := range codes {
		if Known(c) {
			return Language(c)
		}
	}
	return English
}

// Code is l's ISO 639-1 code ("ru"); English for the zero value.
func (l Language) Code() string { return string(l.def()) }

// Name is l's name in l itself, as a language picker shows it:
// "English", "Русский", "Հայերեն", "Кыргызча", "Italiano".
func (l Language) Name() string { return l.g().name() }

// def is l, or English for a language the box does not speak.
func (l Language) def() Language {
	if Known(string(l)) {
		return l
	}
	return English
}

// g is l's grammar.
func (l Language) g() grammar {
	switch l.def() {
	case Russian:
		return russian{}
	case Armenian:
		return armenian{}
	case Kyrgyz:
		return kyrgyz{}
	case Italian:
		return italian{}
	}
	return english{}
}

// Noun is something the box counts aloud (Count).
type Noun int

// The nouns the box counts.
const (
	NewMessage   Noun = iota // a new voicemail message
	SavedMessage             // a voicemail message heard and kept
)

// ForwardKind is a kind of call forwarding (ForwardedTo).
type ForwardKind int

// The kinds of forwarding a phone switches on with a feature code.
const (
	ForwardAlways   ForwardKind = iota // every call
	ForwardBusy                        // when the extension is busy
	ForwardNoAnswer                    // when nobody answers
)

// grammar is what each language knows of itself: which prompts say what,
// in which order and forms. Every method returns prompt names of that
// language; the Language methods document what each says.
type grammar interface {
	name() string
	number(n int) []string
	count(n int, noun Noun) []string
	mailbox(fresh, saved int) []string
	messageIntro(n int, when []string, caller string) []string
	when(d day) []string
	clock(t time.Time) []string
	queuePosition(n int) []string
	forwardedTo(k ForwardKind, number string) []string
	parkedAt(slot string) []string
	unavailable(ext string, busy bool) []string
}

// Number returns the names that say n, for 0 ≤ n ≤ 999, as a number is
// said on its own (a queue position, a message's number); other numbers
// are said digit by digit (Digits).
func (l Language) Number(n int) []string { return l.g().number(n) }

// Digits returns the names that say s key by key, as a number to dial is
// read out: the digits, '*' and '#' ("star", "pound" in English). Other
// characters (a '+', spaces) are skipped. Every language names its
// digits "0" to "9", "star" and "pound".
func (l Language) Digits(s string) []string { return digits(s) }

// Count returns the names that say n of noun with the number and the
// noun agreeing as the language wants: "1 new message", "3 new
// messages" in English; "одно новое сообщение", "три новых сообщения",
// "пять новых сообщений" in Russian; "un nuovo messaggio", "tre nuovi
// messaggi" in Italian.
func (l Language) Count(n int, noun Noun) []string { return l.g().count(n, noun) }

// MailboxCounts returns the names that tell a mailbox's owner what it
// holds: "You have 3 new messages and 1 saved message", "You have no
// messages" (fresh new ones, saved heard and kept ones).
func (l Language) MailboxCounts(fresh, saved int) []string { return l.g().mailbox(fresh, saved) }

// MessageIntro returns the names that announce message n (1 for the
// first) before it plays: "Message 2, received yesterday at 9 oh 5 AM
// from 2 0 1". received is when it came, said as When says it at now;
// caller is the number it came from, "" when unknown or withheld.
func (l Language) MessageIntro(n int, received, now time.Time, caller string) []string {
	g := l.g()
	return g.messageIntro(n, g.when(dayOf(received, now)), caller)
}

// When returns the names that say when t happened, heard at now: today,
// yesterday, the weekday within the last week, else the date (with the
// year when it is a year or more ago, or after now), then the time of
// day. Days are calendar days in now's zone (t is put in it): the box's
// time zone, so "yesterday" means the owner's yesterday, and a day of 23
// or 25 hours (a daylight-saving change) counts as one. English says
// the 12-hour clock ("yesterday at 9 oh 5 A.M."), the others the
// 24-hour clock as their speakers read it ("вчера в девять ноль пять",
// "ieri alle nove e cinque").
func (l Language) When(t, now time.Time) []string { return l.g().when(dayOf(t, now)) }

// Clock returns the names that say the time of day of t, to the minute,
// as When does.
func (l Language) Clock(t time.Time) []string { return l.g().clock(t) }

// QueuePosition returns the names that tell a waiting caller their place
// in a queue, with the request to stay on the line: "You are caller
// number 3 in line. Please stay on the line; …".
func (l Language) QueuePosition(n int) []string { return l.g().queuePosition(n) }

// ForwardedTo returns the names that confirm forwarding of kind k to
// number: "All your calls now go to 2 0 2".
func (l Language) ForwardedTo(k ForwardKind, number string) []string {
	return l.g().forwardedTo(k, number)
}

// ParkedAt returns the names that tell a phone where its call is parked:
// "Your call is parked at 7 0 1".
func (l Language) ParkedAt(slot string) []string { return l.g().parkedAt(slot) }

// Unavailable returns the names of the built-in voicemail greeting of
// extension ext: "The person at extension 2 0 1 is not available" (busy:
// "is on another call").
func (l Language) Unavailable(ext string, busy bool) []string { return l.g().unavailable(ext, busy) }

// digits says s key by key (Digits).
func digits(s string) []string {
	out := make([]string, 0, len(s))
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9':
			d := c - '0'
			out = append(out, "0123456789"[d:d+1])
		case c == '*':
			out = append(out, "star")
		case c == '#':
			out = append(out, "pound")
		}
	}
	return out
}

// The names of the sentence parts several languages share: each says
// them its own way, and strings them with its numbers in its own order.
const (
	partYouHave       = "vm-you-have"         // You have
	partNoMessages    = "vm-no-messages"      // no messages.
	partAnd           = "vm-and"              // and
	partMessageN      = "vm-message-n"        // Message
	partReceived      = "vm-received"         // received
	partFrom          = "vm-from"             // from
	partUnknownCaller = "vm-unknown-caller"   // from an unknown caller.
	partQueueNumber   = "queue-caller-number" // You are caller number
	partQueueInLine   = "queue-in-line"       // in line. Please stay on the line; …
	partFwdAlwaysOn   = "fwd-always-on"       // All your calls now go to
	partFwdBusyOn     = "fwd-busy-on"         // When you are busy, your calls now go to
	partFwdNoAnswerOn = "fwd-noanswer-on"     // When you do not answer, your calls now go to
	partParkedAt      = "parked-at"           // Your call is parked at
	partExtension     = "vm-extension"        // The person at extension
	partUnavailable   = "vm-unavailable"      // is not available.
	partBusy          = "vm-busy"             // is on another call.
	partToday         = "today"               // today
	partYesterday     = "yesterday"           // yesterday
	partMidnight      = "midnight"            // midnight
	partNoon          = "noon"                // noon
)

// cat is the names of parts one after the other.
func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// words is names as a part (for cat).
func words(names ...string) []string { return names }

// forwardHead is the part that says forwarding of kind k is on, before
// the number.
func forwardHead(k ForwardKind) string {
	switch k {
	case ForwardBusy:
		return partFwdBusyOn
	case ForwardNoAnswer:
		return partFwdNoAnswerOn
	}
	return partFwdAlwaysOn
}

// numberAfter is part head, then number key by key: "All your calls now
// go to" 2 0 2.
func numberAfter(head, number string) []string { return cat(words(head), digits(number)) }

// fromCaller is "from" and the caller's number, or "from an unknown
// caller" (English, Russian, Italian).
func fromCaller(caller string) []string {
	if caller == "" {
		return words(partUnknownCaller)
	}
	return numberAfter(partFrom, caller)
}

// callerFrom is the caller's number and then the part that says "from"
// ("2 0 1 համարից", Armenian; "2 0 1 номеринен келген", Kyrgyz), or the
// one that says "from an unknown caller".
func callerFrom(caller string) []string {
	if caller == "" {
		return words(partUnknownCaller)
	}
	return append(digits(caller), partFrom)
}

// unavailablePart is the part that ends the built-in greeting.
func unavailablePart(busy bool) string {
	if busy {
		return partBusy
	}
	return partUnavailable
}

// bothCounts counts fresh new and saved saved messages with g, with and
// between the two when both are there; a count of 0 is left out.
func bothCounts(g grammar, fresh, saved int, and string) []string {
	var out []string
	if fresh > 0 {
		out = append(out, g.count(fresh, NewMessage)...)
	}
	if fresh > 0 && saved > 0 {
		out = append(out, and)
	}
	if saved > 0 {
		out = append(out, g.count(saved, SavedMessage)...)
	}
	return out
}

// thousands says a year 1000 ≤ y ≤ 2999 as "thousand" or "2" "thousand"
// (the name of thousand given) and the rest as number says it (Armenian,
// Kyrgyz).
func thousands(y int, thousand string, number func(int) []string) []string {
	out := []string{thousand}
	if y >= 2000 {
		out = []string{"2", thousand}
	}
	if r := y % 1000; r > 0 {
		out = append(out, number(r)...)
	}
	return out
}

// noonOrMidnight is the names every language says 0:00 and 12:00 by
// ("midnight", "noon"); nil at other times.
func noonOrMidnight(h, m int) []string {
	switch {
	case h == 0 && m == 0:
		return words(partMidnight)
	case h == 12 && m == 0:
		return words(partNoon)
	}
	return nil
}

// spell says 1 ≤ n ≤ 999 from the numbers "1".."19" (or fewer), the tens
// "20".."90" and hundred: the hundreds as their number and hundred
// (hundred alone for 100 when bareHundred), then the rest as one number
// below split, else as its tens and units ("20" "1"). 0 and other
// numbers as digits do.
func spell(n int, hundred string, bareHundred bool, split int) []string {
	if n < 1 || n > 999 {
		return digits(strconv.Itoa(n))
	}
	var out []string
	switch h := n / 100; {
	case h == 1 && bareHundred:
		out = append(out, hundred)
	case h > 0:
		out = append(out, strconv.Itoa(h), hundred)
	}
	r := n % 100
	if r >= split {
		out = append(out, strconv.Itoa(r/10*10))
		r %= 10
	}
	if r > 0 {
		out = append(out, strconv.Itoa(r))
	}
	return out
}
