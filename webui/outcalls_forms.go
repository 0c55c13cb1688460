package webui

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"minipbx/telephony/store"
)

// The DISA and callback objects of the dial plan as forms. Their PINs,
// like mailbox PINs (voicemail_form.go), are never put in a page: an
// empty PIN field keeps the stored one, and the text editor shows none.

// tollFraudWarning is shown on the DISA and callback pages: both open
// the outside lines to callers from outside.
const tollFraudWarning = "Toll fraud: whoever gets through a DISA or callback dials out at your expense, and fraudsters try exactly this first. " +
	"Let in only numbers you know and give a PIN (both for a DISA on a line anyone can call), keep the permission class as narrow as the users need " +
	"(national, not international), and watch the status page: wrong PINs lock the caller out and raise an alarm there. There is none until you add one."

func accessFields(numbers []string, pin, class, callerID, callerName, what string) []*field {
	placeholder := fmt.Sprintf("%d to %d digits", store.MinAccessPINLen, store.MaxAccessPINLen)
	pinHelp := fmt.Sprintf("%d to %d digits, keyed then #; not one digit repeated or a run like 123456. Needed with or instead of the numbers above.", store.MinAccessPINLen, store.MaxAccessPINLen)
	if pin != "" {
		placeholder = "unchanged"
		pinHelp = "Leave empty to keep the current PIN; type a new one to change it. " + pinHelp
	}
	if class == "" {
		class = "national"
	}
	return []*field{
		{ID: "numbers", Name: "numbers", Label: "Callers let in by their number", Type: "textarea", Value: strings.Join(numbers, "\n"),
			Help: "One a line, as the caller ID shows them; patterns allowed (X any digit, a final . any further digits: 8916XXXXXXX). " + what},
		{ID: "pin", Name: "pin", Label: "PIN", Type: "password", InputMode: "numeric", Autocomplete: "new-password", MaxLength: store.MaxAccessPINLen,
			Placeholder: placeholder, Help: pinHelp},
		{ID: "class", Name: "class", Label: "Permission class", Type: "select", Options: classOptions(class, false),
			Help: "What callers may dial through it, as an extension of this class could: never more. Emergency numbers always go through."},
		{ID: "caller_id", Name: "caller_id", Label: "Caller number shown", Type: "text", Value: callerID, MaxLength: 32, Autocomplete: "off",
			Help: "The number the called party sees, digits with an optional leading +. Empty: the outbound route's, else the line's own. The caller's own number is never passed on."},
		{ID: "caller_name", Name: "caller_name", Label: "Caller name shown", Type: "text", Value: callerName, MaxLength: 64,
			Help: "Optional: the name sent with it, where the line supports names."},
	}
}

// parseAccess reads what DISA and callback forms share; an empty PIN
// keeps base's (kept for the refilled form when typed).
func parseAccess(v url.Values, p *formParser, basePIN string) (numbers []string, pin, class, callerID, callerName string) {
	pin = p.str("pin")
	if pin == "" {
		pin = basePIN
	} else {
		p.keepValue("pin", pin)
	}
	return lines(v.Get("numbers")), pin, p.str("class"), p.str("caller_id"), p.str("caller_name")
}

var disaKind = &objectKind[store.DISA]{
	key: "disa", one: "DISA",
	list: func(d *store.DialPlan) *[]store.DISA { return &d.DISA },
	name: func(x store.DISA) string { return x.Name },
	detail: func(x store.DISA) string {
		return accessDetail(x.Numbers, x.PIN, x.ListAndPIN) + "; dials " + x.Class
	},
	fields: func(x store.DISA, c *planContext) []*field {
		fs := []*field{{ID: "name", Name: "name", Label: "Name", Type: "text", Value: x.Name, MaxLength: 32, Required: true, Autocomplete: "off",
			Help: "A short name, e.g. road: inbound routes, DIDs, menu keys and callbacks reach it as disa:NAME."}}
		fs = append(fs, accessFields(x.Numbers, x.PIN, x.Class, x.CallerID, x.CallerName, "These callers need no PIN unless you tick the box below.")...)
		return append(fs,
			&field{ID: "list_and_pin", Name: "list_and_pin", Label: "Ask callers on the list for the PIN too", Type: "checkbox", Checked: x.ListAndPIN,
				Help: "Then only a listed number that also keys the PIN gets in: a caller ID can be faked."},
			&field{ID: "max_calls", Name: "max_calls", Label: "Maximum calls at once", Type: "number", Value: itoaBlank(x.MaxCalls), Min: "0", InputMode: "numeric",
				Help: "One more caller hears busy. Empty or 0: no limit."})
	},
	parse: func(v url.Values, p *formParser, x store.DISA) store.DISA {
		x.Name = p.str("name")
		x.Numbers, x.PIN, x.Class, x.CallerID, x.CallerName = parseAccess(v, p, x.PIN)
		x.ListAndPIN = v.Get("list_and_pin") != ""
		x.MaxCalls = p.num("max_calls", "max_calls", "the number of calls")
		return x
	},
}

var callbackKind = &objectKind[store.Callback]{
	key: "callbacks", one: "callback",
	list: func(d *store.DialPlan) *[]store.Callback { return &d.Callbacks },
	name: func(x store.Callback) string { return x.Name },
	detail: func(x store.Callback) string {
		return fmt.Sprintf("%s; calls back within %s after %d s, then %s", accessDetail(x.Numbers, x.PIN, false), x.Class, x.Delay(), x.Destination)
	},
	fields: func(x store.Callback, c *planContext) []*field {
		fs := []*field{{ID: "name", Name: "name", Label: "Name", Type: "text", Value: x.Name, MaxLength: 32, Required: true, Autocomplete: "off",
			Help: "A short name, e.g. boss: inbound routes, DIDs and caller lists reach it as callback:NAME."}}
		fs = append(fs, accessFields(x.Numbers, x.PIN, x.Class, x.CallerID, x.CallerName,
			"These callers are not answered (their call costs them nothing) and are called back. Anyone else must key the PIN, which answers their call.")...)
		return append(fs,
			destPicker(c.Choices, "destination", "Once called back, go to", x.Destination, "disa:NAME gives them dial tone to call out (without the DISA's own checks); or an extension, a group, a queue, a menu."),
			&field{ID: "delay_s", Name: "delay_s", Label: "Call back after (seconds)", Type: "number", Value: itoaBlank(x.DelayS),
				Min: fmt.Sprint(store.MinCallbackDelayS), Max: fmt.Sprint(store.MaxCallbackDelayS), InputMode: "numeric",
				Help: fmt.Sprintf("%d to %d; empty: %d. A caller on a telephone line must have hung up first.", store.MinCallbackDelayS, store.MaxCallbackDelayS, store.DefaultCallbackDelayS)},
			&field{ID: "attempts", Name: "attempts", Label: "Tries", Type: "number", Value: itoaBlank(x.Attempts), Min: "0", Max: fmt.Sprint(store.MaxCallbackAttempts), InputMode: "numeric",
				Help: fmt.Sprintf("How many times to try to reach the caller, 1 to %d; empty: %d.", store.MaxCallbackAttempts, store.DefaultCallbackAttempts)},
			&field{ID: "retry_s", Name: "retry_s", Label: "Between tries (seconds)", Type: "number", Value: itoaBlank(x.RetryS),
				Min: fmt.Sprint(store.MinCallbackRetryS), Max: fmt.Sprint(store.MaxCallbackRetryS), InputMode: "numeric",
				Help: fmt.Sprintf("%d to %d; empty: %d.", store.MinCallbackRetryS, store.MaxCallbackRetryS, store.DefaultCallbackRetryS)},
			&field{ID: "ring_s", Name: "ring_s", Label: "Ring each try for (seconds)", Type: "number", Value: itoaBlank(x.RingS),
				Min: fmt.Sprint(store.MinRingS), Max: fmt.Sprint(store.MaxRingS), InputMode: "numeric",
				Help: "Empty: the box's no-answer time."})
	},
	parse: func(v url.Values, p *formParser, x store.Callback) store.Callback {
		x.Name = p.str("name")
		x.Numbers, x.PIN, x.Class, x.CallerID, x.CallerName = parseAccess(v, p, x.PIN)
		x.Destination = p.str("destination")
		x.DelayS = p.num("delay_s", "delay_s", "a number of seconds")
		x.Attempts = p.num("attempts", "attempts", "the number of tries")
		x.RetryS = p.num("retry_s", "retry_s", "a number of seconds")
		x.RingS = p.num("ring_s", "ring_s", "a number of seconds")
		return x
	},
}

// accessDetail says in a list's words who gets in.
func accessDetail(numbers []string, pin string, both bool) string {
	switch {
	case len(numbers) > 0 && pin != "" && both:
		return countOf(len(numbers), "number", "numbers") + " with the PIN"
	case len(numbers) > 0 && pin != "":
		return countOf(len(numbers), "number", "numbers") + ", or the PIN"
	case len(numbers) > 0:
		return countOf(len(numbers), "number", "numbers")
	}
	return "the PIN"
}

// hideAccessPINs blanks the DISA and callback PINs of d (the text
// editor shows none).
func hideAccessPINs(d *store.DialPlan) {
	d.DISA, d.Callbacks = slices.Clone(d.DISA), slices.Clone(d.Callbacks)
	for i := range d.DISA {
		d.DISA[i].PIN = ""
	}
	for i := range d.Callbacks {
		d.Callbacks[i].PIN = ""
	}
}

// keepAccessPINs gives each DISA and callback of c without a PIN the one
// stored for the same name in old.
func keepAccessPINs(c *store.Config, old *store.Config) {
	for i, x := range c.DISA {
		if j := slices.IndexFunc(old.DISA, func(o store.DISA) bool { return o.Name == x.Name }); x.PIN == "" && j >= 0 {
			c.DISA[i].PIN = old.DISA[j].PIN
		}
	}
	for i, x := range c.Callbacks {
		if j := slices.IndexFunc(old.Callbacks, func(o store.Callback) bool { return o.Name == x.Name }); x.PIN == "" && j >= 0 {
			c.Callbacks[i].PIN = old.Callbacks[j].PIN
		}
	}
}
