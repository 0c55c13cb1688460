package webui

import "slices"

// The web UI's table of dial-plan sections: one entry per section of the
// store's table (store.Sections), with its title, its help, the group
// the dial plan page lists it under, and its pages — the list and forms
// of a list section, or the one form of a one-object section. A test
// holds it to the store's table; adding a section is one entry here.

// dialPlanSection is one dial-plan section as the web UI shows it.
type dialPlanSection struct {
	Key, Title, Help string
	// Group is the heading of the dial plan page it is listed under
	// (planGroups).
	Group string
	// list serves a list section's pages, single a one-object
	// section's form; exactly one is set.
	list   planKind
	single *singleKind
}

// planGroups are the dial plan page's headings, ordered so that what a
// section uses comes before it (a line group before an outbound route,
// a mailbox and a ring group before the menu that sends callers there).
var planGroups = []struct{ ID, Title string }{
	{"lines", "Outside lines and providers"},
	{"people", "People"},
	{"hours", "Hours"},
	{"hear", "What callers hear"},
	{"answer", "Who answers"},
	{"choices", "Choices on the way"},
	{"incoming", "Incoming calls and numbers"},
	{"box", "The whole box"},
}

// planSections are the sections in the dial plan page's order.
var planSections = []dialPlanSection{
	{Key: "trunks", Title: "SIP trunks", Group: "lines", list: trunkKind,
		Help: `A SIP trunk is an account at a telephone provider over the Internet: outbound routes can send calls through it like through line groups, and the provider’s numbers that arrive on it (DIDs) each go to a destination.`},
	{Key: "line_groups", Title: "Line groups", Group: "lines", list: lineGroupKind,
		Help: `A line group is a set of outside (FXO) lines used together: outbound routes send calls through line groups, taking a free line by the order you choose, and can be limited so some lines stay free for incoming calls.`},
	{Key: "outbound_routes", Title: "Outbound routes", Group: "lines", list: outboundRouteKind,
		Help: `An outbound route takes the numbers extensions dial that match its pattern out through line groups, trying the next group when every line of one is busy. It can remove and add digits first, and only extensions with the permission class it needs may use it.`},
	{Key: "caller_id_rules", Title: "Caller ID rules", Group: "lines", list: callerIDRuleKind,
		Help: `A caller ID rule sets the number (and name) the called party sees on outside calls, by what was dialled: the rule with the longest matching start wins; a rule can also withhold the number.`},
	{Key: "extension_rules", Title: "Extension rules", Group: "people", list: extensionRuleKind,
		Help: `An extension rule sets one extension's permission class (which outside numbers it may dial), its call forwarding (always, busy, no answer, unreachable), a follow-me list of up to 10 numbers rung in turn, the caller ID forwarded calls show, do not disturb, call waiting, and the music a caller it holds hears.`},
	{Key: "voicemail", Title: "Voicemail", Group: "people", single: voicemailKind,
		Help: `A mailbox takes messages for an extension when a caller is sent to voicemail:NUMBER (from the extension's busy or no-answer forwarding, a menu key or a route). Its owner listens from a phone with *97 (own mailbox) or *98 (any mailbox), with the mailbox's PIN, or on the Voicemail page.`},
	{Key: "pickup_groups", Title: "Pickup groups", Group: "people", list: pickupGroupKind,
		Help: `A pickup group is a set of extensions whose users answer each other's ringing phones by dialling a group pickup code (Features page): the sales desk picks up the call ringing at the empty desk beside it. Extensions in no group pick up each other's calls.`},
	{Key: "schedules", Title: "Schedules", Group: "hours", list: scheduleKind,
		Help: `A schedule is working hours for each day of the week and a list of holidays, in the box's time zone. Inbound routes, time conditions and follow-me use schedules.`},
	{Key: "moh_classes", Title: "Music on hold", Group: "hear", list: mohClassKind,
		Help: `A music-on-hold class is what a caller hears while held, parked or waiting in a queue: recordings from the Recordings page in order or shuffled, or the live sound of an analog port. The Features page sets the box's class; queues, inbound routes and extension rules can choose their own.`},
	{Key: "announcements", Title: "Announcements", Group: "hear", list: announcementKind,
		Help: `An announcement answers the call (or, for SIP callers, plays before answering if you tick early media), plays its recordings (or tones and pauses) once, then sends the caller on: a closed message then voicemail, a recorded notice before the queue. Routes, menu keys and forwarding reach it as announce:NAME; with nowhere to go next the call ends after it.`},
	{Key: "ring_groups", Title: "Ring groups", Group: "answer", list: ringGroupKind,
		Help: `A ring group rings several phones for one call — all at once or one after another — each for its own ring time, then sends the call on if nobody answers. Other parts of the dial plan reach it as group:NAME, and extensions can dial its internal number.`},
	{Key: "queues", Title: "Queues", Group: "answer", list: queueKind,
		Help: `A queue answers callers and keeps them in order of arrival with music on hold, telling them their place now and then; the caller at the head rings free agents by the strategy. A wait limit and a caller limit bound it. Other parts of the dial plan reach it as queue:NAME.`},
	{Key: "conference_rooms", Title: "Conference rooms", Group: "answer", list: conferenceRoomKind,
		Help: `A conference room is a meet-me call: everyone who dials its number (or reaches conf:NAME from a menu key or route) talks together, after keying the room's PIN if it has one. Callers mute themselves with a key; the Status page lists who is in each room, with mute and remove buttons.`},
	{Key: "fax_receivers", Title: "Fax receivers", Group: "answer", list: faxReceiverKind,
		Help: `A fax receiver is the box's own fax machine: a call that dials its number (e.g. 50), or that a route, a menu key or a condition sends to fax:NAME, is answered and the fax received; the Fax page lists the faxes (PDF and TIFF), and each is mailed as a PDF to the receiver's address when e-mail is set up. An inbound route's fax detection sends a call that a menu or an announcement answered here when a fax machine is heard calling.`},
	{Key: "paging_groups", Title: "Paging groups", Group: "answer", list: pagingGroupKind,
		Help: `A paging group calls its members' SIP phones at once; they answer by themselves on their speakers and the caller is heard everywhere, like a public-address system (or as an intercom for all, two-way). Users dial its number; menus and routes reach it as page:NAME.`},
	{Key: "time_conditions", Title: "Time conditions", Group: "choices", list: timeConditionKind,
		Help: `A time condition sends calls one way while a schedule is open and another while it is closed, decided when the call gets there: a menu key to sales in office hours and to voicemail after. Menu keys, short numbers, routes and forwarding reach it as time:NAME.`},
	{Key: "conditions", Title: "Conditions", Group: "choices", list: conditionKind,
		Help: `A condition rings a destination — a mobile number, an analog port, a ring group — for as long as you say, and sends the call on when nobody answers, when the line is busy or when it cannot ring at all: ring the boss's mobile for 20 seconds, then take a message. Reached as cond:NAME.`},
	{Key: "ivr_menus", Title: "Voice menus", Group: "choices", list: menuKind,
		Help: `A voice menu answers, plays its announcement (recordings from the Recordings page or built-in prompts, tones or pauses) and sends the caller where the key they press says; it can let callers dial an extension directly. Silence or a wrong key repeats the menu, then goes to a last destination. Reached as menu:NAME.`},
	{Key: "classifiers", Title: "Caller lists", Group: "incoming", list: classifierKind,
		Help: `A caller list acts on calls from outside lines and trunks by the caller's number: a blacklist refuses the callers, a VIP list sends them straight to a destination, a priority list puts them first in queues. A list no inbound route chooses applies to every outside call; a list one or more inbound routes choose (on the route's page) applies only to those routes' calls, after the lists that apply to every call.`},
	{Key: "disa", Title: "DISA", Group: "incoming", list: disaKind,
		Help: `DISA (direct inward system access) gives a caller from outside the box's dial tone: a caller it lets in — by their number, a PIN, or both — dials a number as an office phone would, and it goes out through the outbound routes within the DISA's permission class. Inbound routes, DIDs, caller lists, menu keys and callbacks reach it as disa:NAME. Every DISA call is marked in the call records (search origin "DISA").`},
	{Key: "callbacks", Title: "Callbacks", Group: "incoming", list: callbackKind,
		Help: `A callback calls its callers back at the box's expense: a known caller who reaches callback:NAME (from an inbound route, a DID or a caller list) is not answered — so the call costs them nothing — and a few seconds later the box calls them back through the outbound routes, then gives them dial tone (disa:NAME) or puts them through to a destination. A caller not on the list can key a PIN instead.`},
	{Key: "inbound_routes", Title: "Inbound routes", Group: "incoming", list: inboundRouteKind,
		Help: `An inbound route says where calls arriving on an outside (FXO) line go: always to one destination, or by a schedule to one destination during working hours and another when closed.`},
	{Key: "numbering", Title: "Numbering", Group: "incoming", single: singleNumbering,
		Help: `Short numbers standing for a destination ({'number': '300', 'destination': 'group:sales'}) and emergency numbers, which always route whatever the caller's class.`},
	{Key: "features", Title: "Features", Group: "box", single: featuresKind,
		Help: `What users can do with a call once it is answered, and the codes they dial for it: hold, transfer (the caller rings back if nobody answers), park on numbered slots, pick up a ringing phone, intercom, and the box's music on hold. An empty code turns its feature off. The guide below says what each code does for users, with the codes as set now.`},
	{Key: "call_recording", Title: "Call recording", Group: "box", single: callRecordingKind,
		Help: `Which calls the box records: always, never or on demand (the on-demand code, *1, dialled during a call starts and stops it), box-wide here and per extension (extension rules), queue and inbound route on their pages. One file per call follows it through transfers, pickup and park; the Call recordings page lists, plays and deletes them. A quota removes the oldest ones first.`},
	{Key: "limits", Title: "Limits", Group: "box", single: singleLimits,
		Help: `Box-wide call limits: max_call_duration_s clears an answered call after that long (0: no limit).`},
}

func findDialPlanSection(key string) (dialPlanSection, bool) {
	i := slices.IndexFunc(planSections, func(s dialPlanSection) bool { return s.Key == key })
	if i < 0 {
		return dialPlanSection{}, false
	}
	return planSections[i], true
}

// Warning is a risk the installer must weigh before using the section
// ("": none), shown on its pages.
func (s dialPlanSection) Warning() string {
	switch s.Key {
	case "disa", "callbacks":
		return tollFraudWarning
	}
	return ""
}
