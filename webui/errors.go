package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// FieldError is one field's problem, as the API reports it and the pages
// show it beside the field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// errorBody is every API error response.
type errorBody struct {
	Error  string       `json:"error"`
	Fields []FieldError `json:"fields,omitempty"`
}

// httpError is an error with the HTTP status it should produce.
type httpError struct {
	status     int
	msg        string
	fields     []FieldError
	retryAfter time.Duration
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// fieldErrors returns the field-level validation messages in err's chain
// (a *store.ValidationError), if any.
func fieldErrors(err error) ([]FieldError, bool) {
	v, ok := store.AsValidationError(err)
	if !ok {
		return nil, false
	}
	out := make([]FieldError, 0, len(v.Fields))
	for _, f := range v.Fields {
		out = append(out, FieldError{Field: f.Field, Message: f.Message})
	}
	return out, true
}

// normalizeField maps a Go struct field path (as a store may name it) to
// the JSON name the forms and API use, e.g. "FXSPort" → "fxs_port". Names
// already in JSON form pass through.
func normalizeField(name string) string {
	if name == "" || strings.ToLower(name) == name {
		return name
	}
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			prevLower := i > 0 && name[i-1] >= 'a' && name[i-1] <= 'z'
			nextLower := i+1 < len(name) && name[i+1] >= 'a' && name[i+1] <= 'z'
			if i > 0 && name[i-1] != '.' && name[i-1] != '[' && (prevLower || nextLower) {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxBody is the limit of a JSON request body; a whole configuration may be
// larger than other requests.
const (
	maxBody       = 64 << 10
	maxConfigBody = 4 << 20
)

// decodeStrict parses exactly one JSON value into v: unknown fields,
// trailing data and type mismatches are errors that say where.
func decodeStrict(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		return fmt.Errorf("unexpected data after the JSON value at %s", position(data, off))
	}
	return nil
}

func describeJSONError(data []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("malformed JSON at %s: %v", position(data, syn.Offset-1), syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return fmt.Errorf("the JSON at %s is a %s but must be a %s", position(data, typ.Offset), typ.Value, jsonKind(typ.Type))
		}
		return fmt.Errorf("field %q at %s must be %s, not %s", field, position(data, typ.Offset), jsonKind(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("malformed JSON: it ends early at %s (unclosed object, array or string)", position(data, int64(len(data))))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fmt.Errorf("unknown field %s at %s; check the spelling against the API document", name, position(data, dec.InputOffset()))
	}
	return fmt.Errorf("malformed JSON: %v", err)
}

func jsonKind(t reflect.Type) string {
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

// position turns the 0-based index of a byte into "line L, column C
// (byte offset N)", lines and columns counted from 1.
func position(data []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + " (byte offset " + strconv.FormatInt(off, 10) + ")"
}

// readJSON reads a size-limited body and decodes it strictly.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) *httpError {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", limit)
		}
		return errorf(http.StatusBadRequest, "could not read the request body: %v", err)
	}
	if err := decodeStrict(data, v); err != nil {
		return &httpError{status: http.StatusBadRequest, msg: err.Error()}
	}
	return nil
}

// readOptionalJSON is readJSON that accepts an empty body (v keeps its
// zero value), for actions whose parameters are all optional.
func readOptionalJSON(w http.ResponseWriter, r *http.Request, v any) *httpError {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return errorf(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", maxBody)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := decodeStrict(data, v); err != nil {
		return &httpError{status: http.StatusBadRequest, msg: err.Error()}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"could not encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, e *httpError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, e.status, errorBody{Error: e.msg, Fields: e.fields})
}
