package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
)

// MaxUpload bounds an uploaded backup (prompts included).
const MaxUpload = 256 << 20

// Handler answers GET with a backup file download ("?prompts=1" includes
// the prompts, "?voicemail=1" the voicemail messages and greetings). The
// web UI wraps it in its authentication: a backup holds the SIP secrets
// (and, with voicemail, what callers said).
func Handler(db *store.DB, o BackupOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "GET", http.StatusMethodNotAllowed)
			return
		}
		o := o
		o.Prompts = r.URL.Query().Get("prompts") == "1"
		o.Voicemail = r.URL.Query().Get("voicemail") == "1"
		o.Now = time.Now()
		p, err := prepare(db, o)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		name := fmt.Sprintf("minipbx-backup-%s.tar.gz", o.Now.UTC().Format("20060102-150405"))
		h := w.Header()
		h.Set("Content-Type", "application/gzip")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		h.Set("Cache-Control", "no-store")
		if !o.Voicemail {
			// Built in memory first, so an error is an error response
			// and not a truncated download (without voicemail a backup
			// is small; prompts are bounded by MaxPromptBytes each).
			var buf bytes.Buffer
			if err := p.write(&buf); err != nil {
				h.Del("Content-Disposition")
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Write(buf.Bytes())
			return
		}
		// Voicemail may be up to MaxBackupVoicemailBytes: streamed, not
		// held in the box's memory. What can fail early (the listing,
		// the bounds) failed in prepare; a later error (a disk error
		// halfway) aborts the response, so the client sees a failed
		// download, never a short file that looks whole.
		if err := p.write(w); err != nil {
			panic(http.ErrAbortHandler)
		}
	})
}

// RestoreHandler restores the backup POSTed to it (raw body, or the
// "backup" field of a multipart form; "?prompts=0" skips prompts;
// "?voicemail=0" skips voicemail, "?voicemail=replace" replaces the
// box's with the backup's, the default adds what the box lacks). It
// answers JSON: {"firmware","schema","created","prompts","voicemail"} on
// success, or
// {"error","fields"} with 422 (fields: the store's field errors, when the
// configuration is invalid). Nothing is changed on error.
func RestoreHandler(db *store.DB, o RestoreOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a backup", http.StatusMethodNotAllowed)
			return
		}
		mode, err := ParseVoicemailMode(r.URL.Query().Get("voicemail"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		var src io.Reader = http.MaxBytesReader(w, r.Body, MaxUpload)
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			part, err := formFile(r, "backup")
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
				return
			}
			src = part
		}
		o := o
		o.SkipPrompts = r.URL.Query().Get("prompts") == "0"
		o.Voicemail = mode
		rep, err := Restore(src, db, o)
		if err != nil {
			resp := map[string]any{"error": err.Error()}
			if v, ok := store.AsValidationError(err); ok {
				resp["fields"] = v.Fields
			}
			status := http.StatusUnprocessableEntity
			if !errors.Is(err, ErrBackup) && !isValidation(err) && !errors.Is(err, store.ErrTooNew) {
				status = http.StatusInternalServerError
			}
			writeJSON(w, status, resp)
			return
		}
		if rep.Prompts == nil {
			rep.Prompts = []string{}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"firmware": rep.Info.Firmware, "schema": rep.Info.Schema, "created": rep.Info.Created, "prompts": rep.Prompts,
			"voicemail": rep.Voicemail,
		})
	})
}

func isValidation(err error) bool {
	_, ok := store.AsValidationError(err)
	var syn *store.SyntaxError
	return ok || errors.As(err, &syn)
}

// FactoryResetHandler asks for a factory reset at the next boot (POST
// with confirm=erase in the query or form, so that no stray request wipes
// a box) and then calls onRequested, after the response is written: pbxd
// exits with upgrade.ExitReboot and pbxinit wipes the data partition
// before starting it again.
func FactoryResetHandler(dataDir string, onRequested func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST", http.StatusMethodNotAllowed)
			return
		}
		if r.FormValue("confirm") != "erase" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "confirm=erase is required: a factory reset deletes the configuration, call records, recordings, prompts, certificates and passwords"})
			return
		}
		if err := datadir.RequestFactoryReset(dataDir); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"reboot": true})
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if onRequested != nil {
			onRequested()
		}
	})
}

func formFile(r *http.Request, field string) (io.Reader, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no %q file in the form", field)
		}
		if part.FormName() == field {
			return part, nil
		}
		part.Close()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
