package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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

// dialPlanSections lists each section with its key, for read and write.
func dialPlanSections(c *Config) []section {
	return []section{
		{"numbering", &c.Numbering},
		{"line_groups", &c.LineGroups},
		{"outbound_routes", &c.OutboundRoutes},
		{"caller_id_rules", &c.CallerIDRules},
		{"inbound_routes", &c.InboundRoutes},
		{"ring_groups", &c.RingGroups},
		{"queues", &c.Queues},
		{"ivr_menus", &c.Menus},
		{"announcements", &c.Announcements},
		{"time_conditions", &c.TimeConditions},
		{"conditions", &c.Conditions},
		{"schedules", &c.Schedules},
		{"classifiers", &c.Classifiers},
		{"extension_rules", &c.ExtensionRules},
		{"limits", &c.CallLimits},
		{"trunks", &c.Trunks},
		{"voicemail", &c.Voicemail},
		{"features", &c.Features},
		{"pickup_groups", &c.PickupGroups},
		{"conference_rooms", &c.ConferenceRooms},
		{"paging_groups", &c.PagingGroups},
		{"moh_classes", &c.MOHClasses},
		{"fax_receivers", &c.FaxReceivers},
		{"call_recording", &c.Recording},
	}
}

// readDialPlan reads the dial-plan sections into c.
func readDialPlan(tx *bbolt.Tx, schema int, c *Config) error {
	if err := readSections(tx, bucketDialPlan, schema, dialPlanSections(c)); err != nil {
		return err
	}
	normalizeDialPlan(c)
	return nil
}

// writeDialPlan makes the dial-plan bucket hold exactly c's sections,
// leaving a database without a dial plan untouched when c has none.
func writeDialPlan(tx *bbolt.Tx, c *Config) error {
	return writeSections(tx, bucketDialPlan, dialPlanSections(c))
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
	nilIfEmpty(&c.Numbering.ShortNumbers)
	nilIfEmpty(&c.Numbering.EmergencyNumbers)
	nilIfEmpty(&c.LineGroups)
	nilIfEmpty(&c.OutboundRoutes)
	nilIfEmpty(&c.CallerIDRules)
	nilIfEmpty(&c.InboundRoutes)
	for i := range c.InboundRoutes {
		nilIfEmpty(&c.InboundRoutes[i].Classifiers)
	}
	nilIfEmpty(&c.RingGroups)
	nilIfEmpty(&c.Queues)
	for i := range c.Queues {
		nilIfEmpty(&c.Queues[i].MusicOnHold)
	}
	nilIfEmpty(&c.Menus)
	for i := range c.Menus {
		if len(c.Menus[i].Keys) == 0 {
			c.Menus[i].Keys = nil
		}
		nilIfEmpty(&c.Menus[i].Prompts)
	}
	nilIfEmpty(&c.Announcements)
	nilIfEmpty(&c.TimeConditions)
	nilIfEmpty(&c.Conditions)
	for i := range c.Announcements {
		nilIfEmpty(&c.Announcements[i].Prompts)
	}
	nilIfEmpty(&c.Schedules)
	nilIfEmpty(&c.Classifiers)
	nilIfEmpty(&c.ExtensionRules)
	nilIfEmpty(&c.Voicemail.Boxes)
	normalizeTrunks(c)
	nilIfEmpty(&c.Features.GroupPickupCodes)
	nilIfEmpty(&c.PickupGroups)
	nilIfEmpty(&c.ConferenceRooms)
	nilIfEmpty(&c.PagingGroups)
	nilIfEmpty(&c.MOHClasses)
	nilIfEmpty(&c.FaxReceivers)
	for i := range c.MOHClasses {
		nilIfEmpty(&c.MOHClasses[i].Prompts)
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
	c.Numbering.ShortNumbers = slices.Clone(c.Numbering.ShortNumbers)
	c.Numbering.EmergencyNumbers = slices.Clone(c.Numbering.EmergencyNumbers)
	c.LineGroups = slices.Clone(c.LineGroups)
	for i := range c.LineGroups {
		c.LineGroups[i].Lines = slices.Clone(c.LineGroups[i].Lines)
	}
	c.OutboundRoutes = slices.Clone(c.OutboundRoutes)
	for i := range c.OutboundRoutes {
		c.OutboundRoutes[i].Via = slices.Clone(c.OutboundRoutes[i].Via)
	}
	c.CallerIDRules = slices.Clone(c.CallerIDRules)
	c.InboundRoutes = slices.Clone(c.InboundRoutes)
	for i := range c.InboundRoutes {
		c.InboundRoutes[i].Lines = slices.Clone(c.InboundRoutes[i].Lines)
		c.InboundRoutes[i].Trunks = slices.Clone(c.InboundRoutes[i].Trunks)
		c.InboundRoutes[i].DIDs = slices.Clone(c.InboundRoutes[i].DIDs)
		c.InboundRoutes[i].Classifiers = slices.Clone(c.InboundRoutes[i].Classifiers)
	}
	c.RingGroups = slices.Clone(c.RingGroups)
	for i := range c.RingGroups {
		c.RingGroups[i].Members = slices.Clone(c.RingGroups[i].Members)
	}
	c.Queues = slices.Clone(c.Queues)
	for i := range c.Queues {
		c.Queues[i].Members = slices.Clone(c.Queues[i].Members)
		c.Queues[i].MusicOnHold = slices.Clone(c.Queues[i].MusicOnHold)
	}
	c.Menus = slices.Clone(c.Menus)
	for i := range c.Menus {
		c.Menus[i].Prompts = slices.Clone(c.Menus[i].Prompts)
		c.Menus[i].Keys = maps.Clone(c.Menus[i].Keys)
	}
	c.Announcements = slices.Clone(c.Announcements)
	c.TimeConditions = slices.Clone(c.TimeConditions)
	c.Conditions = slices.Clone(c.Conditions)
	for i := range c.Announcements {
		c.Announcements[i].Prompts = slices.Clone(c.Announcements[i].Prompts)
	}
	c.Schedules = slices.Clone(c.Schedules)
	for i := range c.Schedules {
		c.Schedules[i].Hours = slices.Clone(c.Schedules[i].Hours)
		c.Schedules[i].Holidays = slices.Clone(c.Schedules[i].Holidays)
	}
	c.Classifiers = slices.Clone(c.Classifiers)
	for i := range c.Classifiers {
		c.Classifiers[i].Numbers = slices.Clone(c.Classifiers[i].Numbers)
	}
	c.ExtensionRules = slices.Clone(c.ExtensionRules)
	for i := range c.ExtensionRules {
		c.ExtensionRules[i].FollowMe = slices.Clone(c.ExtensionRules[i].FollowMe)
	}
	c.Voicemail.Boxes = slices.Clone(c.Voicemail.Boxes)
	cloneTrunks(c)
	c.Features.GroupPickupCodes = slices.Clone(c.Features.GroupPickupCodes)
	c.PickupGroups = slices.Clone(c.PickupGroups)
	for i := range c.PickupGroups {
		c.PickupGroups[i].Members = slices.Clone(c.PickupGroups[i].Members)
	}
	c.ConferenceRooms = slices.Clone(c.ConferenceRooms)
	c.PagingGroups = slices.Clone(c.PagingGroups)
	for i := range c.PagingGroups {
		c.PagingGroups[i].Members = slices.Clone(c.PagingGroups[i].Members)
	}
	c.MOHClasses = slices.Clone(c.MOHClasses)
	c.FaxReceivers = slices.Clone(c.FaxReceivers)
	for i := range c.MOHClasses {
		c.MOHClasses[i].Prompts = slices.Clone(c.MOHClasses[i].Prompts)
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
	if raw, ok := top["numbering"]; ok && string(raw) != "null" {
		decodeField(raw, "numbering", &c.Numbering, v)
	}
	decodeList(top["line_groups"], "line_groups", &c.LineGroups, v)
	decodeList(top["outbound_routes"], "outbound_routes", &c.OutboundRoutes, v)
	decodeList(top["caller_id_rules"], "caller_id_rules", &c.CallerIDRules, v)
	decodeList(top["inbound_routes"], "inbound_routes", &c.InboundRoutes, v)
	decodeList(top["ring_groups"], "ring_groups", &c.RingGroups, v)
	decodeList(top["queues"], "queues", &c.Queues, v)
	decodeList(top["ivr_menus"], "ivr_menus", &c.Menus, v)
	decodeList(top["announcements"], "announcements", &c.Announcements, v)
	decodeList(top["time_conditions"], "time_conditions", &c.TimeConditions, v)
	decodeList(top["conditions"], "conditions", &c.Conditions, v)
	decodeList(top["schedules"], "schedules", &c.Schedules, v)
	decodeList(top["classifiers"], "classifiers", &c.Classifiers, v)
	decodeList(top["extension_rules"], "extension_rules", &c.ExtensionRules, v)
	decodeList(top["trunks"], "trunks", &c.Trunks, v)
	if raw, ok := top["limits"]; ok && string(raw) != "null" {
		decodeField(raw, "limits", &c.CallLimits, v)
	}
	if raw, ok := top["voicemail"]; ok && string(raw) != "null" {
		decodeField(raw, "voicemail", &c.Voicemail, v)
	}
	if raw, ok := top["features"]; ok && string(raw) != "null" {
		decodeField(raw, "features", &c.Features, v)
	}
	decodeList(top["pickup_groups"], "pickup_groups", &c.PickupGroups, v)
	decodeList(top["conference_rooms"], "conference_rooms", &c.ConferenceRooms, v)
	decodeList(top["paging_groups"], "paging_groups", &c.PagingGroups, v)
	decodeList(top["moh_classes"], "moh_classes", &c.MOHClasses, v)
	decodeList(top["fax_receivers"], "fax_receivers", &c.FaxReceivers, v)
	if raw, ok := top["call_recording"]; ok && string(raw) != "null" {
		decodeField(raw, "call_recording", &c.Recording, v)
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
	Recording       CallRecording    `json:"call_recording"`
	FaxReceivers    []FaxReceiver    `json:"fax_receivers"`
}

// DialPlanSections are the JSON names of the dial-plan sections, in
// document order.
func DialPlanSections() []string {
	var c Config
	var out []string
	for _, s := range dialPlanSections(&c) {
		out = append(out, s.key)
	}
	return out
}

// DialPlan returns c's dial-plan sections (empty lists as []).
func (c *Config) DialPlan() DialPlan {
	d := DialPlan{Numbering: c.Numbering, LineGroups: c.LineGroups, OutboundRoutes: c.OutboundRoutes,
		CallerIDRules: c.CallerIDRules, InboundRoutes: c.InboundRoutes, RingGroups: c.RingGroups, Queues: c.Queues, Menus: c.Menus,
		Announcements: c.Announcements, TimeConditions: c.TimeConditions, Conditions: c.Conditions, Schedules: c.Schedules, Classifiers: c.Classifiers, ExtensionRules: c.ExtensionRules, Limits: c.CallLimits, Trunks: c.Trunks,
		Voicemail: c.Voicemail, Features: c.Features, PickupGroups: c.PickupGroups, ConferenceRooms: c.ConferenceRooms,
		PagingGroups: c.PagingGroups, MOHClasses: c.MOHClasses, Recording: c.Recording, FaxReceivers: c.FaxReceivers}
	emptyIfNil(&d.LineGroups)
	emptyIfNil(&d.OutboundRoutes)
	emptyIfNil(&d.CallerIDRules)
	emptyIfNil(&d.InboundRoutes)
	emptyIfNil(&d.RingGroups)
	emptyIfNil(&d.Queues)
	emptyIfNil(&d.Menus)
	emptyIfNil(&d.Announcements)
	emptyIfNil(&d.TimeConditions)
	emptyIfNil(&d.Conditions)
	emptyIfNil(&d.Schedules)
	emptyIfNil(&d.Classifiers)
	emptyIfNil(&d.ExtensionRules)
	emptyIfNil(&d.Trunks)
	emptyIfNil(&d.PickupGroups)
	emptyIfNil(&d.ConferenceRooms)
	emptyIfNil(&d.PagingGroups)
	emptyIfNil(&d.MOHClasses)
	emptyIfNil(&d.FaxReceivers)
	return d
}

// SetDialPlan replaces c's dial-plan sections with d's.
func (c *Config) SetDialPlan(d DialPlan) {
	c.Numbering, c.LineGroups, c.OutboundRoutes, c.CallerIDRules = d.Numbering, d.LineGroups, d.OutboundRoutes, d.CallerIDRules
	c.InboundRoutes, c.RingGroups, c.Schedules, c.Classifiers = d.InboundRoutes, d.RingGroups, d.Schedules, d.Classifiers
	c.Menus, c.Queues, c.Announcements = d.Menus, d.Queues, d.Announcements
	c.TimeConditions, c.Conditions = d.TimeConditions, d.Conditions
	c.ExtensionRules, c.CallLimits, c.Trunks = d.ExtensionRules, d.Limits, d.Trunks
	c.Voicemail = d.Voicemail
	c.Features, c.PickupGroups, c.ConferenceRooms, c.PagingGroups, c.MOHClasses = d.Features, d.PickupGroups, d.ConferenceRooms, d.PagingGroups, d.MOHClasses
	c.Recording = d.Recording
	c.FaxReceivers = d.FaxReceivers
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
