package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Maintenance is what the Maintenance page and its API routes need of the
// box: firmware upgrades, backup and restore, factory reset and the
// supervisor's log. It is a separate interface from telephony.Service on
// purpose: these act on the box as a whole (its boot slots, its data
// partition, its process) rather than on the exchange, and the box
// (internal/box) implements them with the upgrade packages, which the
// web UI therefore never imports. Options.Maintenance nil (a box without
// them, or tests of other pages) makes the page say so and the API
// routes answer 503.
//
// The handlers do their own work and answer JSON; the web UI puts its
// authentication and CSRF checks in front of them (they have none) and
// lifts the server's read and write deadlines for uploads.
type Maintenance interface {
	// Firmware describes the running firmware and the upgrade state.
	Firmware(ctx context.Context) FirmwareInfo
	// UpgradeHandler installs a bundle POSTed raw or as the "bundle"
	// field of a multipart form ("?force=1" allows a downgrade) and
	// answers {"version","slot","board"} or {"error","code"}; after a
	// success the box reboots into the new firmware on trial.
	UpgradeHandler() http.Handler
	// ProgressHandler answers GET with the upgrade's progress
	// {"state","version","done","total","error"}.
	ProgressHandler() http.Handler
	// BackupHandler answers GET with a backup file ("?prompts=1"
	// includes the prompts, "?voicemail=1" the voicemail messages and
	// greetings).
	BackupHandler() http.Handler
	// RestoreHandler restores a backup POSTed raw or as the "backup"
	// field of a multipart form ("?voicemail=replace" or "=0": see
	// openapi.json); {"error","fields"} with 422 when it is not valid,
	// and then nothing changed.
	RestoreHandler() http.Handler
	// FactoryResetHandler asks for a factory reset (POST, confirm=erase)
	// and then reboots the box, which comes back as new.
	FactoryResetHandler() http.Handler
	// SupervisorLog returns pbxinit's ring of pbxd's output and its
	// status document (JSON), or an error when there is none (pbxd not
	// started by pbxinit).
	SupervisorLog() (log, status []byte, err error)
}

// FirmwareInfo is the firmware and upgrade state the Maintenance page and
// GET /api/v1/firmware show.
type FirmwareInfo struct {
	Version string `json:"version"`
	Board   string `json:"board"`
	// Enabled says whether upgrades can be installed; Disabled says why
	// not.
	Enabled  bool   `json:"enabled"`
	Disabled string `json:"disabled,omitempty"`
	// TestKeys: the firmware trusts the repository's TEST signing key.
	TestKeys bool `json:"test_keys,omitempty"`
	// Boot state: the slot running, the one the next reset boots, the
	// one a failed trial returns to, and the trial's tries.
	Booted    string `json:"booted,omitempty"`
	Next      string `json:"next,omitempty"`
	Fallback  string `json:"fallback,omitempty"`
	Trial     bool   `json:"trial"`
	Tries     int    `json:"tries,omitempty"`
	MaxTries  int    `json:"max_tries,omitempty"`
	BootError string `json:"boot_error,omitempty"`
	// The current or last upgrade: idle, writing, checking, installed,
	// failed.
	UpgradeState   string `json:"upgrade_state,omitempty"`
	UpgradeVersion string `json:"upgrade_version,omitempty"`
	UpgradeError   string `json:"upgrade_error,omitempty"`
	// Restored is set when this start returned the configuration to its
	// pre-upgrade snapshot (a rollback).
	Restored string `json:"restored,omitempty"`
}

// supervisorStatus is pbxinit's pbxd.json.
type supervisorStatus struct {
	Running   bool      `json:"running"`
	PID       int       `json:"pid,omitempty"`
	Started   time.Time `json:"started,omitzero"`
	Restarts  int       `json:"restarts"`
	LastExit  string    `json:"last_exit,omitempty"`
	NextStart time.Time `json:"next_start,omitzero"`
}

type maintenanceBody struct {
	Available bool
	Firmware  FirmwareInfo
	Loc       *time.Location
	Log       string
	LogError  string
	Super     *supervisorStatus
	ResetErr  string
}

// maxLogShown bounds the supervisor log on the page (its tail is shown;
// pbxinit's ring is 256 KiB).
const maxLogShown = 64 << 10

func (s *Server) maintenanceBody(ctx context.Context) maintenanceBody {
	mb := maintenanceBody{Available: s.maint != nil, Loc: s.location(ctx)}
	if s.maint == nil {
		return mb
	}
	mb.Firmware = s.maint.Firmware(ctx)
	log, status, err := s.maint.SupervisorLog()
	if err != nil {
		mb.LogError = "pbxd is not running under the box's supervisor (pbxinit), so there is no supervisor log."
	} else {
		if len(log) > maxLogShown {
			log = log[len(log)-maxLogShown:]
			if i := bytes.IndexByte(log, '\n'); i >= 0 {
				log = log[i+1:]
			}
		}
		mb.Log = string(log)
		var st supervisorStatus
		if json.Unmarshal(status, &st) == nil && len(status) > 0 {
			mb.Super = &st
		}
	}
	return mb
}

func (s *Server) maintenancePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "maintenance", pageData{Title: "Maintenance", Active: "maintenance", Body: s.maintenanceBody(r.Context())})
}

// maintenanceReset is the page's factory-reset form: the installer must
// type "erase". The request goes to the same handler as the API's.
func (s *Server) maintenanceReset(w http.ResponseWriter, r *http.Request) {
	if s.maint == nil {
		s.renderError(w, r, http.StatusServiceUnavailable, "Factory reset is not available on this box.")
		return
	}
	if r.PostForm.Get("confirm") != "erase" {
		mb := s.maintenanceBody(r.Context())
		mb.ResetErr = `Type the word erase to confirm the factory reset. Nothing was deleted.`
		s.render(w, r, http.StatusUnprocessableEntity, "maintenance", pageData{Title: "Maintenance", Active: "maintenance", Body: mb})
		return
	}
	rec := &bufferRecorder{header: http.Header{}}
	s.maint.FactoryResetHandler().ServeHTTP(rec, r)
	if rec.status != 0 && rec.status != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(rec.body.Bytes(), &e)
		s.renderError(w, r, http.StatusInternalServerError, fmt.Sprintf("The factory reset could not be requested: %s", e.Error))
		return
	}
	s.log.Warn("webui: factory reset requested", "remote", r.RemoteAddr)
	s.render(w, r, http.StatusOK, "rebooting", pageData{Title: "Factory reset", Body: "The box is restarting and erasing all its data. It comes back as a new box: its new admin password is shown on its console (pbxctl passwd on the box sets one). This page does not reload by itself."})
}

// bufferRecorder keeps a handler's response for a page to interpret.
type bufferRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *bufferRecorder) Header() http.Header { return r.header }
func (r *bufferRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *bufferRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// uploadTimeout bounds an upload of a bundle or a backup: a slow link
// and a 100 MB image need far longer than the server's 30 s read timeout.
const uploadTimeout = 30 * time.Minute

// maintenanceAPI serves one of the Maintenance handlers, or 503 when the
// box has none. Uploads get their own deadlines.
func (s *Server) maintenanceAPI(pick func(Maintenance) http.Handler, upload bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.maint == nil {
			writeError(w, errorf(http.StatusServiceUnavailable, "Maintenance (upgrade, backup, restore, factory reset) is not available on this box."))
			return
		}
		if upload {
			rc := http.NewResponseController(w)
			deadline := s.now().Add(uploadTimeout)
			_ = rc.SetReadDeadline(deadline)
			_ = rc.SetWriteDeadline(deadline)
		}
		pick(s.maint).ServeHTTP(w, r)
	}
}

func (s *Server) apiFirmware(w http.ResponseWriter, r *http.Request) {
	if s.maint == nil {
		writeError(w, errorf(http.StatusServiceUnavailable, "Firmware information is not available on this box."))
		return
	}
	writeJSON(w, http.StatusOK, s.maint.Firmware(r.Context()))
}

// maintenanceAPIRoutes are the API routes of the Maintenance page (listed
// in apiRoutes, documented in openapi.json).
func (s *Server) apiUpgrade() http.HandlerFunc {
	return s.maintenanceAPI(Maintenance.UpgradeHandler, true)
}
func (s *Server) apiUpgradeProgress() http.HandlerFunc {
	return s.maintenanceAPI(Maintenance.ProgressHandler, false)
}
func (s *Server) apiBackup() http.HandlerFunc {
	return s.maintenanceAPI(Maintenance.BackupHandler, false)
}
func (s *Server) apiRestore() http.HandlerFunc {
	return s.maintenanceAPI(Maintenance.RestoreHandler, true)
}
func (s *Server) apiFactoryReset() http.HandlerFunc {
	return s.maintenanceAPI(Maintenance.FactoryResetHandler, false)
}
