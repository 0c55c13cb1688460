package webui

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/store"
)

// The dial-plan pages of calls that change hands (config.md, "features",
// "pickup_groups", "conference_rooms", "paging_groups", "moh_classes"):
// the box-wide feature codes as one form with a guide to what users dial,
// and a list with a form for each of the other four. The music-on-hold
// pickers of queues, inbound routes and extension rules, and an extension
// rule's do-not-disturb and call waiting, are fields of those kinds'
// forms (dialplan_kinds.go) built here.

// usage is one line of a page's guide to what users dial.
type usage struct {
	Dial, Does string
}

// valueRows are the rows of a list of values: the stored ones, then
// memberRows empty ones for adding, each made by mk from its id (the
// list's path, "members[2]") and value; parseRows reads them back. The
// first row's help says it all; later rows refer to it.
func valueRows(prefix, label string, values []string, help, later string, mk func(id, value string) *field) []*field {
	var out []*field
	for j := 0; j < len(values)+memberRows; j++ {
		v := ""
		if j < len(values) {
			v = values[j]
		}
		f := mk(fmt.Sprintf("%s[%d]", prefix, j), v)
		f.Label, f.Help = fmt.Sprintf("%s %d", label, j+1), help
		if j > 0 {
			f.Help = fmt.Sprintf("As for %s 1; %s", label, later)
		}
		out = append(out, f)
	}
	return out
}

// textRows are text rows for a list of short strings (pickup codes).
func textRows(prefix, label string, values []string, maxLen int, help string) []*field {
	return valueRows(prefix, label, values, help, "leave empty to remove (or not add) this one.", func(id, v string) *field {
		return &field{ID: id, Name: id, Type: "text", Value: v, MaxLength: maxLen, Autocomplete: "off"}
	})
}

// extensionRows are select rows choosing extensions (a pickup or paging
// group's members). An extension that no longer exists stays chosen,
// marked, so that saving does not drop it silently (the store then says
// what is wrong).
func extensionRows(prefix, label string, values []string, exts []store.Extension, help string) []*field {
	choices := extensionOptions(exts) // "— none —" first
	return valueRows(prefix, label, values, help, "“none” removes (or does not add) this one.", func(id, v string) *field {
		return &field{ID: id, Name: id, Type: "select", Options: selectOptions(choices, v, destUnknown)}
	})
}

// mohField is the music-on-hold class picker of a queue, an inbound
// route, an extension rule or the box; none labels the empty choice.
func mohField(value string, c *planContext, none, help string) *field {
	return &field{ID: "moh_class", Name: "moh_class", Label: "Music-on-hold class", Type: "select",
		Options: nameOptions(c.MOHClasses, value, none),
		Help:    strings.TrimSpace(fmt.Sprintf("%s Set classes up on the Music on hold page.", help))}
}

// recordField is the recording mode picker of an extension rule, a queue
// or an inbound route; inherit labels the empty choice.
func recordField(value, inherit, help string) *field {
	return &field{ID: "record", Name: "record", Label: "Record calls", Type: "select",
		Options: selectOptions([]option{{Value: "", Label: inherit}, {Value: store.RecordAlways, Label: "always"},
			{Value: store.RecordOnDemand, Label: "on demand (the on-demand code during a call)"}, {Value: store.RecordNever, Label: "never"}}, value, "unknown"),
		Help: strings.TrimSpace(fmt.Sprintf("%s The Call recording page sets the box's own mode and the code.", help))}
}

// callHandlingFields are an extension rule's do-not-disturb, call
// waiting, music-on-hold and recording fields.
func callHandlingFields(r store.ExtensionRule, c *planContext) []*field {
	return []*field{
		recordField(r.Record, "— as the queue, route or box says —", "Whether calls this extension takes part in are recorded: “always” wins over the others, “never” over on demand."),
		{ID: "dnd", Name: "dnd", Label: "Do not disturb", Type: "checkbox", Checked: r.DND,
			Help: "Callers get this extension's busy handling (“Forward when busy”, else busy tone) and its analog phone hears a stuttered dial tone. Users switch it from their phones with *78 (on) and *79 (off); the Status page shows it and switches it too."},
		{ID: "call_waiting", Name: "call_waiting", Label: "Call waiting", Type: "checkbox", Checked: !r.NoCallWaiting,
			Help: "Ticked (the usual): a second call while this extension talks sounds the call-waiting tone with the caller's number on its analog phone, and a hook flash takes it. Unticked: a second caller gets busy handling. Users switch it with *70 (on) and *71 (off)."},
		mohField(r.MOHClass, c, "— the inbound route's, else the box's —", "What a caller this extension puts on hold or parks hears."),
	}
}

// parseCallHandling reads callHandlingFields back into r.
func parseCallHandling(v url.Values, p *formParser, r store.ExtensionRule) store.ExtensionRule {
	r.DND = v.Get("dnd") != ""
	r.NoCallWaiting = v.Get("call_waiting") == ""
	r.MOHClass = p.str("moh_class")
	r.Record = p.str("record")
	return r
}

// callHandlingDetail is an extension rule's call handling in its list
// line: "do not disturb", "no call waiting", "music jazz".
func callHandlingDetail(r store.ExtensionRule) []string {
	var parts []string
	if r.DND {
		parts = append(parts, "do not disturb")
	}
	if r.NoCallWaiting {
		parts = append(parts, "no call waiting")
	}
	if r.MOHClass != "" {
		parts = append(parts, "music "+r.MOHClass)
	}
	if r.Record != "" {
		parts = append(parts, "recorded "+strings.ReplaceAll(r.Record, "_", " "))
	}
	return parts
}

// callRecordingKind is call_recording as one form.
var callRecordingKind = &singleKind{
	fields: func(d *store.DialPlan, c *planContext) []*field {
		r := d.Recording
		return []*field{
			recordField(r.Mode, "never (the default)", "The box's own mode, for calls whose extensions, queue and route say nothing."),
			{ID: "stereo", Name: "stereo", Label: "Two channels", Type: "checkbox", Checked: r.Stereo,
				Help: "Record the caller on the left and whoever they talk to on the right (handy for transcripts and disputes). Unticked: both mixed in one channel, half the size."},
			{ID: "announce", Name: "announce", Label: "Announce the recording", Type: "checkbox", Checked: r.Announce,
				Help: "The other party hears “This call is being recorded” when a recording starts. Where the law asks you to tell callers, tick it (or put a notice in your menu's greeting)."},
			{ID: "on_demand_code", Name: "on_demand_code", Label: "On-demand code", Type: "text", Value: r.OnDemandCode, MaxLength: store.MaxFeatureCodeLen, Autocomplete: "off",
				Placeholder: store.DefaultOnDemandCode,
				Help:        fmt.Sprintf("Dialled during a call (SIP phones send it as keys, analog ones as tones) it starts a recording, dialled again it stops it. Empty: %s.", store.DefaultOnDemandCode)},
			{ID: "quota_mb", Name: "quota_mb", Label: "Quota for all recordings (MB)", Type: "number", Value: itoaBlank(r.QuotaMB), Min: "0",
				Max: strconv.Itoa(store.MaxRecordingQuotaMB), InputMode: "numeric",
				Help: "A minute takes about 0.5 MB (1 MB with two channels). When the recordings pass it, the oldest are removed; the Status page warns at 90 %. Empty or 0: no quota (the disk is the limit)."},
			{ID: "extension_quota_mb", Name: "extension_quota_mb", Label: "Quota per extension (MB)", Type: "number", Value: itoaBlank(r.ExtensionQuotaMB), Min: "0",
				Max: strconv.Itoa(store.MaxRecordingQuotaMB), InputMode: "numeric",
				Help: "The same for the recordings of any one extension. Empty or 0: none."},
			{ID: "retention_days", Name: "retention_days", Label: "Keep recordings for (days)", Type: "number", Value: itoaBlank(r.RetentionDays), Min: "0", Max: "3650",
				InputMode: "numeric", Help: "Older recordings are removed. Empty or 0: kept until a quota needs the room."},
		}
	},
	parse: func(d *store.DialPlan, v url.Values, p *formParser) {
		r := &d.Recording
		r.Mode = p.str("record")
		r.Stereo, r.Announce = v.Get("stereo") != "", v.Get("announce") != ""
		r.OnDemandCode = p.str("on_demand_code")
		r.QuotaMB = p.num("quota_mb", "quota_mb", "megabytes")
		r.ExtensionQuotaMB = p.num("extension_quota_mb", "extension_quota_mb", "megabytes")
		r.RetentionDays = p.num("retention_days", "retention_days", "days")
	},
}

// featuresKind is the box's in-call features as one form.
var featuresKind = &singleKind{
	fields: func(d *store.DialPlan, c *planContext) []*field {
		f := d.Features
		fs := []*field{
			{ID: "transfer_recall_s", Name: "transfer_recall_s", Label: "Ring back an unanswered transfer after (seconds)", Type: "number",
				Value: itoaBlank(f.TransferRecallS), Min: "0", Max: strconv.Itoa(store.MaxTransferRecallS), InputMode: "numeric",
				Help: fmt.Sprintf("A caller passed on by a blind transfer (#EXT# after a hook flash, or a SIP phone's transfer key) whom nobody answers within this time rings back at the person who transferred them. %d to %d seconds; empty: %d.",
					store.MinTransferRecallS, store.MaxTransferRecallS, store.DefaultTransferRecallS)},
			{ID: "park_code", Name: "park_code", Label: "Park code", Type: "text", Value: f.ParkCode, MaxLength: store.MaxFeatureCodeLen, Autocomplete: "off",
				Help: fmt.Sprintf("Users park a call by transferring it to this code (an analog phone: hook flash, then the code); the box tells them the slot. 1 to %d of 0-9, * and #, e.g. %s. Empty (with empty slots): no parking.",
					store.MaxFeatureCodeLen, store.DefaultParkCode)},
			{ID: "park_slots", Name: "park_slots", Label: "Park slots", Type: "text", Value: f.ParkSlots, MaxLength: 17, Autocomplete: "off", InputMode: "numeric",
				Help: fmt.Sprintf("The slots as FIRST-LAST, e.g. %s: at most %d, with numbers that clash with nothing else. Anyone takes a parked call back by dialling its slot from any phone; the Status page lists parked calls by slot.",
					store.DefaultParkSlots, store.MaxParkSlots)},
			{ID: "park_timeout_s", Name: "park_timeout_s", Label: "Ring back a parked call after (seconds)", Type: "number",
				Value: itoaBlank(f.ParkTimeoutS), Min: "0", Max: strconv.Itoa(store.MaxParkTimeoutS), InputMode: "numeric",
				Help: fmt.Sprintf("A parked call nobody took back rings at the person who parked it after this long. %d to %d seconds; empty: %d.",
					store.MinParkTimeoutS, store.MaxParkTimeoutS, store.DefaultParkTimeoutS)},
			destPicker(c.Choices, "park_timeout_destination", "Then send it to", f.ParkTimeoutDestination,
				"Instead of ringing back at the parker, e.g. the reception's ring group. Empty: the parker."),
		}
		fs = append(fs, textRows("group_pickup_codes", "Group pickup code", f.GroupPickupCodes, store.MaxFeatureCodeLen,
			fmt.Sprintf("Dialled while a phone nearby rings, picks that call up: any call ringing an extension of the caller's pickup group (Pickup groups page), ring groups and queues included. The small-office manual's 40 and the hosted PBX manual's 888 (dialled 888#) are what users may know; the box's own is %s. Up to %d characters of 0-9, * and #.",
				store.DefaultGroupPickupCode, store.MaxFeatureCodeLen))...)
		return append(fs,
			&field{ID: "directed_pickup_code", Name: "directed_pickup_code", Label: "Directed pickup code", Type: "text", Value: f.DirectedPickupCode,
				MaxLength: store.MaxFeatureCodeLen, Autocomplete: "off",
				Help: fmt.Sprintf("Followed by an extension number (%s202), picks up the call ringing that extension, whatever its group. Empty: off.", store.DefaultDirectedPickupCode)},
			&field{ID: "intercom_code", Name: "intercom_code", Label: "Intercom code", Type: "text", Value: f.IntercomCode,
				MaxLength: store.MaxFeatureCodeLen, Autocomplete: "off",
				Help: fmt.Sprintf("Followed by an extension number (%s202), calls its SIP phones, which answer by themselves on the speaker. Empty: off.", store.DefaultIntercomCode)},
			&field{ID: "conference_code", Name: "conference_code", Label: "Ad-hoc conference code", Type: "text", Value: f.ConferenceCode,
				MaxLength: store.MaxFeatureCodeLen, Autocomplete: "off",
				Help: fmt.Sprintf("Opens a new conference room for the caller alone; transferring a call into it adds that party — a three-way call from a SIP phone through the box (set %s as the phone's network-conference URI). Empty: off.", store.DefaultConferenceCode)},
			&field{ID: "music_on_hold", Name: "music_on_hold", Label: "Music on hold for the whole box", Type: "select",
				Options: nameOptions(c.MOHClasses, f.MusicOnHold, "— a soft beep every five seconds —"),
				Help:    "What held and parked callers hear unless their inbound route, the holding extension or their queue has a class of its own. Set classes up on the Music on hold page."},
		)
	},
	parse: func(d *store.DialPlan, v url.Values, p *formParser) {
		f := &d.Features
		f.TransferRecallS = p.num("transfer_recall_s", "transfer_recall_s", "the time in seconds")
		f.ParkCode, f.ParkSlots = p.str("park_code"), p.str("park_slots")
		f.ParkTimeoutS = p.num("park_timeout_s", "park_timeout_s", "the time in seconds")
		f.ParkTimeoutDestination = p.str("park_timeout_destination")
		f.GroupPickupCodes = parseRows("group_pickup_codes", v, p)
		f.DirectedPickupCode, f.IntercomCode = p.str("directed_pickup_code"), p.str("intercom_code")
		f.ConferenceCode = p.str("conference_code")
		f.MusicOnHold = p.str("music_on_hold")
	},
	guide: featureGuide,
}

// featureGuide says what users dial for each feature, with the codes as
// configured, so that the page doubles as the office's cheat sheet.
func featureGuide(d *store.DialPlan, c *planContext) []usage {
	f := d.Features
	ext := "202"
	if len(c.Extensions) > 1 {
		ext = c.Extensions[1].Number
	} else if len(c.Extensions) == 1 {
		ext = c.Extensions[0].Number
	}
	recall := f.TransferRecallS
	if recall == 0 {
		recall = store.DefaultTransferRecallS
	}
	out := []usage{
		{"Hook flash", "Puts the other party on hold (they hear music on hold) and gives a new dial tone; flash again to go back. On SIP phones: the Hold key."},
		{"Hook flash, #" + ext + "#", fmt.Sprintf("Blind transfer: the other party goes to %s (or any extension, ring group, queue or voice-menu number) and you hang up. Nobody answers within %d s: it rings back at you.", ext, recall)},
		{"Hook flash, *" + ext + "#", fmt.Sprintf("Attended transfer: you talk to %s first; hang up to hand the caller over, flash to go back to the caller.", ext)},
		{"Hook flash, a number, hook flash", "Three-way call: the number answers, the second flash joins all three."},
	}
	if f.ParkCode != "" {
		out = append(out, usage{"Hook flash, " + f.ParkCode, fmt.Sprintf("Parks the other party; the box says the slot (SIP phones: transfer the call to %s).", f.ParkCode)})
		if slots := store.ParkSlotNumbers(f.ParkSlots); len(slots) > 0 {
			dial := slots[0]
			if len(slots) > 1 {
				dial += " … " + slots[len(slots)-1]
			}
			out = append(out, usage{dial, "Takes a parked call back, from any phone."})
		}
	}
	if len(f.GroupPickupCodes) > 0 {
		out = append(out, usage{strings.Join(f.GroupPickupCodes, " or "), "Picks up a call ringing a phone of your pickup group."})
	}
	if f.DirectedPickupCode != "" {
		out = append(out, usage{f.DirectedPickupCode + ext, fmt.Sprintf("Picks up the call ringing %s.", ext)})
	}
	if f.IntercomCode != "" {
		out = append(out, usage{f.IntercomCode + ext, fmt.Sprintf("Intercom: %s's SIP phone answers by itself on its speaker.", ext)})
	}
	if f.ConferenceCode != "" {
		out = append(out, usage{f.ConferenceCode, "A conference of your own: transfer your calls into it (SIP phones: set it as the network-conference URI) to talk with all of them."})
	}
	rec := d.Recording.OnDemandCode
	if rec == "" {
		rec = store.DefaultOnDemandCode
	}
	if d.Recording.Mode == store.RecordOnDemand {
		out = append(out, usage{rec + " during a call", "Starts recording the call (one beep); again stops it (two beeps)."})
	}
	codes := "*78 / *79"
	cw := "*70 / *71"
	if !d.Numbering.FeatureCodes {
		codes += " (off: tick “Phones may switch their own forwarding” on the Numbering page)"
		cw += " (off, as above)"
	}
	return append(out,
		usage{codes, "Do not disturb on / off for your own extension: callers get your busy handling; your analog phone's dial tone stutters while it is on."},
		usage{cw, "Call waiting on / off: a second caller while you talk is announced by a tone and takes turns with a hook flash."},
	)
}

var pickupGroupKind = &objectKind[store.PickupGroup]{
	key: "pickup_groups", one: "pickup group",
	list: func(d *store.DialPlan) *[]store.PickupGroup { return &d.PickupGroups },
	name: func(g store.PickupGroup) string { return g.Name },
	detail: func(g store.PickupGroup) string {
		return strings.Join(g.Members, ", ")
	},
	fields: func(g store.PickupGroup, c *planContext) []*field {
		fs := []*field{{ID: "name", Name: "name", Label: "Name", Type: "text", Value: g.Name, MaxLength: 32, Required: true, Autocomplete: "off",
			Help: "A short name, e.g. sales-floor. Letters, digits, - and _."}}
		return append(fs, extensionRows("members", "Member", g.Members, c.Extensions,
			"An extension whose users pick up each other's ringing calls with a group pickup code (Features page). Extensions in no group pick up each other's calls.")...)
	},
	parse: func(v url.Values, p *formParser, g store.PickupGroup) store.PickupGroup {
		g.Name = p.str("name")
		g.Members = parseRows("members", v, p)
		return g
	},
}

var conferenceRoomKind = &objectKind[store.ConferenceRoom]{
	key: "conference_rooms", one: "conference room",
	list: func(d *store.DialPlan) *[]store.ConferenceRoom { return &d.ConferenceRooms },
	name: func(r store.ConferenceRoom) string { return r.Name },
	detail: func(r store.ConferenceRoom) string {
		var parts []string
		if r.Number != "" {
			parts = append(parts, fmt.Sprintf("number %s", r.Number))
		} else {
			parts = append(parts, fmt.Sprintf("reached as conf:%s", r.Name))
		}
		if r.PIN != "" {
			parts = append(parts, "with a PIN")
		}
		if r.MaxParties != 0 {
			parts = append(parts, fmt.Sprintf("up to %d callers", r.MaxParties))
		}
		if r.Quiet {
			parts = append(parts, "no join tones")
		}
		return strings.Join(parts, ", ")
	},
	fields: func(r store.ConferenceRoom, c *planContext) []*field {
		return []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: r.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. meeting: menu keys, routes and short numbers reach the room as conf:NAME; the Status page lists its callers under it."},
			{ID: "number", Name: "number", Label: "Internal number", Type: "text", Value: r.Number, MaxLength: 8, InputMode: "numeric", Autocomplete: "off",
				Help: "Optional: the number extensions dial to join, e.g. 800. It must not clash with an extension or another number."},
			{ID: "pin", Name: "pin", Label: "PIN", Type: "text", Value: r.PIN, MaxLength: store.MaxPINLen, InputMode: "numeric", Autocomplete: "off",
				Help: fmt.Sprintf("Optional: 1 to %d digits every caller must key in to join (three tries). Empty: anyone who reaches the room joins.", store.MaxPINLen)},
			{ID: "max_parties", Name: "max_parties", Label: "Most callers at once", Type: "number", Value: itoaBlank(r.MaxParties),
				Min: "0", Max: strconv.Itoa(store.MaxConferenceParties), InputMode: "numeric",
				Help: fmt.Sprintf("2 to %d; one more caller hears that the room is full. Empty: %d.", store.MaxConferenceParties, store.MaxConferenceParties)},
			{ID: "mute_key", Name: "mute_key", Label: "Mute key", Type: "text", Value: r.MuteKey, MaxLength: 1, Autocomplete: "off",
				Help: "The key a caller presses to mute and unmute their own voice: one of 0-9, * and #. Empty: *."},
			{ID: "quiet", Name: "quiet", Label: "No join and leave tones", Type: "checkbox", Checked: r.Quiet,
				Help: "Callers come and go without a tone for the others."},
		}
	},
	parse: func(v url.Values, p *formParser, r store.ConferenceRoom) store.ConferenceRoom {
		r.Name, r.Number, r.PIN, r.MuteKey = p.str("name"), p.str("number"), p.str("pin"), p.str("mute_key")
		r.MaxParties = p.num("max_parties", "max_parties", "the number of callers")
		r.Quiet = v.Get("quiet") != ""
		return r
	},
}

var faxReceiverKind = &objectKind[store.FaxReceiver]{
	key: "fax_receivers", one: "fax receiver",
	list: func(d *store.DialPlan) *[]store.FaxReceiver { return &d.FaxReceivers },
	name: func(f store.FaxReceiver) string { return f.Name },
	detail: func(f store.FaxReceiver) string {
		parts := []string{"reached as fax:" + f.Name}
		if f.Number != "" {
			parts[0] = "number " + f.Number
		}
		if f.Email != "" {
			parts = append(parts, "mailed to "+f.Email)
		}
		return strings.Join(parts, ", ")
	},
	fields: func(f store.FaxReceiver, c *planContext) []*field {
		return []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: f.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. office: routes, menu keys and conditions reach the receiver as fax:NAME."},
			{ID: "number", Name: "number", Label: "Internal number", Type: "text", Value: f.Number, MaxLength: 8, InputMode: "numeric", Autocomplete: "off",
				Help: "Optional: the number a fax machine on an extension dials to send the box a fax, e.g. 50. It must not clash with an extension or another number."},
			{ID: "email", Name: "email", Label: "E-mail address", Type: "email", Value: f.Email, MaxLength: 254, Autocomplete: "off",
				Help: "Optional: each fax received goes there as a PDF attachment (Settings → E-mail must be set up)."},
			{ID: "station_id", Name: "station_id", Label: "Station ID", Type: "text", Value: f.StationID, MaxLength: 20, Autocomplete: "off",
				Help: "Optional: the identity the sending fax machine shows (T.30 CSI): digits, spaces and +, at most 20. Empty: the internal number."},
		}
	},
	parse: func(v url.Values, p *formParser, f store.FaxReceiver) store.FaxReceiver {
		f.Name, f.Number, f.Email, f.StationID = p.str("name"), p.str("number"), p.str("email"), p.str("station_id")
		return f
	},
}

var pagingGroupKind = &objectKind[store.PagingGroup]{
	key: "paging_groups", one: "paging group",
	list: func(d *store.DialPlan) *[]store.PagingGroup { return &d.PagingGroups },
	name: func(g store.PagingGroup) string { return g.Name },
	detail: func(g store.PagingGroup) string {
		s := "number " + g.Number + ": " + strings.Join(g.Members, ", ")
		if g.Duplex {
			s += " (two-way)"
		}
		return s
	},
	fields: func(g store.PagingGroup, c *planContext) []*field {
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: g.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. warehouse: menu keys and routes reach the group as page:NAME."},
			{ID: "number", Name: "number", Label: "Internal number", Type: "text", Value: g.Number, MaxLength: 8, InputMode: "numeric", Autocomplete: "off", Required: true,
				Help: "The number a user dials to page the group, e.g. 850. It must not clash with an extension or another number."},
		}
		fs = append(fs, extensionRows("members", "Member", g.Members, c.Extensions,
			"An extension whose SIP phones answer a page by themselves on their speakers (analog phones are not paged).")...)
		return append(fs, &field{ID: "duplex", Name: "duplex", Label: "Two-way (intercom for all)", Type: "checkbox", Checked: g.Duplex,
			Help: "The members are heard too. Unticked: only the caller speaks, as on a public-address system."})
	},
	parse: func(v url.Values, p *formParser, g store.PagingGroup) store.PagingGroup {
		g.Name, g.Number = p.str("name"), p.str("number")
		g.Members = parseRows("members", v, p)
		g.Duplex = v.Get("duplex") != ""
		return g
	},
}

var mohClassKind = &objectKind[store.MOHClass]{
	key: "moh_classes", one: "music-on-hold class",
	list: func(d *store.DialPlan) *[]store.MOHClass { return &d.MOHClasses },
	name: func(m store.MOHClass) string { return m.Name },
	detail: func(m store.MOHClass) string {
		if m.Port != "" {
			return "live from " + portLabel(m.Port)
		}
		var files []string
		for _, pr := range m.Prompts {
			if pr.File != "" {
				files = append(files, pr.File)
			} else {
				files = append(files, "tone "+pr.Tone)
			}
		}
		s := strings.Join(files, ", ")
		if m.Shuffle {
			s += " (shuffled)"
		}
		return s
	},
	fields: func(m store.MOHClass, c *planContext) []*field {
		sources := []option{{Value: "", Label: "Recordings, chosen below"}}
		for _, l := range c.FXOLines {
			sources = append(sources, option{Value: fmt.Sprintf("fxo:%d", l.Port), Label: fmt.Sprintf("Live: what %s receives", portLabel(fmt.Sprintf("fxo:%d", l.Port)))})
		}
		for _, n := range c.FXSPorts {
			sources = append(sources, option{Value: fmt.Sprintf("fxs:%d", n), Label: fmt.Sprintf("Live: %s (a music player through an adapter)", portLabel(fmt.Sprintf("fxs:%d", n)))})
		}
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: m.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. jazz or seasonal: queues, inbound routes, extension rules and the Features page choose classes by it."},
			{ID: "port", Name: "port", Label: "Source", Type: "select", Options: selectOptions(sources, m.Port, "not on this board"),
				Help: "Recordings from the Recordings page, or the live sound of an analog port (the manuals' “music port”: a radio or player on a line) played to every held caller at once."},
		}
		if slices.ContainsFunc(m.Prompts, func(p store.Prompt) bool { return p.File == "" }) {
			// Tones or pauses (set through the API) keep their own rows.
			fs = append(fs, promptFields("prompts", "Part", m.Prompts)...)
		} else {
			music := append([]option{{Value: "", Label: "— none —"}}, c.Music...)
			var files []string
			for _, pr := range m.Prompts {
				files = append(files, pr.File)
			}
			fs = append(fs, valueRows("prompts", "Recording", files,
				"A recording from the Recordings page (upload music there first; any format, the box converts it). Played in this order, then from the top again.",
				"“none” removes (or does not add) this one.", func(id, v string) *field {
					id += ".file"
					return &field{ID: id, Name: id, Type: "select", Options: selectOptions(music, v, "not among the recordings")}
				})...)
		}
		return append(fs, &field{ID: "shuffle", Name: "shuffle", Label: "Shuffle", Type: "checkbox", Checked: m.Shuffle,
			Help: "Play the recordings in a new random order each round."})
	},
	parse: func(v url.Values, p *formParser, m store.MOHClass) store.MOHClass {
		m.Name, m.Port = p.str("name"), p.str("port")
		m.Prompts = parsePrompts("prompts", v, p)
		m.Shuffle = v.Get("shuffle") != ""
		return m
	},
}

// portLabel names "fxo:2" as "FXO line 2", "fxs:1" as "FXS port 1".
func portLabel(port string) string {
	kind, n, _ := strings.Cut(port, ":")
	switch kind {
	case "fxo":
		return "FXO line " + n
	case "fxs":
		return "FXS port " + n
	}
	return port
}

// addCallFeatureChoices adds the music-on-hold classes to c.
func addCallFeatureChoices(c *planContext, d *store.DialPlan) {
	for _, m := range d.MOHClasses {
		c.MOHClasses = append(c.MOHClasses, m.Name)
	}
}

// addPortsAndMusic adds the FXS ports (live music sources) and the
// uploaded recordings (music) to c. Either may be missing when the
// exchange cannot say: the forms then keep stored values as they are.
func (s *Server) addPortsAndMusic(ctx context.Context, c *planContext) {
	if st, err := s.svc.Status(ctx); err == nil {
		for _, p := range st.Ports {
			if p.Kind == "fxs" {
				c.FXSPorts = append(c.FXSPorts, p.Number)
			}
		}
	}
	recs, err := s.svc.Recordings(ctx)
	if err != nil {
		return
	}
	for _, r := range recs {
		if r.Missing || r.Problem != "" || r.Replaces != "" {
			continue
		}
		label := r.Name
		if l := recordingLength(r.DurationMS); l != "" {
			label += " (" + l + ")"
		}
		c.Music = append(c.Music, option{Value: r.Name, Label: label})
	}
}

// extensionRules are the extension rules by extension; nil when the dial
// plan cannot be read (the extension pages then leave call handling out).
func (s *Server) extensionRules(ctx context.Context) map[string]*store.ExtensionRule {
	c, err := s.svc.ExportConfig(ctx)
	if err != nil {
		s.log.Debug("webui: no extension rules for the extension pages", "err", err)
		return nil
	}
	out := make(map[string]*store.ExtensionRule, len(c.ExtensionRules))
	for i := range c.ExtensionRules {
		out[c.ExtensionRules[i].Extension] = &c.ExtensionRules[i]
	}
	return out
}

// callHandling is what an extension's page says of its rule: do not
// disturb, call waiting and music on hold, with the way to change them.
type callHandling struct {
	DND, CallWaiting bool
	MOHClass         string
	// RuleURL edits the extension's rule, or adds one when HasRule is
	// false.
	RuleURL string
	HasRule bool
}

func (s *Server) callHandlingOf(ctx context.Context, number string) *callHandling {
	c, err := s.svc.ExportConfig(ctx)
	if err != nil {
		return nil
	}
	h := &callHandling{CallWaiting: true, RuleURL: "/dialplan/extension_rules/new"}
	if i := slices.IndexFunc(c.ExtensionRules, func(r store.ExtensionRule) bool { return r.Extension == number }); i >= 0 {
		r := c.ExtensionRules[i]
		h.DND, h.CallWaiting, h.MOHClass, h.HasRule = r.DND, !r.NoCallWaiting, r.MOHClass, true
		h.RuleURL = objectURL("extension_rules", i, number, "edit")
	}
	return h
}
