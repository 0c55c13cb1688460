package telephony

import (
	"context"
	"errors"
	"io"
	"time"

	"minipbx/telephony/callrec"
	"minipbx/telephony/channel"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
)

// The web UI (and the API that pbxctl uses) reaches the box through small
// role interfaces, each implemented next to what it serves: the
// exchange's status and call control (Exchange), the configuration, call
// records, voicemail boxes and recordings (Admin), and the diagnostics
// (telephony/diag.Admin). Services bundles one of each; the web UI
// imports nothing else of telephony but the types this file names.
//
// Every method that changes configuration validates first and returns a
// *store.ValidationError (field-level messages) for bad input, in which case
// nothing changed. Changes apply to the running exchange without dropping
// calls.

// StatusService is what the status page shows and streams.
type StatusService interface {
	// Status is a snapshot of ports, registrations, active calls,
	// parked calls, conference rooms and the extensions' states.
	Status(ctx context.Context) (Status, error)
	// Subscribe streams status changes until ctx ends; the channel is closed
	// then. A slow reader misses events rather than stalling the exchange.
	Subscribe(ctx context.Context) <-chan StatusEvent
	// Sim is the control panel of the simulated board; nil on hardware.
	Sim() SimControl
	Version() string
}

// CallControl is the operator's view: acting on live calls and
// conference rooms.
type CallControl interface {
	// CallAction acts on call id: "hold" or "resume" a leg (the call's
	// party when leg is ""), "transfer" a leg to the number dest (the
	// other party is released), "park" a leg, "hangup" the call.
	// ErrNotFound (store.ErrNotFound) for an unknown call or leg.
	CallAction(ctx context.Context, id, action, leg, dest string) error
	// ConferenceAction acts on a member (a leg ID) of a conference room:
	// "kick", "mute", "unmute".
	ConferenceAction(ctx context.Context, room, member, action string) error
	// PlaceCall is click-to-call: it rings extension ext (showing
	// number) and, once answered, calls number for it. A bad request is a
	// *store.ValidationError, an unknown extension store.ErrNotFound, a
	// number outside the extension's class ErrForbidden; nothing rings
	// then.
	PlaceCall(ctx context.Context, ext, number string) (PlacedCall, error)
}

// ConfigService reads and changes the configuration.
type ConfigService interface {
	Extensions(ctx context.Context) ([]store.Extension, error)
	Extension(ctx context.Context, number string) (store.Extension, error)
	CreateExtension(ctx context.Context, e store.Extension) (store.Extension, error)
	UpdateExtension(ctx context.Context, number string, e store.Extension) (store.Extension, error)
	DeleteExtension(ctx context.Context, number string) error

	Settings(ctx context.Context) (store.System, error)
	UpdateSettings(ctx context.Context, s store.System) (store.System, error)
	FXOLines(ctx context.Context) ([]store.FXOLine, error)
	UpdateFXOLine(ctx context.Context, l store.FXOLine) (store.FXOLine, error)

	ExportConfig(ctx context.Context) (store.Config, error)
	// ImportConfig replaces the whole configuration after validating it.
	ImportConfig(ctx context.Context, c store.Config) error
	// UpdateDialPlan replaces the dial-plan sections (store.DialPlan) in
	// one validated transaction, leaving the rest of the configuration as
	// it is at that moment; it returns the dial plan as stored. Problems
	// come back by document path ("ring_groups[0].members[1].destination").
	UpdateDialPlan(ctx context.Context, d store.DialPlan) (store.DialPlan, error)
	// UpdateExtensionProfile saves an extension's settings, its rule and
	// its mailbox in one validated transaction
	// (store.DB.UpdateExtensionProfile); it returns the profile as stored.
	UpdateExtensionProfile(ctx context.Context, number string, p store.ExtensionProfile) (store.ExtensionProfile, error)

	// Billing and Mail are the settings of the box's billing output and
	// e-mail (store.Billing, store.Mail); their updates answer problems
	// relative to the section ("smdr.baud").
	Billing(ctx context.Context) (store.Billing, error)
	UpdateBilling(ctx context.Context, b store.Billing) (store.Billing, error)
	Mail(ctx context.Context) (store.Mail, error)
	UpdateMail(ctx context.Context, m store.Mail) (store.Mail, error)
	// Webhooks are the endpoints told of calls (store.Webhooks); the
	// update answers problems relative to the section
	// ("endpoints[0].url").
	Webhooks(ctx context.Context) (store.Webhooks, error)
	UpdateWebhooks(ctx context.Context, w store.Webhooks) (store.Webhooks, error)
	// ChangeConfig changes any part of the configuration in one
	// validated transaction (store.DB.ChangeConfig): fn edits a copy of
	// the stored configuration, read inside the transaction; the result
	// is stored and taken into use only if fn succeeds and the change
	// brings no problem (by document path), else nothing changes. It
	// returns the configuration as stored. CheckConfigChange validates
	// such a change and returns what would be stored, changing nothing.
	ChangeConfig(ctx context.Context, fn func(c *store.Config) error) (store.Config, error)
	CheckConfigChange(ctx context.Context, fn func(c *store.Config) error) (store.Config, error)
}

// TrunkTestService tries a SIP trunk's registration with a provider
// before the trunk is configured (the setup wizard's "test
// registration"): TestTrunk registers once with t's host, transport and
// credentials, exactly as a configured trunk would, and reports the
// provider's answer; a successful test registration is withdrawn at
// once. Settings that cannot be tried at all (no host, no credentials)
// are a *store.ValidationError; a provider refusing or not answering is
// a result, not an error.
type TrunkTestService interface {
	TestTrunk(ctx context.Context, t store.Trunk) (TrunkTest, error)
}

// TrunkTest is the outcome of a test registration.
type TrunkTest struct {
	// Registered: the provider accepted the credentials.
	Registered bool `json:"registered"`
	// Answer is the provider's final answer ("200 OK", "403 Forbidden",
	// "401 Unauthorized (credentials refused)") or why there was none
	// ("no response from 192.0.2.1:5060").
	Answer string `json:"answer"`
	// ExpiresS is the registration lifetime the provider granted.
	ExpiresS int `json:"expires_s,omitempty"`
}

// RecordsService reads the call records.
type RecordsService interface {
	// CallRecords returns records newest first, at most limit, older than
	// the record with ID before (0: from the newest).
	CallRecords(ctx context.Context, before uint64, limit int) ([]store.CallRecord, error)
	// CallRecord returns one record (store.ErrNotFound when it is not
	// kept).
	CallRecord(ctx context.Context, id uint64) (store.CallRecord, error)
	// SearchCallRecords returns a sorted page of the records q selects,
	// with the totals of all of them; ExportCallRecords calls fn with
	// every one of them in start-time order, a chunk at a time (an export
	// of any size holds one chunk in memory); CallStatistics counts them.
	// A bad query is a *store.ValidationError naming the parameter.
	SearchCallRecords(ctx context.Context, q store.CallQuery) (store.CallPage, error)
	ExportCallRecords(ctx context.Context, q store.CallQuery, fn func(store.CallRecord) error) error
	CallStatistics(ctx context.Context, q store.StatsQuery) (store.CallStats, error)
}

// AuthService checks and changes the admin password.
type AuthService interface {
	// CheckAdminPassword reports whether the password is right and
	// whether it must be changed (first login).
	CheckAdminPassword(ctx context.Context, password string) (ok, mustChange bool, err error)
	SetAdminPassword(ctx context.Context, password string) error
}

// DiagnosticsService is the line and system tests: Diagnostics is their
// state (settings, next run, alarm, last run); DiagnosticRuns lists runs
// newest first, older than ID before (0: from the newest). RunDiagnostics
// runs the tests named (nil: the settings' mask) now: with wait it returns
// the run, else it starts it in the background (ErrDiagnosticsRunning when
// one is in progress). UpdateDiagnostics changes the settings (a
// *store.ValidationError for bad values).
type DiagnosticsService interface {
	Diagnostics(ctx context.Context) (DiagnosticsStatus, error)
	DiagnosticRuns(ctx context.Context, before uint64, limit int) ([]store.DiagRun, error)
	RunDiagnostics(ctx context.Context, tests []string, wait bool) (store.DiagRun, error)
	UpdateDiagnostics(ctx context.Context, d store.Diagnostics) (store.Diagnostics, error)
}

// VoicemailService is the voice mailboxes. Mailboxes lists the configured
// mailboxes with their message counts, and any mailbox directory left on
// disk by a removed mailbox (Configured false) so its messages can still
// be heard and deleted. VoicemailMessages lists a mailbox's messages, new
// ones first, each folder oldest first. VoicemailAudio opens a message as a
// 16-bit PCM WAV file (what every browser plays); the store hands out an
// io.ReadSeeker, so the web UI answers Range requests; the caller closes
// it. MarkVoicemail moves a message between new and heard (the
// message-waiting lamps follow); DeleteVoicemail removes it. An unknown
// mailbox or message is store.ErrNotFound.
type VoicemailService interface {
	Mailboxes(ctx context.Context) ([]MailboxStatus, error)
	VoicemailMessages(ctx context.Context, box string) ([]VoicemailMessage, error)
	VoicemailAudio(ctx context.Context, box, id string) (io.ReadCloser, int64, error)
	MarkVoicemail(ctx context.Context, box, id string, heard bool) error
	DeleteVoicemail(ctx context.Context, box, id string) error
}

// RecordingsService is the installer's audio files in the prompts
// directory, which menus, queues' music on hold and announcements play by
// name, and which replace a built-in voice prompt when named after it.
// Recordings lists them with what uses each, then the files the dial plan
// names that are missing. SaveRecording converts an upload (WAV in any
// rate and format, or MP3; at most recordings.MaxUploadBytes and
// MaxSeconds) to 8 kHz μ-law, normalised, and stores it as name (".wav"
// added) atomically; the exchange plays it from the next call on.
// DeleteRecording refuses a recording the dial plan still plays (a
// replacement of a built-in may always go: the built-in plays again).
// RecordingAudio opens one as a 16-bit PCM WAV file for browsers; the
// caller closes it. Problems an installer can fix are a
// *store.ValidationError on "name" or "file"; an unknown recording is
// store.ErrNotFound. BuiltinPrompts lists the built-in voice prompts with
// their words and whether a recording replaces each; BuiltinPromptAudio
// opens the built-in recording itself (not its replacement), so an
// installer hears what a replacement must say.
type RecordingsService interface {
	Recordings(ctx context.Context) ([]Recording, error)
	SaveRecording(ctx context.Context, name string, r io.Reader) (Recording, error)
	DeleteRecording(ctx context.Context, name string) error
	RecordingAudio(ctx context.Context, name string) (io.ReadCloser, int64, error)
	BuiltinPrompts(ctx context.Context) ([]BuiltinPrompt, error)
	BuiltinPromptAudio(ctx context.Context, name string) (io.ReadCloser, int64, error)
}

// CallRecordingsService is the recordings of calls (telephony/callrec):
// listed newest first by date, number and extension, played as 16-bit PCM
// WAV (seekable, for Range requests; the caller closes it), deleted; and
// how much room they take against their quota. An unknown recording is
// store.ErrNotFound.
type CallRecordingsService interface {
	CallRecordings(ctx context.Context, f CallRecordingFilter) ([]CallRecording, error)
	CallRecordingAudio(ctx context.Context, id string) (io.ReadSeekCloser, int64, error)
	DeleteCallRecording(ctx context.Context, id string) error
	CallRecordingUsage(ctx context.Context) (CallRecordingUsage, error)
}

// CallRecording is one recording of a call (callrec.Recording).
type CallRecording = callrec.Recording

// CallRecordingFilter selects recordings (callrec.Filter).
type CallRecordingFilter = callrec.Filter

// CallRecordingUsage is the room the recordings take (callrec.Usage).
type CallRecordingUsage = callrec.Usage

// FaxService is the faxes the box received (telephony/faxstore): listed
// newest first, opened as PDF or TIFF (the caller closes the file),
// deleted. An unknown fax is store.ErrNotFound.
type FaxService interface {
	Faxes(ctx context.Context) ([]Fax, error)
	FaxFile(ctx context.Context, id string, format FaxFormat) (io.ReadSeekCloser, Fax, error)
	DeleteFax(ctx context.Context, id string) error
}

// Fax is one received fax (faxstore.Fax).
type Fax = faxstore.Fax

// FaxFormat is a file format of a fax (faxstore.PDF, faxstore.TIFF).
type FaxFormat = faxstore.Format

// PlanService answers questions about the dial plan in use.
type PlanService interface {
	// TraceRoute says how the exchange would route a call now, by the
	// very code it routes calls with (trace.go): the caller's class, the
	// number's meaning, the outbound route and its carriers with the
	// digits sent, the schedule branches taken, each step with its
	// reason. Bad input (an unknown caller, a number that is no
	// number) is a *store.ValidationError on "from" or "number".
	TraceRoute(ctx context.Context, q RouteQuery) (RouteTrace, error)
}

// Service is every role together: what the web UI is given.
type Service interface {
	StatusService
	CallControl
	ConfigService
	RecordsService
	AuthService
	DiagnosticsService
	VoicemailService
	RecordingsService
	CallRecordingsService
	FaxService
	AccountsService
	SelfService
	ParametersService
	PlanService
	TrunkTestService
}

// Services bundles one implementation of each role into a Service.
type Services struct {
	StatusService
	CallControl
	ConfigService
	RecordsService
	AuthService
	DiagnosticsService
	VoicemailService
	RecordingsService
	CallRecordingsService
	FaxService
	AccountsService
	SelfService
	ParametersService
	PlanService
	TrunkTestService
}

var _ Service = Services{}

// DiagnosticsStatus is what the diagnostics page shows.
type DiagnosticsStatus struct {
	// Available is false when the box runs no diagnostics.
	Available bool              `json:"available"`
	Settings  store.Diagnostics `json:"settings"`
	// Schedule says the schedule in words; TimeZone is the box's zone,
	// that of a daily run.
	Schedule string    `json:"schedule"`
	TimeZone string    `json:"time_zone"`
	Next     time.Time `json:"next,omitzero"`
	Running  bool      `json:"running"`
	// Alarm: the last run failed (the status LED is lit).
	Alarm bool           `json:"alarm"`
	Tests []string       `json:"tests"` // every test, in running order
	Last  *store.DiagRun `json:"last,omitempty"`
}

// ErrDiagnosticsRunning: a run is in progress (one runs at a time).
var ErrDiagnosticsRunning = errors.New("diag: a run is in progress")

// ErrNoDiagnostics: the box was built without a diagnostics runner.
var ErrNoDiagnostics = errors.New("telephony: diagnostics are not available on this box")

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
	// Parked are the calls waiting on park slots.
	Parked []ParkedCall `json:"parked"`
	// Conferences are the conference rooms with callers in them.
	Conferences []ConferenceStatus `json:"conferences"`
	// Extensions are the extensions' states: what busy lamps show, and
	// do not disturb.
	Extensions []ExtensionState `json:"extensions"`
	// Alerts are warnings for the installer: recordings near their
	// quota, a disk too full to record.
	Alerts []string `json:"alerts,omitempty"`
	// SecurityAlarms are the SIP accounts and the callers locked out now
	// after repeated authentication failures (someone guessing a
	// password or a DISA PIN); empty when all is well.
	SecurityAlarms []SecurityAlarm `json:"security_alarms"`
}

// ExtensionState is one extension's state now.
type ExtensionState struct {
	Number string `json:"number"`
	Name   string `json:"name,omitempty"`
	// State is idle, ringing or busy.
	State string `json:"state"`
	DND   bool   `json:"dnd,omitempty"`
	// Forwarded is where forward-always sends its calls ("" none).
	Forwarded string `json:"forwarded,omitempty"`
}

// Presence is a change of what a busy lamp shows: an extension's or a
// park slot's state (idle, ringing, busy; a park slot is busy while a call
// waits on it). Caller is who rings or talks with it, where known.
type Presence struct {
	// Extension or Slot names what changed.
	Extension string `json:"extension,omitempty"`
	Slot      string `json:"slot,omitempty"`
	State     string `json:"state"`
	Caller    string `json:"caller,omitempty"`
	// Dialog is the channel ID of the ringing or talking leg, so that a
	// phone can pick the call up by replacing it (BLF pickup).
	Dialog string `json:"dialog,omitempty"`
	// Direction is "initiator" when the extension placed the call,
	// "recipient" when it was called.
	Direction string `json:"direction,omitempty"`
}

// SecurityAlarm is one lock-out after repeated authentication failures:
// a SIP account (kind account-locked: its credentials are refused,
// except from addresses it authenticated from before, until Until), or
// a caller who keyed wrong DISA or callback PINs (kind pin-locked: User
// is what the PIN was for, "disa:NAME" or "callback:NAME", and Addresses
// the caller's number, or the line or trunk when it was withheld; they
// are refused until Until).
type SecurityAlarm struct {
	Kind      string    `json:"kind"` // account-locked, pin-locked
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
	ID     string           `json:"id"`
	Caller channel.CallerID `json:"caller"`
	Callee string           `json:"callee"`
	// From and To are the two parties talking now (their channels), and
	// FromLeg, ToLeg their leg IDs for CallAction.
	From    string `json:"from"`
	To      string `json:"to,omitempty"`
	FromLeg string `json:"from_leg,omitempty"`
	ToLeg   string `json:"to_leg,omitempty"`
	// State: dialling, ringing, answered, held, parked, menu, queued,
	// voicemail, conference, announcement, disa (a caller keys a PIN or
	// dials through a DISA), callback (a caller keys a callback's PIN),
	// campaign (a campaign's contact answered: the box listens for a
	// machine, plays the message, waits for a key).
	State    string           `json:"state"`
	Started  time.Time        `json:"started"`
	Answered time.Time        `json:"answered,omitzero"`
	Path     []store.CallStep `json:"path,omitempty"`
	// Held are the legs on hold (hearing music) now.
	Held []string `json:"held,omitempty"`
}

// ConferenceStatus is one conference room with callers in it.
type ConferenceStatus struct {
	Name    string             `json:"name"`
	Number  string             `json:"number,omitempty"`
	Members []ConferenceMember `json:"members"`
}

// ConferenceMember is one caller in a conference room.
type ConferenceMember struct {
	ID     string    `json:"id"` // the leg, for ConferenceAction
	Party  string    `json:"party"`
	Name   string    `json:"name,omitempty"`
	Muted  bool      `json:"muted"`
	Joined time.Time `json:"joined"`
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
