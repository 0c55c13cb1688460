package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"minipbx/telephony/store"
)

// The dial plan (telephony/store/config.md, "The dial plan") through the
// API and the pages. The whole plan is replaced in one validated change:
// the exchange checks it against the extensions and the numbering plan, so
// a change to one section can be refused for its effect on another, and
// every problem is reported by its document path
// ("ring_groups[0].members[1].destination").

// dialPlanSection describes one kind of dial-plan object for its page.
type dialPlanSection struct {
	Key, Title, Help string
}

var dialPlanPages = []dialPlanSection{
	{"numbering", "Numbering", `Short numbers standing for a destination ({"number": "300", "destination": "group:sales"}) and emergency numbers, which always route whatever the caller's class.`},
	{"line_groups", "Line groups", `A line group is a set of outside (FXO) lines used together: outbound routes send calls through line groups, taking a free line by the order you choose, and can be limited so some lines stay free for incoming calls.`},
	{"outbound_routes", "Outbound routes", `An outbound route takes the numbers extensions dial that match its pattern out through line groups, trying the next group when every line of one is busy. It can remove and add digits first, and only extensions with the permission class it needs may use it.`},
	{"caller_id_rules", "Caller ID rules", `A caller ID rule sets the number (and name) the called party sees on outside calls, by what was dialled: the rule with the longest matching start wins; a rule can also withhold the number.`},
	{"inbound_routes", "Inbound routes", `An inbound route says where calls arriving on an outside (FXO) line go: always to one destination, or by a schedule to one destination during working hours and another when closed.`},
	{"ring_groups", "Ring groups", `A ring group rings several phones for one call — all at once or one after another — each for its own ring time, then sends the call on if nobody answers. Other parts of the dial plan reach it as group:NAME, and extensions can dial its internal number.`},
	{"queues", "Queues", `A queue answers callers and keeps them in order of arrival with music on hold, telling them their place now and then; the caller at the head rings free agents by the strategy. A wait limit and a caller limit bound it. Other parts of the dial plan reach it as queue:NAME.`},
	{"ivr_menus", "Voice menus", `A voice menu answers, plays its announcement (recordings from the Recordings page or built-in prompts, tones or pauses) and sends the caller where the key they press says; it can let callers dial an extension directly. Silence or a wrong key repeats the menu, then goes to a last destination. Reached as menu:NAME.`},
	{"announcements", "Announcements", `An announcement answers the call (or, for SIP callers, plays before answering if you tick early media), plays its recordings (or tones and pauses) once, then sends the caller on: a closed message then voicemail, a recorded notice before the queue. Routes, menu keys and forwarding reach it as announce:NAME; with nowhere to go next the call ends after it.`},
	{"time_conditions", "Time conditions", `A time condition sends calls one way while a schedule is open and another while it is closed, decided when the call gets there: a menu key to sales in office hours and to voicemail after. Menu keys, short numbers, routes and forwarding reach it as time:NAME.`},
	{"conditions", "Conditions", `A condition rings a destination — a mobile number, an analog port, a ring group — for as long as you say, and sends the call on when nobody answers, when the line is busy or when it cannot ring at all: ring the boss's mobile for 20 seconds, then take a message. Reached as cond:NAME.`},
	{"schedules", "Schedules", `A schedule is working hours for each day of the week and a list of holidays, in the box's time zone. Inbound routes, time conditions and follow-me use schedules.`},
	{"classifiers", "Caller lists", `A caller list acts on calls from outside lines and trunks by the caller's number: a blacklist refuses the callers, a VIP list sends them straight to a destination, a priority list puts them first in queues. A list no inbound route chooses applies to every outside call; a list one or more inbound routes choose (on the route's page) applies only to those routes' calls, after the lists that apply to every call.`},
	{"extension_rules", "Extension rules", `An extension rule sets one extension's permission class (which outside numbers it may dial), its call forwarding (always, busy, no answer, unreachable), a follow-me list of up to 10 numbers rung in turn, the caller ID forwarded calls show, do not disturb, call waiting, and the music a caller it holds hears.`},
	{"trunks", "SIP trunks", `A SIP trunk is an account at a telephone provider over the Internet: outbound routes can send calls through it like through line groups, and the provider’s numbers that arrive on it (DIDs) each go to a destination.`},
	{"features", "Features", `What users can do with a call once it is answered, and the codes they dial for it: hold, transfer (the caller rings back if nobody answers), park on numbered slots, pick up a ringing phone, intercom, and the box's music on hold. An empty code turns its feature off. The guide below says what each code does for users, with the codes as set now.`},
	{"pickup_groups", "Pickup groups", `A pickup group is a set of extensions whose users answer each other's ringing phones by dialling a group pickup code (Features page): the sales desk picks up the call ringing at the empty desk beside it. Extensions in no group pick up each other's calls.`},
	{"conference_rooms", "Conference rooms", `A conference room is a meet-me call: everyone who dials its number (or reaches conf:NAME from a menu key or route) talks together, after keying the room's PIN if it has one. Callers mute themselves with a key; the Status page lists who is in each room, with mute and remove buttons.`},
	{"fax_receivers", "Fax receivers", `A fax receiver is the box's own fax machine: a call that dials its number (e.g. 50), or that a route, a menu key or a condition sends to fax:NAME, is answered and the fax received; the Fax page lists the faxes (PDF and TIFF), and each is mailed as a PDF to the receiver's address when e-mail is set up. An inbound route's fax detection sends a call that a menu or an announcement answered here when a fax machine is heard calling.`},
	{"paging_groups", "Paging groups", `A paging group calls its members' SIP phones at once; they answer by themselves on their speakers and the caller is heard everywhere, like a public-address system (or as an intercom for all, two-way). Users dial its number; menus and routes reach it as page:NAME.`},
	{"moh_classes", "Music on hold", `A music-on-hold class is what a caller hears while held, parked or waiting in a queue: recordings from the Recordings page in order or shuffled, or the live sound of an analog port. The Features page sets the box's class; queues, inbound routes and extension rules can choose their own.`},
	{"call_recording", "Call recording", `Which calls the box records: always, never or on demand (the on-demand code, *1, dialled during a call starts and stops it), box-wide here and per extension (extension rules), queue and inbound route on their pages. One file per call follows it through transfers, pickup and park; the Call recordings page lists, plays and deletes them. A quota removes the oldest ones first.`},
	{"voicemail", "Voicemail", `A mailbox takes messages for an extension when a caller is sent to voicemail:NUMBER (from the extension's busy or no-answer forwarding, a menu key or a route). Its owner listens from a phone with *97 (own mailbox) or *98 (any mailbox), with the mailbox's PIN, or on the Voicemail page.`},
	{"limits", "Limits", `Box-wide call limits: max_call_duration_s clears an answered call after that long (0: no limit).`},
}

func findDialPlanSection(key string) (dialPlanSection, bool) {
	i := slices.IndexFunc(dialPlanPages, func(s dialPlanSection) bool { return s.Key == key })
	if i < 0 {
		return dialPlanSection{}, false
	}
	return dialPlanPages[i], true
}

// apiDialPlan returns the dial plan.
func (s *Server) apiDialPlan(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		writeError(w, s.serviceError("read dial plan", err))
		return
	}
	writeJSON(w, http.StatusOK, c.DialPlan())
}

// apiUpdateDialPlan replaces the whole dial plan (sections left out become
// empty) after validating it with the rest of the configuration.
func (s *Server) apiUpdateDialPlan(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxConfigBody))
	if err != nil {
		writeError(w, errorf(http.StatusRequestEntityTooLarge, "the dial plan is larger than %d bytes", maxConfigBody))
		return
	}
	d, herr := s.decodeDialPlan(data)
	if herr != nil {
		writeError(w, herr)
		return
	}
	out, herr := s.saveDialPlan(r, func(cur *store.DialPlan) { *cur = d })
	if herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeDialPlan decodes with the store's strict decoder, mapping its
// errors to responses.
func (s *Server) decodeDialPlan(data []byte) (store.DialPlan, *httpError) {
	d, err := store.DecodeDialPlan(bytes.NewReader(data))
	if err == nil {
		return d, nil
	}
	var syn *store.SyntaxError
	switch {
	case errors.As(err, &syn):
		return d, errorf(http.StatusBadRequest, "malformed JSON at line %d, column %d: %s", syn.Line, syn.Column, syn.Msg)
	default:
		if _, ok := fieldErrors(err); ok {
			return d, s.serviceError("dial plan", err)
		}
		return d, errorf(http.StatusBadRequest, "%v", err)
	}
}

// saveDialPlan applies edit to the current dial plan and saves it with
// the service's scoped dial-plan change (the rest of the configuration,
// which someone may be editing meanwhile, is not rewritten); it returns the
// dial plan as stored.
func (s *Server) saveDialPlan(r *http.Request, edit func(d *store.DialPlan)) (store.DialPlan, *httpError) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		return store.DialPlan{}, s.serviceError("read configuration", err)
	}
	d := c.DialPlan()
	edit(&d)
	out, err := s.svc.UpdateDialPlan(r.Context(), d)
	if err != nil {
		return store.DialPlan{}, s.serviceError("save dial plan", err)
	}
	return out, nil
}

// dialPlanBody is the dial-plan page's content.
type dialPlanBody struct {
	Sections []dialPlanSectionView
	Current  *dialPlanSectionView // the section being edited (its page)
}

type dialPlanSectionView struct {
	dialPlanSection
	Count  int    // entries (lists) or -1 (objects)
	JSON   string // the section as indented JSON
	Errors []FieldError
}

// sectionJSON returns one section of d as indented JSON and its entry count.
func sectionJSON(d store.DialPlan, key string) (string, int) {
	raw, _ := json.Marshal(d)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	var buf bytes.Buffer
	_ = json.Indent(&buf, m[key], "", "  ")
	var list []json.RawMessage
	if json.Unmarshal(m[key], &list) == nil {
		return buf.String(), len(list)
	}
	return buf.String(), -1
}

func (s *Server) dialPlanView(r *http.Request, current string) (dialPlanBody, error) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		return dialPlanBody{}, err
	}
	d := c.DialPlan()
	d.Voicemail = hidePINs(d.Voicemail) // voicemail_form.go
	var b dialPlanBody
	for _, sec := range dialPlanPages {
		text, n := sectionJSON(d, sec.Key)
		v := dialPlanSectionView{dialPlanSection: sec, Count: n, JSON: text}
		b.Sections = append(b.Sections, v)
		if sec.Key == current {
			b.Current = &b.Sections[len(b.Sections)-1]
		}
	}
	return b, nil
}

func (s *Server) dialPlanPage(w http.ResponseWriter, r *http.Request) {
	b, err := s.dialPlanView(r, "")
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	s.render(w, r, http.StatusOK, "dialplan", pageData{Title: "Dial plan", Active: "dialplan", Body: b})
}

func (s *Server) dialPlanSectionPage(w http.ResponseWriter, r *http.Request) {
	sec, ok := findDialPlanSection(r.PathValue("section"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "There is no such part of the dial plan.")
		return
	}
	if _, asText := r.URL.Query()["json"]; !asText {
		if k := planKinds[sec.Key]; k != nil {
			s.dialPlanKindPage(w, r, sec, k)
			return
		}
		if k := singleKinds[sec.Key]; k != nil {
			s.dialPlanSinglePage(w, r, sec, k)
			return
		}
	}
	b, err := s.dialPlanView(r, sec.Key)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	s.render(w, r, http.StatusOK, "dialplan", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan", Body: b})
}

// dialPlanSectionSubmit saves one section from its page's JSON editor;
// problems come back beside the editor, by path.
func (s *Server) dialPlanSectionSubmit(w http.ResponseWriter, r *http.Request) {
	sec, ok := findDialPlanSection(r.PathValue("section"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "There is no such part of the dial plan.")
		return
	}
	if k := singleKinds[sec.Key]; k != nil && !r.PostForm.Has("json") {
		s.dialPlanSingleSubmit(w, r, sec, k)
		return
	}
	text := strings.TrimSpace(r.PostForm.Get("json"))
	if text == "" {
		text = "[]"
		if singleKinds[sec.Key] != nil { // one object, not a list
			text = "{}"
		}
	}
	// Wrap the section so that errors carry its document path.
	wrapped := []byte(fmt.Sprintf("{%q: %s\n}", sec.Key, text))
	var herr *httpError
	d, herr := s.decodeDialPlan(wrapped)
	if herr == nil {
		_, herr = s.saveDialPlan(r, func(cur *store.DialPlan) {
			var c store.Config
			c.SetDialPlan(*cur)
			var one store.Config
			one.SetDialPlan(d)
			keepPINs(&one.Voicemail, c.Voicemail) // the editor shows none
			setSection(&c, &one, sec.Key)
			*cur = c.DialPlan()
		})
	}
	if herr == nil {
		s.setFlash(r, sec.Title+" saved.")
		http.Redirect(w, r, "/dialplan/"+sec.Key+"?json=1", http.StatusSeeOther)
		return
	}
	b, err := s.dialPlanView(r, sec.Key)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	b.Current.JSON = text
	b.Current.Errors = herr.fields
	if herr.fields == nil {
		b.Current.Errors = []FieldError{{Field: sec.Key, Message: herr.msg}}
	}
	s.render(w, r, herr.status, "dialplan", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
		Error: sec.Title + " were not saved; see the problems beside the editor.", Body: b})
}

// setSection copies section key from src into dst.
func setSection(dst, src *store.Config, key string) {
	switch key {
	case "numbering":
		dst.Numbering = src.Numbering
	case "line_groups":
		dst.LineGroups = src.LineGroups
	case "outbound_routes":
		dst.OutboundRoutes = src.OutboundRoutes
	case "caller_id_rules":
		dst.CallerIDRules = src.CallerIDRules
	case "inbound_routes":
		dst.InboundRoutes = src.InboundRoutes
	case "ring_groups":
		dst.RingGroups = src.RingGroups
	case "ivr_menus":
		dst.Menus = src.Menus
	case "queues":
		dst.Queues = src.Queues
	case "announcements":
		dst.Announcements = src.Announcements
	case "time_conditions":
		dst.TimeConditions = src.TimeConditions
	case "conditions":
		dst.Conditions = src.Conditions
	case "schedules":
		dst.Schedules = src.Schedules
	case "classifiers":
		dst.Classifiers = src.Classifiers
	case "extension_rules":
		dst.ExtensionRules = src.ExtensionRules
	case "limits":
		dst.CallLimits = src.CallLimits
	case "trunks":
		dst.Trunks = src.Trunks
	case "voicemail":
		dst.Voicemail = src.Voicemail
	case "features":
		dst.Features = src.Features
	case "pickup_groups":
		dst.PickupGroups = src.PickupGroups
	case "conference_rooms":
		dst.ConferenceRooms = src.ConferenceRooms
	case "paging_groups":
		dst.PagingGroups = src.PagingGroups
	case "fax_receivers":
		dst.FaxReceivers = src.FaxReceivers
	case "moh_classes":
		dst.MOHClasses = src.MOHClasses
	case "call_recording":
		dst.Recording = src.Recording
	}
}
