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

	"minipbx/internal/strictjson"
)

// MaxDocumentSize bounds a configuration document (a full box's
// configuration is a few hundred kilobytes at most).
const MaxDocumentSize = 4 << 20

// SyntaxError is a configuration document that is not acceptable JSON
// (malformed, not an object, a key twice, invalid UTF-8), with the
// position of the problem and the field at fault where there is one. It
// is strictjson's error: documents are read by the same strict reader as
// every API body.
type SyntaxError = strictjson.Error

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
			if !slices.Contains(DialPlanSections(), k) && !slices.Contains(SettingsSections(), k) {
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
	decodeSettings(top, &c, v)
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

// checkSyntax is strictjson.Check: one JSON object, no duplicate keys, no
// invalid UTF-8, nothing after it; errors carry the line and column.
func checkSyntax(data []byte) error { return strictjson.Check(data) }

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
