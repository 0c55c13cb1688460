package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"minipbx/internal/strictjson"
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

// decodeStrict parses one JSON object into v with strictjson, the reader
// every input of the box goes through: null, duplicate keys, invalid
// UTF-8, unknown fields, trailing data and type mismatches are errors that
// say where and name the field.
func decodeStrict(data []byte, v any) error {
	return strictjson.Decode(data, v)
}

// jsonError is the response to a body decodeStrict refused: 400 with the
// position, and the field at fault listed as the pages and API list
// validation errors.
func jsonError(err error) *httpError {
	var je *strictjson.Error
	if !errors.As(err, &je) {
		return &httpError{status: http.StatusBadRequest, msg: err.Error()}
	}
	e := &httpError{status: http.StatusBadRequest, msg: "Bad JSON at " + je.Error()}
	if je.Field != "" {
		e.fields = []FieldError{{Field: je.Field, Message: je.Reason}}
	}
	return e
}

// readBody reads a body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *httpError) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", limit)
		}
		return nil, errorf(http.StatusBadRequest, "could not read the request body: %v", err)
	}
	return data, nil
}

// readJSON reads a size-limited body and decodes it strictly.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) *httpError {
	data, herr := readBody(w, r, limit)
	if herr != nil {
		return herr
	}
	if err := decodeStrict(data, v); err != nil {
		return jsonError(err)
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
		return jsonError(err)
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

// answer writes v as JSON with status, or err as the service error of
// op: the end of most API handlers.
func (s *Server) answer(w http.ResponseWriter, status int, op string, v any, err error) {
	if err != nil {
		writeError(w, s.serviceError(op, err))
		return
	}
	writeJSON(w, status, v)
}
