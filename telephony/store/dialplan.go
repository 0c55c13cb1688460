package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// The office dial plan's sections of Config (see config.md, "Dial plan").
// Every section is optional: a document or database without them keeps
// today's behaviour (the outside prefix seizes FXO lines; each FXO line
// rings its destination extension).

// Numbering is the numbering plan beyond extensions.
type Numbering struct {
	// ShortNumbers are virtual numbers standing for another number.
	ShortNumbers []ShortNumber `json:"short_numbers,omitempty"`
	// EmergencyNumbers always route, whatever the caller's class, even
	// without an outside prefix.
	EmergencyNumbers []string `json:"emergency_numbers,omitempty"`
	// FeatureCodes lets users switch their own forwarding from their
	// phones (*72 NUMBER / *73 always, *90 / *91 busy, *52 / *53 no answer).
	FeatureCodes bool `json:"feature_codes,omitempty"`
}

// ShortNumber is a virtual number (301) that stands for a destination
// (ext:3109999, group:sales, number:89161234567).
type ShortNumber struct {
	Number      string `json:"number"`
	Destination string `json:"destination"`
}

// Hunt orders of a line group.
const (
	HuntAscending  = "ascending"
	HuntDescending = "descending"
	HuntRoundRobin = "roundrobin"
)

// LineGroup is a set of FXO lines used together by outbound routes.
type LineGroup struct {
	Name string `json:"name"`
	// Lines are FXO port numbers; the order matters for nothing but
	// display (Hunt decides which line is tried first).
	Lines []int `json:"lines"`
	// Hunt is ascending, descending or roundrobin.
	Hunt string `json:"hunt"`
	// MaxCalls bounds concurrent outside calls through the group (0: as
	// many as it has lines).
	MaxCalls int `json:"max_calls,omitempty"`
	// WithholdPrefix is the telco's code that withholds the caller ID on
	// one call (*67 in North America, 141 in the UK, #31# on many
	// others): dialled before the number when the call is to be
	// withheld. Empty: an analog line cannot withhold, and the call goes
	// out showing the line's number.
	WithholdPrefix string `json:"withhold_prefix,omitempty"`
}

// OutboundRoute sends dialled numbers matching Pattern out through line
// groups, the first that can take the call.
type OutboundRoute struct {
	Name    string `json:"name"`
	Pattern string `json:"pattern"`
	Strip   int    `json:"strip,omitempty"`
	Prepend string `json:"prepend,omitempty"`
	// Class is the permission class a caller needs: local, national or
	// international.
	Class string `json:"class"`
	// Via are line-group or trunk names in fallback order.
	Via []string `json:"via"`
	// CallerID (and CallerName) is the number the far end is shown for
	// callers without an outbound caller ID of their own (an extension's
	// outbound_caller_id); with OverrideCallerID for every caller. Empty:
	// the carrier's own number (the trunk's caller_id). Caller-ID rules
	// by prefix still apply afterwards.
	CallerID         string `json:"caller_id,omitempty"`
	CallerName       string `json:"caller_name,omitempty"`
	OverrideCallerID bool   `json:"override_caller_id,omitempty"`
	// Tariff prices the calls that take this route (billing.go); zero:
	// they cost nothing.
	Tariff Tariff `json:"tariff,omitzero"`
}

// CallerIDRule sets the caller ID of outside calls by destination prefix.
type CallerIDRule struct {
	Prefix   string `json:"prefix"`
	Number   string `json:"number,omitempty"`
	Name     string `json:"name,omitempty"`
	Withhold bool   `json:"withhold,omitempty"`
}

// InboundRoute sends calls arriving on FXO lines to a destination,
// depending on an optional schedule.
type InboundRoute struct {
	Name string `json:"name"`
	// Lines are the FXO ports it applies to; empty means every line. The
	// first route (in document order) covering a line wins; a line no
	// route covers rings its fxo_lines destination.
	Lines []int `json:"lines,omitempty"`
	// Trunks and DIDs make the route one for calls from SIP trunks
	// instead of FXO lines: calls from the named trunks (empty: any
	// trunk) to one of the DIDs (empty: any number). The first matching
	// route wins; a trunk call no route covers goes to the destination of
	// its DID in the trunk's dids.
	Trunks []string `json:"trunks,omitempty"`
	DIDs   []string `json:"dids,omitempty"`
	// Schedule names a schedule; Destination applies while it is open and
	// ClosedDestination otherwise. Without a schedule, Destination always.
	Schedule          string `json:"schedule,omitempty"`
	Destination       string `json:"destination"`
	ClosedDestination string `json:"closed_destination,omitempty"`
	// MaxCalls bounds concurrent calls through this route (0: no limit);
	// an excess caller hears busy.
	MaxCalls int `json:"max_calls,omitempty"`
	// Classifiers names caller lists that apply to this route's calls
	// only, in this order, after the box-wide lists (those no route
	// names). A list named by any route is no longer box-wide.
	Classifiers []string `json:"classifiers,omitempty"`
	// MOHClass is what this route's callers hear on hold ("" the
	// box-wide class).
	MOHClass string `json:"moh_class,omitempty"`
	// Record: never, always or on_demand for the route's calls ("" as
	// the box says).
	Record string `json:"record,omitempty"`
	// FaxDetect is where a call of this route goes when a voice menu or
	// an announcement that answered it hears a fax machine calling (CNG):
	// a fax: destination ("" none).
	FaxDetect string `json:"fax_detect,omitempty"`
}

// RingGroup rings several members by a strategy.
type RingGroup struct {
	Name string `json:"name"`
	// Number, when set, dials the group internally.
	Number   string `json:"number,omitempty"`
	Strategy string `json:"strategy"`
	// Members: ext:N, fxs:N or number:DIGITS, in configured order.
	Members []GroupMember `json:"members"`
	// MaxWaitS bounds the whole attempt (0: every member rings its time once).
	MaxWaitS int `json:"max_wait_s,omitempty"`
	// Timeout is where the call goes when no member answers ("" hangs up).
	Timeout string `json:"timeout_destination,omitempty"`
	// MaxCalls bounds concurrent callers (0: no limit); an excess caller hears busy.
	MaxCalls int `json:"max_calls,omitempty"`
}

// GroupMember is one member of a ring group with its ring time.
type GroupMember struct {
	Destination string `json:"destination"`
	// RingS is how long the member rings (default DefaultMemberRingS).
	RingS int `json:"ring_s,omitempty"`
	// Off keeps the member in the list but does not ring it (a user
	// switches a follow-me number off for a while and back on).
	Off bool `json:"off,omitempty"`
}

// DefaultMemberRingS is a group member's ring time when not given.
const DefaultMemberRingS = 20

// Queue holds callers in order until an agent is free: they hear music on
// hold and, now and then, their position; agents ring by the strategy.
type Queue struct {
	Name string `json:"name"`
	// Number, when set, dials the queue internally.
	Number   string `json:"number,omitempty"`
	Strategy string `json:"strategy"`
	// Members are the agents: ext:N, fxs:N or number:DIGITS.
	Members []GroupMember `json:"members"`
	// MaxWaitS bounds a caller's wait (DefaultQueueWaitS when 0).
	MaxWaitS int `json:"max_wait_s,omitempty"`
	// WrapUpS is an agent's rest after a queue call before the next.
	WrapUpS int `json:"wrap_up_s,omitempty"`
	// MaxCallers bounds the callers in the queue (0: no limit); one more
	// hears busy.
	MaxCallers int `json:"max_callers,omitempty"`
	// MusicOnHold plays in a loop (a soft tone when empty).
	MusicOnHold []Prompt `json:"music_on_hold,omitempty"`
	// AnnounceEveryS tells callers their position this often (0: never).
	AnnounceEveryS int `json:"announce_every_s,omitempty"`
	// Timeout is where a caller goes after MaxWaitS ("" hangs up).
	Timeout string `json:"timeout_destination,omitempty"`
	// MOHClass names a music-on-hold class; it wins over MusicOnHold.
	MOHClass string `json:"moh_class,omitempty"`
	// Record: never, always or on_demand for the queue's calls ("" as
	// the inbound route or the box says).
	Record string `json:"record,omitempty"`
	// Language is the language of the position announcements ("": the
	// box's, System.Language).
	Language string `json:"language,omitempty"`
}

// DefaultQueueWaitS is a queue's maximum wait when not given.
const DefaultQueueWaitS = 300

// Menu is a voice menu (IVR): it answers, plays its prompts, and sends the
// caller where the key pressed says.
type Menu struct {
	Name string `json:"name"`
	// Number, when set, dials the menu internally.
	Number string `json:"number,omitempty"`
	// Prompts play in order, each time the menu starts over.
	Prompts []Prompt `json:"prompts"`
	// DigitTimeoutS is how long the menu waits for a key after its
	// prompts (default DefaultMenuDigitTimeoutS).
	DigitTimeoutS int `json:"digit_timeout_s,omitempty"`
	// Retries is how many times the menu starts over after silence or an
	// unknown key before DefaultDestination.
	Retries int `json:"retries,omitempty"`
	// Keys map "0"-"9", "*", "#" to destinations.
	Keys map[string]string `json:"keys,omitempty"`
	// DirectDial lets callers dial an extension's number at the menu.
	DirectDial bool `json:"direct_dial,omitempty"`
	// DefaultDestination is where silence leads once the retries are
	// spent ("" hangs up).
	DefaultDestination string `json:"default_destination,omitempty"`
	// Language is the language of the built-in prompts the menu plays (a
	// prompt whose file is named after one, goodbye.wav; "": the box's,
	// System.Language).
	Language string `json:"language,omitempty"`
}

// Announcement answers the call, plays its prompts once, and sends the
// caller on: "a closed message, then voicemail", "a recorded notice
// before the queue".
type Announcement struct {
	Name string `json:"name"`
	// Prompts play in order, once.
	Prompts []Prompt `json:"prompts"`
	// Then is where the caller goes once the prompts have played ("":
	// the call ends).
	Then string `json:"then,omitempty"`
	// EarlyMedia plays the prompts before answering where the caller's
	// leg can (SIP: 183 Session Progress), so a caller from a provider
	// is charged only once someone answers.
	EarlyMedia bool `json:"early_media,omitempty"`
}

// Prompt is one part of a menu's announcement: a recorded file or a tone
// (or silence, with neither) for a time.
type Prompt struct {
	// File names prompts/FILE in the data directory: a WAV file, 8 kHz mono.
	File string `json:"file,omitempty"`
	// Tone is a tone in the dsp notation ("425/200,0/200", "1000").
	Tone string `json:"tone,omitempty"`
	// MS is how long a tone or silence lasts.
	MS int `json:"ms,omitempty"`
}

// DefaultMenuDigitTimeoutS is how long a menu waits for a key by default.
const DefaultMenuDigitTimeoutS = 5

// Schedule is working hours and holidays in the box's time zone.
type Schedule struct {
	Name string `json:"name"`
	// Hours: "mon-fri 09:00-18:00" (one period each).
	Hours []string `json:"hours"`
	// Holidays: "2026-12-31" or "01-01" (every year).
	Holidays []string `json:"holidays,omitempty"`
}

// Classifier is a list of caller numbers. A list no inbound route names
// applies to every call from an outside line (FXO line or trunk), in
// document order; a list one or more routes name (InboundRoute.Classifiers)
// applies only to those routes' calls, after the box-wide lists.
type Classifier struct {
	Name string `json:"name"`
	// Action: reject (a blacklist: the caller hears busy), route (to
	// Destination, a VIP list) or first (the route's destination, but
	// ahead of other callers in a queue).
	Action      string   `json:"action"`
	Numbers     []string `json:"numbers"`
	Anonymous   bool     `json:"anonymous,omitempty"`
	Destination string   `json:"destination,omitempty"`
}

// ExtensionRule holds one extension's permission class and forwarding.
type ExtensionRule struct {
	Extension string `json:"extension"`
	// Class overrides outside_calls: internal, local, national or
	// international ("" derives it: international with outside_calls,
	// internal without).
	Class string `json:"class,omitempty"`
	// Forward* are destinations ("" off).
	ForwardAlways      string `json:"forward_always,omitempty"`
	ForwardBusy        string `json:"forward_busy,omitempty"`
	ForwardNoAnswer    string `json:"forward_no_answer,omitempty"`
	ForwardUnavailable string `json:"forward_unavailable,omitempty"`
	// NoAnswerS is how long the extension rings before forward_no_answer
	// (default 20).
	NoAnswerS int `json:"no_answer_s,omitempty"`
	// FollowMe is rung in order after the extension itself rang NoAnswerS
	// without answer (and instead of forward_no_answer).
	FollowMe []GroupMember `json:"follow_me,omitempty"`
	// FollowMeSchedule limits follow-me to a schedule's open hours.
	FollowMeSchedule string `json:"follow_me_schedule,omitempty"`
	// ForwardCallerID is "caller" (show the original caller, default) or
	// "box" (show the forwarding extension's number).
	ForwardCallerID string `json:"forward_caller_id,omitempty"`
	// DND: do not disturb; callers get the extension's busy handling.
	DND bool `json:"dnd,omitempty"`
	// NoCallWaiting: a second call to the extension while it talks gets
	// busy handling instead of a call-waiting tone.
	NoCallWaiting bool `json:"call_waiting_off,omitempty"`
	// MOHClass is what a party this extension holds hears ("" the
	// route's or the box-wide class).
	MOHClass string `json:"moh_class,omitempty"`
	// Record: never, always or on_demand for calls the extension takes
	// part in ("" as the queue, route or box says).
	Record string `json:"record,omitempty"`
}

// CallLimits are box-wide call limits.
type CallLimits struct {
	// MaxCallDurationS ends answered calls after this many seconds (0: none).
	MaxCallDurationS int `json:"max_call_duration_s,omitempty"`
}

// dial-plan storage: one bucket, one value per section, created on the
// first write (a database from before the dial plan has none, which reads
// as empty sections).
const bucketDialPlan = "dialplan"

// dialPlanValues are c's dial-plan sections as the database keeps
// them: one value per section.
func dialPlanValues(c *Config) []section {
	out := make([]section, len(planTable))
	for i, s := range planTable {
		out[i] = section{s.key, s.data.ptr(c)}
	}
	return out
}

// readDialPlan reads the dial-plan sections into c.
func readDialPlan(tx *bbolt.Tx, schema int, c *Config) error {
	if err := readSections(tx, bucketDialPlan, schema, dialPlanValues(c)); err != nil {
		return err
	}
	normalizeDialPlan(c)
	return nil
}

// writeDialPlan makes the dial-plan bucket hold exactly c's sections,
// leaving a database without a dial plan untouched when c has none.
func writeDialPlan(tx *bbolt.Tx, c *Config) error {
	return writeSections(tx, bucketDialPlan, dialPlanValues(c))
}

// isEmptySection reports whether a section holds nothing (an empty list
// or a zero object).
func isEmptySection(p any) bool {
	b, _ := json.Marshal(p)
	switch string(b) {
	case "null", "[]", "{}":
		return true
	}
	return false
}

// normalizeDialPlan turns empty lists into nil, the one form an empty
// section has in memory (so that documents round-trip whether they wrote
// [] or left a section out).
func normalizeDialPlan(c *Config) {
	for _, s := range planTable {
		s.data.normalize(c)
	}
}

func nilIfEmpty[T any](s *[]T) {
	if len(*s) == 0 {
		*s = nil
	}
}

// cloneDialPlan deep-copies the dial-plan sections of c (the nested
// slices a change function might edit in place).
func cloneDialPlan(c *Config) {
	for _, s := range planTable {
		s.data.clone(c)
	}
}

// UpdateDialPlan changes the dial-plan sections in one validated
// transaction: fn edits a copy of the configuration (it should touch only
// the dial-plan sections); problems anywhere in the dial plan are reported
// with their full paths ("ring_groups[0].members[1].destination").
func (db *DB) UpdateDialPlan(fn func(c *Config) error) (Config, error) {
	return db.change(entityDialPlan, fn)
}

// entityDialPlan is the validation entity of every dial-plan section.
const entityDialPlan = "dialplan"

// decodeDialPlan strictly decodes the dial-plan sections of a document
// (errors name the element: "ring_groups[1].strategy").
func decodeDialPlan(top map[string]json.RawMessage, c *Config, v *ValidationError) {
	for _, s := range planTable {
		s.data.decode(top[s.key], s.key, c, v)
	}
	normalizeDialPlan(c)
}

// DialPlan is the dial-plan part of Config on its own: what the REST API's
// /api/v1/dialplan carries. Its JSON fields are those of the document.
type DialPlan struct {
	Numbering      Numbering       `json:"numbering"`
	LineGroups     []LineGroup     `json:"line_groups"`
	OutboundRoutes []OutboundRoute `json:"outbound_routes"`
	CallerIDRules  []CallerIDRule  `json:"caller_id_rules"`
	InboundRoutes  []InboundRoute  `json:"inbound_routes"`
	RingGroups     []RingGroup     `json:"ring_groups"`
	Queues         []Queue         `json:"queues"`
	Menus          []Menu          `json:"ivr_menus"`
	Announcements  []Announcement  `json:"announcements"`
	TimeConditions []TimeCondition `json:"time_conditions"`
	Conditions     []Condition     `json:"conditions"`
	Schedules      []Schedule      `json:"schedules"`
	Classifiers    []Classifier    `json:"classifiers"`
	ExtensionRules []ExtensionRule `json:"extension_rules"`
	Limits         CallLimits      `json:"limits"`
	Trunks         []Trunk         `json:"trunks"`
	Voicemail      Voicemail       `json:"voicemail"`

	Features        CallFeatures     `json:"features"`
	PickupGroups    []PickupGroup    `json:"pickup_groups"`
	ConferenceRooms []ConferenceRoom `json:"conference_rooms"`
	PagingGroups    []PagingGroup    `json:"paging_groups"`
	MOHClasses      []MOHClass       `json:"moh_classes"`
	FaxReceivers    []FaxReceiver    `json:"fax_receivers"`
	Recording       CallRecording    `json:"call_recording"`
	DISA            []DISA           `json:"disa"`
	Callbacks       []Callback       `json:"callbacks"`
}

// DialPlan returns c's dial-plan sections (empty lists as []).
func (c *Config) DialPlan() DialPlan {
	var d DialPlan
	for _, s := range planTable {
		s.data.toPlan(c, &d)
	}
	return d
}

// SetDialPlan replaces c's dial-plan sections with d's.
func (c *Config) SetDialPlan(d DialPlan) {
	for _, s := range planTable {
		s.data.fromPlan(&d, c)
	}
	normalizeDialPlan(c)
}

func emptyIfNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// DecodeDialPlan reads a dial plan (an object of dial-plan sections, each
// optional) as strictly as DecodeConfig reads a document: syntax errors
// with line and column, unknown fields and wrong types by path
// ("ring_groups[1].strategy"). Sections left out come back empty. It does
// not validate the values (SetDialPlan, then ImportConfig or
// UpdateDialPlan, do).
func DecodeDialPlan(r io.Reader) (DialPlan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return DialPlan{}, fmt.Errorf("dial plan: read: %w", err)
	}
	if len(data) > MaxDocumentSize {
		return DialPlan{}, fmt.Errorf("dial plan: larger than %d bytes", MaxDocumentSize)
	}
	if err := checkSyntax(data); err != nil {
		return DialPlan{}, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return DialPlan{}, errors.New("dial plan: must be a JSON object")
	}
	v := &ValidationError{}
	known := DialPlanSections()
	for k := range top {
		if !slices.Contains(known, k) {
			v.add(k, "unknown field (dial-plan sections: %s)", strings.Join(known, ", "))
		}
	}
	var c Config
	decodeDialPlan(top, &c, v)
	if err := v.err(); err != nil {
		return DialPlan{}, err
	}
	return c.DialPlan(), nil
}
