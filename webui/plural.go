package webui

import "strings"

// Counts in a sentence ("3 calls") need the plural form of the count's
// language. The catalog holds a counted word as one message, its English
// forms joined by "|" ("call|calls"), translated to the language's forms
// in the order of CLDR's plural categories: one|few|many for Russian
// ("вызов|вызова|вызовов"), one|other for Armenian, Kyrgyz and Italian.
// Templates print them with {{plural N "call" "calls"}}.

// pluralForms is how many forms a counted word has in lang.
func pluralForms(lang string) int {
	if lang == "ru" {
		return 3
	}
	return 2
}

// pluralIndex is the form of lang for the integer n (CLDR plural rules,
// integers only): ru one (1, 21, 101 but not 11), few (2–4, 22–24, but
// not 12–14), many (the rest); hy one for 0 and 1; en, it and ky one for
// 1 alone.
func pluralIndex(lang string, n int) int {
	if n < 0 {
		n = -n
	}
	switch lang {
	case "ru":
		switch d, h := n%10, n%100; {
		case d == 1 && h != 11:
			return 0
		case d >= 2 && d <= 4 && (h < 12 || h > 14):
			return 1
		default:
			return 2
		}
	case "hy":
		if n <= 1 {
			return 0
		}
		return 1
	default:
		if n == 1 {
			return 0
		}
		return 1
	}
}

// plural is the form of the counted word one/other for n in lang.
func (c catalog) plural(lang string, n int, one, other string) string {
	if lang == "en" || lang == "" {
		if n == 1 {
			return one
		}
		return other
	}
	t, ok := c.messages(lang)[one+"|"+other]
	if !ok {
		return c.plural("en", n, one, other)
	}
	forms := strings.Split(t, "|")
	return forms[min(pluralIndex(lang, n), len(forms)-1)]
}
