package webui

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The web UI speaks the languages of store.WebLanguages. Its message
// catalog is ours and small on purpose: one JSON object per language in
// assets/i18n, from the English text (the key, as written in the templates
// and the Go code) to the translation. English needs no file. A message
// missing from a catalog is shown in English; the test of the catalogs
// (i18n_test.go) fails on any such message in its scope, so a missing one
// is a failing build, not a page in two languages.
//
// golang.org/x/text/message would do the same lookup, but it brings plural
// and language-matching tables the pages do not need (about a megabyte in
// the binary); the pages need neither plural forms (counts are shown as
// "Calls: 3", never in a sentence) nor more than a five-language matcher.

// catalog maps a language to its messages.
type catalog map[string]map[string]string

// loadCatalog reads assets/i18n/<lang>.json for every language but English.
func loadCatalog(fsys fs.FS, langs []string) (catalog, error) {
	c := make(catalog, len(langs))
	for _, l := range langs {
		if l == "en" {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join("assets/i18n", l+".json"))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		m := make(map[string]string)
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s.json: %w", l, err)
		}
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				return nil, fmt.Errorf("i18n: %s.json: empty translation of %q", l, k)
			}
		}
		c[l] = m
	}
	return c, nil
}

// lookup translates the message s into lang; ok is false when the catalog
// has no translation (s is then returned as it is). Whitespace inside s is
// normalised first, so that a template's line breaks do not make a new
// message.
func (c catalog) lookup(lang, s string) (string, bool) {
	if lang == "en" || lang == "" {
		return s, true
	}
	k := messageKey(s)
	if k == "" {
		return s, true
	}
	t, ok := c[lang][k]
	if !ok {
		return s, false
	}
	return t, true
}

// T translates s into lang, or returns it unchanged.
func (c catalog) T(lang, s string) string {
	t, _ := c.lookup(lang, s)
	return t
}

// messageKey is s with its runs of white space made single spaces and
// trimmed; "" when s has no letter (numbers, punctuation: nothing to
// translate).
func messageKey(s string) string {
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return ""
	}
	return strings.Join(strings.Fields(s), " ")
}

// negotiateLanguage picks the best of langs for an Accept-Language header
// (RFC 9110, section 12.5.4): the highest q wins, then the earlier entry; a
// range matches a language by its primary subtag ("ru-RU" is "ru"); "*"
// and no match at all are langs[0]. A malformed entry is skipped, never an
// error: the header only states a preference.
func negotiateLanguage(header string, langs []string) string {
	best, bestQ := langs[0], 0.0
	for entry := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(entry), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || strings.TrimSpace(k) != "q" {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				q = 0
				break
			}
			q = f
		}
		if q <= bestQ || tag == "" {
			continue
		}
		primary, _, _ := strings.Cut(tag, "-")
		if primary == "*" {
			primary = langs[0]
		}
		if slices.Contains(langs, primary) {
			best, bestQ = primary, q
		}
	}
	return best
}
