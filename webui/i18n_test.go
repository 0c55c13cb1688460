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
		tm, err := template.New(path.Base(n)).Funcs(templateFuncs).Funcs(template.FuncMap{"T": func(s string) string { return s }}).ParseFS(assets, n)
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
	}
	return out
}

// shownFields are the fields of the pages' Go types (field, option, form,
// pageData, ...) whose string values a reader sees; their literals in the
// handlers are messages.
var shownFields = map[string]bool{"Label": true, "Help": true, "Title": true, "Submit": true, "Placeholder": true, "Flash": true, "Message": true, "Error": true}

// shownCalls are the functions and methods whose string arguments are
// shown on a page (errorf's message is also an API error's: the pages show
// it translated, the API in English).
var shownCalls = map[string]bool{"setFlash": true, "renderError": true, "errorf": true}

// shownParams are the parameter names of the field-making helpers whose
// arguments are shown texts.
var shownParams = map[string]bool{"label": true, "help": true, "title": true, "none": true, "inherit": true, "later": true}

// helpersNotShown draw their texts themselves (SVG charts, the call-flow
// diagram), not through T: their words are not translated yet.
var helpersNotShown = map[string]bool{"edge": true, "members": true, "svgOpen": true, "barChart": true, "lineChart": true, "heatMap": true}

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
	// add records e when it is a string literal, a fmt.Sprintf of a
	// literal format (the format is the message: the catalog translates
	// formatted texts by their format), or either made a sentence().
	var addAs func(e ast.Expr, conv func(string) string)
	addAs = func(e ast.Expr, conv func(string) string) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind != token.STRING {
				return
			}
			s, err := strconv.Unquote(e.Value)
			if err != nil || messageKey(verbRE.ReplaceAllString(s, "")) == "" {
				return
			}
			out = append(out, message{conv(s), fset.Position(e.Pos()).String()})
		case *ast.CallExpr:
			switch callName(e) {
			case "Sprintf":
				if len(e.Args) > 0 {
					if lit, ok := e.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, err := strconv.Unquote(lit.Value)
						if err == nil && messageKey(verbRE.ReplaceAllString(s, "")) != "" && !strings.HasPrefix(s, "%") {
							out = append(out, message{conv(s), fset.Position(lit.Pos()).String()})
						}
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
		id, ok := typ.(*ast.Ident)
		if !ok {
			return
		}
		names := fieldsOf[id.Name]
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
	// A sentence formatted anywhere ("Line %d saved.", "Calls on line %s
	// go to %s."): a Sprintf whose format begins with a capital and has
	// words in it.
	sentenceRE := regexp.MustCompile(`^[A-Z][^ ]* .*[a-z]{3}`)
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok && callName(c) == "Sprintf" && len(c.Args) > 0 {
				if lit, ok := c.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && sentenceRE.MatchString(s) {
						add(lit)
					}
				}
			}
			return true
		})
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
			if _, ok := cat.msgs[lang][k]; ok {
				done++
			}
		}
		t.Logf("%s: %d of %d messages translated (%.0f%%)", lang, done, total, 100*float64(done)/float64(total))
		for k, v := range cat.msgs[lang] {
			if tagsOf(k) != tagsOf(v) {
				t.Errorf("%s: the translation of %q changes its markup: %q", lang, k, v)
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
