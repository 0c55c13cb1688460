package store

import "time"

// SchemaVersion is the version of the configuration document and of the
// values in the database that this firmware writes. Every earlier version
// has a migration (see migrate.go).
const SchemaVersion = 1

// Config is the whole configuration of the box as one JSON document: what
// `pbxctl config export` writes and `config import` reads. It never holds
// the admin password (only its hash lives in the database, outside Config).
type Config struct {
	Version    int         `json:"version"`
	System     System      `json:"system"`
	Extensions []Extension `json:"extensions"`
	FXOLines   []FXOLine   `json:"fxo_lines"`
	// FXSPorts holds the FXS ports' own settings, for the ports that do
	// not keep the defaults.
	FXSPorts []FXSPort `json:"fxs_ports,omitempty"`

	// The office dial plan (dialplan.go; every section optional, empty
	// keeps the outside prefix and the lines' destinations working alone).
	Numbering      Numbering       `json:"numbering,omitzero"`
	LineGroups     []LineGroup     `json:"line_groups,omitempty"`
	OutboundRoutes []OutboundRoute `json:"outbound_routes,omitempty"`
	CallerIDRules  []CallerIDRule  `json:"caller_id_rules,omitempty"`
	InboundRoutes  []InboundRoute  `json:"inbound_routes,omitempty"`
	RingGroups     []RingGroup     `json:"ring_groups,omitempty"`
	Queues         []Queue         `json:"queues,omitempty"`
	Menus          []Menu          `json:"ivr_menus,omitempty"`
	Announcements  []Announcement  `json:"announcements,omitempty"`
	TimeConditions []TimeCondition `json:"time_conditions,omitempty"`
	Conditions     []Condition     `json:"conditions,omitempty"`
	Schedules      []Schedule      `json:"schedules,omitempty"`
	Classifiers    []Classifier    `json:"classifiers,omitempty"`
	ExtensionRules []ExtensionRule `json:"extension_rules,omitempty"`
	CallLimits     CallLimits      `json:"limits,omitzero"`
	// Trunks are SIP trunks to providers (trunk.go); outbound routes name
	// them as carriers beside line groups.
	Trunks []Trunk `json:"trunks,omitempty"`
	// Voicemail holds the mailboxes (voicemail.go).
	Voicemail Voicemail `json:"voicemail,omitzero"`

	// Calls that change hands (features.go): the in-call features'
	// codes, pickup groups, conference rooms, paging groups and
	// music-on-hold classes.
	Features        CallFeatures     `json:"features,omitzero"`
	PickupGroups    []PickupGroup    `json:"pickup_groups,omitempty"`
	ConferenceRooms []ConferenceRoom `json:"conference_rooms,omitempty"`
	PagingGroups    []PagingGroup    `json:"paging_groups,omitempty"`
	MOHClasses      []MOHClass       `json:"moh_classes,omitempty"`
	// FaxReceivers are the box's own fax machines (fax.go).
	FaxReceivers []FaxReceiver `json:"fax_receivers,omitempty"`
	// Recording says which calls are recorded (features.go).
	Recording CallRecording `json:"call_recording,omitzero"`
	// Calls the box lets through or places for callers from outside
	// (outcalls.go): DISA and callback objects.
	DISA      []DISA     `json:"disa,omitempty"`
	Callbacks []Callback `json:"callbacks,omitempty"`

	// What the box tells the outside world about its calls
	// (settings.go): the currency of call costs and the SMDR billing
	// output; the SMTP server and the e-mail notices.
	Billing Billing `json:"billing,omitzero"`
	Mail    Mail    `json:"mail,omitzero"`
	// Webhooks are the endpoints told of calls (webhooks.go).
	Webhooks Webhooks `json:"webhooks,omitzero"`

	// Provisioning is the phones the box configures itself
	// (provisioning.go).
	Provisioning Provisioning `json:"provisioning,omitzero"`
}

// System holds box-wide settings.
type System struct {
	// Name shown in the web UI and used as SIP realm; default "minipbx".
	Name string `json:"name"`
	// ToneZone is the country whose tones and ring cadence the box uses
	// (dsp tone-zone table key: ru, us, de, ...). Default "us".
	ToneZone string `json:"tone_zone"`
	// TimeZone is an IANA zone name, e.g. "Europe/Moscow". Default "UTC".
	TimeZone string `json:"time_zone"`
	// Language is the box's voice: the language of its built-in prompts
	// wherever a mailbox, queue, menu or extension does not choose its
	// own (package prompts: en, ru, hy, ky, it). "" is English.
	Language string `json:"language,omitempty"`
	// ExtensionLength is the number of digits of an extension, 2..8 (default 3).
	ExtensionLength int `json:"extension_length"`
	// OutsidePrefix is dialled before an outside number to seize an FXO
	// line (default "9"); empty disables outside calls from extensions.
	OutsidePrefix string `json:"outside_prefix"`
	// InterDigitTimeoutMS ends dialling on an analog phone (default 4000).
	InterDigitTimeoutMS int `json:"inter_digit_timeout_ms"`
	// NoAnswerTimeoutS is how long an extension rings before the call fails
	// with no answer (default 30).
	NoAnswerTimeoutS int `json:"no_answer_timeout_s"`
	// CallRecordRetention is how many call records are kept (default 10000).
	CallRecordRetention int `json:"call_record_retention"`
	// MaxCalls is the most calls the box carries at once; a call beyond it
	// is refused (SIP 503 with Retry-After, busy tone on an analog port)
	// before it can degrade the calls in progress. 0 (the default) means
	// the board's own figure (see box.DefaultMaxCalls). Applies at once.
	MaxCalls int `json:"max_calls,omitempty"`
	// Diagnostics schedules the line and system tests (see diag.go).
	Diagnostics Diagnostics `json:"diagnostics"`
	// PBXID tells this box from others (the small-office manual's "PBX
	// ID"): 1 to 16 letters, digits, '-' or '_'; "" none (parameters.go).
	PBXID string `json:"pbx_id,omitempty"`
	// VoiceModem configures the board's voice modems, if it has any
	// (parameters.go); it applies when the box starts.
	VoiceModem VoiceModem `json:"voice_modem,omitzero"`
}

// Extension is a number that reaches a phone: SIP devices that register
// with its credentials, and optionally an FXS port.
type Extension struct {
	Number string `json:"number"`
	Name   string `json:"name"`
	// Secret is the SIP digest password. Generated strong when empty on create.
	Secret string `json:"secret"`
	// FXSPort is the 1-based FXS port number ringing with this extension,
	// 0 for none.
	FXSPort int `json:"fxs_port,omitempty"`
	// OutsideCalls allows this extension to use the outside prefix.
	OutsideCalls bool `json:"outside_calls"`
	// RequireEncryption: this extension's SIP phones must use SIP over
	// TLS and SRTP; its registrations and calls without them are refused.
	RequireEncryption bool `json:"require_encryption,omitempty"`
	// OutboundCallerID (and OutboundCallerName) is the number outside
	// parties see on this extension's outside calls, typically its
	// direct-dial number; empty: the outbound route's, else the
	// carrier's own.
	OutboundCallerID   string `json:"outbound_caller_id,omitempty"`
	OutboundCallerName string `json:"outbound_caller_name,omitempty"`
	// Language is the language its user hears the box in: feature-code
	// confirmations, park, conference and transfer prompts ("": the
	// box's, System.Language).
	Language string `json:"language,omitempty"`
}

// FXOLine configures one FXO port (a telco line).
type FXOLine struct {
	// Port is the 1-based FXO port number.
	Port    int    `json:"port"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// AnswerAfterRings is how many validated rings arrive before the box
	// answers (default 2, 1..10); the caller ID arrives after the first.
	AnswerAfterRings int `json:"answer_after_rings"`
	// Destination is the extension an incoming call on this line reaches.
	Destination string `json:"destination"`
	// AnswerOnReversal: the line's provider signals the called party's
	// answer by reversing the line's polarity (answer supervision). Calls
	// out on the line then count as answered at the reversal instead of
	// once dialled, and a busy or unobtainable number is told from a
	// conversation (busy and no-answer conditions work over the line).
	AnswerOnReversal bool `json:"answer_on_reversal,omitempty"`
}

// FXSPort configures one FXS port (an analog phone's line).
type FXSPort struct {
	// Port is the 1-based FXS port number.
	Port int `json:"port"`
	// FlashMinMS and FlashMaxMS are the hook-flash window: the phone on
	// hook for more than FlashMinMS and at most FlashMaxMS milliseconds
	// is a flash (the recall button); shorter is a dial pulse, longer a
	// hang-up. 0 takes the default (DefaultFlashMinMS, DefaultFlashMaxMS).
	FlashMinMS int `json:"flash_min_ms,omitempty"`
	FlashMaxMS int `json:"flash_max_ms,omitempty"`
}

// Defaults and bounds of an FXS port's hook-flash window (config.md).
const (
	DefaultFlashMinMS = 120
	DefaultFlashMaxMS = 800
	MinFlashMinMS     = 50
	MaxFlashMinMS     = 1000
	MinFlashMaxMS     = 100
	MaxFlashMaxMS     = 3000
	// MinFlashWindowMS is the narrowest window: a recall button's break
	// varies by tens of milliseconds from phone to phone.
	MinFlashWindowMS = 50
)

// FlashWindow is the port's hook-flash window with the defaults filled in.
func (p FXSPort) FlashWindow() (minMS, maxMS int) {
	minMS, maxMS = p.FlashMinMS, p.FlashMaxMS
	if minMS == 0 {
		minMS = DefaultFlashMinMS
	}
	if maxMS == 0 {
		maxMS = DefaultFlashMaxMS
	}
	return minMS, maxMS
}

// CallRecord is one call attempt (a CDR). Records are append-only.
type CallRecord struct {
	ID          uint64    `json:"id"`
	Start       time.Time `json:"start"`
	Answer      time.Time `json:"answer,omitzero"`
	End         time.Time `json:"end"`
	Caller      string    `json:"caller"`
	CallerName  string    `json:"caller_name,omitempty"`
	Callee      string    `json:"callee"`
	Source      string    `json:"source"`      // originating channel, e.g. "sip:101", "fxs:1", "fxo:2"
	Destination string    `json:"destination"` // answering channel, if any
	// Disposition: answered, busy, no-answer, not-found, unavailable,
	// cancelled, failed, congestion, forbidden, rejected, voicemail.
	Disposition string `json:"disposition"`
	// DurationS is the billable (answered) time in whole seconds.
	DurationS int `json:"duration_s"`
	// Legs are the call's parties in the order they joined it: the
	// caller, each phone or line that answered, a transfer target, a
	// picker-up, a conference member.
	Legs []CallLeg `json:"legs,omitempty"`
	// Path is what happened, in order: who answered, who held, who
	// transferred the call where, who picked it up, where it was parked
	// and who took it back.
	Path []CallStep `json:"path,omitempty"`
	// Recording is the ID of the call's recording ("" none).
	Recording string `json:"recording,omitempty"`

	// What the records' search, statistics and billing need (cdr_query.go).

	// Direction is in (the caller came from a line or trunk), out (an
	// extension called a line or trunk) or internal. The store derives
	// it from the legs when the exchange leaves it empty.
	Direction string `json:"direction,omitempty"`
	// Result is the disposition as the statistics count it: answered,
	// missed, busy, abandoned or failed (ResultOf). The store fills it.
	Result string `json:"result,omitempty"`
	// Route is the outbound route whose pattern the dialled number
	// matched (set by the exchange when it took one); its tariff prices
	// the call.
	Route string `json:"route,omitempty"`
	// Cost is the call's price by its route's tariff, computed by the
	// store when the record is stored (zero: no tariff, or free).
	Cost Money `json:"cost,omitzero"`
	// Queues are the queues the caller waited in, in order.
	Queues []QueueVisit `json:"queues,omitempty"`
	// Voicemail is the message the caller left, "MAILBOX/ID" (the
	// voicemail store's names), if any.
	Voicemail string `json:"voicemail,omitempty"`
	// Fax is the fax the box received on the call, if it ran its fax
	// receiver (fax.go).
	Fax *FaxOutcome `json:"fax,omitempty"`
	// Origin says who placed a call the box made on someone's behalf:
	// api (click-to-call), callback (the box called a caller back); ""
	// for a call a caller made.
	Origin string `json:"origin,omitempty"`
	// DISA names the DISA object a caller from outside dialled out
	// through (with dial tone from the box), if one did.
	DISA string `json:"disa,omitempty"`
}

// Origins of a call (CallRecord.Origin). New ones are added at the end:
// the records' index keeps their position.
const (
	OriginAPI      = "api"
	OriginCallback = "callback"
	OriginCampaign = "campaign"
)

// Origins lists every origin of a call the box placed.
func Origins() []string { return []string{OriginAPI, OriginCallback, OriginCampaign} }

// OriginDISA is what the records' search takes as origin for the calls
// that dialled out through a DISA (CallRecord.DISA set).
const OriginDISA = "disa"

// QueueVisit is one wait of a caller in a queue: from when the caller
// joined it to when an agent answered, the caller hung up, or the queue
// sent the caller on.
type QueueVisit struct {
	// Queue is the queue's name.
	Queue string    `json:"queue"`
	Enter time.Time `json:"enter"`
	Leave time.Time `json:"leave"`
	// Outcome is answered (an agent took the call), abandoned (the
	// caller hung up while waiting) or timeout (the queue sent the
	// caller on: its wait bound, no agent, an exit key).
	Outcome string `json:"outcome"`
	// Agent is the extension that answered, if one did.
	Agent string `json:"agent,omitempty"`
}

// Queue visit outcomes.
const (
	QueueAnswered  = "answered"
	QueueAbandoned = "abandoned"
	QueueTimeout   = "timeout"
)

// CallLeg is one party of a call.
type CallLeg struct {
	// Name is the channel: "sip:101", "fxs:1", "fxo:2", "trunk:NAME".
	Name string `json:"name"`
	// Number is the party's number where known (an extension, an
	// outside caller's number, a dialled number).
	Number string `json:"number,omitempty"`
	// Extension is the extension whose phone the leg is, if it is one.
	Extension string    `json:"extension,omitempty"`
	Start     time.Time `json:"start"`
	// Answer is when the party answered or took the call (zero: never).
	Answer time.Time `json:"answer,omitzero"`
	End    time.Time `json:"end"`
}

// CallStep is one event of a call's path. Event is one of: answered,
// held, resumed, transferred, transfer-failed, recalled, picked-up,
// parked, retrieved, forwarded, conference, left, waiting, refused.
type CallStep struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
	// Party is the leg the event concerns ("sip:202"), To where it led
	// (a transfer target, a park slot), By who did it (an extension or
	// leg name).
	Party  string `json:"party,omitempty"`
	To     string `json:"to,omitempty"`
	By     string `json:"by,omitempty"`
	Detail string `json:"detail,omitempty"`
}
