package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
			status, msg := internalError(o.Logger, "backup", err)
			http.Error(w, msg, status)
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
				status, msg := internalError(o.Logger, "backup", err)
				http.Error(w, msg, status)
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
				status, resp["error"] = internalError(o.Logger, "restore", err)
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

// internalError logs an error that is the box's, not the client's, and
// says what the client is told: 507 and what to do when the storage is
// full, 500 otherwise — in words without the error's details, which may
// name files of the box.
func internalError(log *slog.Logger, op string, err error) (int, string) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log.Error(op+" failed", "err", err)
	if store.IsStorageFull(err) {
		return http.StatusInsufficientStorage, op + " failed: the box's storage is full, so nothing was changed. " +
			"Free some space (delete recordings or voicemail messages you no longer need) and try again."
	}
	return http.StatusInternalServerError, op + " failed: an internal error (the box's log has the details); nothing was changed."
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
