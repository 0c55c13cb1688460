package webui

import (
	"bytes"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// errFullDisk is what a store write on a full data partition returns: the
// errno wrapped in a *fs.PathError that names the file.
var errFullDisk = fmt.Errorf("store: append call record: %w", &fs.PathError{Op: "write", Path: "/data/pbx.db", Err: syscall.ENOSPC})

// TestStorageFull: a full disk is answered 507 with words an installer can
// act on, and no internal path — through the API and the pages alike.
func TestStorageFull(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	c := f.client()
	c.ready()
	full := func() {
		f.svc.mu.Lock()
		f.svc.failNext = errFullDisk
		f.svc.mu.Unlock()
	}
	for _, tc := range []struct {
		name string
		do   func() (int, string)
	}{
		{"API create extension", func() (int, string) {
			full()
			w := f.api("POST", "/api/v1/extensions", `{"number":"160"}`)
			decodeError(t, w)
			return w.Code, w.Body.String()
		}},
		{"page create extension", func() (int, string) {
			c.get("/extensions/new")
			full()
			w := c.post("/extensions/new", url.Values{"number": {"160"}, "fxs_port": {"0"}})
			return w.Code, w.Body.String()
		}},
		{"page voicemail", func() (int, string) {
			full()
			w := c.get("/voicemail")
			return w.Code, w.Body.String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := tc.do()
			if code != http.StatusInsufficientStorage {
				t.Errorf("status %d, want 507", code)
			}
			if !strings.Contains(body, "storage is full") || !strings.Contains(body, "Free some space") {
				t.Errorf("body does not say the storage is full and what to do:\n%s", body)
			}
			for _, leak := range []string{"/data", "pbx.db", "no space left"} {
				if strings.Contains(body, leak) {
					t.Errorf("body shows %q:\n%s", leak, body)
				}
			}
		})
	}
}

// logBuffer is a slog handler's output, safe to read while handlers log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestHandlerPanic: a handler that panics gets the client a 500 with a
// plain message (JSON for the API, a page otherwise) and the panic, with
// its stack, in the log at error level — not a reset stream and a line
// at debug level.
func TestHandlerPanic(t *testing.T) {
	var logs logBuffer
	f := newFixture(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	f.readyAPI()
	c := f.client()
	c.ready()
	for _, tc := range []struct {
		name string
		do   func() (int, string, string)
	}{
		{"API", func() (int, string, string) {
			w := f.api("POST", "/api/v1/extensions", `{"number":"160"}`)
			return w.Code, w.Header().Get("Content-Type"), w.Body.String()
		}},
		{"page", func() (int, string, string) {
			w := c.get("/voicemail")
			return w.Code, w.Header().Get("Content-Type"), w.Body.String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.svc.mu.Lock()
			f.svc.panicNext = "secret detail of a bug"
			f.svc.mu.Unlock()
			code, ct, body := tc.do()
			if code != http.StatusInternalServerError {
				t.Errorf("status %d, want 500", code)
			}
			if wantCT := map[string]string{"API": "application/json", "page": "text/html"}[tc.name]; !strings.HasPrefix(ct, wantCT) {
				t.Errorf("Content-Type %q, want %s", ct, wantCT)
			}
			if !strings.Contains(body, "internal error") || strings.Contains(body, "secret detail") {
				t.Errorf("body:\n%s", body)
			}
			if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "panicked") ||
				!strings.Contains(l, "secret detail of a bug") || !strings.Contains(l, "fake_test.go") {
				t.Errorf("log at error level lacks the panic and its stack:\n%s", l)
			}
		})
	}
	// The server still serves.
	if w := f.api("GET", "/api/v1/extensions", ""); w.Code != 200 {
		t.Fatalf("after the panics: %d", w.Code)
	}
}
