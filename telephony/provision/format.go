package provision

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The brands' file formats, read back into a flat list of settings. A
// file the phone would refuse or misread is an error here: the box checks
// an installer's template override with these before it puts it in force
// (a broken override leaves the built-in in force), and the tests read
// every built-in template's files back with them.
//
//	yealink      "#!version:1.0.0.1" first, then "key = value" lines and "#" comments;
//	             keys as "account.1.user_name"
//	grandstream  XML <gs_provision version="1"><mac/>?<config version="1"> of <P47>…</P47>;
//	             keys as "P47"
//	snom         XML <settings> of <phone-settings> (<user_name idx="1" perm="">)
//	             and <functionKeys> (<fkey idx="0" context="1" label="" perm="">);
//	             keys as "user_name[1]", "fkey[0]", "fkey[0]@label"
//	fanvil       "<<VOIP CONFIG FILE>>Version:2.0000000000" first, "<SIP CONFIG MODULE>"
//	             sections of "Key :Value" lines, "<<END OF FILE>>" last;
//	             keys as "SIP CONFIG MODULE/SIP1 Phone Number"
//	spa          XML <flat-profile> of <Proxy_1_ ua="na">…</Proxy_1_>; keys as "Proxy_1_"
//
// A setting may appear once: a template that writes one twice has a bug
// (or a value broke out of its field).

// Settings are a file's settings by key.
type Settings map[string]string

// Parse reads a file of the given format.
func Parse(format string, data []byte) (Settings, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8 text")
	}
	switch format {
	case "yealink":
		return parseYealink(data)
	case "fanvil":
		return parseFanvil(data)
	case "grandstream":
		return parseXML(data, grandstreamXML{})
	case "snom":
		return parseXML(data, snomXML{})
	case "spa":
		return parseXML(data, spaXML{})
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

func (s Settings) set(key, value string) error {
	if _, dup := s[key]; dup {
		return fmt.Errorf("%s is set twice", key)
	}
	s[key] = value
	return nil
}

// lines splits data into lines without their line ends; a line with a
// control character other than a tab is an error.
func lines(data []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSuffix(sc.Text(), "\r")
		if strings.ContainsFunc(l, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			return nil, fmt.Errorf("line %d: a control character", n)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

var yealinkKey = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_\-]+)+$`)

// yealinkHeader must open a Yealink configuration file: without it the
// phone ignores the file.
const yealinkHeader = "#!version:1.0.0.1"

func parseYealink(data []byte) (Settings, error) {
	ls, err := lines(data)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 || strings.TrimSpace(ls[0]) != yealinkHeader {
		return nil, fmt.Errorf("line 1 must be %q", yealinkHeader)
	}
	s := Settings{}
	for i, l := range ls[1:] {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		k = strings.TrimSpace(k)
		if !ok || !yealinkKey.MatchString(k) {
			return nil, fmt.Errorf("line %d: want key = value, got %q", i+2, t)
		}
		if err := s.set(k, strings.TrimSpace(v)); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
	}
	return s, nil
}

const (
	fanvilHeader = "<<VOIP CONFIG FILE>>Version:2.0000000000"
	fanvilEnd    = "<<END OF FILE>>"
)

var fanvilSection = regexp.MustCompile(`^<[A-Z0-9 ]+ MODULE>$`)

func parseFanvil(data []byte) (Settings, error) {
	ls, err := lines(data)
	if err != nil {
		return nil, err
	}
	for len(ls) > 0 && strings.TrimSpace(ls[len(ls)-1]) == "" {
		ls = ls[:len(ls)-1]
	}
	if len(ls) < 2 || strings.TrimSpace(ls[0]) != fanvilHeader {
		return nil, fmt.Errorf("line 1 must be %q", fanvilHeader)
	}
	if strings.TrimSpace(ls[len(ls)-1]) != fanvilEnd {
		return nil, fmt.Errorf("the last line must be %q", fanvilEnd)
	}
	s := Settings{}
	section := ""
	for i, l := range ls[1 : len(ls)-1] {
		n := i + 2
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case fanvilSection.MatchString(t):
			section = strings.Trim(t, "<>")
		case strings.HasPrefix(t, "<<"):
			return nil, fmt.Errorf("line %d: %q inside the file", n, t)
		case section == "":
			return nil, fmt.Errorf("line %d: a setting before the first <... MODULE> section", n)
		case strings.HasPrefix(t, "--"):
			// A list's title ("--SIP Line List--  :"): no setting.
		default:
			k, v, ok := strings.Cut(t, ":")
			k = strings.TrimSpace(k)
			if !ok || k == "" || strings.ContainsAny(k, "<>") {
				return nil, fmt.Errorf("line %d: want Key :Value, got %q", n, t)
			}
			if err := s.set(section+"/"+k, strings.TrimSpace(v)); err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
		}
	}
	return s, nil
}

// xmlFormat is the shape of one brand's XML file.
type xmlFormat interface {
	// root is the document element's name.
	root() string
	// element takes the element at path (names from the root down,
	// the root excluded) with its attributes; text is its character
	// data when it has no children. It returns the settings it adds, or
	// an error when the element has no place there.
	element(path []string, attrs map[string]string, text string, leaf bool) (key, value string, extra map[string]string, err error)
}

// parseXML reads an XML file strictly: well-formed, one root of the
// format's name, no DOCTYPE, and every element where the format puts it.
func parseXML(data []byte, f xmlFormat) (Settings, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	s := Settings{}
	type open struct {
		name  string
		attrs map[string]string
		text  strings.Builder
		kids  bool
	}
	var stack []*open
	seenRoot := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, errors.New("XML: a DOCTYPE or other directive")
		case xml.StartElement:
			if len(stack) == 0 {
				if seenRoot || t.Name.Local != f.root() {
					return nil, fmt.Errorf("XML: the document element must be <%s>", f.root())
				}
				seenRoot = true
			} else {
				stack[len(stack)-1].kids = true
			}
			o := &open{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				o.attrs[a.Name.Local] = a.Value
			}
			stack = append(stack, o)
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("XML: text outside the document element")
				}
				continue
			}
			stack[len(stack)-1].text.Write(t)
		case xml.EndElement:
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				continue // the root
			}
			path := make([]string, 0, len(stack))
			for _, p := range stack[1:] {
				path = append(path, p.name)
			}
			path = append(path, o.name)
			text := o.text.String()
			if !o.kids {
				text = strings.TrimSpace(text)
			} else if strings.TrimSpace(text) != "" {
				return nil, fmt.Errorf("XML: <%s> mixes text and elements", o.name)
			}
			k, v, extra, err := f.element(path, o.attrs, text, !o.kids)
			if err != nil {
				return nil, fmt.Errorf("XML: %s: %w", strings.Join(path, "/"), err)
			}
			if k != "" {
				if err := s.set(k, v); err != nil {
					return nil, err
				}
			}
			for ek, ev := range extra {
				if err := s.set(ek, ev); err != nil {
					return nil, err
				}
			}
		}
	}
	if !seenRoot {
		return nil, fmt.Errorf("XML: no <%s> document", f.root())
	}
	return s, nil
}

var (
	pValue   = regexp.MustCompile(`^P[0-9]{1,5}$`)
	xmlName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	digitsRe = regexp.MustCompile(`^[0-9]{1,4}$`)
)

type grandstreamXML struct{}

func (grandstreamXML) root() string { return "gs_provision" }

func (grandstreamXML) element(path []string, attrs map[string]string, text string, leaf bool) (string, string, map[string]string, error) {
	switch {
	case len(path) == 1 && path[0] == "mac" && leaf:
		if FindMAC(text) != text {
			return "", "", nil, fmt.Errorf("%q is not a MAC address of 12 lower-case hex digits", text)
		}
		return "mac", text, nil, nil
	case len(path) == 1 && path[0] == "config" && !leaf:
		if v := attrs["version"]; v != "1" {
			return "", "", nil, fmt.Errorf("version %q: this reader knows version 1 (P-values)", v)
		}
		return "", "", nil, nil
	case len(path) == 2 && path[0] == "config" && leaf && pValue.MatchString(path[1]):
		return path[1], text, nil, nil
	}
	return "", "", nil, errors.New("has no place in a Grandstream configuration (want <config version=\"1\"> of P-values)")
}

type snomXML struct{}

func (snomXML) root() string { return "settings" }

func (snomXML) element(path []string, attrs map[string]string, text string, leaf bool) (string, string, map[string]string, error) {
	switch {
	case len(path) == 1 && (path[0] == "phone-settings" || path[0] == "functionKeys") && !leaf:
		return "", "", nil, nil
	case len(path) == 2 && path[0] == "phone-settings" && leaf && xmlName.MatchString(path[1]):
		if _, ok := attrs["perm"]; !ok {
			return "", "", nil, errors.New("needs a perm attribute (\"\", \"R\" or \"RW\")")
		}
		key := path[1]
		if idx, ok := attrs["idx"]; ok {
			if !digitsRe.MatchString(idx) {
				return "", "", nil, fmt.Errorf("idx %q is not a number", idx)
			}
			key += "[" + idx + "]"
		}
		return key, text, nil, nil
	case len(path) == 2 && path[0] == "functionKeys" && path[1] == "fkey" && leaf:
		idx := attrs["idx"]
		if !digitsRe.MatchString(idx) {
			return "", "", nil, fmt.Errorf("idx %q is not a number", idx)
		}
		if _, ok := attrs["context"]; !ok {
			return "", "", nil, errors.New("needs a context attribute")
		}
		key := "fkey[" + idx + "]"
		return key, text, map[string]string{key + "@label": attrs["label"]}, nil
	}
	return "", "", nil, errors.New("has no place in a snom settings file")
}

type spaXML struct{}

func (spaXML) root() string { return "flat-profile" }

func (spaXML) element(path []string, attrs map[string]string, text string, leaf bool) (string, string, map[string]string, error) {
	if len(path) != 1 || !leaf || !xmlName.MatchString(path[0]) {
		return "", "", nil, errors.New("a flat profile holds only <Parameter_Name_> elements of text")
	}
	switch attrs["ua"] {
	case "", "na", "ro", "rw":
	default:
		return "", "", nil, fmt.Errorf("ua=%q: want na, ro or rw", attrs["ua"])
	}
	return path[0], text, nil, nil
}
