package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/dialplan"
)

// What happens to calls once they are answered: transfer, park, pickup,
// intercom, conference rooms, paging and music on hold (config.md, "Calls
// that change hands"). Every code and number here joins the numbering
// plan, so it is checked against extensions and routes like any other.

// CallFeatures are the box's in-call features and their codes. An empty
// code turns its feature off; a new box has every one on (DefaultCallFeatures).
type CallFeatures struct {
	// TransferRecallS: a blind transfer that nobody answers within this
	// many seconds rings back at the transferrer (default 25).
	TransferRecallS int `json:"transfer_recall_s,omitempty"`
	// ParkCode parks the call transferred to it (or dialled after a hook
	// flash) on the first free slot of ParkSlots ("701-709"), which is
	// announced; dialling a slot from any phone takes the call back.
	ParkCode  string `json:"park_code,omitempty"`
	ParkSlots string `json:"park_slots,omitempty"`
	// ParkTimeoutS: a parked call nobody took back rings at the parker
	// after this long (default 60), or goes to ParkTimeoutDestination.
	ParkTimeoutS           int    `json:"park_timeout_s,omitempty"`
	ParkTimeoutDestination string `json:"park_timeout_destination,omitempty"`
	// GroupPickupCodes each pick up a call ringing in the caller's pickup
	// groups (the manuals' "40" and "888" are good choices); the
	// DirectedPickupCode followed by an extension picks up that
	// extension's ringing call.
	GroupPickupCodes   []string `json:"group_pickup_codes,omitempty"`
	DirectedPickupCode string   `json:"directed_pickup_code,omitempty"`
	// IntercomCode followed by an extension calls its SIP phones to
	// answer by themselves.
	IntercomCode string `json:"intercom_code,omitempty"`
	// ConferenceCode opens a new conference room for the caller alone,
	// who adds parties to it by transferring them (a SIP phone's
	// "network conference" URI): a three-way call through the box.
	ConferenceCode string `json:"conference_code,omitempty"`
	// MusicOnHold names the box-wide music-on-hold class ("" a soft beep).
	MusicOnHold string `json:"music_on_hold,omitempty"`
}

// Recording modes: which calls are recorded.
const (
	RecordNever    = "never"
	RecordAlways   = "always"
	RecordOnDemand = "on_demand"
)

// CallRecording says which calls are recorded and how (call_recording).
// A call is recorded always when an extension that takes part (its rule),
// else the queue it came through, else its inbound route, else this
// box-wide mode says so; on demand when that says on_demand, by the
// on-demand code during the call.
type CallRecording struct {
	// Mode is the box-wide mode: never (the default), always or
	// on_demand.
	Mode string `json:"mode,omitempty"`
	// Stereo records two channels: the caller (the call's first party)
	// left, whoever they talk to right; else both mixed in one.
	Stereo bool `json:"stereo,omitempty"`
	// Announce tells the other party "This call is being recorded" when
	// a recording starts.
	Announce bool `json:"announce,omitempty"`
	// OnDemandCode starts and stops a recording during a call, from SIP
	// (RFC 4733 keys) and analog phones (default "*1").
	OnDemandCode string `json:"on_demand_code,omitempty"`
	// QuotaMB bounds all recordings, ExtensionQuotaMB those of one
	// extension (0: none); the oldest go first. RetentionDays removes
	// older ones (0: kept until the quota needs the room).
	QuotaMB          int `json:"quota_mb,omitempty"`
	ExtensionQuotaMB int `json:"extension_quota_mb,omitempty"`
	RetentionDays    int `json:"retention_days,omitempty"`
}

// DefaultOnDemandCode starts and stops a recording during a call.
const DefaultOnDemandCode = "*1"

// MaxRecordingQuotaMB bounds the quotas (a data partition's size).
const MaxRecordingQuotaMB = 1 << 20

// checkRecordMode checks a record mode field.
func checkRecordMode(path, m string, add func(path, format string, args ...any)) {
	switch m {
	case "", RecordNever, RecordAlways, RecordOnDemand:
	default:
		add(path, "must be never, always or on_demand")
	}
}

// recording validates call_recording (the record fields of rules,
// queues and routes are checked with them).
func (pc *planCheck) recording() {
	r, add := pc.c.Recording, pc.add
	checkRecordMode("call_recording.mode", r.Mode, add)
	if r.OnDemandCode != "" {
		if m := featureCode(r.OnDemandCode); m != "" {
			add("call_recording.on_demand_code", "%s", m)
		}
	}
	for _, q := range []struct {
		path string
		v    int
	}{{"call_recording.quota_mb", r.QuotaMB}, {"call_recording.extension_quota_mb", r.ExtensionQuotaMB}} {
		if q.v < 0 || q.v > MaxRecordingQuotaMB {
			add(q.path, "must be 0 (no quota) to %d MB", MaxRecordingQuotaMB)
		}
	}
	if r.RetentionDays < 0 || r.RetentionDays > 3650 {
		add("call_recording.retention_days", "must be 0 (kept) to 3650 days")
	}
}

// PickupGroup is a set of extensions whose phones pick up each other's
// ringing calls. An extension in no group picks up calls ringing any
// other extension in no group (one office, one group, by default).
type PickupGroup struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// ConferenceRoom is a meet-me conference: callers who dial its number
// (or reach conf:NAME) talk together.
type ConferenceRoom struct {
	Name   string `json:"name"`
	Number string `json:"number,omitempty"`
	// PIN, when set, is asked of every caller (3 tries).
	PIN string `json:"pin,omitempty"`
	// MaxParties bounds the room (default and most: MaxConferenceParties).
	MaxParties int `json:"max_parties,omitempty"`
	// Quiet turns the join and leave tones off.
	Quiet bool `json:"quiet,omitempty"`
	// MuteKey toggles the caller's own microphone (default "*").
	MuteKey string `json:"mute_key,omitempty"`
}

// PagingGroup pages its members' phones at once: SIP phones answer by
// themselves and hear the caller; one-way unless Duplex.
type PagingGroup struct {
	Name    string   `json:"name"`
	Number  string   `json:"number"`
	Members []string `json:"members"`
	Duplex  bool     `json:"duplex,omitempty"`
}

// MOHClass is a set of recordings played to held, parked and queued
// callers, in order or shuffled, or the live audio of an analog port
// (a music source on a line: the "music port").
type MOHClass struct {
	Name    string   `json:"name"`
	Prompts []Prompt `json:"prompts,omitempty"`
	Shuffle bool     `json:"shuffle,omitempty"`
	// Port is "fxo:N" or "fxs:N" for a live source (then no prompts).
	Port string `json:"port,omitempty"`
}

// Bounds of the features; see config.md.
const (
	MaxParkSlots         = 50
	MinParkTimeoutS      = 10
	MaxParkTimeoutS      = 3600
	MinTransferRecallS   = 5
	MaxTransferRecallS   = 300
	MaxConferenceParties = 30
	MaxFeatureCodeLen    = 6
)

// Default feature codes of a new box: the ones Asterisk and FreePBX use,
// so users and installers already know them.
const (
	DefaultTransferRecallS    = 25
	DefaultParkTimeoutS       = 60
	DefaultParkCode           = "700"
	DefaultParkSlots          = "701-709"
	DefaultGroupPickupCode    = "*8"
	DefaultDirectedPickupCode = "**"
	DefaultIntercomCode       = "*4"
	DefaultConferenceCode     = "*3"
)

// DefaultCallFeatures are a new box's features: every one on.
func DefaultCallFeatures() CallFeatures {
	return CallFeatures{TransferRecallS: DefaultTransferRecallS, ParkCode: DefaultParkCode, ParkSlots: DefaultParkSlots,
		ParkTimeoutS: DefaultParkTimeoutS, GroupPickupCodes: []string{DefaultGroupPickupCode},
		DirectedPickupCode: DefaultDirectedPickupCode, IntercomCode: DefaultIntercomCode, ConferenceCode: DefaultConferenceCode}
}

// ParseParkSlots reads "701-709" (or one slot, "701") into its first and
// last number.
func ParseParkSlots(s string) (first, last int, width int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	if !isDigits(a) || !isDigits(b) || len(a) != len(b) || len(a) > 8 {
		return 0, 0, 0, fmt.Errorf("want FIRST-LAST of the same number of digits, e.g. %s", DefaultParkSlots)
	}
	first, _ = strconv.Atoi(a)
	last, _ = strconv.Atoi(b)
	switch {
	case last < first:
		return 0, 0, 0, fmt.Errorf("the last slot %s is below the first %s", b, a)
	case last-first+1 > MaxParkSlots:
		return 0, 0, 0, fmt.Errorf("at most %d slots", MaxParkSlots)
	}
	return first, last, len(a), nil
}

// ParkSlotNumbers lists the slots of "701-709" as numbers ("701", ...);
// nil when the range is not valid.
func ParkSlotNumbers(s string) []string {
	first, last, width, err := ParseParkSlots(s)
	if err != nil {
		return nil
	}
	var out []string
	for n := first; n <= last; n++ {
		out = append(out, fmt.Sprintf("%0*d", width, n))
	}
	return out
}

// featureCode checks a code a user dials: digits, '*' and '#', 1 to
// MaxFeatureCodeLen characters.
func featureCode(s string) string {
	if s == "" || len(s) > MaxFeatureCodeLen || !dialplan.IsDialString(s) {
		return fmt.Sprintf("must be 1 to %d characters of 0-9, * and #", MaxFeatureCodeLen)
	}
	return ""
}

// features validates the in-call features and puts their codes and
// numbers into the numbering plan.
func (pc *planCheck) features() {
	f, add := pc.c.Features, pc.add
	if f.TransferRecallS != 0 && (f.TransferRecallS < MinTransferRecallS || f.TransferRecallS > MaxTransferRecallS) {
		add("features.transfer_recall_s", "must be 0 (default %d) or %d to %d seconds", DefaultTransferRecallS, MinTransferRecallS, MaxTransferRecallS)
	}
	if f.ParkCode != "" {
		if m := featureCode(f.ParkCode); m != "" {
			add("features.park_code", "%s", m)
		} else {
			pc.lit(dialplan.KindService, f.ParkCode, "park code", "features.park_code")
		}
		if f.ParkSlots == "" {
			add("features.park_slots", "a park code needs slots to park on, e.g. %s", DefaultParkSlots)
		}
	}
	if f.ParkSlots != "" {
		if _, _, _, err := ParseParkSlots(f.ParkSlots); err != nil {
			add("features.park_slots", "%v", err)
		} else if f.ParkCode == "" {
			add("features.park_code", "park slots need a park code to park with, e.g. %s", DefaultParkCode)
		} else {
			for _, s := range ParkSlotNumbers(f.ParkSlots) {
				pc.lit(dialplan.KindService, s, "park slot", "features.park_slots")
			}
		}
	}
	if f.ParkTimeoutS != 0 && (f.ParkTimeoutS < MinParkTimeoutS || f.ParkTimeoutS > MaxParkTimeoutS) {
		add("features.park_timeout_s", "must be 0 (default %d) or %d to %d seconds", DefaultParkTimeoutS, MinParkTimeoutS, MaxParkTimeoutS)
	}
	if f.ParkTimeoutDestination != "" {
		pc.dest("features.park_timeout_destination", f.ParkTimeoutDestination)
	}
	seen := map[string]bool{}
	for i, code := range f.GroupPickupCodes {
		p := fmt.Sprintf("features.group_pickup_codes[%d]", i)
		switch m := featureCode(code); {
		case m != "":
			add(p, "%s", m)
		case seen[code]:
			add(p, "%s is listed twice", code)
		default:
			pc.lit(dialplan.KindFeature, code, "pickup code", p)
		}
		seen[code] = true
	}
	extLen := pc.c.System.ExtensionLength
	withExt := func(path, code, what string) {
		if code == "" {
			return
		}
		if m := featureCode(code); m != "" {
			add(path, "%s", m)
			return
		}
		if extLen >= MinExtensionLength && extLen <= MaxExtensionLength {
			pc.pattern(dialplan.KindFeature, code+strings.Repeat("X", extLen), what, path)
		}
	}
	if f.ConferenceCode != "" {
		if m := featureCode(f.ConferenceCode); m != "" {
			add("features.conference_code", "%s", m)
		} else {
			pc.lit(dialplan.KindService, f.ConferenceCode, "conference code", "features.conference_code")
		}
	}
	withExt("features.directed_pickup_code", f.DirectedPickupCode, "directed pickup code")
	withExt("features.intercom_code", f.IntercomCode, "intercom code")
	pc.mohClass("features.music_on_hold", f.MusicOnHold)
}

// extList checks a list of member extensions (pickup and paging groups).
func (pc *planCheck) extList(path string, members []string, min int) {
	if len(members) < min {
		pc.add(path, "needs at least %d extension(s)", min)
	}
	if len(members) > MaxGroupMembers {
		pc.add(path, "at most %d members", MaxGroupMembers)
	}
	seen := map[string]bool{}
	for j, m := range members {
		p := fmt.Sprintf("%s[%d]", path, j)
		switch {
		case !pc.has(SectionExtensions, m):
			pc.add(p, "extension %s does not exist", m)
		case seen[m]:
			pc.add(p, "extension %s is listed twice", m)
		}
		seen[m] = true
	}
}

// serviceNumber checks the number of a conference room or paging group
// and puts it into the numbering plan.
func (pc *planCheck) serviceNumber(path, n, owner string, required bool) {
	if n == "" {
		if required {
			pc.add(path, "is required: the number callers dial")
		}
		return
	}
	if !isDigits(n) || len(n) < MinExtensionLength || len(n) > dialplan.MaxPatternLen {
		pc.add(path, "must be %d to %d digits", MinExtensionLength, dialplan.MaxPatternLen)
		return
	}
	pc.lit(dialplan.KindService, n, owner, path)
}

func (pc *planCheck) pickupGroups() {
	for i, g := range pc.c.PickupGroups {
		pc.extList(fmt.Sprintf("pickup_groups[%d].members", i), g.Members, 1)
	}
}

func (pc *planCheck) conferenceRooms() {
	for i, r := range pc.c.ConferenceRooms {
		p := fmt.Sprintf("conference_rooms[%d].", i)
		pc.serviceNumber(p+"number", r.Number, "conference room "+r.Name, false)
		if r.PIN != "" && (!isDigits(r.PIN) || len(r.PIN) > MaxPINLen) {
			pc.add(p+"pin", "must be 1 to %d digits", MaxPINLen)
		}
		if r.MaxParties != 0 && (r.MaxParties < 2 || r.MaxParties > MaxConferenceParties) {
			pc.add(p+"max_parties", "must be 0 (default %d) or 2 to %d", MaxConferenceParties, MaxConferenceParties)
		}
		if r.MuteKey != "" && (len(r.MuteKey) != 1 || !dialplan.IsDialString(r.MuteKey)) {
			pc.add(p+"mute_key", "must be one key: 0-9, * or #")
		}
	}
}

func (pc *planCheck) pagingGroups() {
	for i, g := range pc.c.PagingGroups {
		p := fmt.Sprintf("paging_groups[%d].", i)
		pc.serviceNumber(p+"number", g.Number, "paging group "+g.Name, true)
		pc.extList(p+"members", g.Members, 1)
	}
}

func (pc *planCheck) mohClasses() {
	lim := pc.v.limits
	for i, m := range pc.c.MOHClasses {
		p := fmt.Sprintf("moh_classes[%d].", i)
		switch {
		case m.Port != "" && len(m.Prompts) > 0:
			pc.add(p+"port", "a class plays recordings or a port, not both")
		case m.Port != "":
			kind, n, ok := strings.Cut(m.Port, ":")
			num, err := strconv.Atoi(n)
			switch {
			case !ok || err != nil || (kind != "fxo" && kind != "fxs"):
				pc.add(p+"port", "must be fxo:N or fxs:N")
			case kind == "fxo" && (num < 1 || num > lim.FXOPorts):
				pc.add(p+"port", "no FXO port %d on this box (it has %s)", num, portRange(lim.FXOPorts))
			case kind == "fxs" && (num < 1 || num > lim.FXSPorts):
				pc.add(p+"port", "no FXS port %d on this box (it has %s)", num, portRange(lim.FXSPorts))
			}
		case len(m.Prompts) == 0:
			pc.add(p+"prompts", "needs at least one recording (or a port)")
		default:
			checkPrompts(p+"prompts", m.Prompts, pc.add)
		}
	}
}

// PickupAllowed reports whether extension by may pick up a call ringing
// extension ringing under the pickup groups of c: they share a group, or
// neither is in any group.
func (c *Config) PickupAllowed(by, ringing string) bool {
	inAny := func(e string) bool {
		return slices.ContainsFunc(c.PickupGroups, func(g PickupGroup) bool { return slices.Contains(g.Members, e) })
	}
	for _, g := range c.PickupGroups {
		if slices.Contains(g.Members, by) && slices.Contains(g.Members, ringing) {
			return true
		}
	}
	return !inAny(by) && !inAny(ringing)
}
