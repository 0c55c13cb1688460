package webui

import (
	"bytes"
	"strings"
	"text/template/parse"
	"unicode"
	"unicode/utf8"
)

// The templates are written in English and translated once, when they are
// parsed: translateTree walks a template's parse tree and gives each run
// of visible text, and each title, aria-label, alt and placeholder
// attribute written in the template, to a function that returns its
// translation. A run is the text between two block-level tags, the inline
// tags inside it (code, strong, a, ...) included, so that a sentence with
// a <code> in it is one message; a template action ends a run. What the
// actions print (titles, labels, errors built in Go) goes through the
// template function T instead.

// inlineTags are kept inside a message rather than ending it.
var inlineTags = map[string]bool{
	"a": true, "abbr": true, "b": true, "code": true, "em": true, "i": true,
	"kbd": true, "small": true, "strong": true, "span": true, "br": true, "time": true,
}

// translatedAttrs are the attributes whose values a reader sees or hears.
var translatedAttrs = map[string]bool{"title": true, "aria-label": true, "alt": true, "placeholder": true}

const (
	hText = iota
	hTagName
	hTag
	hAttrName
	hBeforeValue
	hValue
	hValueUnquoted
	hComment
	hRaw
)

// htmlState is where a scan of a template's text stands in the HTML it
// writes. It is carried from one text node to the next, as an action's
// output does not change it.
type htmlState struct {
	state int
	quote byte
	tag   string // the tag being read, lower case ("/p" for a closing tag)
	attr  string // the attribute being read
	raw   string // "script" or "style" while inside one
}

// translateTree rewrites every text node under n; f returns a message's
// translation (or the message).
func translateTree(n parse.Node, st *htmlState, f func(string) string) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			translateTree(c, st, f)
		}
	case *parse.TextNode:
		n.Text = translateText(n.Text, st, f)
	case *parse.IfNode:
		translateBranch(&n.BranchNode, st, f)
	case *parse.RangeNode:
		translateBranch(&n.BranchNode, st, f)
	case *parse.WithNode:
		translateBranch(&n.BranchNode, st, f)
	}
}

// translateBranch scans both arms of a branch from the same state and
// goes on from where the first arm ends (the arms of the templates are
// balanced: each ends where the other does).
func translateBranch(b *parse.BranchNode, st *htmlState, f func(string) string) {
	start := *st
	translateTree(b.List, st, f)
	if b.ElseList != nil {
		other := start
		translateTree(b.ElseList, &other, f)
	}
}

// translateText translates one text node's visible text and attributes.
func translateText(b []byte, st *htmlState, f func(string) string) []byte {
	type repl struct {
		start, end int
		with       string
	}
	var rs []repl
	run := -1 // start of the current run of text
	flush := func(end int) {
		if run < 0 {
			return
		}
		for _, seg := range messageSegments(b, run, end) {
			s := string(b[seg[0]:seg[1]])
			if t := f(s); t != s {
				rs = append(rs, repl{seg[0], seg[1], t})
			}
		}
		run = -1
	}
	valueStart := -1
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch st.state {
		case hText:
			if c != '<' {
				if run < 0 {
					run = i
				}
				continue
			}
			if bytes.HasPrefix(b[i:], []byte("<!--")) {
				flush(i)
				st.state = hComment
				i += 3
				continue
			}
			name, end := tagAt(b, i)
			if end > 0 && inlineTags[strings.TrimPrefix(name, "/")] {
				if run < 0 {
					run = i
				}
				i = end - 1
				continue
			}
			flush(i)
			st.state, st.tag = hTagName, ""
		case hTagName:
			if isNameByte(c) || (c == '/' && st.tag == "") {
				st.tag += string(unicode.ToLower(rune(c)))
				continue
			}
			st.state = hTag
			i--
		case hTag:
			switch {
			case c == '>':
				endTag(st)
			case c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
			default:
				st.state, st.attr = hAttrName, string(unicode.ToLower(rune(c)))
			}
		case hAttrName:
			switch {
			case c == '=':
				st.state = hBeforeValue
			case c == '>':
				endTag(st)
			case c == ' ' || c == '\t' || c == '\n' || c == '/':
				st.state = hTag
			default:
				st.attr += string(unicode.ToLower(rune(c)))
			}
		case hBeforeValue:
			switch c {
			case '"', '\'':
				st.state, st.quote, valueStart = hValue, c, i+1
			case ' ', '\t', '\n':
			default:
				st.state = hValueUnquoted
			}
		case hValue:
			if c != st.quote {
				continue
			}
			if valueStart >= 0 && translatedAttrs[st.attr] {
				s := string(b[valueStart:i])
				if messageKey(s) != "" {
					if t := f(s); t != s {
						rs = append(rs, repl{valueStart, i, attrEscape(t)})
					}
				}
			}
			valueStart = -1
			st.state = hTag
		case hValueUnquoted:
			switch c {
			case '>':
				endTag(st)
			case ' ', '\t', '\n':
				st.state = hTag
			}
		case hComment:
			if bytes.HasPrefix(b[i:], []byte("-->")) {
				st.state = hText
				i += 2
			}
		case hRaw:
			if bytes.HasPrefix(bytes.ToLower(b[i:min(len(b), i+2+len(st.raw))]), []byte("</"+st.raw)) {
				st.state, st.tag, st.raw = hTagName, "/", ""
				i++
			}
		}
	}
	if st.state == hText {
		flush(len(b))
	}
	if len(rs) == 0 {
		return b
	}
	var out []byte
	last := 0
	for _, r := range rs {
		out = append(out, b[last:r.start]...)
		out = append(out, r.with...)
		last = r.end
	}
	return append(out, b[last:]...)
}

func endTag(st *htmlState) {
	st.state = hText
	if st.tag == "script" || st.tag == "style" {
		st.state, st.raw = hRaw, st.tag
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// tagAt reads the tag that starts at b[i] == '<': its name in lower case
// ("/code" when closing) and the index after its '>', or end 0 when the
// tag does not end in b.
func tagAt(b []byte, i int) (name string, end int) {
	j := i + 1
	if j < len(b) && b[j] == '/' {
		j++
	}
	k := j
	for k < len(b) && isNameByte(b[k]) {
		k++
	}
	name = strings.ToLower(string(b[i+1 : k]))
	if k == j {
		return name, 0
	}
	var quote byte
	for ; k < len(b); k++ {
		switch c := b[k]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return name, k + 1
		}
	}
	return name, 0
}

// messageSegments splits the run b[start:end] into its messages: the run
// trimmed of white space, if its inline tags open and close within it;
// else each piece of text between its tags. Segments with no letter
// outside <code> and <kbd> are left out.
func messageSegments(b []byte, start, end int) [][2]int {
	var pieces [][2]int // text between tags
	var open []string
	balanced := true
	p := start
	for i := start; i < end; i++ {
		if b[i] != '<' {
			continue
		}
		name, e := tagAt(b, i)
		if e == 0 || e > end {
			break
		}
		pieces = append(pieces, [2]int{p, i})
		p = e
		switch {
		case name == "br":
		case strings.HasPrefix(name, "/"):
			if len(open) == 0 || open[len(open)-1] != name[1:] {
				balanced = false
			} else {
				open = open[:len(open)-1]
			}
		default:
			open = append(open, name)
		}
		i = e - 1
	}
	pieces = append(pieces, [2]int{p, end})
	if len(open) > 0 {
		balanced = false
	}
	if balanced {
		pieces = [][2]int{{start, end}}
	}
	var out [][2]int
	for _, pc := range pieces {
		s, e := pc[0], pc[1]
		for s < e && isSpace(b[s]) {
			s++
		}
		for e > s && isSpace(b[e-1]) {
			e--
		}
		if s < e && hasProse(string(b[s:e])) {
			out = append(out, [2]int{s, e})
		}
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// hasProse reports whether the HTML fragment s has a letter outside its
// tags, <code> and <kbd> (what is in those is typed, not read).
func hasProse(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '<' {
			name, e := tagAt([]byte(s), i)
			if e > 0 {
				switch name {
				case "code", "kbd":
					depth++
				case "/code", "/kbd":
					depth--
				}
				i = e - 1
				continue
			}
		}
		if depth > 0 {
			continue
		}
		if s[i] == '&' { // an entity such as &rarr; is not prose
			if j := strings.IndexByte(s[i:], ';'); j > 0 && j < 10 {
				i += j
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) {
			return true
		}
		i += size - 1
	}
	return false
}

// attrEscape makes a translation safe inside a quoted attribute value.
func attrEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", `'`, "&#39;", "<", "&lt;").Replace(s)
}
