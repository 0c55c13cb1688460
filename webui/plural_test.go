package webui

import (
	"testing"

	"minipbx/telephony/store"
)

// TestPlural: a counted word takes its language's form by CLDR's rules —
// Russian one/few/many (1, 21 but not 11; 2–4, 22–24 but not 12–14),
// Armenian one for 0 and 1, the others one for 1 alone.
func TestPlural(t *testing.T) {
	cat, err := loadCatalog(assets, store.WebLanguages())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "call"}, {"en", 0, "calls"}, {"en", 2, "calls"},
		{"ru", 1, "вызов"}, {"ru", 21, "вызов"}, {"ru", 11, "вызовов"}, {"ru", 2, "вызова"}, {"ru", 4, "вызова"},
		{"ru", 22, "вызова"}, {"ru", 12, "вызовов"}, {"ru", 14, "вызовов"}, {"ru", 5, "вызовов"}, {"ru", 0, "вызовов"}, {"ru", 111, "вызовов"},
		{"it", 1, "chiamata"}, {"it", 0, "chiamate"}, {"it", 3, "chiamate"},
		{"hy", 0, "զանգ"}, {"ky", 5, "чалуу"},
	} {
		if got := cat.plural(tc.lang, tc.n, "call", "calls"); got != tc.want {
			t.Errorf("plural(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	if got := cat.plural("ru", 3, "apple", "apples"); got != "apples" {
		t.Errorf("a word without a translation: %q, want the English", got)
	}
}
