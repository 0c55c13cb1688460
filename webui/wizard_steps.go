package webui

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"minipbx/telephony/store"
)

// The setup wizard's steps. Each step reads its own input (the raw form
// values the draft keeps, or its defaults before the installer has
// been there) into the plan, and says what is wrong beside each field;
// its page is built from the same values, so what was typed stays.
// Steps are read in order, each seeing the plan the steps before it
// made: the extensions typed in step 3 are what step 5's lines can ring.

// wizardMaxExtensions bounds the extensions one wizard run creates.
const wizardMaxExtensions = 100

// wizardEnv is what the wizard knows of the box when it reads the steps.
type wizardEnv struct {
	cfg store.Config
	// fxs is the number of the board's FXS ports.
	fxs int
	// recordings are the uploaded recordings' file names, for the
	// menu's greeting.
	recordings []string
	sim        bool
}

// wizardStep is one page of the wizard.
type wizardStep struct {
	id, title string
	// applies says whether the step is part of the wizard for this plan
	// (no phones step without new extensions); nil: always.
	applies func(e *wizardEnv, p *wizardPlan) bool
	// defaults are the values a step starts with.
	defaults func(e *wizardEnv, p *wizardPlan) url.Values
	// read validates the step's values into the plan.
	read func(v url.Values, e *wizardEnv, p *wizardPlan, d *wizardDraft) []FieldError
	// view builds the step's page from its values.
	view func(v url.Values, e *wizardEnv, p *wizardPlan) *stepView
}

// Step IDs, as in the pages' addresses (/setup/ID).
const (
	stepCountry    = "country"
	stepNumbering  = "numbering"
	stepExtensions = "extensions"
	stepPhones     = "phones"
	stepLines      = "lines"
	stepTrunk      = "trunk"
	stepOutside    = "outside"
	stepVoicemail  = "voicemail"
	stepHours      = "hours"
	stepMenu       = "menu"
)

// wizardSteps are the steps in order (the review follows them).
func wizardSteps() []wizardStep {
	return []wizardStep{
		{id: stepCountry, title: "Country", defaults: countryDefaults, read: readCountry, view: countryView},
		{id: stepNumbering, title: "Numbering", defaults: numberingDefaults, read: readNumbering, view: numberingView},
		{id: stepExtensions, title: "Extensions", defaults: func(*wizardEnv, *wizardPlan) url.Values { return url.Values{} },
			read: readExtensions, view: extensionsView},
		{id: stepPhones, title: "Phones", applies: func(_ *wizardEnv, p *wizardPlan) bool { return len(p.exts) > 0 },
			defaults: phonesDefaults, read: readPhones, view: phonesView},
		{id: stepLines, title: "Telephone lines", applies: func(e *wizardEnv, _ *wizardPlan) bool { return len(e.cfg.FXOLines) > 0 },
			defaults: linesDefaults, read: readLines, view: linesView},
		{id: stepTrunk, title: "SIP trunk", defaults: trunkDefaults, read: readTrunk, view: trunkView},
		{id: stepOutside, title: "Outside calls", defaults: outsideDefaults, read: readOutside, view: outsideView},
		{id: stepVoicemail, title: "Voicemail", applies: func(_ *wizardEnv, p *wizardPlan) bool { return len(p.exts) > 0 },
			defaults: voicemailDefaults, read: readVoicemail, view: voicemailView},
		{id: stepHours, title: "Business hours", applies: func(_ *wizardEnv, p *wizardPlan) bool { return len(p.dayDestinations()) > 0 },
			defaults: hoursDefaults, read: readHours, view: hoursView},
		{id: stepMenu, title: "Voice menu", applies: func(_ *wizardEnv, p *wizardPlan) bool { return p.wantsMenu() },
			defaults: menuDefaults, read: readMenu, view: menuView},
	}
}

// stepView is what a step's page shows: its fields in a form (for the
// errors beside them), laid out generically or in the step's own
// tables.
type stepView struct {
	Form *form
	// Lead says what the step is for.
	Lead string
	// Fields are shown one under the other; the tables below hold the
	// rest of Form's fields.
	Fields []*field
	Phones []phoneRow
	Lines  []lineGroupView
	Days   []dayRow
	Keys   []keyRow
	// Notes are facts shown under the fields.
	Notes []string
	// TrunkTest is the trunk step's last test registration, while its
	// fields are the ones tested.
	TrunkTest *trunkTestView
	// Extra fields after the tables.
	After []*field
}

type phoneRow struct {
	Number, Name string
	Port         *field
	Outside      *field
}

type lineGroupView struct {
	Title  string
	Fields []*field
}

type dayRow struct {
	Open, From, To *field
}

type keyRow struct {
	Key   string
	Field *field
}

type trunkTestView struct {
	OK  bool
	Msg string
}

// add puts f in the form and returns it.
func (v *stepView) add(f *field) *field {
	v.Form.Fields = append(v.Form.Fields, f)
	return f
}

func newStepView(lead string) *stepView {
	return &stepView{Form: &form{ID: "wizard-form", Submit: "Next"}, Lead: lead}
}

// --- choices ----------------------------------------------------------------

// keptExtensions are the box's extensions the plan keeps.
func keptExtensions(e *wizardEnv, p *wizardPlan) []store.Extension {
	var out []store.Extension
	for _, x := range e.cfg.Extensions {
		if !p.remove[x.Number] {
			out = append(out, x)
		}
	}
	return out
}

// extensionLabel is "201 — Reception".
func extensionLabel(number, name string) string {
	if name == "" {
		return number
	}
	return fmt.Sprintf("%s — %s", number, name)
}

// extChoices are the extensions a destination may be: the new ones, then
// those the box keeps.
func extChoices(e *wizardEnv, p *wizardPlan) []option {
	var out []option
	for _, x := range p.exts {
		out = append(out, option{Value: "ext:" + x.Number, Label: fmt.Sprintf("Extension %s (new)", extensionLabel(x.Number, x.Name))})
	}
	for _, x := range keptExtensions(e, p) {
		out = append(out, option{Value: "ext:" + x.Number, Label: fmt.Sprintf("Extension %s", extensionLabel(x.Number, x.Name))})
	}
	return out
}

// mailboxChoices are the mailboxes a destination may be.
func mailboxChoices(e *wizardEnv, p *wizardPlan) []option {
	var out []option
	if p.vm.Boxes {
		for _, x := range p.exts {
			out = append(out, option{Value: "vm:" + x.Number, Label: fmt.Sprintf("Mailbox of %s (new)", extensionLabel(x.Number, x.Name))})
		}
	}
	for _, b := range e.cfg.Voicemail.Boxes {
		if !p.remove[b.Extension] {
			out = append(out, option{Value: "vm:" + b.Extension, Label: fmt.Sprintf("Mailbox of %s", b.Extension)})
		}
	}
	return out
}

func groupChoice(p *wizardPlan) []option {
	if len(p.exts) == 0 {
		return nil
	}
	return []option{{Value: choiceGroup, Label: "All new extensions at once (a ring group)"}}
}

// lineChoices are what a line or the trunk may ring.
func lineChoices(e *wizardEnv, p *wizardPlan) []option {
	out := groupChoice(p)
	out = append(out, option{Value: choiceMenu, Label: "A voice menu (set up in the last step)"})
	return append(out, extChoices(e, p)...)
}

// closedChoices are where calls may go after hours.
func closedChoices(e *wizardEnv, p *wizardPlan) []option {
	out := mailboxChoices(e, p)
	out = append(out, groupChoice(p)...)
	out = append(out, extChoices(e, p)...)
	return append(out, option{Value: choiceHangup, Label: "Nobody: the caller hears busy tone"})
}

// keyChoices are what a menu key may lead to.
func keyChoices(e *wizardEnv, p *wizardPlan) []option {
	out := []option{{Value: "", Label: "— nothing —"}}
	out = append(out, extChoices(e, p)...)
	out = append(out, groupChoice(p)...)
	return append(out, mailboxChoices(e, p)...)
}

// chosen marks the option with value selected; false when none has it.
func chosen(opts []option, value string) ([]option, bool) {
	out := slices.Clone(opts)
	found := false
	for i := range out {
		out[i].Selected = out[i].Value == value
		found = found || out[i].Selected
	}
	return out, found
}

// selectField is a select of opts with value chosen.
func selectField(id, label string, opts []option, value, help string) *field {
	o, _ := chosen(opts, value)
	return &field{ID: id, Name: id, Label: label, Type: "select", Options: o, Value: value, Help: help}
}

// readChoice checks that value is one of opts.
func readChoice(name, value string, opts []option, msg string) []FieldError {
	if _, ok := chosen(opts, value); !ok {
		return []FieldError{{name, msg}}
	}
	return nil
}

func checkbox(id, label string, on bool, help string) *field {
	return &field{ID: id, Name: id, Label: label, Type: "checkbox", Checked: on, Help: help}
}

func textField(id, label, value, help string, max int) *field {
	return &field{ID: id, Name: id, Label: label, Type: "text", Value: value, Help: help, MaxLength: max, Autocomplete: "off"}
}

// on is a checkbox's value in the draft's values.
func on(v url.Values, name string) bool { return v.Get(name) != "" }

func onValue(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// --- country -----------------------------------------------------------------

func countryDefaults(e *wizardEnv, _ *wizardPlan) url.Values {
	v := url.Values{}
	c, ok := countryOfZone(e.cfg.System.ToneZone)
	if !ok {
		c, _ = countryByCode("us")
	}
	v.Set("country", c.Code)
	if slices.Contains(c.TimeZones, e.cfg.System.TimeZone) && e.cfg.System.TimeZone != c.TimeZones[0] {
		v.Set("time_zone", e.cfg.System.TimeZone)
	}
	return v
}

func readCountry(v url.Values, _ *wizardEnv, p *wizardPlan, _ *wizardDraft) []FieldError {
	c, ok := countryByCode(v.Get("country"))
	if !ok {
		return []FieldError{{"country", "Choose the country from the list."}}
	}
	p.country, p.timeZone = c, c.TimeZones[0]
	if tz := v.Get("time_zone"); tz != "" {
		if !slices.Contains(c.TimeZones, tz) {
			return []FieldError{{"time_zone", fmt.Sprintf("%s is not a time zone of %s; choose one of its zones, or its main one.", tz, c.Name)}}
		}
		p.timeZone = tz
	}
	return nil
}

func countryView(v url.Values, _ *wizardEnv, _ *wizardPlan) *stepView {
	sv := newStepView("The country sets the tones and ring cadence the analog phones and lines use, the caller ID standard, and the time zone of business hours and call records.")
	var cs, zones []option
	zones = append(zones, option{Value: "", Label: "The country's main time zone"})
	for _, c := range countries() {
		cs = append(cs, option{Value: c.Code, Label: c.Name})
		if len(c.TimeZones) > 1 {
			for _, z := range c.TimeZones {
				zones = append(zones, option{Value: z, Label: fmt.Sprintf("%s: %s", c.Name, z)})
			}
		}
	}
	sv.Fields = []*field{
		sv.add(selectField("country", "Country", cs, v.Get("country"), "Where the box is installed.")),
		sv.add(selectField("time_zone", "Time zone", zones, v.Get("time_zone"),
			"Countries with one time zone need nothing here. In a country with several, choose the box's own.")),
	}
	if c, ok := countryByCode(v.Get("country")); ok {
		sv.Notes = append(sv.Notes, fmt.Sprintf("%s: tone zone %s, caller ID %s, main time zone %s.", c.Name, c.ToneZone, c.CallerID, c.TimeZones[0]))
	}
	return sv
}

// --- numbering ---------------------------------------------------------------

func numberingDefaults(e *wizardEnv, _ *wizardPlan) url.Values {
	v := url.Values{}
	n := e.cfg.System.ExtensionLength
	if n == 0 {
		n = 3
	}
	v.Set("extension_length", strconv.Itoa(n))
	return v
}

func readNumbering(v url.Values, e *wizardEnv, p *wizardPlan, _ *wizardDraft) []FieldError {
	p.remove = map[string]bool{}
	for _, x := range e.cfg.Extensions {
		if on(v, "remove-"+x.Number) {
			p.remove[x.Number] = true
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(v.Get("extension_length")))
	if err != nil || n < store.MinExtensionLength || n > store.MaxExtensionLength {
		p.extLen = e.cfg.System.ExtensionLength
		return []FieldError{{"extension_length", fmt.Sprintf("Enter a number of digits from %d to %d.", store.MinExtensionLength, store.MaxExtensionLength)}}
	}
	p.extLen = n
	var other []string
	for _, x := range keptExtensions(e, p) {
		if len(x.Number) != n {
			other = append(other, x.Number)
		}
	}
	if len(other) > 0 {
		return []FieldError{{"extension_length", fmt.Sprintf("Extensions %s have another length. Keep their length, or tick them below to remove them.", strings.Join(other, ", "))}}
	}
	return nil
}

func numberingView(v url.Values, e *wizardEnv, _ *wizardPlan) *stepView {
	sv := newStepView("How many digits extension numbers have, and which of the box's extensions stay.")
	f := sv.add(&field{ID: "extension_length", Name: "extension_length", Label: "Extension length (digits)", Type: "number",
		Value: v.Get("extension_length"), Min: strconv.Itoa(store.MinExtensionLength), Max: strconv.Itoa(store.MaxExtensionLength),
		InputMode: "numeric", Help: "Every extension number has this many digits: 3 gives 100 to 999."})
	sv.Fields = append(sv.Fields, f)
	for _, x := range e.cfg.Extensions {
		what := "SIP phones only"
		if x.FXSPort > 0 {
			what = fmt.Sprintf("analog phone on FXS %d", x.FXSPort)
		}
		sv.Fields = append(sv.Fields, sv.add(checkbox("remove-"+x.Number, fmt.Sprintf("Remove extension %s", extensionLabel(x.Number, x.Name)),
			on(v, "remove-"+x.Number), fmt.Sprintf("Now: %s. Its mailbox and call forwarding go with it.", what))))
	}
	if len(e.cfg.Extensions) > 0 {
		sv.Notes = append(sv.Notes, "Extensions not ticked stay as they are.")
	}
	return sv
}

// --- extensions --------------------------------------------------------------

func readExtensions(v url.Values, e *wizardEnv, p *wizardPlan, d *wizardDraft) []FieldError {
	p.exts = nil
	nums, err := parseNumberRange(v.Get("numbers"), wizardMaxExtensions)
	if err != nil {
		return []FieldError{{"numbers", err.Error()}}
	}
	kept := map[string]string{}
	for _, x := range keptExtensions(e, p) {
		kept[x.Number] = x.Name
	}
	var fs []FieldError
	for _, n := range nums {
		switch name, ok := kept[n]; {
		case len(n) != p.extLen:
			fs = append(fs, FieldError{"numbers", fmt.Sprintf("%s has %d digits, but extensions have %d (the previous step).", n, len(n), p.extLen)})
		case ok:
			fs = append(fs, FieldError{"numbers", fmt.Sprintf("Extension %s exists already. Leave it out, or remove it in the previous step.", extensionLabel(n, name))})
		}
		if len(fs) > 0 {
			break
		}
	}
	names := strings.Split(strings.ReplaceAll(v.Get("names"), "\r\n", "\n"), "\n")
	for len(names) > 0 && strings.TrimSpace(names[len(names)-1]) == "" {
		names = names[:len(names)-1]
	}
	if len(names) > len(nums) {
		fs = append(fs, FieldError{"names", fmt.Sprintf("There are %d names for %d numbers: one name a line, in the order of the numbers.", len(names), len(nums))})
	}
	for i, n := range names {
		n = strings.TrimSpace(n)
		names[i] = n
		if utf8.RuneCountInString(n) > store.MaxNameLen || strings.ContainsFunc(n, func(r rune) bool { return !unicode.IsPrint(r) }) {
			fs = append(fs, FieldError{"names", fmt.Sprintf("Line %d: a name has at most %d printable characters.", i+1, store.MaxNameLen)})
			break
		}
	}
	if len(fs) > 0 {
		return fs
	}
	for i, n := range nums {
		x := plannedExt{Number: n, Secret: d.secret(n), PIN: d.pin(n)}
		if i < len(names) {
			x.Name = names[i]
		}
		p.exts = append(p.exts, x)
	}
	return nil
}

func extensionsView(v url.Values, _ *wizardEnv, p *wizardPlan) *stepView {
	sv := newStepView("The extensions to create: their numbers, and a name for each.")
	nums := sv.add(textField("numbers", "Numbers", v.Get("numbers"),
		fmt.Sprintf("A range such as 201-208, or numbers and ranges separated by commas. %d digits each; at most %d. Leave empty to create none.", p.extLen, wizardMaxExtensions), 400))
	nums.Placeholder = "201-205"
	nums.InputMode = "numeric"
	names := sv.add(&field{ID: "names", Name: "names", Label: "Names", Type: "textarea", Value: v.Get("names"),
		Help: "One name a line, in the order of the numbers, e.g. Reception. Shown as caller ID; may stay empty."})
	sv.Fields = []*field{nums, names}
	return sv
}

// --- phones ------------------------------------------------------------------

func phonesDefaults(_ *wizardEnv, p *wizardPlan) url.Values {
	v := url.Values{}
	for _, x := range p.exts {
		v.Set("port-"+x.Number, "0")
		v.Set("outside-"+x.Number, "on")
	}
	return v
}

func portOptions(e *wizardEnv, p *wizardPlan) []option {
	holder := map[int]string{}
	for _, x := range keptExtensions(e, p) {
		if x.FXSPort > 0 {
			holder[x.FXSPort] = x.Number
		}
	}
	out := []option{{Value: "0", Label: "SIP phone or softphone"}}
	for port := 1; port <= e.fxs; port++ {
		label := fmt.Sprintf("Analog phone on FXS %d", port)
		if h, ok := holder[port]; ok {
			label = fmt.Sprintf("Analog phone on FXS %d (extension %s gives it up)", port, h)
		}
		out = append(out, option{Value: strconv.Itoa(port), Label: label})
	}
	return out
}

func readPhones(v url.Values, e *wizardEnv, p *wizardPlan, _ *wizardDraft) []FieldError {
	opts := portOptions(e, p)
	var fs []FieldError
	by := map[int]string{}
	for i := range p.exts {
		x := &p.exts[i]
		x.Outside = on(v, "outside-"+x.Number)
		name := "port-" + x.Number
		val := v.Get(name)
		if val == "" {
			val = "0"
		}
		if f := readChoice(name, val, opts, "Choose SIP, or an FXS port of the box."); f != nil {
			fs = append(fs, f...)
			continue
		}
		x.Port, _ = strconv.Atoi(val)
		if x.Port == 0 {
			continue
		}
		if other, ok := by[x.Port]; ok {
			fs = append(fs, FieldError{name, fmt.Sprintf("FXS %d is chosen for extension %s already; a port rings one extension.", x.Port, other)})
			x.Port = 0
			continue
		}
		by[x.Port] = x.Number
	}
	return fs
}

func phonesView(v url.Values, e *wizardEnv, p *wizardPlan) *stepView {
	sv := newStepView(fmt.Sprintf("Which phone each new extension has: a SIP phone registers over the network; an analog phone is plugged into one of the box's %d FXS ports.", e.fxs))
	opts := portOptions(e, p)
	for _, x := range p.exts {
		port := sv.add(selectField("port-"+x.Number, fmt.Sprintf("Phone of extension %s", x.Number), opts, v.Get("port-"+x.Number), ""))
		out := sv.add(checkbox("outside-"+x.Number, "May call outside", on(v, "outside-"+x.Number), ""))
		sv.Phones = append(sv.Phones, phoneRow{Number: x.Number, Name: x.Name, Port: port, Outside: out})
	}
	sv.Notes = append(sv.Notes, "Only extensions allowed to call outside can dial the outside prefix: leave it off for phones anyone can reach, toll fraud starts there.")
	return sv
}

// --- lines -------------------------------------------------------------------

func linesDefaults(e *wizardEnv, p *wizardPlan) url.Values {
	v := url.Values{}
	kept := map[string]bool{}
	for _, x := range keptExtensions(e, p) {
		kept[x.Number] = true
	}
	for _, l := range e.cfg.FXOLines {
		id := fmt.Sprintf("line%d-", l.Port)
		v.Set(id+"enabled", onValue(l.Enabled))
		switch {
		case len(p.exts) > 0:
			v.Set(id+"dest", choiceGroup)
		case kept[l.Destination]:
			v.Set(id+"dest", "ext:"+l.Destination)
		default:
			v.Set(id+"dest", choiceMenu)
		}
	}
	return v
}

func readLines(v url.Values, e *wizardEnv, p *wizardPlan, _ *wizardDraft) []FieldError {
	opts := lineChoices(e, p)
	p.lines = nil
	var fs []FieldError
	for _, l := range e.cfg.FXOLines {
		id := fmt.Sprintf("line%d-", l.Port)
		pl := plannedLine{Port: l.Port, Enabled: on(v, id+"enabled"), Dest: v.Get(id + "dest")}
		if pl.Enabled {
			if f := readChoice(id+"dest", pl.Dest, opts, "Choose what the line rings."); f != nil {
				fs = append(fs, f...)
				pl.Enabled = false
			} else if len(keptExtensions(e, p)) == 0 && len(p.exts) == 0 {
				fs = append(fs, FieldError{id + "dest", "The box has no extension left: a line in use needs one (go back to Extensions)."})
			}
		}
		p.lines = append(p.lines, pl)
	}
	return fs
}

func linesView(v url.Values, e *wizardEnv, p *wizardPlan) *stepView {
	sv := newStepView("What each telephone line plugged into the box's FXO ports rings when a call comes in.")
	opts := lineChoices(e, p)
	for _, l := range e.cfg.FXOLines {
		id := fmt.Sprintf("line%d-", l.Port)
		title := fmt.Sprintf("Line %d", l.Port)
		if l.Name != "" && l.Name != title {
			title = fmt.Sprintf("Line %d (%s)", l.Port, l.Name)
		}
		g := lineGroupView{Title: title, Fields: []*field{
			sv.add(checkbox(id+"enabled", "In use", on(v, id+"enabled"), "Off when nothing is plugged in: the box then neither answers nor calls out on it.")),
			sv.add(selectField(id+"dest", "Incoming calls ring", opts, v.Get(id+"dest"), "")),
		}}
		sv.Lines = append(sv.Lines, g)
	}
	return sv
}

// --- trunk -------------------------------------------------------------------

func trunkDefaults(*wizardEnv, *wizardPlan) url.Values {
	v := url.Values{}
	v.Set("transport", "udp")
	v.Set("trunk_dest", choiceGroup)
	return v
}

// readTrunkFields validates the trunk's connection fields (what a test
// registration needs) into t.
func readTrunkFields(v url.Values, t *plannedTrunk) []FieldError {
	var fs []FieldError
	t.Host = strings.TrimSpace(v.Get("host"))
	t.Transport = v.Get("transport")
	t.Username = strings.TrimSpace(v.Get("username"))
	t.Password = v.Get("password")
	t.CallerID = strings.TrimSpace(v.Get("caller_id"))
	if m := hostProblem(t.Host); m != "" {
		fs = append(fs, FieldError{"host", m})
	}
	if !slices.Contains([]string{"udp", "tcp", "tls"}, t.Transport) {
		fs = append(fs, FieldError{"transport", "Choose UDP, TCP or TLS."})
	}
	if t.Username == "" || len(t.Username) > 128 || strings.ContainsFunc(t.Username, unicode.IsSpace) {
		fs = append(fs, FieldError{"username", "Enter the account name the provider gave you (no spaces)."})
	}
	if t.Password == "" || len(t.Password) > 128 {
		fs = append(fs, FieldError{"password", "Enter the account's password (at most 128 characters)."})
	}
	if c := strings.TrimPrefix(t.CallerID, "+"); c != "" && (len(c) > 32 || strings.Trim(c, "0123456789") != "") {
		fs = append(fs, FieldError{"caller_id", "Use digits only, with an optional + in front, or leave it empty."})
	}
	return fs
}

// hostProblem checks a provider's host[:port].
func hostProblem(h string) string {
	if h == "" {
		return "Enter the provider's server: a name such as sip.example.net, or an address, with :port if it is not 5060."
	}
	host, port := h, ""
	if hh, pp, err := net.SplitHostPort(h); err == nil {
		host, port = hh, pp
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "The port after the colon must be a number from 1 to 65535."
		}
	}
	if host == "" || len(host) > 253 || !validHost(host) || strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return "Use a host name or IP address, such as sip.example.net or 192.0.2.10:5060."
	}
	return ""
}

func readTrunk(v url.Values, e *wizardEnv, p *wizardPlan, _ *wizardDraft) []FieldError {
	p.trunk = nil
	if !on(v, "trunk") {
		return nil
	}
	t := &plannedTrunk{Dest: v.Get("trunk_dest")}
	fs := readTrunkFields(v, t)
	fs = append(fs, readChoice("trunk_dest", t.Dest, lineChoices(e, p), "Choose where the provider's calls go.")...)
	if len(fs) == 0 {
		p.trunk = t
	}
	return fs
}

func trunkView(v url.Values, e *wizardEnv, p *wizardPlan) *stepView {
	sv := newStepView("A SIP trunk connects the box to a telephone service provider over the Internet: it registers with the account the provider gave you and carries calls both ways.")
	transports := []option{{Value: "udp", Label: "UDP (most providers)"}, {Value: "tcp", Label: "TCP"}, {Value: "tls", Label: "TLS (encrypted)"}}
	pw := sv.add(&field{ID: "password", Name: "password", Label: "Password", Type: "password", Value: v.Get("password"),
		Autocomplete: "new-password", MaxLength: 128, Help: "The account's password."})
	sv.Fields = []*field{
		sv.add(checkbox("trunk", "Connect a SIP trunk", on(v, "trunk"), "Leave it off if the office has telephone lines only; a trunk can be added later under Dial plan.")),
		sv.add(textField("host", "Provider's server", v.Get("host"), "Host name or address, with :port if it is not the usual one, e.g. sip.example.net.", 253)),
		sv.add(selectField("transport", "Transport", transports, v.Get("transport"), "")),
		sv.add(textField("username", "Account", v.Get("username"), "The account name (often a phone number) the provider gave you.", 128)),
		pw,
		sv.add(textField("caller_id", "Caller ID number", v.Get("caller_id"), "The number called parties see; empty: the account name.", 33)),
		sv.add(selectField("trunk_dest", "Calls from the provider ring", lineChoices(e, p), v.Get("trunk_dest"), "")),
	}
	return sv
}

// --- outside calls -----------------------------------------------------------

func outsideDefaults(e *wizardEnv, _ *wizardPlan) url.Values {
	v := url.Values{}
	prefix := e.cfg.System.OutsidePrefix
	if prefix == "" {
		prefix = "9"
	}
	v.Set("outside_prefix", prefix)
	v.Set("via", viaLinesTrunk)
	return v
}

// viaChoices are the ways out the plan offers.
func viaChoices(p *wizardPlan) []option {
	lines := slices.ContainsFunc(p.lines, func(l plannedLine) bool { return l.Enabled })
	var out []option
	if lines {
		out = append(out, option{Value: viaLines, Label: "Through the telephone lines"})
	}
	if p.trunk != nil {
		out = append(out, option{Value: viaTrunk, Label: "Through the SIP trunk"})
	}
	if lines && p.trunk != nil {
		out = append(out, option{Value: viaLinesTrunk, Label: "Through the lines; the trunk when every line is busy"},
			option{Value: viaTrunkLines, Label: "Through the trunk; the lines when it cannot take the call"})
	}
	return out
}

func readOutside(v url.Values, e *wizardEnv, p *wizardPlan, _ *wizardDraft) []FieldError {
	prefix := strings.TrimSpace(v.Get("outside_prefix"))
	p.prefix, p.via = "", ""
	if prefix == "" {
		return nil
	}
	if len(prefix) > store.MaxOutsidePrefixLen || strings.Trim(prefix, "0123456789") != "" {
		return []FieldError{{"outside_prefix", fmt.Sprintf("Use 1 to %d digits, or leave it empty for no outside calls.", store.MaxOutsidePrefixLen)}}
	}
	numbers := make([]string, 0, len(p.exts))
	for _, x := range p.exts {
		numbers = append(numbers, x.Number)
	}
	for _, x := range keptExtensions(e, p) {
		numbers = append(numbers, x.Number)
	}
	for _, n := range numbers {
		if strings.HasPrefix(n, prefix) || strings.HasPrefix(prefix, n) {
			return []FieldError{{"outside_prefix", fmt.Sprintf("Extension %s starts with %s: dialling it could not be told from an outside call. Choose another prefix.", n, prefix)}}
		}
	}
	opts := viaChoices(p)
	if len(opts) == 0 {
		return []FieldError{{"outside_prefix", "No line is in use and there is no trunk, so outside calls could not go anywhere. Leave the prefix empty, or go back and put a line in use."}}
	}
	via := v.Get("via")
	if _, ok := chosen(opts, via); !ok {
		if len(opts) > 1 {
			return []FieldError{{"via", "Choose how outside calls go out."}}
		}
		via = opts[0].Value
	}
	p.prefix, p.via = prefix, via
	return nil
}

func outsideView(v url.Values, _ *wizardEnv, p *wizardPlan) *stepView {
	sv := newStepView("The digits dialled before an outside number, and where outside calls go. Emergency numbers always go out, with or without the prefix.")
	pf := sv.add(textField("outside_prefix", "Outside prefix", v.Get("outside_prefix"),
		"Usually 9: dial 9, then the number. Empty: extensions make no outside calls.", store.MaxOutsidePrefixLen))
	pf.InputMode = "numeric"
	sv.Fields = []*field{pf}
	if opts := viaChoices(p); len(opts) > 0 {
		sv.Fields = append(sv.Fields, sv.add(selectField("via", "Outside calls go", opts, v.Get("via"), "")))
	}
	return sv
}

// --- voicemail ---------------------------------------------------------------

func voicemailDefaults(*wizardEnv, *wizardPlan) url.Values {
	v := url.Values{}
	v.Set("mailboxes", "on")
	v.Set("forward", "on")
	v.Set("ring_s", "20")
	return v
}

func readVoicemail(v url.Values, _ *wizardEnv, p *wizardPlan, d *wizardDraft) []FieldError {
	p.vm = plannedVoicemail{Boxes: on(v, "mailboxes"), Forward: on(v, "forward"), RingS: 20}
	if !p.vm.Boxes {
		p.vm.Forward = false
		return nil
	}
	var fs []FieldError
	if p.vm.Forward {
		n, err := strconv.Atoi(strings.TrimSpace(v.Get("ring_s")))
		if err != nil || n < store.MinRingS || n > store.MaxRingS {
			fs = append(fs, FieldError{"ring_s", fmt.Sprintf("Enter the seconds of ringing: %d to %d.", store.MinRingS, store.MaxRingS)})
		} else {
			p.vm.RingS = n
		}
	}
	if pin := strings.TrimSpace(v.Get("pin")); pin != "" {
		for i := range p.exts {
			if m := store.CheckPIN(p.exts[i].Number, pin); m != "" {
				fs = append(fs, FieldError{"pin", fmt.Sprintf("For extension %s this PIN %s.", p.exts[i].Number, m)})
				break
			}
			p.exts[i].PIN = pin
		}
	}
	if len(fs) > 0 {
		for i := range p.exts {
			p.exts[i].PIN = d.pin(p.exts[i].Number)
		}
	}
	return fs
}

func voicemailView(v url.Values, _ *wizardEnv, _ *wizardPlan) *stepView {
	sv := newStepView("A voice mailbox for each new extension takes messages when nobody answers. Its owner dials *97 to listen.")
	rs := sv.add(&field{ID: "ring_s", Name: "ring_s", Label: "Ring before voicemail (seconds)", Type: "number", Value: v.Get("ring_s"),
		Min: strconv.Itoa(store.MinRingS), Max: strconv.Itoa(store.MaxRingS), InputMode: "numeric"})
	pin := sv.add(textField("pin", "PIN for every new mailbox", v.Get("pin"),
		"4 to 8 digits asked at *97. Empty: each mailbox gets its own random PIN, shown at the end.", store.MaxPINLen))
	pin.InputMode = "numeric"
	sv.Fields = []*field{
		sv.add(checkbox("mailboxes", "Give each new extension a mailbox", on(v, "mailboxes"), "")),
		sv.add(checkbox("forward", "Busy and unanswered calls go to the mailbox", on(v, "forward"), "")),
		rs, pin,
	}
	return sv
}

// --- business hours ----------------------------------------------------------

func hoursDefaults(e *wizardEnv, p *wizardPlan) url.Values {
	v := url.Values{}
	for i, d := range weekDays() {
		if i < 5 {
			v.Set("open-"+d, "on")
		}
		v.Set("from-"+d, "09:00")
		v.Set("to-"+d, "18:00")
	}
	if opts := closedChoices(e, p); len(opts) > 0 {
		v.Set("closed_dest", opts[0].Value)
	}
	return v
}

// parseClock reads "HH:MM" from 00:00 to 24:00 as minutes.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, false
	}
	return hh*60 + mm, true
}

func readHours(v url.Values, e *wizardEnv, p *wizardPlan, _ *wizardDraft) []FieldError {
	p.hours = nil
	if !on(v, "hours") {
		return nil
	}
	h := &plannedHours{Closed: v.Get("closed_dest")}
	var fs []FieldError
	anyOpen := false
	for i, d := range weekDays() {
		day := dayHours{Open: on(v, "open-"+d), From: strings.TrimSpace(v.Get("from-" + d)), To: strings.TrimSpace(v.Get("to-" + d))}
		if !day.Open {
			h.Days[i] = dayHours{}
			continue
		}
		anyOpen = true
		from, ok1 := parseClock(day.From)
		to, ok2 := parseClock(day.To)
		switch {
		case !ok1:
			fs = append(fs, FieldError{"from-" + d, "Enter the opening time as HH:MM, e.g. 09:00."})
		case !ok2:
			fs = append(fs, FieldError{"to-" + d, "Enter the closing time as HH:MM, e.g. 18:00."})
		case to <= from:
			fs = append(fs, FieldError{"to-" + d, "The closing time must be after the opening time (for a night shift, use two days)."})
		}
		h.Days[i] = day
	}
	if !anyOpen {
		fs = append(fs, FieldError{"hours", "Tick the days the office is open, or untick business hours."})
	}
	fs = append(fs, readChoice("closed_dest", h.Closed, closedChoices(e, p), "Choose where calls go after hours.")...)
	if len(fs) == 0 {
		p.hours = h
	}
	return fs
}

func hoursView(v url.Values, e *wizardEnv, p *wizardPlan) *stepView {
	sv := newStepView(fmt.Sprintf("When the office is open, in the box's time zone (%s). In business hours the lines ring what the previous steps chose; after hours they ring what you choose here.", p.timeZone))
	sv.Fields = []*field{sv.add(checkbox("hours", "Use business hours", on(v, "hours"), "Off: calls are handled the same way at any time."))}
	names := [7]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	for i, d := range weekDays() {
		row := dayRow{
			Open: sv.add(checkbox("open-"+d, fmt.Sprintf("Open on %s", names[i]), on(v, "open-"+d), "")),
			From: sv.add(&field{ID: "from-" + d, Name: "from-" + d, Label: fmt.Sprintf("Opens on %s at", names[i]), Type: "time", Value: v.Get("from-" + d)}),
			To:   sv.add(&field{ID: "to-" + d, Name: "to-" + d, Label: fmt.Sprintf("Closes on %s at", names[i]), Type: "time", Value: v.Get("to-" + d)}),
		}
		sv.Days = append(sv.Days, row)
	}
	sv.After = []*field{sv.add(selectField("closed_dest", "After hours, calls go to", closedChoices(e, p), v.Get("closed_dest"), ""))}
	return sv
}

// --- voice menu --------------------------------------------------------------

// wizardMenuKeys are the keys the wizard's menu offers, in keypad order.
const wizardMenuKeys = "1234567890"

func menuDefaults(_ *wizardEnv, p *wizardPlan) url.Values {
	v := url.Values{}
	for i, x := range p.exts {
		if i >= 9 {
			break
		}
		v.Set("key-"+wizardMenuKeys[i:i+1], "ext:"+x.Number)
	}
	v.Set("direct_dial", "on")
	if len(p.exts) > 0 {
		v.Set("menu_default", choiceGroup)
	}
	return v
}

func readMenu(v url.Values, e *wizardEnv, p *wizardPlan, _ *wizardDraft) []FieldError {
	m := &plannedMenu{Greeting: v.Get("greeting"), DirectDial: on(v, "direct_dial"), Default: v.Get("menu_default"), Keys: map[string]string{}}
	var fs []FieldError
	if m.Greeting != "" && !slices.Contains(e.recordings, m.Greeting) {
		fs = append(fs, FieldError{"greeting", "Choose a recording from the list; upload new ones on the Recordings page."})
	}
	opts := keyChoices(e, p)
	for _, k := range wizardMenuKeys {
		name := "key-" + string(k)
		m.Keys[string(k)] = v.Get(name)
		fs = append(fs, readChoice(name, v.Get(name), opts, "Choose from the list.")...)
	}
	fs = append(fs, readChoice("menu_default", m.Default, opts, "Choose from the list.")...)
	p.menu = m
	return fs
}

func menuView(v url.Values, e *wizardEnv, p *wizardPlan) *stepView {
	sv := newStepView("The voice menu answers, plays its greeting and sends the caller on by the key pressed.")
	greetings := []option{{Value: "", Label: "A short tone (choose a recording later)"}}
	for _, r := range e.recordings {
		greetings = append(greetings, option{Value: r, Label: r})
	}
	sv.Fields = []*field{sv.add(selectField("greeting", "Greeting", greetings, v.Get("greeting"),
		"A recording uploaded on the Recordings page, e.g. “Welcome. For sales press 1…”."))}
	opts := keyChoices(e, p)
	for _, k := range wizardMenuKeys {
		name := "key-" + string(k)
		sv.Keys = append(sv.Keys, keyRow{Key: string(k), Field: sv.add(selectField(name, fmt.Sprintf("Key %c", k), opts, v.Get(name), ""))})
	}
	sv.After = []*field{
		sv.add(checkbox("direct_dial", "Callers may dial an extension's number", on(v, "direct_dial"), "")),
		sv.add(selectField("menu_default", "When the caller presses nothing", opts, v.Get("menu_default"), "After the greeting has played three times.")),
	}
	return sv
}

// --- secrets -----------------------------------------------------------------

// randomPIN is a mailbox PIN the store accepts for ext: six random digits.
func randomPIN(ext string) string {
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		pin := fmt.Sprintf("%06d", n.Int64())
		if store.CheckPIN(ext, pin) == "" {
			return pin
		}
	}
}
