package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// MaxDocumentSize bounds a configuration document (a full box's
// configuration is a few hundred kilobytes at most).
const MaxDocumentSize = 4 << 20

// SyntaxError is a configuration document that is not well-formed JSON,
// with the position of the problem.
type SyntaxError struct {
	Line, Column int   // 1-based
	Offset       int64 // byte offset
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("config: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// DecodeConfig reads a configuration document strictly: well-formed JSON
// (errors give line and column), one object, no duplicate keys, nothing
// after it, no unknown fields, right types (errors give the field path,
// e.g. "extensions[2].fxs_port"), a "version" this firmware knows. A
// document of an older version is migrated forward; a newer one is
// refused with ErrTooNew. It does not check the values against the rules
// (ImportConfig and ValidateConfig do, knowing the box). Field problems
// come back as a *ValidationError.
func DecodeConfig(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("config: read: %w", err)
	}
	if len(data) > MaxDocumentSize {
		return Config{}, fmt.Errorf("config: document larger than %d bytes", MaxDocumentSize)
	}
	if err := checkSyntax(data); err != nil {
		return Config{}, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return Config{}, errors.New("config: the document must be a JSON object")
	}
	rawVersion, ok := top["version"]
	if !ok {
		return Config{}, fieldErr("version", "is missing (this firmware writes %d)", SchemaVersion)
	}
	var version int
	if err := json.Unmarshal(rawVersion, &version); err != nil {
		return Config{}, fieldErr("version", "must be an integer")
	}
	switch {
	case version > SchemaVersion:
		return Config{}, fmt.Errorf("config: document version %d: %w (this firmware reads up to %d)", version, ErrTooNew, SchemaVersion)
	case version < 0:
		return Config{}, fieldErr("version", "must be 0 to %d", SchemaVersion)
	case version < SchemaVersion:
		doc, err := genericObject(data)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := migrateDocument(doc, version); err != nil {
			return Config{}, fmt.Errorf("config: migrate version %d: %w", version, err)
		}
		if data, err = json.Marshal(doc); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		top = nil
		if err := json.Unmarshal(data, &top); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}

	c := Config{Version: SchemaVersion, Extensions: []Extension{}, FXOLines: []FXOLine{}}
	v := &ValidationError{}
	for k := range top {
		switch k {
		case "version", "system", "extensions", "fxo_lines", "fxs_ports":
		default:
			if !slices.Contains(DialPlanSections(), k) {
				v.add(k, "unknown field")
			}
		}
	}
	if raw, ok := top["system"]; ok {
		decodeField(raw, "system", &c.System, v)
	} else {
		v.add("system", "is missing")
	}
	decodeList(top["extensions"], "extensions", &c.Extensions, v)
	decodeList(top["fxo_lines"], "fxo_lines", &c.FXOLines, v)
	decodeList(top["fxs_ports"], "fxs_ports", &c.FXSPorts, v)
	decodeDialPlan(top, &c, v)
	if len(c.Extensions) > MaxExtensions {
		v.add("extensions", "at most %d extensions", MaxExtensions)
	}
	if err := v.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeList decodes a JSON array element by element so that errors name
// the element ("extensions[2].number").
func decodeList[T any](raw json.RawMessage, path string, out *[]T, v *ValidationError) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		v.add(path, "must be an array")
		return
	}
	if len(elems) > MaxExtensions {
		v.add(path, "at most %d entries", MaxExtensions)
		return
	}
	for i, el := range elems {
		var x T
		if decodeField(el, fmt.Sprintf("%s[%d]", path, i), &x, v) {
			*out = append(*out, x)
		}
	}
}

// decodeField strictly decodes one object, reporting problems under path.
func decodeField(raw json.RawMessage, path string, out any, v *ValidationError) bool {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		v.add(path, "must be an object")
		return false
	}
	err := strictUnmarshal(raw, out)
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		v.add(path+"."+te.Field, "must be %s, not %s", typeWords(te.Type), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		v.add(path+"."+name, "unknown field")
	default:
		v.add(path, "%v", err)
	}
	return false
}

func typeWords(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// checkSyntax walks the tokens of data: well-formed JSON, a single
// top-level object, no duplicate keys, nothing after it. Errors carry the
// line and column.
func checkSyntax(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := token(dec, data)
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return syntaxAt(data, 0, "the document must be a JSON object")
	}
	if err := walkObject(dec, data, 1); err != nil {
		return err
	}
	off := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return syntaxAt(data, off, "unexpected data after the document")
	}
	return nil
}

// token reads the next token, turning errors into positioned ones.
func token(dec *json.Decoder, data []byte) (json.Token, error) {
	off := dec.InputOffset()
	tok, err := dec.Token()
	if err == nil {
		return tok, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Token reports the offset of the offending byte.
		bad := min(se.Offset, int64(len(data)))
		line, col := position(data, bad)
		return nil, &SyntaxError{Line: line, Column: col, Offset: bad, Msg: strings.TrimPrefix(se.Error(), "json: ")}
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, syntaxAt(data, int64(len(data)), "unexpected end of the document")
	}
	return nil, syntaxAt(data, off, "%v", err)
}

// maxDepth bounds nesting (the document needs 3 levels); it keeps a
// hostile document from recursing deep.
const maxDepth = 32

func walkValue(dec *json.Decoder, data []byte, tok json.Token, depth int) error {
	if depth > maxDepth && (tok == json.Delim('{') || tok == json.Delim('[')) {
		return syntaxAt(data, dec.InputOffset()-1, "nested more than %d levels deep", maxDepth)
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, data, depth+1)
	case json.Delim('['):
		for {
			tok, err := token(dec, data)
			if err != nil {
				return err
			}
			if tok == json.Delim(']') {
				return nil
			}
			if err := walkValue(dec, data, tok, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func walkObject(dec *json.Decoder, data []byte, depth int) error {
	keys := map[string]bool{}
	for {
		off := dec.InputOffset()
		tok, err := token(dec, data)
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			return nil
		}
		k, _ := tok.(string) // the decoder only yields strings as keys
		if keys[k] {
			return syntaxAt(data, off, "duplicate key %q", k)
		}
		keys[k] = true
		if tok, err = token(dec, data); err != nil {
			return err
		}
		if err := walkValue(dec, data, tok, depth); err != nil {
			return err
		}
	}
}

// syntaxAt builds a SyntaxError at off, skipping the separators the
// decoder's offset may still point at.
func syntaxAt(data []byte, off int64, format string, args ...any) error {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	line, col := position(data, off)
	return &SyntaxError{Line: line, Column: col, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// EncodeConfig writes c as an indented JSON document (with its version).
func EncodeConfig(w io.Writer, c Config) error {
	c.Version = SchemaVersion
	if c.Extensions == nil {
		c.Extensions = []Extension{}
	}
	if c.FXOLines == nil {
		c.FXOLines = []FXOLine{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
