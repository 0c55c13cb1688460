package prompts

import (
	"strings"
	"testing"
)

// FuzzParseFile: whatever a file in the prompts directory is called,
// ParseFile either says it replaces no built-in, or names a prompt its
// language has, whose replacement is called exactly that.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{"goodbye.wav", "goodbye.ru.wav", "vm-new-few.ru.wav", "d31.hy.wav", "welcome.wav",
		"goodbye.en.wav", ".ru.wav", "a..wav", "../goodbye.wav", "goodbye.ru.ru.wav", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		l, name, ok := ParseFile(file)
		if !ok {
			if l != "" || name != "" {
				t.Fatalf("ParseFile(%q) = %q %q, not ok", file, l, name)
			}
			return
		}
		if !Known(string(l)) || l.Text(name) == "" || strings.ContainsAny(name, "/\\.") {
			t.Fatalf("ParseFile(%q) = %q %q: no such prompt", file, l, name)
		}
		if got := l.File(name); got != file {
			t.Fatalf("ParseFile(%q) = %q %q, whose file is %q", file, l, name, got)
		}
	})
}

// FuzzCheckLanguage: a configured language is accepted exactly when the
// box speaks it (or it is empty), and then Pick chooses it.
func FuzzCheckLanguage(f *testing.F) {
	for _, s := range []string{"", "en", "ru", "hy", "ky", "it", "RU", "ru-RU", "xx", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		err := CheckLanguage(code)
		if (err == nil) != (code == "" || Known(code)) {
			t.Fatalf("CheckLanguage(%q) = %v", code, err)
		}
		if err == nil && code != "" && Pick(code) != Language(code) {
			t.Fatalf("Pick(%q) = %q", code, Pick(code))
		}
		if err != nil && Pick(code) != English {
			t.Fatalf("Pick(%q) = %q, want English", code, Pick(code))
		}
	})
}
