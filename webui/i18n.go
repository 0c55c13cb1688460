package webui

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// the binary); the pages need the plural rules of five languages for
// integers only (plural.go) and no more than a five-language matcher.

// catalog holds each language's messages. A message written with verbs
// ("Extension %s saved.") is a format: a shown text that it matches
// ("Extension 201 saved.") is translated by putting what the verbs
// matched into the translation's verbs, in order or by index (%[2]s).
//
// A language's messages are read and its formats compiled on its first
// use, not at start: the four catalogs hold some 4.6 MB of heap, and a box
// whose installer and users all read English never pays for them. The
// files are embedded and held whole by TestCatalogComplete (through
// loadCatalog), so reading one later cannot meet a file the build did not.
// A catalog is a small value; copies share the languages.
type catalog struct {
	fsys  fs.FS
	langs map[string]*langCatalog
}

// langCatalog is one language's messages, read once.
type langCatalog struct {
	once    sync.Once
	msgs    map[string]string
	formats []msgFormat
	err     error
}

// msgFormat is a message with verbs, compiled to match a formatted text.
type msgFormat struct {
	key    string
	prefix string // the text before the first verb: a cheap test first
	re     *regexp.Regexp
}

// verbRE matches a fmt verb as the messages use them.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[sdqvfxc]`)

// newCatalog is the catalog of langs (English needs none), each read from
// assets/i18n/<lang>.json on its first use.
func newCatalog(fsys fs.FS, langs []string) catalog {
	c := catalog{fsys: fsys, langs: make(map[string]*langCatalog, len(langs))}
	for _, l := range langs {
		if l != "en" {
			c.langs[l] = &langCatalog{}
		}
	}
	return c
}

// loadCatalog is newCatalog with every language read at once, and the
// first file that does not read or holds an empty translation reported:
// what the tests hold the embedded files to.
func loadCatalog(fsys fs.FS, langs []string) (catalog, error) {
	c := newCatalog(fsys, langs)
	for _, l := range langs {
		if lc := c.lang(l); lc != nil && lc.err != nil {
			return catalog{}, lc.err
		}
	}
	return c, nil
}

// lang is language l's messages, read on first use; nil for English and
// languages the box does not speak. A language whose file fails to read
// has no messages (its pages show English) and err set.
func (c catalog) lang(l string) *langCatalog {
	lc := c.langs[l]
	if lc == nil {
		return nil
	}
	lc.once.Do(func() { lc.msgs, lc.formats, lc.err = readLanguage(c.fsys, l) })
	return lc
}

// messages is language l's messages (nil when it has none).
func (c catalog) messages(l string) map[string]string {
	if lc := c.lang(l); lc != nil {
		return lc.msgs
	}
	return nil
}

// readLanguage reads assets/i18n/<l>.json and compiles its formats.
func readLanguage(fsys fs.FS, l string) (map[string]string, []msgFormat, error) {
	b, err := fs.ReadFile(fsys, path.Join("assets/i18n", l+".json"))
	if err != nil {
		return nil, nil, fmt.Errorf("i18n: %w", err)
	}
	m := make(map[string]string)
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("i18n: %s.json: %w", l, err)
	}
	var formats []msgFormat
	for k, v := range m {
		if strings.TrimSpace(v) == "" {
			return nil, nil, fmt.Errorf("i18n: %s.json: empty translation of %q", l, k)
		}
		if !verbRE.MatchString(k) {
			continue
		}
		m[k] = verbRE.ReplaceAllStringFunc(v, func(verb string) string {
			if i := strings.IndexByte(verb, ']'); i > 0 {
				return verb[:i+1] + "s"
			}
			return "%s"
		})
		loc := verbRE.FindAllStringIndex(k, -1)
		var re strings.Builder
		re.WriteString("^")
		last := 0
		for _, l := range loc {
			re.WriteString(regexp.QuoteMeta(k[last:l[0]]))
			switch k[l[1]-1] {
			case 'd':
				re.WriteString(`(-?\d+)`)
			case 'q':
				re.WriteString(`(".*?")`)
			default:
				re.WriteString("(.+?)")
			}
			last = l[1]
		}
		re.WriteString(regexp.QuoteMeta(k[last:]) + "$")
		formats = append(formats, msgFormat{key: k, prefix: k[:loc[0][0]], re: regexp.MustCompile(re.String())})
	}
	// Longer formats first: the more literal text, the better the match;
	// then by key, so that the order never depends on the map's.
	slices.SortFunc(formats, func(a, b msgFormat) int {
		if d := len(b.key) - len(a.key); d != 0 {
			return d
		}
		return strings.Compare(a.key, b.key)
	})
	return m, formats, nil
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
	if t, ok := c.lookupOne(lang, k); ok {
		return t, true
	}
	// Messages put together: problems of one field joined by a space
	// ("Must be 2 to 8 digits. Extension 201 exists already."), or a
	// problem at the top of a form after what it is about ("Queues
	// “main”, members (queues[0].members): Must be ..."): each part is
	// translated.
	if t, ok := c.lookupJoined(lang, k); ok {
		return t, true
	}
	return s, false
}

// lookupJoined translates k made of messages: sentences joined by a
// space, or a problem after "what: ". The first sentence that is a
// message is taken, and the rest looked up the same way.
func (c catalog) lookupJoined(lang, k string) (string, bool) {
	for i := 0; i < len(k); {
		j := strings.Index(k[i:], ". ")
		if j < 0 {
			break
		}
		end := i + j + 1
		if head, ok := c.lookupOne(lang, k[:end]); ok {
			if tail, ok := c.lookup(lang, k[end+1:]); ok {
				return head + " " + tail, true
			}
		}
		i = end
	}
	// A value and what it is, in brackets ("205 (no such extension)").
	if strings.HasSuffix(k, ")") {
		head, note := "", strings.TrimSuffix(k, ")")
		if i := strings.LastIndex(note, " ("); i >= 0 {
			head, note = note[:i], note[i+2:]
		} else if strings.HasPrefix(note, "(") {
			note = note[1:]
		} else {
			note = ""
		}
		if t, ok := c.lookupOne(lang, note); ok && note != "" {
			if head == "" {
				return "(" + t + ")", true
			}
			return c.T(lang, head) + " (" + t + ")", true
		}
	}
	// A row's label: a message and the row's number ("Group pickup code 2").
	if i := strings.LastIndexByte(k, ' '); i > 0 && strings.Trim(k[i+1:], "0123456789") == "" {
		if t, ok := c.lookupOne(lang, k[:i]); ok {
			return t + k[i:], true
		}
	}
	if what, problem, ok := strings.Cut(k, ": "); ok && !strings.Contains(what, ". ") {
		if t, ok := c.lookupOne(lang, problem); ok {
			return c.T(lang, what) + ": " + t, true
		}
	}
	return "", false
}

// lookupOne translates the message k (a key), by the catalog's own entry
// or by a format that makes it.
func (c catalog) lookupOne(lang, k string) (string, bool) {
	lc := c.lang(lang)
	if lc == nil {
		return k, false
	}
	msgs := lc.msgs
	if t, ok := msgs[k]; ok {
		return t, true
	}
	for _, f := range lc.formats {
		if !strings.HasPrefix(k, f.prefix) {
			continue
		}
		m := f.re.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		t, ok := msgs[f.key]
		if !ok {
			return k, false
		}
		// What the verbs matched may be a message itself (a section's
		// title in "Dial plan: %s"): it is translated too.
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			args[i] = c.T(lang, a)
		}
		return fmt.Sprintf(t, args...), true
	}
	return k, false
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

// scriptMessages are the texts the scripts write themselves, as
// t("..."), by the page that needs them ("": every page, for app.js):
// each page not in English carries the translations of its own
// (TestJSMessages keeps these lists and the scripts in step).
var scriptMessages = map[string][]string{
	"": {
		"This box has no analog ports.",
		"No SIP phone is registered. Phones register with their extension number as user name and the extension's SIP password.",
		"Live",
		"Disconnected — checking…",
		"Reconnecting…",
		"%s: the box did not answer (%s).",
		"Uploading…",
		"Upload",
	},
	"dialplan_object": {"Current: %s"}, // forms.js
	"extension_page":  {"Current: %s"},
	"maintenance": { // maintenance.js
		"Uploading…",
		"The box answered %s %s.",
		"Writing %s: %s of %s (write and read back)",
		"Verifying %s: %s of %s (write and read back)",
		"Choose an update bundle first.",
		"Install even if this bundle is an OLDER firmware? An older firmware may not read the current configuration; the snapshot taken now is what it will find.",
		"Uploading and writing: %s of %s",
		"Firmware %s is installed in slot %s. The box is restarting into it now; it confirms itself once healthy. Reload this page in a minute.",
		"Not installed: %s Nothing was changed; the box keeps running this firmware.",
		"The upload was interrupted. The box keeps running this firmware; try again.",
		"The backup holds no voicemail; the box's is unchanged.",
		"The voicemail in the backup was left out.",
		"Voicemail: %s messages and %s greetings restored",
		"%s messages and %s greetings already on the box kept",
		"%s messages and %s greetings not in the backup deleted",
		"Choose a backup file first.",
		"Replace the whole configuration with this backup?",
		"Restoring…",
		"Restored the backup made by firmware %s",
		"with %s prompts",
		"The new configuration is in use.",
		"Not restored, nothing changed: %s",
		"The upload was interrupted; nothing changed.",
	},
}
