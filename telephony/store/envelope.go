package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// envelope wraps every value stored in the database with the schema
// version it was written in, so that a value can always be read (and
// migrated forward) on its own, even by a read-only tool, and a value
// written by a newer firmware is recognised instead of misread.
type envelope struct {
	Schema int             `json:"schema"`
	Data   json.RawMessage `json:"data"`
}

// encodeValue wraps v in an envelope at the current schema.
func encodeValue(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{Schema: SchemaVersion, Data: data})
}

// decodeValue reads a stored value of the given kind ("system",
// "extension", "fxo_line", "admin", "cdr", "limits") into out. fileSchema
// is the schema recorded in the file's meta bucket: values of a v0 file
// predate envelopes and are bare JSON. A value older than SchemaVersion is
// migrated forward in memory. Unknown fields and trailing bytes are errors:
// a value that does not decode exactly is corruption, not something to
// guess about.
func decodeValue(kind string, raw []byte, fileSchema int, out any) error {
	version, data := 0, raw
	if fileSchema > 0 {
		var env envelope
		if err := strictUnmarshal(raw, &env); err != nil {
			return fmt.Errorf("envelope: %w", err)
		}
		if env.Schema < 1 {
			return fmt.Errorf("envelope: schema %d is not a valid version", env.Schema)
		}
		if env.Schema > SchemaVersion {
			return fmt.Errorf("value written with schema %d: %w (this firmware: %d)", env.Schema, ErrTooNew, SchemaVersion)
		}
		if len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")) {
			return errors.New("envelope: no data")
		}
		version, data = env.Schema, env.Data
	}
	if version < SchemaVersion {
		var err error
		if data, err = migrateValue(kind, version, data); err != nil {
			return err
		}
	}
	if err := strictUnmarshal(data, out); err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	return nil
}

// strictUnmarshal decodes exactly one JSON value into out, refusing
// unknown object fields and anything after the value.
func strictUnmarshal(data []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the value at offset %d", dec.InputOffset())
	}
	return nil
}

// quickCheckValue is a cheap test of a stored value: well-formed JSON
// and, in an enveloped file, an envelope of a schema this firmware reads
// (as written by encodeValue: the schema first, then the data object).
func quickCheckValue(raw []byte, fileSchema int) error {
	if !json.Valid(raw) {
		return errors.New("not well-formed JSON")
	}
	if fileSchema == 0 {
		return nil
	}
	rest, ok := bytes.CutPrefix(raw, []byte(`{"schema":`))
	if !ok {
		return errors.New("envelope: no schema")
	}
	i := bytes.IndexByte(rest, ',')
	if i < 1 {
		return errors.New("envelope: malformed")
	}
	n, err := strconv.Atoi(string(rest[:i]))
	switch {
	case err != nil || n < 1:
		return fmt.Errorf("envelope: schema %q is not a valid version", rest[:i])
	case n > SchemaVersion:
		return fmt.Errorf("value written with schema %d: %w (this firmware: %d)", n, ErrTooNew, SchemaVersion)
	case !bytes.HasPrefix(rest[i+1:], []byte(`"data":{`)):
		return errors.New("envelope: no data object")
	}
	return nil
}
