package provision

import (
	"bytes"
	"embed"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"
)

// builtin holds the built-in templates, one per brand (Brand.File).
//
//go:embed templates
var builtin embed.FS

// maxTemplate bounds an override's size.
const maxTemplate = 256 << 10

// funcs are the helpers a template may call besides text/template's own.
var funcs = template.FuncMap{
	"add":  func(a, b int) int { return a + b },
	"mul":  func(a, b int) int { return a * b },
	"pad2": func(n int) string { return fmt.Sprintf("%02d", n) },
	// spaDay is an SPA summer-time rule's day for week w of the month:
	// the first day the weekday is looked for from, -1 for the last.
	"spaDay": func(w int) int {
		if w >= 5 {
			return -1
		}
		return 1 + 7*(w-1)
	},
	// spaSave writes minutes as SPA's "save": hours, or h:mm.
	"spaSave": func(m int) string {
		if m%60 == 0 {
			return strconv.Itoa(m / 60)
		}
		return fmt.Sprintf("%d:%02d", m/60, m%60)
	},
}

// Source says which template of a brand is in force.
type Source struct {
	Brand Brand
	// Override is the path an installer's override is looked for at;
	// InForce is true when it exists and is the one in force.
	Override string
	InForce  bool
	// Error says why an override that exists is not in force (it does
	// not parse, or its files break the brand's format).
	Error string
}

// templates holds the built-in templates and the installer's overrides,
// re-read when their file changes.
type templates struct {
	dir string // the overrides' directory; "" for none

	mu       sync.Mutex
	builtins map[string]*template.Template
	over     map[string]*override
}

// override is an override file as last read.
type override struct {
	mod  time.Time
	size int64
	tmpl *template.Template // nil when it failed
	err  error
}

func newTemplates(dir string) (*templates, error) {
	t := &templates{dir: dir, builtins: map[string]*template.Template{}, over: map[string]*override{}}
	for _, b := range brands {
		text, err := builtin.ReadFile("templates/" + b.File)
		if err != nil {
			return nil, fmt.Errorf("provision: built-in template %s: %w", b.File, err)
		}
		tm, err := parseTemplate(b, string(text))
		if err == nil {
			err = check(b, tm)
		}
		if err != nil {
			return nil, fmt.Errorf("provision: built-in template %s: %w", b.File, err)
		}
		t.builtins[b.Key] = tm
	}
	return t, nil
}

func parseTemplate(b Brand, text string) (*template.Template, error) {
	return template.New(b.File).Funcs(funcs).Option("missingkey=error").Parse(text)
}

// get returns brand b's template in force and where it comes from.
func (t *templates) get(b Brand) (*template.Template, Source) {
	src := Source{Brand: b}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dir == "" {
		return t.builtins[b.Key], src
	}
	src.Override = filepath.Join(t.dir, b.File)
	fi, err := os.Stat(src.Override)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		delete(t.over, b.Key)
		return t.builtins[b.Key], src
	case err != nil:
		src.Error = err.Error()
		return t.builtins[b.Key], src
	}
	o := t.over[b.Key]
	if o == nil || !o.mod.Equal(fi.ModTime()) || o.size != fi.Size() {
		o = &override{mod: fi.ModTime(), size: fi.Size()}
		o.tmpl, o.err = loadOverride(b, src.Override)
		t.over[b.Key] = o
	}
	if o.err != nil {
		src.Error = o.err.Error()
		return t.builtins[b.Key], src
	}
	src.InForce = true
	return o.tmpl, src
}

// loadOverride reads and checks an override.
func loadOverride(b Brand, path string) (*template.Template, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, maxTemplate+1))
	if err != nil {
		return nil, err
	}
	if len(text) > maxTemplate {
		return nil, fmt.Errorf("larger than %d KB", maxTemplate>>10)
	}
	tm, err := parseTemplate(b, string(text))
	if err != nil {
		return nil, err
	}
	return tm, check(b, tm)
}

// sampleSecret is the secret of check's sample phone.
const sampleSecret = "Sample-Secret-7q2"

// check renders tm for a sample phone (with names that try to break out
// of their fields) and reads the file back with the brand's format
// rules: a template that fails cannot be in force. The file must carry
// the account's secret.
func check(b Brand, tm *template.Template) error {
	loc := Time{Zone: "Europe/Berlin", Offset: "+01:00", OffsetHours: "+1", OffsetSeconds: 3600, OffsetMinutes: 60,
		DST: true, DSTStart: Rule{3, 5, 0, 7, 2}, DSTEnd: Rule{10, 5, 0, 7, 3}, DSTMinutes: 60,
		POSIX: "CET-1CEST,M3.5.0,M10.5.0/3", NTP: defaultNTP}
	d := Data{MAC: "001565000001", MACUpper: "001565000001", Model: "Sample",
		Account: Account{Extension: "201", DisplayName: `Ann "&" <Lee>` + "\nx = 1", Label: "201 Ann", AuthUser: "201",
			Secret: sampleSecret, Transport: "udp"},
		Box: Box{Name: "office <pbx>", Host: "192.0.2.1", Port: 5060, UDPPort: 5060, TLSPort: 5061}, Time: loc,
		Language: b.language("en"), LanguageCode: "en", Voicemail: "*97", PickupCode: "**",
		Keys:      []Key{{1, "202", "Bob & <Co>", false}, {2, "701", "Park 701", true}},
		Provision: provisionOf("https://192.0.2.1:8443/provision/t/"+b.fileName("001565000001"), "https://192.0.2.1:8443/provision/t")}
	out, err := execute(b, tm, d)
	if err != nil {
		return err
	}
	s, err := Parse(b.Format, out)
	if err != nil {
		return fmt.Errorf("its file breaks the %s format: %w", b.Name, err)
	}
	for _, v := range s {
		if strings.Contains(v, sampleSecret) {
			return nil
		}
	}
	return errors.New("its file does not set the account's password")
}

// execute renders d (escaped for b's format) with tm.
func execute(b Brand, tm *template.Template, d Data) ([]byte, error) {
	esc := lineValue
	if strings.HasSuffix(b.File, ".xml") {
		esc = xmlText
	}
	var buf bytes.Buffer
	if err := tm.Execute(&buf, d.escaped(esc)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// escaped returns d with every string passed through esc.
func (d Data) escaped(esc func(string) string) Data {
	for _, p := range []*string{&d.MAC, &d.MACUpper, &d.Model, &d.Language, &d.LanguageCode, &d.Voicemail, &d.PickupCode,
		&d.Account.Extension, &d.Account.DisplayName, &d.Account.Label, &d.Account.AuthUser, &d.Account.Secret, &d.Account.Transport,
		&d.Box.Name, &d.Box.Host, &d.Time.Zone, &d.Time.Offset, &d.Time.OffsetHours, &d.Time.POSIX, &d.Time.NTP,
		&d.Provision.URL, &d.Provision.Dir, &d.Provision.Scheme, &d.Provision.Host, &d.Provision.Path} {
		*p = esc(*p)
	}
	ks := make([]Key, len(d.Keys))
	for i, k := range d.Keys {
		k.Number, k.Label = esc(k.Number), esc(k.Label)
		ks[i] = k
	}
	d.Keys = ks
	return d
}

// lineValue makes s a value of a one-line setting: no control
// characters or line separators, no space at either end.
func lineValue(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s))
}

// xmlText makes s character data or an attribute value of an XML file.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(lineValue(s)))
	return b.String()
}
