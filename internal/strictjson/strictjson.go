// Package strictjson is the one JSON reader for everything the box is sent:
// REST API bodies, configuration documents and the configuration inside a
// backup. The standard decoder is lenient in ways that lose data quietly —
// a body of `null` decodes as an empty object (and an update then wipes
// what it names), a repeated key keeps the last value, invalid UTF-8 and
// unpaired UTF-16 escapes become U+FFFD — so Check refuses each of those
// with the line, the column and the field at fault before any value is
// decoded.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of objects and arrays; the box's documents
// need a few levels, and the bound keeps a hostile body from recursing deep.
const MaxDepth = 32

// Error is input that is not acceptable JSON, or whose value does not fit
// what was asked for, with its position and, where there is one, the path
// of the field at fault ("extensions[2].name").
type Error struct {
	Line, Column int   // 1-based
	Offset       int64 // byte offset
	Field        string
	Msg          string // says what is wrong, naming Field when there is one
	Reason       string // Msg without the field's name, to show beside the field
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Check reads data as one JSON object, strictly: well-formed, an object at
// the top (not null, an array or a scalar), no key twice in one object,
// valid UTF-8 and properly paired \u escapes in every string, at most
// MaxDepth levels deep, nothing after it. The first problem comes back as
// an *Error.
func Check(data []byte) error {
	w := walker{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	if len(bytes.TrimSpace(data)) == 0 {
		return w.errAt(0, "", "the JSON is empty; send a JSON object")
	}
	tok, err := w.token("")
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return w.errAt(w.start(0), "", "must be a JSON object, not %s", kindOf(tok))
	}
	if err := w.object("", 1); err != nil {
		return err
	}
	off := w.start(w.dec.InputOffset())
	if _, err := w.dec.Token(); err != io.EOF {
		return w.errAt(off, "", "unexpected data after the JSON object")
	}
	return nil
}

// Decode checks data (see Check) and decodes it into v, refusing unknown
// fields and values of the wrong type with the field's path and position.
func Decode(data []byte, v any) error {
	if err := Check(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describe(data, dec, err)
	}
	return nil
}

type walker struct {
	data []byte
	dec  *json.Decoder
}

// token reads the next token; a string is checked against its raw bytes,
// which the decoder has already made valid by replacing what was not.
// field is the path of the value being read, named in what is wrong with
// a string; malformed JSON is placed by its position alone.
func (w *walker) token(field string) (json.Token, error) {
	before := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, w.errAt(min(se.Offset, int64(len(w.data))), "", "%s", strings.TrimPrefix(se.Error(), "json: "))
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, w.errAt(int64(len(w.data)), "", "unexpected end: the JSON ends early (an unclosed object, array or string)")
		}
		return nil, w.errAt(before, "", "%v", err)
	}
	if _, ok := tok.(string); ok {
		start := w.start(before)
		if msg := checkString(w.data[start+1 : w.dec.InputOffset()-1]); msg != "" {
			return nil, w.errAt(start, field, "%s", msg)
		}
	}
	return tok, nil
}

// start skips the separators between the decoder's offset and the token.
func (w *walker) start(off int64) int64 {
	for off < int64(len(w.data)) && strings.IndexByte(" \t\r\n,:", w.data[off]) >= 0 {
		off++
	}
	return off
}

func (w *walker) value(tok json.Token, field string, depth int) error {
	if (tok == json.Delim('{') || tok == json.Delim('[')) && depth >= MaxDepth {
		return w.errAt(w.dec.InputOffset()-1, field, "nested more than %d levels deep", MaxDepth)
	}
	switch tok {
	case json.Delim('{'):
		return w.object(field, depth+1)
	case json.Delim('['):
		for i := 0; ; i++ {
			elem := fmt.Sprintf("%s[%d]", field, i)
			tok, err := w.token(elem)
			if err != nil {
				return err
			}
			if tok == json.Delim(']') {
				return nil
			}
			if err := w.value(tok, elem, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) object(field string, depth int) error {
	seen := map[string]bool{}
	for {
		off := w.start(w.dec.InputOffset())
		tok, err := w.token(field)
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			return nil
		}
		k, _ := tok.(string) // the decoder yields only strings as keys
		member := k
		if field != "" {
			member = field + "." + k
		}
		if seen[k] {
			return w.errAt(off, member, "duplicate key %q", k)
		}
		seen[k] = true
		if tok, err = w.token(member); err != nil {
			return err
		}
		if err := w.value(tok, member, depth); err != nil {
			return err
		}
	}
}

// errAt builds an *Error at off, naming field when there is one.
func (w *walker) errAt(off int64, field, format string, args ...any) *Error {
	return newError(w.data, off, field, fmt.Sprintf(format, args...))
}

func newError(data []byte, off int64, field, reason string) *Error {
	msg := reason
	if field != "" {
		msg = fmt.Sprintf("field %q: %s", field, reason)
	}
	line, col := Position(data, off)
	return &Error{Line: line, Column: col, Offset: off, Field: field, Msg: msg, Reason: reason}
}

// checkString reports what is wrong with the raw bytes of a JSON string
// (between its quotes; the decoder has already checked the escapes'
// syntax): invalid UTF-8, or a \u escape of half a UTF-16 surrogate pair.
// Both would otherwise be read as U+FFFD.
func checkString(raw []byte) string {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw) && raw[i+1] == 'u':
			r := hex4(raw[i+2:])
			i += 6
			if !utf16.IsSurrogate(r) {
				continue
			}
			if r < 0xDC00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo := hex4(raw[i+2:]); lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return fmt.Sprintf("the escape \\u%04X is half of a UTF-16 surrogate pair, not a character", r)
		case c == '\\':
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 {
				return fmt.Sprintf("the string is not valid UTF-8 (byte 0x%02X)", c)
			}
			i += n
		}
	}
	return ""
}

// hex4 reads four hex digits (the decoder has checked they are there).
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(n)
}

func kindOf(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case bool:
		return strconv.FormatBool(t)
	default:
		return "a number"
	}
}

// describe turns the standard decoder's errors into *Error with the path
// and position of the field.
func describe(data []byte, dec *json.Decoder, err error) error {
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		if typ.Field == "" {
			return newError(data, typ.Offset, "", fmt.Sprintf("the JSON is %s but must be %s", typ.Value, Kind(typ.Type)))
		}
		return newError(data, typ.Offset, typ.Field, fmt.Sprintf("must be %s, not %s", Kind(typ.Type), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return newError(data, dec.InputOffset(), "", fmt.Sprintf("unknown field %q; check the spelling against the API document", name))
	}
	return newError(data, dec.InputOffset(), "", err.Error())
}

// Kind says in words what JSON a Go type takes: "a whole number",
// "an object".
func Kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		if t == reflect.TypeFor[time.Time]() {
			return "an RFC 3339 time string"
		}
		return "an object"
	}
	return t.String()
}

// Position turns a byte offset into a 1-based line and column; an offset
// out of range is clamped.
func Position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
