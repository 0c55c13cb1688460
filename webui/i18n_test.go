package webui

import (
	"cmp"
	"go/ast"
	"go/parser"
	"go/token"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// message is one English text the pages show, and where it is written.
type message struct{ text, where string }

// templateMessages is every message of the templates' own text, found
// the way parseTemplates translates it.
func templateMessages(t *testing.T) []message {
	t.Helper()
	names, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	var out []message
	for _, n := range names {
		tm, err := template.New(path.Base(n)).Funcs(templateFuncs).Funcs(template.FuncMap{"T": func(s string) string { return s },
			"plural": func(int, string, string) string { return "" }}).ParseFS(assets, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range tm.Templates() {
			if x.Tree == nil {
				continue
			}
			translateTree(x.Tree.Root, &htmlState{}, func(s string) string {
				out = append(out, message{s, path.Base(n)})
				return s
			})
		}
		// Literal messages the actions translate: {{T "..."}}.
		src, err := fs.ReadFile(assets, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\(T "((?:[^"\\]|\\.)*)"\)|\{\{T "((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(string(src), -1) {
			s, err := strconv.Unquote(`"` + m[1] + m[2] + `"`)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, message{s, path.Base(n)})
		}
		// Counted words: {{plural N "call" "calls"}}.
		for _, m := range pluralRE.FindAllStringSubmatch(string(src), -1) {
			out = append(out, message{m[1] + "|" + m[2], path.Base(n)})
		}
	}
	return out
}

// pluralRE matches a template's counted word.
var pluralRE = regexp.MustCompile(`plural (?:\S+|\([^)]*\)) "([^"]*)" "([^"]*)"`)

// shownFields are the fields of the pages' Go types (field, option, form,
// pageData, ...) whose string values a reader sees; their literals in the
// handlers are messages.
var shownFields = map[string]bool{"title": true, "Does": true, "Label": true, "Help": true, "Title": true, "Submit": true, "Placeholder": true, "Flash": true, "Message": true, "Error": true}

// shownCalls are the functions and methods whose string arguments are
// shown on a page (errorf's message is also an API error's: the pages show
// it translated, the API in English).
var shownCalls = map[string]bool{"setFlash": true, "renderError": true, "errorf": true}

// shownParams are the parameter names of the field-making helpers whose
// arguments are shown texts.
var shownParams = map[string]bool{"label": true, "help": true, "title": true, "none": true, "inherit": true, "later": true}

// helpersNotShown take texts already translated (the SVG charts draw
// what buildCharts translated).
var helpersNotShown = map[string]bool{"svgOpen": true, "barChart": true, "lineChart": true, "heatMap": true}

// notShownCalls take texts nobody sees on a page: log lines, and errors
// the API alone returns.
var notShownCalls = map[string]bool{"Info": true, "Warn": true, "Debug": true, "Error": true, "Errorf": true, "New": true,
	"writeAPIError": true, "apiError": true, "Set": true, "Add": true, "Del": true, "Get": true, "HandleFunc": true, "Handle": true}

// proseSentenceRE matches a sentence: a capital, at least three words
// and a full stop (or a colon) at the end.
var proseSentenceRE = regexp.MustCompile(`^[A-Z\x{201c}"][^ ]* [^ ]+ .*[a-z]{2}.*[.:?!]$`)

// wordsRE matches a piece of a sentence: three words in a row, and a
// full stop after them.
var wordsRE = regexp.MustCompile(`[a-z]+ [a-z]+ [a-z]+.*\.`)

// constString is the value of a string constant expression: a literal,
// or literals joined by +.
func constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return constString(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok := constString(e.X)
		if !ok {
			return "", false
		}
		b, ok := constString(e.Y)
		return a + b, ok
	}
	return "", false
}

// literalProse is the longest literal with words in a + expression, ""
// when it has none (a joint of names, numbers and punctuation).
func literalProse(e ast.Expr) string {
	var best string
	ast.Inspect(e, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && len(strings.Fields(s)) >= 2 && messageKey(s) != "" && len(s) > len(best) {
				best = s
			}
		}
		return true
	})
	return best
}

// isFormatMessage reports whether a format has words of its own: text
// beyond its verbs and punctuation ("%s: %s" has none).
func isFormatMessage(s string) bool {
	rest := verbRE.ReplaceAllString(s, "")
	if messageKey(rest) == "" {
		return false
	}
	return !strings.HasPrefix(s, "%") || len(strings.Fields(rest)) >= 3
}

// callName is the name of the function or method a call calls.
func callName(c *ast.CallExpr) string {
	switch fun := c.Fun.(type) {
	case *ast.SelectorExpr:
		return fun.Sel.Name
	case *ast.Ident:
		return fun.Name
	}
	return ""
}

// goMessages is every string literal of the package's Go files that is
// given to a shown field or call.
func goMessages(t *testing.T) []message {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []message
	// add records e when it is a string constant (a literal, or literals
	// joined by +), a fmt.Sprintf of a constant format (the format is the
	// message: the catalog translates formatted texts by their format),
	// or either made a sentence(). A shown text joined by + from a
	// constant and a variable is an error: no catalog can translate it.
	var addAs func(e ast.Expr, conv func(string) string)
	addAs = func(e ast.Expr, conv func(string) string) {
		switch e := e.(type) {
		case *ast.BasicLit, *ast.BinaryExpr, *ast.ParenExpr:
			s, ok := constString(e)
			if !ok {
				if prose := literalProse(e); prose != "" {
					t.Errorf("%s: the shown text %q is joined by + with a variable; make it a format (fmt.Sprintf), so that the catalog can translate it", fset.Position(e.Pos()), prose)
				}
				return
			}
			if messageKey(verbRE.ReplaceAllString(s, "")) == "" {
				return
			}
			out = append(out, message{conv(s), fset.Position(e.Pos()).String()})
		case *ast.CallExpr:
			switch callName(e) {
			case "Sprintf":
				if len(e.Args) > 0 {
					if s, ok := constString(e.Args[0]); ok && isFormatMessage(s) {
						out = append(out, message{conv(s), fset.Position(e.Args[0].Pos()).String()})
					}
				}
			case "sentence":
				if len(e.Args) == 1 {
					addAs(e.Args[0], sentence)
				}
			}
		}
	}
	add := func(e ast.Expr) { addAs(e, func(s string) string { return s }) }
	parsed := parseGoFiles(t, fset, files)
	fieldsOf := map[string][]string{} // a struct type's field names in order
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if st, ok := ts.Type.(*ast.StructType); ok {
					for _, fl := range st.Fields.List {
						for _, nm := range fl.Names {
							fieldsOf[ts.Name.Name] = append(fieldsOf[ts.Name.Name], nm.Name)
						}
					}
				}
			}
			return true
		})
	}
	// positional adds the literals of an unkeyed composite literal of a
	// struct type by the names of the fields they fill.
	positional := func(typ ast.Expr, elts []ast.Expr) {
		var names []string
		switch typ := typ.(type) {
		case *ast.Ident:
			names = fieldsOf[typ.Name]
		case *ast.StructType: // a table of an anonymous struct type
			for _, fl := range typ.Fields.List {
				for _, nm := range fl.Names {
					names = append(names, nm.Name)
				}
			}
		default:
			return
		}
		for i, e := range elts {
			if _, keyed := e.(*ast.KeyValueExpr); keyed || i >= len(names) {
				return
			}
			if shownFields[names[i]] {
				add(e)
			}
		}
	}
	// The helpers that make fields (destPicker, selectField, ...) take
	// their shown texts by parameter name.
	shownAt := map[string][]int{}
	for _, f := range parsed {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || helpersNotShown[fd.Name.Name] {
				continue
			}
			i := 0
			for _, p := range fd.Type.Params.List {
				for _, nm := range p.Names {
					if shownParams[nm.Name] {
						shownAt[fd.Name.Name] = append(shownAt[fd.Name.Name], i)
					}
					i++
				}
			}
		}
	}
	// Closures that make shown things take them by parameter name too
	// (the call-flow's add(kind, ...)).
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
				return true
			}
			id, ok1 := as.Lhs[0].(*ast.Ident)
			fl, ok2 := as.Rhs[0].(*ast.FuncLit)
			if !ok1 || !ok2 {
				return true
			}
			i := 0
			for _, p := range fl.Type.Params.List {
				for _, nm := range p.Names {
					if shownParams[nm.Name] {
						shownAt[id.Name] = append(shownAt[id.Name], i)
					}
					i++
				}
			}
			return true
		})
	}
	// A sentence formatted anywhere ("Line %d saved.", "Calls on line %s
	// go to %s."): a Sprintf whose format begins with a capital (or a
	// verb) and has words in it. And a sentence written anywhere as a
	// constant, whatever it is given to (a helper's return value, a
	// variable, a map): a capital, words, and a full stop at the end
	// ("Set classes up on the Music on hold page.").
	sentenceRE := regexp.MustCompile(`^([A-Z]|%)[^ ]* .*[a-z]{3}`)
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if callName(n) == "Sprintf" && len(n.Args) > 0 {
					if s, ok := constString(n.Args[0]); ok && sentenceRE.MatchString(s) && isFormatMessage(s) {
						add(n.Args[0])
					}
				}
				if notShownCalls[callName(n)] {
					return false // log lines, API-only errors
				}
			case *ast.BasicLit, *ast.BinaryExpr:
				if s, ok := constString(n.(ast.Expr)); ok {
					if proseSentenceRE.MatchString(s) {
						add(n.(ast.Expr))
					}
					return false
				}
			}
			return true
		})
	}
	// Shown texts kept in variables by their names (pinHelp, label,
	// testLabels): what is assigned to a name ending in help, label or
	// title, and the values of a table whose name ends in labels.
	shownName := func(name string) bool {
		n := strings.ToLower(name)
		return strings.HasSuffix(n, "help") || strings.HasSuffix(n, "label") || strings.HasSuffix(n, "title")
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && shownName(id.Name) && i < len(n.Rhs) {
						add(n.Rhs[i])
					}
				}
			case *ast.ValueSpec:
				for i, nm := range n.Names {
					if i >= len(n.Values) {
						break
					}
					if shownName(nm.Name) {
						add(n.Values[i])
					}
					if cl, ok := n.Values[i].(*ast.CompositeLit); ok && strings.HasSuffix(strings.ToLower(nm.Name), "labels") {
						for _, e := range cl.Elts {
							if kv, ok := e.(*ast.KeyValueExpr); ok {
								add(kv.Value)
							}
						}
					}
				}
			}
			return true
		})
	}
	// A sentence joined by + with a variable anywhere is one no catalog
	// can translate, whatever it is given to.
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if notShownCalls[callName(n)] {
					return false
				}
			case *ast.BinaryExpr:
				if n.Op != token.ADD {
					return true
				}
				if _, ok := constString(n); ok {
					return false
				}
				if prose := literalProse(n); prose != "" && (proseSentenceRE.MatchString(strings.TrimSpace(prose)) || wordsRE.MatchString(prose)) {
					t.Errorf("%s: the sentence %q is joined by + with a variable; make it a format (fmt.Sprintf), so that the catalog can translate it", fset.Position(n.Pos()), prose)
				}
				return false
			}
			return true
		})
	}
	// What the charts draw besides their titles.
	for _, w := range slices.Concat(store.Results(), chartWords) {
		out = append(out, message{w, "stats.go (chart words)"})
	}
	// What the Roles page says each permission allows (the store's words).
	for _, p := range store.Permissions() {
		out = append(out, message{p.Description, "store.Permissions"})
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				for _, i := range shownAt[callName(c)] {
					if i < len(c.Args) {
						add(c.Args[i])
					}
				}
			}
			return true
		})
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				positional(n.Type, n.Elts)
				if at, ok := n.Type.(*ast.ArrayType); ok {
					for _, e := range n.Elts {
						if cl, ok := e.(*ast.CompositeLit); ok && cl.Type == nil {
							positional(at.Elt, cl.Elts)
						}
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && shownFields[id.Name] {
					add(n.Value)
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && shownFields[sel.Sel.Name] && i < len(n.Rhs) {
						add(n.Rhs[i])
					}
				}
			case *ast.CallExpr:
				if shownCalls[callName(n)] {
					for _, a := range n.Args {
						add(a)
					}
				}
			}
			return true
		})
	}
	return out
}

// TestDumpMessages writes every message to $I18N_DUMP (one a line, with
// where it is), for the translators' script.
func TestDumpMessages(t *testing.T) {
	dst := os.Getenv("I18N_DUMP")
	if dst == "" {
		t.Skip("set I18N_DUMP=file to list the messages")
	}
	var b strings.Builder
	for _, m := range slices.Concat(templateMessages(t), goMessages(t), jsMessageList(), storeMessages(t)) {
		k := messageKey(m.text)
		b.WriteString(m.where + "\t" + strconv.Quote(k) + "\n")
	}
	if err := os.WriteFile(dst, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogComplete: every message of the templates, of the handlers'
// shown fields and calls (goMessages), of the scripts and of the store's
// validation (storeMessages) has a translation in every
// language but English, and every catalog entry keeps the markup of its
// message (the same tags).
func TestCatalogComplete(t *testing.T) {
	cat, err := loadCatalog(assets, store.WebLanguages())
	if err != nil {
		t.Fatal(err)
	}
	msgs := slices.Concat(templateMessages(t), goMessages(t), jsMessageList(), storeMessages(t))
	seen := map[string]bool{}
	total := 0
	for _, m := range msgs {
		k := messageKey(m.text)
		if !seen[k] {
			seen[k] = true
			total++
		}
		for _, lang := range store.WebLanguages() {
			if _, ok := cat.lookup(lang, m.text); !ok {
				t.Errorf("%s: no %s translation of %q", m.where, lang, k)
			}
		}
	}
	for _, lang := range store.WebLanguages() {
		if lang == "en" {
			continue
		}
		done := 0
		for k := range seen {
			if _, ok := cat.messages(lang)[k]; ok {
				done++
			}
		}
		t.Logf("%s: %d of %d messages translated (%.0f%%)", lang, done, total, 100*float64(done)/float64(total))
		for k, v := range cat.messages(lang) {
			if tagsOf(k) != tagsOf(v) {
				t.Errorf("%s: the translation of %q changes its markup: %q", lang, k, v)
			}
			if strings.Contains(k, "|") && strings.Count(v, "|")+1 != pluralForms(lang) {
				t.Errorf("%s: the counted word %q has %d forms, want %d: %q", lang, k, strings.Count(v, "|")+1, pluralForms(lang), v)
			}
			if nk, nv := len(verbRE.FindAllString(k, -1)), len(verbRE.FindAllString(v, -1)); nk != nv {
				t.Errorf("%s: the translation of %q has %d verbs, want %d: %q", lang, k, nv, nk, v)
			}
		}
	}
}

// shownAttrRE matches the attributes a translation translates.
var shownAttrRE = regexp.MustCompile(`(title|aria-label|alt|placeholder)="[^"]*"`)

// tagsOf is the sorted list of the HTML tags in s (the values of their
// translated attributes left out), as one string.
func tagsOf(s string) string {
	var tags []string
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		tags = append(tags, shownAttrRE.ReplaceAllString(s[i:i+j+1], `$1=""`))
		s = s[i+j+1:]
	}
	slices.Sort(tags)
	return strings.Join(tags, "")
}

func TestNegotiateLanguage(t *testing.T) {
	langs := store.WebLanguages()
	for h, want := range map[string]string{
		"":                              "en",
		"ru-RU,ru;q=0.9,en-US;q=0.8":    "ru",
		"de-DE, it;q=0.5, en;q=0.4":     "it",
		"en;q=0.3, hy":                  "hy",
		"KY-kg":                         "ky",
		"fr, de":                        "en",
		"*":                             "en",
		"ru;q=0, it":                    "it",
		"ru;q=abc, hy;q=0.1":            "hy",
		"it;q=0.8, ru;q=0.8":            "it",
		" , ;q=1, ru;;q=0.5":            "ru",
		"hy-Latn-AM;q=0.2, xx-ru;q=0.9": "hy",
	} {
		if got := negotiateLanguage(h, langs); got != want {
			t.Errorf("negotiateLanguage(%q) = %q, want %q", h, got, want)
		}
	}
}

func FuzzNegotiateLanguage(f *testing.F) {
	for _, s := range []string{"ru-RU,ru;q=0.9", "*;q=0", "hy;q=1.0001", ";;,,"} {
		f.Add(s)
	}
	langs := store.WebLanguages()
	f.Fuzz(func(t *testing.T, h string) {
		if got := negotiateLanguage(h, langs); !slices.Contains(langs, got) {
			t.Fatalf("negotiateLanguage(%q) = %q, not one of %v", h, got, langs)
		}
	})
}

// TestPagesInTheBrowsersLanguage: a visitor's Accept-Language picks the
// language of the page, its text, its <html lang> and Content-Language;
// an account's own choice wins over it.
func TestPagesInTheBrowsersLanguage(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	for lang, want := range map[string]string{
		"ru-RU,ru;q=0.9": "Войти", "hy": "Մուտք", "ky,ru;q=0.5": "Кирүү", "it-IT": "Accedi", "de": "Log in",
	} {
		w := c.do("GET", "/login", nil, map[string]string{"Accept-Language": lang})
		body := w.Body.String()
		if !strings.Contains(body, `id="login">`+want+`</button>`) {
			t.Errorf("Accept-Language %s: the login button is not %q", lang, want)
		}
		code := negotiateLanguage(lang, store.WebLanguages())
		if !strings.Contains(body, `<html lang="`+code+`">`) || w.Header().Get("Content-Language") != code {
			t.Errorf("Accept-Language %s: html lang or Content-Language (%q) is not %s", lang, w.Header().Get("Content-Language"), code)
		}
	}
	// An account that chose Italian gets Italian whatever its browser says.
	c.header.Set("Accept-Language", "ru")
	c.ready()
	c.get("/me")
	if w := c.post("/me", url.Values{"name": {"Anna"}, "language": {"it"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("save the language: %d", w.Code)
	}
	body := c.get("/me").Body.String()
	if !strings.Contains(body, "Il tuo account") || !strings.Contains(body, `<html lang="it">`) || !strings.Contains(body, "Salvato.") {
		t.Errorf("after choosing Italian, /me is not in Italian:\n%s", body)
	}
}

// TestTranslateTemplateText: runs of text with their inline tags are one
// message (attributes of its inline tags included), block tags and
// actions end a run, shown attributes are translated, scripts and other
// attributes are not.
func TestTranslateTemplateText(t *testing.T) {
	src := `<p class="help" title="Help me">Dial <code>*72</code> then the number.</p><script>var x = "Hello";</script>` +
		`<!-- Hello --><a href="/x" aria-label="Go">Hello</a><b>Hello</b>{{if .X}}<span>Hello</span>{{end}}<input value="Hello" placeholder="Hello">`
	dict := map[string]string{"Help me": `Aide "moi"`, "Dial <code>*72</code> then the number.": "Composez <code>*72</code> puis le numéro.",
		"Go": "Aller", "Hello": "Bonjour", "<a href=\"/x\" aria-label=\"Go\">Hello</a><b>Hello</b>": "LINKS"}
	tm, err := template.New("t").Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	translateTree(tm.Tree.Root, &htmlState{}, func(s string) string {
		asked = append(asked, s)
		if v, ok := dict[s]; ok {
			return v
		}
		return s
	})
	var b strings.Builder
	if err := tm.Execute(&b, map[string]bool{"X": true}); err != nil {
		t.Fatal(err)
	}
	want := `<p class="help" title="Aide &#34;moi&#34;">Composez <code>*72</code> puis le numéro.</p><script>var x = "Hello";</script>` +
		`LINKS<span>Hello</span><input value="Hello" placeholder="Bonjour">`
	if got := b.String(); got != want {
		t.Errorf("translated\n%s\nwant\n%s\nmessages asked: %q", got, want, asked)
	}
}

// TestCatalogFormats: a text formatted from a message with verbs is
// translated with what its verbs matched; a text no message makes stays
// as it is.
func TestCatalogFormats(t *testing.T) {
	cat, err := loadCatalog(assets, store.WebLanguages())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, in, want string }{
		{"ru", "Extension 201 saved.", "Внутренний номер 201 сохранён."},
		{"it", "There are 3 names for 4 numbers: one name a line, in the order of the numbers.", "Ci sono 3 nomi per 4 numeri: un nome per riga, nell'ordine dei numeri."},
		{"hy", `The greeting "busy" is saved: callers hear it from the next call on.`, `"busy" ողջույնը պահպանված է. զանգողները կլսեն այն հաջորդ զանգից սկսած։`},
		{"ky", "Line x saved.", "Line x saved."},                        // %d matches digits only
		{"ru", "Must be 2 to 8 digits.", "Должно быть от 2 до 8 цифр."}, // the store's, made a sentence
		{"it", "Dial plan: Queues", "Piano di numerazione: Code"},       // a message inside a message
		{"ru", "Reception", "Reception"},                                // data, not a message
		// Two problems of one field, and a problem after what it is about.
		{"ru", "Must be 2 to 8 digits. Extension 201 saved.", "Должно быть от 2 до 8 цифр. Внутренний номер 201 сохранён."},
		{"ru", "queues[0].number: Must be 2 to 8 digits.", "queues[0].number: Должно быть от 2 до 8 цифр."},
		{"ru", "Must be 2 to 8 digits. Reception desk.", "Must be 2 to 8 digits. Reception desk."}, // half a message is none
		{"ru", "205 (no such extension)", "205 (нет такого внутреннего номера)"},                   // a value and a note
		{"it", "Group pickup code 2", "Codice di risposta di gruppo 2"},                            // a row's label
	} {
		if got := cat.T(tc.lang, tc.in); got != tc.want {
			t.Errorf("T(%s, %q) = %q, want %q", tc.lang, tc.in, got, tc.want)
		}
	}
}

// BenchmarkCatalogMiss is the cost of T for a text that is no message
// (a name, a number): every format is tried.
func BenchmarkCatalogMiss(b *testing.B) {
	cat, err := loadCatalog(assets, store.WebLanguages())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cat.T("ru", "Reception desk 2")
	}
}

// BenchmarkParseTemplates is the cost of a language's pages: every
// template parsed (and, but for English, translated) once.
func BenchmarkParseTemplates(b *testing.B) {
	cat, err := loadCatalog(assets, store.WebLanguages())
	if err != nil {
		b.Fatal(err)
	}
	for _, lang := range []string{"en", "hy"} {
		b.Run(lang, func(b *testing.B) {
			for b.Loop() {
				if _, err := parseLanguage(cat, lang); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// jsMessageList is scriptMessages as messages.
func jsMessageList() []message {
	var out []message
	for page, ms := range scriptMessages {
		for _, m := range ms {
			out = append(out, message{m, "script of " + cmp.Or(page, "every page")})
		}
	}
	return out
}

// TestJSMessages: every t("...") of the scripts is in scriptMessages and back,
// and
// a page in Russian carries their translations for the script.
func TestJSMessages(t *testing.T) {
	var inScript []string
	for _, name := range []string{"app.js", "maintenance.js", "forms.js"} {
		src, err := assets.ReadFile("assets/static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\bt\("((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(string(src), -1) {
			s, err := strconv.Unquote(`"` + m[1] + `"`)
			if err != nil {
				t.Fatal(err)
			}
			inScript = append(inScript, s)
		}
	}
	slices.Sort(inScript)
	inScript = slices.Compact(inScript)
	var want []string
	for _, ms := range scriptMessages {
		want = append(want, ms...)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(inScript, want) {
		t.Errorf("the scripts write %q,\nscriptMessages lists %q", inScript, want)
	}
	f := newFixture(t)
	c := f.client()
	body := c.do("GET", "/login", nil, map[string]string{"Accept-Language": "ru"}).Body.String()
	if !strings.Contains(body, `<script type="application/json" id="i18n">`) || !strings.Contains(body, `"Reconnecting…":"Переподключение…"`) {
		t.Errorf("the Russian page lacks the script's words:\n%s", body)
	}
	if body := c.get("/login").Body.String(); strings.Contains(body, `id="i18n"`) {
		t.Error("an English page carries translations for the script")
	}
}

// parseGoFiles parses the files but the tests.
func parseGoFiles(t *testing.T, fset *token.FileSet, files []string) []*ast.File {
	t.Helper()
	var parsed []*ast.File
	for _, fn := range files {
		if strings.HasSuffix(fn, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, fn, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	return parsed
}
