package webui

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"minipbx/dsp"
	"minipbx/telephony"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// field is one form control with its label, help and error; the "field"
// template renders it so every form looks and behaves the same (the
// error sits between label and control, tied to it by aria-describedby).
type field struct {
	ID, Name, Label, Type, Value, Help, Error string
	Checked                                   bool
	Options                                   []option
	Min, Max, InputMode, Autocomplete         string
	Placeholder                               string // e.g. "unchanged" for a secret never shown
	List                                      string // id of a datalist of suggestions
	MaxLength                                 int
	Required                                  bool
	// Groups are a destination picker's choices by kind (Type "dest",
	// picker.go); Number is its outside number, shown in a box beside
	// the select when NumberOK.
	Groups   []pickerGroup
	Number   string
	NumberOK bool
	// Rows are the rows of a compact table (Type "rows": a voice menu's
	// keys, a schedule's week), RowHead and ColHeads its column
	// headings; a row's own Rows are its cells.
	Rows     []*field
	RowHead  string
	ColHeads []string
	// CopyWeekdays offers, under a schedule's week grid, to copy
	// Monday's hours to Tuesday–Friday.
	CopyWeekdays bool
	// Bare writes a select's options whose value is their label without
	// a value attribute (a long list: the time zones).
	Bare bool
}

type option struct {
	Value, Label string
	Selected     bool
}

// form is a whole form: its fields and the errors that belong to no field.
type form struct {
	ID, Action, Submit string
	Title              string
	Fields             []*field
	// Hidden are hidden inputs: Label is the name, Value the value.
	Hidden []option
	Errors []string
	// alias maps error paths that are not field names to the field that
	// shows them (dialplan_forms.go).
	alias map[string]string
}

func (f *form) field(name string) *field {
	return findField(f.Fields, name)
}

// findField finds the field named name among fs and their rows.
func findField(fs []*field, name string) *field {
	for _, x := range fs {
		if x.Name == name {
			return x
		}
		if y := findField(x.Rows, name); y != nil {
			return y
		}
	}
	return nil
}

// allFields are f's fields with the rows and cells of its tables, in
// order.
func (f *form) allFields() []*field {
	var out []*field
	var walk func(fs []*field)
	walk = func(fs []*field) {
		for _, x := range fs {
			out = append(out, x)
			walk(x.Rows)
		}
	}
	walk(f.Fields)
	return out
}

// applyErrors puts each message beside its field; messages for fields the
// form does not have go to the top of the form, naming the field.
func (f *form) applyErrors(fs []FieldError) {
	for _, fe := range fs {
		fe.Message = sentence(fe.Message)
		name := fe.Field
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		if x := f.field(name); x != nil {
			if x.Error != "" {
				x.Error += " "
			}
			x.Error += fe.Message
			continue
		}
		if fe.Field == "" {
			f.Errors = append(f.Errors, fe.Message)
		} else {
			f.Errors = append(f.Errors, fe.Field+": "+fe.Message)
		}
	}
}

// sentence makes a message such as the store's "must be exactly 3
// digits" read as a sentence beside a field: capital first, full stop.
func sentence(m string) string {
	m = strings.TrimSpace(m)
	if m == "" {
		return m
	}
	r, n := utf8.DecodeRuneInString(m)
	m = string(unicode.ToUpper(r)) + m[n:]
	if !strings.HasSuffix(m, ".") && !strings.HasSuffix(m, "?") && !strings.HasSuffix(m, "!") {
		m += "."
	}
	return m
}

func (f *form) hasErrors() bool {
	if len(f.Errors) > 0 {
		return true
	}
	for _, x := range f.allFields() {
		if x.Error != "" {
			return true
		}
	}
	return false
}

// anyInt bounds a form number that the service range-checks itself.
const anyInt = 1 << 30

// intField parses a whole number from a form; a bad value becomes the
// field's error (the service is then not called at all).
func intField(f *form, name string, v url.Values, lo, hi int, what string) int {
	s := strings.TrimSpace(v.Get(name))
	if x := f.field(name); x != nil {
		x.Value = s
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		if x := f.field(name); x != nil {
			if hi >= anyInt {
				x.Error = fmt.Sprintf("Enter %s as a whole number (digits only).", what)
			} else {
				x.Error = fmt.Sprintf("Enter %s: a whole number from %d to %d.", what, lo, hi)
			}
		}
		return 0
	}
	return n
}

// extensionForm builds the extension form; sys gives the numbering plan
// for the help text, st the FXS ports to choose from.
func extensionForm(e store.Extension, editing bool, sys store.System, st telephony.Status) *form {
	numHelp := fmt.Sprintf("The number people dial to reach this phone: exactly %d digits (Settings → Extension length).", sys.ExtensionLength)
	if sys.OutsidePrefix != "" {
		numHelp += fmt.Sprintf(" It must not start with the outside prefix %s.", sys.OutsidePrefix)
	}
	secretHelp := "The password SIP phones use to register as this extension (their user name is the extension number). Leave empty and the box makes a strong one, shown on the edit page."
	if editing {
		secretHelp = "The password SIP phones use to register as this extension (their user name is the extension number). If you change it, update every phone that uses it."
	}
	ports := []option{{Value: "0", Label: "None (SIP phones only)", Selected: e.FXSPort == 0}}
	for _, p := range st.Ports {
		if p.Kind != "fxs" {
			continue
		}
		label := fmt.Sprintf("FXS port %d", p.Number)
		if p.Extension != "" && p.Extension != e.Number {
			label += fmt.Sprintf(" (now extension %s)", p.Extension)
		}
		ports = append(ports, option{Value: strconv.Itoa(p.Number), Label: label, Selected: e.FXSPort == p.Number})
	}
	if e.FXSPort != 0 && !hasSelected(ports) {
		ports = append(ports, option{Value: strconv.Itoa(e.FXSPort), Label: fmt.Sprintf("FXS port %d (not on this board)", e.FXSPort), Selected: true})
	}
	f := &form{ID: "extension-form", Submit: "Create extension", Fields: []*field{
		{ID: "number", Name: "number", Label: "Extension number", Type: "text", Value: e.Number, Help: numHelp,
			InputMode: "numeric", Autocomplete: "off", MaxLength: 8, Required: true},
		{ID: "name", Name: "name", Label: "Name", Type: "text", Value: e.Name, MaxLength: 64,
			Help: "Who or where this phone is, e.g. “Reception”. Shown to the people it calls (analog phones show the first 15 characters)."},
		{ID: "secret", Name: "secret", Label: "SIP password", Type: "text", Value: e.Secret, Help: secretHelp,
			Autocomplete: "off", MaxLength: 128},
		{ID: "fxs_port", Name: "fxs_port", Label: "Analog port", Type: "select", Options: ports,
			Help: "The FXS port whose analog phone rings for this extension and dials as it. Each port belongs to at most one extension."},
		{ID: "outside_calls", Name: "outside_calls", Label: "May call outside lines", Type: "checkbox", Checked: e.OutsideCalls,
			Help: outsideHelp(sys)},
		{ID: "require_encryption", Name: "require_encryption", Label: "Require encryption", Type: "checkbox", Checked: e.RequireEncryption,
			Help: "Its SIP phones must register and call over SIP-over-TLS (port 5061, trusting this box's certificate) with SRTP; anything else is refused. Analog phones are not affected."},
		{ID: "outbound_caller_id", Name: "outbound_caller_id", Label: "Number shown on outside calls", Type: "text", Value: e.OutboundCallerID, MaxLength: 32, Autocomplete: "off",
			Help: "This phone's own direct number, if it has one: what people called over a SIP trunk see. Digits, optionally a leading +. Empty: the outbound route's or the trunk's number."},
		{ID: "outbound_caller_name", Name: "outbound_caller_name", Label: "Name shown on outside calls", Type: "text", Value: e.OutboundCallerName, MaxLength: 64,
			Help: "Optional: the name sent with that number."},
		{ID: "language", Name: "language", Label: "Language of the box's voice", Type: "select", Options: languageOptions(e.Language, "The box's language"),
			Help: "What this extension's user hears from the box: confirmations of feature codes, parking, transfer and conference prompts."},
	}}
	if editing {
		f.Submit = "Save changes"
		f.Action = "/extensions/" + url.PathEscape(e.Number) + "/edit"
	} else {
		f.Action = "/extensions/new"
	}
	return f
}

func outsideHelp(sys store.System) string {
	if sys.OutsidePrefix == "" {
		return "Lets this extension call out through an FXO line. Outside calls are off for the whole box now (no outside prefix in Settings)."
	}
	return fmt.Sprintf("Lets this extension dial %s and a number to call out through an FXO line. Leave it off for phones anyone can reach: toll fraud starts there.", sys.OutsidePrefix)
}

// languageOptions lists the languages of the box's voice, inherit ("" —
// the box's or the default) first.
func languageOptions(selected, inherit string) []option {
	out := []option{{Value: "", Label: inherit, Selected: selected == ""}}
	for _, l := range prompts.Languages() {
		out = append(out, option{Value: string(l), Label: l.Name(), Selected: selected == string(l)})
	}
	if selected != "" && !hasSelected(out) {
		out = append(out, option{Value: selected, Label: selected + " (not known to this firmware)", Selected: true})
	}
	return out
}

func hasSelected(o []option) bool {
	for _, x := range o {
		if x.Selected {
			return true
		}
	}
	return false
}

// parseExtensionForm reads the posted form over base (the extension as
// stored, or a new one), keeping the posted values in f for re-display:
// what the form does not show stays as it was.
func parseExtensionForm(f *form, v url.Values, base store.Extension) store.Extension {
	e := base
	e.Number = strings.TrimSpace(v.Get("number"))
	e.Name = strings.TrimSpace(v.Get("name"))
	e.Secret = v.Get("secret")
	e.OutsideCalls = v.Get("outside_calls") != ""
	e.RequireEncryption = v.Get("require_encryption") != ""
	e.OutboundCallerID = strings.TrimSpace(v.Get("outbound_caller_id"))
	e.OutboundCallerName = strings.TrimSpace(v.Get("outbound_caller_name"))
	e.Language = v.Get("language")
	f.field("number").Value = e.Number
	f.field("name").Value = e.Name
	f.field("secret").Value = e.Secret
	f.field("outside_calls").Checked = e.OutsideCalls
	f.field("require_encryption").Checked = e.RequireEncryption
	f.field("outbound_caller_id").Value = e.OutboundCallerID
	f.field("outbound_caller_name").Value = e.OutboundCallerName
	f.field("language").Options = languageOptions(e.Language, "The box's language")
	port := f.field("fxs_port")
	p, err := strconv.Atoi(v.Get("fxs_port"))
	if err != nil || p < 0 {
		port.Error = "Choose a port from the list, or None."
	} else {
		e.FXSPort = p
		found := false
		for i := range port.Options {
			port.Options[i].Selected = port.Options[i].Value == strconv.Itoa(p)
			found = found || port.Options[i].Selected
		}
		if !found {
			port.Options = append(port.Options, option{Value: strconv.Itoa(p), Label: fmt.Sprintf("FXS port %d (not on this board)", p), Selected: true})
		}
	}
	return e
}

// Labels of a kept value that is not among a list's choices.
const (
	zoneUnknown = "not known to this firmware"
	destUnknown = "no such extension"
)

// zoneOptions lists the tone zones the firmware knows, "de — Germany".
func zoneOptions() []option {
	var out []option
	for _, c := range dsp.ZoneCodes() {
		label := c
		if z, err := dsp.LookupZone(c); err == nil && z.Name != "" {
			label = c + " — " + z.Name
		}
		out = append(out, option{Value: c, Label: label})
	}
	return out
}

// selectOptions copies opts with value selected; a value not among them
// (an old or imported setting) is kept as an extra, marked option so that
// saving the form does not silently change it.
func selectOptions(opts []option, value, unknown string) []option {
	out := make([]option, 0, len(opts)+1)
	found := false
	for _, o := range opts {
		o.Selected = o.Value == value
		found = found || o.Selected
		out = append(out, o)
	}
	if !found {
		out = append([]option{{Value: value, Label: value + " (" + unknown + ")", Selected: true}}, out...)
	}
	return out
}

// settingsForm is the box-wide settings; defaultCalls is the board's own
// figure of calls at once, in force while max_calls is empty (0).
func settingsForm(sys store.System, zones []option, defaultCalls int) *form {
	maxCalls := ""
	if sys.MaxCalls > 0 {
		maxCalls = strconv.Itoa(sys.MaxCalls)
	}
	return &form{ID: "settings-form", Action: "/settings", Submit: "Save settings", Fields: []*field{
		{ID: "name", Name: "name", Label: "Box name", Type: "text", Value: sys.Name, MaxLength: 64, Required: true,
			Help: "Shown at the top of every page and used as the SIP realm (the domain phones authenticate in). Letters, digits, dots and dashes."},
		{ID: "tone_zone", Name: "tone_zone", Label: "Country tones", Type: "select", Value: sys.ToneZone, Options: selectOptions(zones, sys.ToneZone, zoneUnknown),
			Help: "The country whose dial, ringing and busy tones and ring cadence the box plays to analog phones and listens for on telco lines."},
		{ID: "language", Name: "language", Label: "Language of the box's voice", Type: "select", Options: languageOptions(sys.Language, "English (the default)"),
			Help: "What callers and users hear from the box (voicemail, queues, feature codes), unless a mailbox, queue, menu or extension says otherwise."},
		{ID: "time_zone", Name: "time_zone", Label: "Time zone", Type: "select", Value: sys.TimeZone, Options: timeZoneOptions(sys.TimeZone), Bare: true,
			Help: "Where the box is: schedules and time conditions go by its clock, and the call history shows its times."},
		{ID: "extension_length", Name: "extension_length", Label: "Extension length (digits)", Type: "number", Value: strconv.Itoa(sys.ExtensionLength),
			Min: "2", Max: "8", InputMode: "numeric",
			Help: "How many digits every extension number has, 2 to 8. Existing extensions are not renumbered."},
		{ID: "outside_prefix", Name: "outside_prefix", Label: "Outside line prefix", Type: "text", Value: sys.OutsidePrefix, MaxLength: 4,
			InputMode: "numeric", Autocomplete: "off",
			Help: "Digits dialled before an outside number to take a free FXO line, usually 9. Leave empty to allow no outside calls from extensions."},
		{ID: "inter_digit_timeout_ms", Name: "inter_digit_timeout_ms", Label: "End of dialling (milliseconds)", Type: "number",
			Value: strconv.Itoa(sys.InterDigitTimeoutMS), Min: "1000", Max: "30000", InputMode: "numeric",
			Help: "How long an analog phone may pause between digits before the number counts as complete: 4000 is 4 seconds."},
		{ID: "no_answer_timeout_s", Name: "no_answer_timeout_s", Label: "Ring time (seconds)", Type: "number",
			Value: strconv.Itoa(sys.NoAnswerTimeoutS), Min: "5", Max: "600", InputMode: "numeric",
			Help: "How long an extension rings before the call ends as not answered."},
		{ID: "call_record_retention", Name: "call_record_retention", Label: "Call records kept", Type: "number",
			Value: strconv.Itoa(sys.CallRecordRetention), Min: "100", Max: "1000000", InputMode: "numeric",
			Help: "How many call records the box keeps; beyond that the oldest are deleted."},
		{ID: "max_calls", Name: "max_calls", Label: "Most calls at once", Type: "number", Value: maxCalls,
			Min: "1", Max: strconv.Itoa(store.MaxSystemCalls), InputMode: "numeric", Placeholder: strconv.Itoa(defaultCalls),
			Help: fmt.Sprintf("Calls beyond this number are refused (a SIP phone or provider is told to try again later) so that the calls in progress keep their quality. Leave it empty for what this box can carry: %d calls. Applies at once.", defaultCalls)},
	}}
}

// parseSettingsForm reads the posted form over base, the settings as
// stored: what the form does not show stays.
func parseSettingsForm(f *form, v url.Values, base store.System) store.System {
	sys := base
	sys.Name = strings.TrimSpace(v.Get("name"))
	sys.ToneZone = strings.ToLower(strings.TrimSpace(v.Get("tone_zone")))
	sys.TimeZone = strings.TrimSpace(v.Get("time_zone"))
	sys.OutsidePrefix = strings.TrimSpace(v.Get("outside_prefix"))
	sys.Language = v.Get("language")
	sys.MaxCalls = 0
	f.field("language").Options = languageOptions(sys.Language, "English (the default)")
	f.field("name").Value = sys.Name
	tz := f.field("tone_zone")
	tz.Value = sys.ToneZone
	tz.Options = selectOptions(tz.Options, sys.ToneZone, zoneUnknown)
	f.field("time_zone").Value = sys.TimeZone
	f.field("time_zone").Options = timeZoneOptions(sys.TimeZone)
	f.field("outside_prefix").Value = sys.OutsidePrefix
	// Only "is it a number" is checked here; the ranges are the store's
	// rules, and letting it check them shows every problem at once.
	sys.ExtensionLength = intField(f, "extension_length", v, -anyInt, anyInt, "the number of digits")
	sys.InterDigitTimeoutMS = intField(f, "inter_digit_timeout_ms", v, -anyInt, anyInt, "the time in milliseconds")
	sys.NoAnswerTimeoutS = intField(f, "no_answer_timeout_s", v, -anyInt, anyInt, "the time in seconds")
	sys.CallRecordRetention = intField(f, "call_record_retention", v, -anyInt, anyInt, "the number of records")
	if strings.TrimSpace(v.Get("max_calls")) != "" { // empty: the board's own figure
		sys.MaxCalls = intField(f, "max_calls", v, -anyInt, anyInt, "the number of calls")
	}
	return sys
}

// extensionOptions lists the extensions as choices for a line's
// destination, with "none" first.
func extensionOptions(exts []store.Extension) []option {
	out := []option{{Value: "", Label: "— none —"}}
	for _, e := range exts {
		label := e.Number
		if e.Name != "" {
			label += " — " + e.Name
		}
		out = append(out, option{Value: e.Number, Label: label})
	}
	return out
}

func fxoForm(l store.FXOLine, exts []option) *form {
	id := fmt.Sprintf("fxo%d-", l.Port)
	return &form{ID: fmt.Sprintf("fxo%d-form", l.Port), Action: fmt.Sprintf("/settings/fxo/%d", l.Port), Submit: fmt.Sprintf("Save line %d", l.Port),
		Title: fmt.Sprintf("FXO port %d", l.Port), Fields: []*field{
			{ID: id + "name", Name: "name", Label: "Line name", Type: "text", Value: l.Name, MaxLength: 64,
				Help: "What this line is, e.g. the telephone number of the telco line plugged into the port."},
			{ID: id + "enabled", Name: "enabled", Label: "Line in use", Type: "checkbox", Checked: l.Enabled,
				Help: "Off: the box ignores calls on this port and never takes it for outside calls (e.g. nothing plugged in)."},
			{ID: id + "answer_after_rings", Name: "answer_after_rings", Label: "Answer after rings", Type: "number",
				Value: strconv.Itoa(l.AnswerAfterRings), Min: "1", Max: "10", InputMode: "numeric",
				Help: "How many rings before the box answers, 1 to 10. Use 2 or more to receive the caller's number, which arrives after the first ring."},
			{ID: id + "answer_on_reversal", Name: "answer_on_reversal", Label: "Line signals answer by polarity reversal", Type: "checkbox", Checked: l.AnswerOnReversal,
				Help: "Tick only if your telephone company reverses the line's polarity when the called person answers (ask them for \"answer supervision\"). Calls out then count from the answer, and a busy number is recognised as busy. Without that service leave it off: ticked, calls out would never count as answered."},
			{ID: id + "destination", Name: "destination", Label: "Incoming calls go to", Type: "text", Value: l.Destination, MaxLength: 8,
				InputMode: "numeric", Autocomplete: "off",
				Help: "The extension number that rings when a call comes in on this line."},
		}}
}

func parseFXOForm(f *form, port int, v url.Values) store.FXOLine {
	l := store.FXOLine{
		Port:        port,
		Name:        strings.TrimSpace(v.Get("name")),
		Enabled:     v.Get("enabled") != "",
		Destination: strings.TrimSpace(v.Get("destination")),

		AnswerOnReversal: v.Get("answer_on_reversal") != "",
	}
	f.field("name").Value = l.Name
	f.field("enabled").Checked = l.Enabled
	f.field("answer_on_reversal").Checked = l.AnswerOnReversal
	d := f.field("destination")
	d.Value = l.Destination
	d.Options = selectOptions(d.Options, l.Destination, destUnknown)
	l.AnswerAfterRings = intField(f, "answer_after_rings", v, -anyInt, anyInt, "the number of rings")
	return l
}

// passwordForm is the admin password change form; forced (first login)
// does not ask for the current password, which was typed seconds ago.
func passwordForm(forced bool) *form {
	f := &form{ID: "password-form", Action: "/password", Submit: "Change password"}
	if !forced {
		f.Fields = append(f.Fields, &field{ID: "current_password", Name: "current_password", Label: "Current password",
			Type: "password", Autocomplete: "current-password", Required: true})
	}
	f.Fields = append(f.Fields,
		&field{ID: "new_password", Name: "new_password", Label: "New password", Type: "password", Autocomplete: "new-password", Required: true,
			Help: fmt.Sprintf("At least %d characters. A few unrelated words are strong and easy to type. Keep it somewhere safe: it cannot be recovered, only reset on the box with pbxctl passwd.", minPasswordLen)},
		&field{ID: "confirm_password", Name: "confirm_password", Label: "New password again", Type: "password", Autocomplete: "new-password", Required: true,
			Help: "Type the new password once more, to catch typing mistakes."},
	)
	return f
}

// serviceError puts a service's refusal on the form: each field problem
// beside its field, anything else at the top.
func (f *form) serviceError(herr *httpError) {
	f.applyErrors(herr.fields)
	if herr.fields == nil {
		f.Errors = append(f.Errors, herr.msg)
	}
}
