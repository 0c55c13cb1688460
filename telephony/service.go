package telephony

import (
	"context"
	"io"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
)

// Service is the narrow interface through which the web UI (and the API
// that pbxctl uses) reaches the exchange. The web UI imports nothing else of
// telephony but the types this file names.
//
// Every method that changes configuration validates first and returns a
// *store.ValidationError (field-level messages) for bad input, in which case
// nothing changed. Changes apply to the running exchange without dropping
// calls.
type Service interface {
	// Status is a snapshot of ports, registrations and active calls.
	Status(ctx context.Context) (Status, error)
	// Subscribe streams status changes until ctx ends; the channel is closed
	// then. A slow reader misses events rather than stalling the exchange.
	Subscribe(ctx context.Context) <-chan StatusEvent

	Extensions(ctx context.Context) ([]store.Extension, error)
	Extension(ctx context.Context, number string) (store.Extension, error)
	CreateExtension(ctx context.Context, e store.Extension) (store.Extension, error)
	UpdateExtension(ctx context.Context, number string, e store.Extension) (store.Extension, error)
	DeleteExtension(ctx context.Context, number string) error

	Settings(ctx context.Context) (store.System, error)
	UpdateSettings(ctx context.Context, s store.System) (store.System, error)
	FXOLines(ctx context.Context) ([]store.FXOLine, error)
	UpdateFXOLine(ctx context.Context, l store.FXOLine) (store.FXOLine, error)

	// CallRecords returns records newest first, at most limit, older than
	// the record with ID before (0: from the newest).
	CallRecords(ctx context.Context, before uint64, limit int) ([]store.CallRecord, error)

	ExportConfig(ctx context.Context) (store.Config, error)
	// ImportConfig replaces the whole configuration after validating it.
	ImportConfig(ctx context.Context, c store.Config) error
	// UpdateDialPlan replaces the dial-plan sections (store.DialPlan) in
	// one validated transaction, leaving the rest of the configuration as
	// it is at that moment; it returns the dial plan as stored. Problems
	// come back by document path ("ring_groups[0].members[1].destination").
	UpdateDialPlan(ctx context.Context, d store.DialPlan) (store.DialPlan, error)

	// Admin authentication. CheckAdminPassword reports whether the password
	// is right and whether it must be changed (first login).
	CheckAdminPassword(ctx context.Context, password string) (ok, mustChange bool, err error)
	SetAdminPassword(ctx context.Context, password string) error

	// Diagnostics is the state of the line and system tests (settings,
	// next run, alarm, last run); DiagnosticRuns lists runs newest first,
	// older than ID before (0: from the newest). RunDiagnostics runs the
	// tests named (nil: the settings' mask) now: with wait it returns the
	// run, else it starts it in the background (ErrDiagnosticsRunning when
	// one is in progress). UpdateDiagnostics changes the settings (a
	// *store.ValidationError for bad values). See diag_service.go.
	Diagnostics(ctx context.Context) (DiagnosticsStatus, error)
	DiagnosticRuns(ctx context.Context, before uint64, limit int) ([]store.DiagRun, error)
	RunDiagnostics(ctx context.Context, tests []string, wait bool) (store.DiagRun, error)
	UpdateDiagnostics(ctx context.Context, d store.Diagnostics) (store.Diagnostics, error)

	// Voicemail (voicemail_service.go). Mailboxes lists the configured
	// mailboxes with their message counts, and any mailbox directory left
	// on disk by a removed mailbox (Configured false) so its messages can
	// still be heard and deleted. VoicemailMessages lists a mailbox's
	// messages, new ones first, each folder oldest first. VoicemailAudio
	// opens a message as a 16-bit PCM WAV file (what every browser plays);
	// the exchange's store hands out an io.ReadSeeker, so the web UI
	// answers Range requests; the caller closes it. MarkVoicemail moves a message between new and
	// heard (the message-waiting lamps follow); DeleteVoicemail removes
	// it. An unknown mailbox or message is store.ErrNotFound.
	Mailboxes(ctx context.Context) ([]MailboxStatus, error)
	VoicemailMessages(ctx context.Context, box string) ([]VoicemailMessage, error)
	VoicemailAudio(ctx context.Context, box, id string) (io.ReadCloser, int64, error)
	MarkVoicemail(ctx context.Context, box, id string, heard bool) error
	DeleteVoicemail(ctx context.Context, box, id string) error

	// Recordings (recordings_service.go): the installer's audio files in
	// the prompts directory, which menus, queues' music on hold and
	// announcements play by name, and which replace a built-in voice
	// prompt when named after it. Recordings lists them with what uses
	// each, then the files the dial plan names that are missing.
	// SaveRecording converts an upload (WAV in any rate and format, or
	// MP3; at most recordings.MaxUploadBytes and MaxSeconds) to 8 kHz
	// μ-law, normalised, and stores it as name (".wav" added) atomically;
	// the exchange plays it from the next call on. DeleteRecording
	// refuses a recording the dial plan still plays (a replacement of a
	// built-in may always go: the built-in plays again). RecordingAudio
	// opens one as a 16-bit PCM WAV file for browsers; the caller closes
	// it. Problems an installer can fix are a *store.ValidationError on
	// "name" or "file"; an unknown recording is store.ErrNotFound.
	Recordings(ctx context.Context) ([]Recording, error)
	SaveRecording(ctx context.Context, name string, r io.Reader) (Recording, error)
	DeleteRecording(ctx context.Context, name string) error
	RecordingAudio(ctx context.Context, name string) (io.ReadCloser, int64, error)
	// BuiltinPrompts lists the built-in voice prompts with their words
	// and whether a recording replaces each; BuiltinPromptAudio opens the
	// built-in recording itself (not its replacement) as a 16-bit PCM
	// WAV file, so an installer hears what a replacement must say.
	BuiltinPrompts(ctx context.Context) ([]BuiltinPrompt, error)
	BuiltinPromptAudio(ctx context.Context, name string) (io.ReadCloser, int64, error)

	// Sim is the control panel of the simulated board; nil on hardware.
	Sim() SimControl
	Version() string
}

// Recording is one audio file in the prompts directory (package
// recordings, shared with pbxctl's offline mode).
type Recording = recordings.Recording

// BuiltinPrompt is one built-in voice prompt and its replacement state.
type BuiltinPrompt = recordings.BuiltinPrompt

// MailboxStatus is one voice mailbox as the Voicemail page lists it.
type MailboxStatus struct {
	Extension string `json:"extension"`
	Name      string `json:"name,omitempty"` // the extension's name
	New       int    `json:"new"`
	Old       int    `json:"old"`
	// Greetings lists the greetings the owner recorded ("unavailable",
	// "busy"); the built-in one plays for any other.
	Greetings []string `json:"greetings"`
	// Configured is false for a mailbox removed from the configuration
	// whose messages are still on disk.
	Configured bool `json:"configured"`
}

// VoicemailMessage is one message in a mailbox.
type VoicemailMessage struct {
	ID       string           `json:"id"`
	Caller   channel.CallerID `json:"caller"`
	Received time.Time        `json:"received"`
	// DurationMS is the message's length in milliseconds.
	DurationMS int  `json:"duration_ms"`
	Heard      bool `json:"heard"`
}

// Status is what the status page shows.
type Status struct {
	Board         string         `json:"board"`
	Version       string         `json:"version"`
	Started       time.Time      `json:"started"`
	Ports         []PortStatus   `json:"ports"`
	Registrations []Registration `json:"registrations"`
	Calls         []CallStatus   `json:"calls"`
	// Trunks are the SIP trunks' states (empty when none is configured).
	Trunks []TrunkStatus `json:"trunks"`
	// SecurityAlarms are the SIP accounts locked now after repeated
	// authentication failures (someone guessing a password); empty when
	// all is well.
	SecurityAlarms []SecurityAlarm `json:"security_alarms"`
}

// SecurityAlarm is one SIP account locked after repeated authentication
// failures: its credentials are refused, except from addresses it
// authenticated from before, until Until.
type SecurityAlarm struct {
	Kind      string    `json:"kind"` // account-locked
	User      string    `json:"user"`
	Since     time.Time `json:"since"`
	Until     time.Time `json:"until"`
	Failures  int       `json:"failures"`
	Addresses []string  `json:"addresses"` // where the last failures came from
}

// TrunkStatus is one SIP trunk's state.
type TrunkStatus struct {
	Name string `json:"name"`
	Mode string `json:"mode"` // register, peer
	// State is registered, failed, unregistered, or peer (nothing to register).
	State string `json:"state"`
	// Reason says why a registration failed.
	Reason      string    `json:"reason,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`
	ActiveCalls int       `json:"active_calls"`
}

// PortStatus is one analog port's state.
type PortStatus struct {
	Index     int    `json:"index"`
	Number    int    `json:"number"` // 1-based within its kind
	Kind      string `json:"kind"`   // fxs, fxo
	Name      string `json:"name"`
	Hook      string `json:"hook"` // on-hook, off-hook
	Line      string `json:"line"` // ok, no-battery, in-use, ringing, fault
	Fault     string `json:"fault,omitempty"`
	Extension string `json:"extension,omitempty"` // FXS: the extension it belongs to
	InCall    bool   `json:"in_call"`
}

// Registration is one SIP contact bound to an extension.
type Registration struct {
	Extension string    `json:"extension"`
	Contact   string    `json:"contact"`
	Source    string    `json:"source"` // transport address it came from
	UserAgent string    `json:"user_agent,omitempty"`
	Expires   time.Time `json:"expires"`
}

// CallStatus is one call in progress.
type CallStatus struct {
	ID       string           `json:"id"`
	Caller   channel.CallerID `json:"caller"`
	Callee   string           `json:"callee"`
	From     string           `json:"from"` // originating channel
	To       string           `json:"to,omitempty"`
	State    string           `json:"state"` // dialling, ringing, answered
	Started  time.Time        `json:"started"`
	Answered time.Time        `json:"answered,omitzero"`
}

// StatusEvent tells a subscriber that something changed; Kind is "port",
// "registration", "call", "security" (SecurityAlarms changed),
// "diagnostics" (a run started or ended, the
// next run or the alarm changed) or "voicemail" (a mailbox's messages
// changed: Status does not hold them, a page re-reads Mailboxes or
// VoicemailMessages), and Status is the full new snapshot so a page
// can simply re-render.
type StatusEvent struct {
	Kind   string `json:"kind"`
	Status Status `json:"status"`
}

// SimControl drives the simulated board's virtual phones and telco lines,
// for installers trying a dial plan and for tests. Port numbers are 1-based
// within their kind.
type SimControl interface {
	// PhoneOffHook lifts the handset of the virtual phone on FXS port n.
	PhoneOffHook(n int) error
	PhoneOnHook(n int) error
	// PhoneDial dials digits on FXS port n as DTMF tones, or pulses.
	PhoneDial(n int, digits string, pulse bool) error
	// LineRing makes the virtual telco line on FXO port n ring with caller ID.
	LineRing(n int, caller channel.CallerID) error
	// LineHangup makes the far end of FXO port n's line hang up.
	LineHangup(n int) error
}
