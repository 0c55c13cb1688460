package upgrade

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"minipbx/upgrade/bundle"
)

// Progress is the state of the current or last upgrade, for the web UI's
// progress bar (polled) and pbxctl.
type Progress struct {
	// State: "idle", "writing" (done counts image bytes written),
	// "checking" (the re-read), "installed" (reboot to try it),
	// "failed".
	State   string    `json:"state"`
	Version string    `json:"version,omitempty"`
	Done    int64     `json:"done"`
	Total   int64     `json:"total"`
	Error   string    `json:"error,omitempty"`
	Updated time.Time `json:"updated,omitzero"`
}

// progress is the Engine's shared Progress.
type progress struct {
	mu sync.Mutex
	p  Progress
}

func (p *progress) set(fn func(*Progress)) {
	p.mu.Lock()
	fn(&p.p)
	p.p.Updated = time.Now()
	p.mu.Unlock()
}

func (p *progress) get() Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.p.State == "" {
		return Progress{State: "idle"}
	}
	return p.p
}

// Progress returns the state of the current or last Apply.
func (e *Engine) Progress() Progress { return e.prog.get() }

// ErrorCode names an upgrade error for API clients: "signature",
// "board", "downgrade", "format", "image_hash", "verify", "too_large",
// "on_trial", "in_progress", "unknown_boot", "no_slots", or "internal".
func ErrorCode(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{bundle.ErrSignature, "signature"}, {bundle.ErrBoard, "board"}, {bundle.ErrDowngrade, "downgrade"},
		{bundle.ErrImageHash, "image_hash"}, {bundle.ErrImageTooLong, "format"}, {bundle.ErrFormat, "format"},
		{ErrVerify, "verify"}, {ErrTooLarge, "too_large"}, {ErrBusy, "on_trial"}, {ErrInProgress, "in_progress"},
		{ErrUnknownBoot, "unknown_boot"}, {ErrNoSlots, "no_slots"},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
}

func statusFor(code string) int {
	switch code {
	case "signature", "board", "format", "image_hash":
		return http.StatusUnprocessableEntity
	case "downgrade", "on_trial", "in_progress":
		return http.StatusConflict
	case "too_large":
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// MaxUpload bounds an uploaded bundle (a slot is far smaller).
const MaxUpload = 1 << 30

// UploadHandler installs the bundle POSTed to it: the raw bundle as the
// body (pbxctl upgrade), or the "bundle" field of a multipart form (the
// web UI's file input); "?force=1" allows a downgrade. It answers JSON:
// {"version","slot","board"} on success, after which the caller reboots
// (onInstalled is called once the response is written: pbxd exits with
// ExitReboot), or {"error","code"} with 409/413/422/500. The web UI
// wraps it in its authentication and CSRF checks; this handler has none.
// Progress is polled with ProgressHandler.
func (e *Engine) UploadHandler(onInstalled func(Result)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a bundle", http.StatusMethodNotAllowed)
			return
		}
		body := http.MaxBytesReader(w, r.Body, MaxUpload)
		var src io.Reader = body
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			mr, err := r.MultipartReader()
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "code": "format"})
				return
			}
			for {
				part, err := mr.NextPart()
				if err != nil {
					writeJSON(w, http.StatusBadRequest, map[string]string{"error": "no \"bundle\" file in the form", "code": "format"})
					return
				}
				if part.FormName() == "bundle" {
					src = part
					break
				}
				part.Close()
			}
		}
		force := r.URL.Query().Get("force") == "1"
		res, err := e.Apply(r.Context(), src, Options{Force: force})
		if err != nil {
			code := ErrorCode(err)
			writeJSON(w, statusFor(code), map[string]string{"error": err.Error(), "code": code})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"version": res.Manifest.Version, "board": res.Manifest.Board, "slot": res.Slot, "reboot": true,
		})
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if onInstalled != nil {
			onInstalled(res)
		}
	})
}

// ProgressHandler answers GET with the JSON Progress.
func (e *Engine) ProgressHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Progress())
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
