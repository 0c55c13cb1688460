package store

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrLocked means another process (a running pbxd) holds the database
	// file's lock. bbolt allows one writer process per file.
	ErrLocked = errors.New("the database is in use by a running pbxd; stop it or use the API (-url)")
	// ErrCorrupt means the file is not a readable minipbx database. The
	// store never "repairs" such a file by resetting the configuration:
	// the installer decides (restore a backup, or remove the file).
	ErrCorrupt = errors.New("the database is damaged or not a minipbx database; it was left as it is: restore a backup, or move the file away to start with a new configuration")
	// ErrTooNew means the database or document was written by a newer
	// firmware whose schema this one does not know.
	ErrTooNew = errors.New("schema is newer than this firmware supports")
	// ErrNotFound is returned for an extension or line that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrReadOnly is returned by changes on a database opened read-only.
	ErrReadOnly = errors.New("database is open read-only")
	// ErrNoAdminPassword is returned by CheckAdminPassword before
	// EnsureAdminPassword has created one.
	ErrNoAdminPassword = errors.New("no admin password is set")
)

// OpenError is what Open returns when the file cannot be used: it names
// the file and says what is wrong, and wraps ErrLocked, ErrCorrupt,
// ErrTooNew or the underlying error.
type OpenError struct {
	Path   string
	Reason string // human-readable, e.g. "file is truncated (4096 of 32768 bytes)"
	Err    error
}

func (e *OpenError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("store: open %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("store: open %s: %s: %v", e.Path, e.Reason, e.Err)
}

func (e *OpenError) Unwrap() error { return e.Err }

// FieldError is one problem with one field. Field is a JSON path into the
// document the caller sent: "extensions[2].number" for a whole
// configuration, "number" for a call about a single extension.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (f FieldError) String() string {
	if f.Field == "" {
		return f.Message
	}
	return f.Field + ": " + f.Message
}

// ValidationError lists everything wrong with a change; a change that
// fails validation changed nothing.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration: ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// add records a problem; used while validating.
func (e *ValidationError) add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns e as an error when it holds problems, else nil.
func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// AsValidationError returns the *ValidationError inside err, if any; a
// convenience for the web UI and pbxctl, which show fields one by one.
func AsValidationError(err error) (*ValidationError, bool) {
	var v *ValidationError
	ok := errors.As(err, &v)
	return v, ok
}

// fieldErr builds a ValidationError holding one field problem.
func fieldErr(field, format string, args ...any) error {
	v := &ValidationError{}
	v.add(field, format, args...)
	return v
}
