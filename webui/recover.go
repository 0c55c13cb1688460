package webui

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
)

// internalErrorMsg is all a client learns of an internal failure; the
// box's log has the details (an error can carry file paths and other
// internals that are nobody else's business).
const internalErrorMsg = "An internal error stopped this request; it was not completed. The box's log has the details."

// recoverPanics answers a request whose handler panicked with 500 and a
// plain message (JSON under /api/, a page elsewhere), and logs the panic
// with its stack at error level: net/http would log it only through the
// server's ErrorLog, which is at debug level to keep scanners' TLS noise
// out, and would reset the stream. A panic after the response has begun
// aborts the connection, as net/http does. http.ErrAbortHandler passes
// through untouched: it is how a handler asks for exactly that.
func (s *Server) recoverPanics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("webui: a request handler panicked", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if tw.wrote {
				panic(http.ErrAbortHandler)
			}
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeError(w, errorf(http.StatusInternalServerError, "%s", internalErrorMsg))
				return
			}
			s.renderError(w, r, http.StatusInternalServerError, internalErrorMsg)
		}()
		h.ServeHTTP(tw, r)
	})
}

// trackingWriter notes whether a response has begun. It passes Flush
// and Hijack on, and Unwrap lets http.ResponseController reach the rest.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *trackingWriter) Flush() {
	t.wrote = true
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}

func (t *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	t.wrote = true
	return http.NewResponseController(t.ResponseWriter).Hijack()
}

func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
