package webui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// apiEvents streams status snapshots as Server-Sent Events: one
// "status" event at once, then one per change from Service.Subscribe,
// with keep-alive comments every Heartbeat. A stream opened with a session
// ends (after a "logout" event) when the session ends; every stream ends
// when the client goes away or the server shuts down.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	if n := s.streams.Add(1); n > s.maxStreams {
		s.streams.Add(-1)
		w.Header().Set("Retry-After", "10")
		writeError(w, errorf(http.StatusServiceUnavailable, "Too many open event streams (%d); close some status pages.", s.maxStreams))
		return
	}
	defer s.streams.Add(-1)

	// A stream lives as long as the page: lift the server's read and write
	// deadlines for this connection (on HTTP/1.1 an expired read deadline
	// would cancel the request's context).
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	events := s.svc.Subscribe(ctx)
	st, err := s.svc.Status(ctx)
	if err != nil {
		writeError(w, s.serviceError("status", err))
		return
	}
	w.WriteHeader(http.StatusOK)
	id := 0
	send := func(event string, data []byte) bool {
		id++
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", id, event, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if !send("status", statusJSON("snapshot", st)) {
		return
	}

	a := authFrom(r.Context())
	sessionAlive := func() bool {
		if a.basic {
			return true
		}
		cur, ok := s.sessions.get(cookieValue(r, sessionCookie), false)
		return ok && !cur.mustChange
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.shuttingDown():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if !sessionAlive() {
				send("logout", []byte(`{}`))
				return
			}
			if !send("status", statusJSON(ev.Kind, ev.Status)) {
				return
			}
		case <-tick.C:
			if !sessionAlive() {
				send("logout", []byte(`{}`))
				return
			}
			if _, err := fmt.Fprint(w, ": keep-alive "+strconv.FormatInt(s.now().Unix(), 10)+"\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}
