package webui

import (
	"fmt"
	"net/url"
	"slices"

	"minipbx/telephony/store"
)

// The voicemail part of the dial plan as a form (a singleKind, at
// /dialplan/voicemail): the two limits and one row per mailbox — the
// owner's extension from a list, the PIN, and whether the owner's own
// phone may skip it. Blank rows are for adding; clearing a row's
// extension and PIN removes that mailbox.
//
// PINs are secrets like SIP passwords, but unlike a trunk's password the
// installer never needs to read one back (the owner changes it from the
// phone): the form never puts a stored PIN in the page. An empty PIN
// field keeps the PIN stored for that row's extension; a PIN typed into a
// form that is refused comes back in that one response only, so the
// installer need not type it again.

// voicemailRows is how many blank mailbox rows the form offers.
const voicemailRows = 2

var voicemailKind = &singleKind{fields: voicemailFields, parse: parseVoicemailForm}

func voicemailFields(d *store.DialPlan, c *planContext) []*field {
	v := d.Voicemail
	fs := []*field{
		{ID: "max_message_s", Name: "max_message_s", Label: "Longest message (seconds)", Type: "number", Value: itoaBlank(v.MaxMessageS),
			Min: "0", Max: fmt.Sprint(store.MaxVoicemailMessageS), InputMode: "numeric",
			Help: fmt.Sprintf("Recording ends after this long; what the caller said is kept, and they hear that it was saved. %d to %d seconds; empty: %d.",
				store.MinVoicemailMessageS, store.MaxVoicemailMessageS, store.DefaultVoicemailMessageS)},
		{ID: "max_messages", Name: "max_messages", Label: "Messages a mailbox keeps", Type: "number", Value: itoaBlank(v.MaxMessages),
			Min: "0", Max: fmt.Sprint(store.MaxVoicemailMessages), InputMode: "numeric",
			Help: fmt.Sprintf("New and saved together, up to %d; empty: %d. A full mailbox tells callers so instead of recording.",
				store.MaxVoicemailMessages, store.DefaultVoicemailMessages)},
	}
	exts := []option{{Value: "", Label: "— no mailbox —"}}
	for _, e := range c.Extensions {
		label := e.Number
		if e.Name != "" {
			label += " — " + e.Name
		}
		exts = append(exts, option{Value: e.Number, Label: label})
	}
	for j := 0; j < len(v.Boxes)+voicemailRows; j++ {
		var b store.Mailbox
		if j < len(v.Boxes) {
			b = v.Boxes[j]
		}
		p := fmt.Sprintf("boxes[%d].", j)
		n := j + 1
		extHelp, pinHelp, skipHelp, langHelp := "As for mailbox 1.", "As for mailbox 1.", "", ""
		if j == 0 {
			extHelp = "The extension whose messages this mailbox takes; callers reach it as voicemail:NUMBER. Choose “no mailbox” (and leave the PIN empty) to remove it."
			pinHelp = fmt.Sprintf("%d to %d digits the owner types at *97 or *98. Not the extension's number, not one digit repeated, not a run like 1234. The owner can change it from the phone (*97, 0, 4).",
				store.MinPINLen, store.MaxPINLen)
			skipHelp = "*97 from the owner's own phone opens the mailbox without the PIN; *98 and other phones still ask. Only for phones nobody else can reach."
			langHelp = "The language of the built-in greeting callers hear and of everything the owner hears."
		}
		placeholder := "4 to 8 digits"
		if b.Extension != "" && c.Mailboxes[b.Extension] {
			placeholder = "unchanged"
			if j == 0 {
				pinHelp = fmt.Sprintf("Leave empty to keep the current PIN; type a new one to change it. %s", pinHelp)
			}
		}
		fs = append(fs,
			&field{ID: p + "extension", Name: p + "extension", Label: fmt.Sprintf("Mailbox %d: extension", n), Type: "select",
				Options: selectOptions(exts, b.Extension, destUnknown), Help: extHelp},
			// type=password keeps the PIN off the screen and out of the
			// browser's form history; new-password keeps the browser from
			// filling in the admin password it saved for this site.
			&field{ID: p + "pin", Name: p + "pin", Label: fmt.Sprintf("Mailbox %d: PIN", n), Type: "password", InputMode: "numeric",
				Autocomplete: "new-password", MaxLength: store.MaxPINLen, Placeholder: placeholder, Help: pinHelp},
			&field{ID: p + "skip_pin", Name: p + "skip_pin", Label: fmt.Sprintf("Mailbox %d: no PIN from the owner's own phone", n), Type: "checkbox",
				Checked: b.SkipPIN, Help: skipHelp},
			&field{ID: p + "language", Name: p + "language", Label: fmt.Sprintf("Mailbox %d: language", n), Type: "select",
				Options: languageOptions(b.Language, "The box's language"), Help: langHelp},
		)
		fs = append(fs, mailboxEmailFields(p, n, b)...)
	}
	return fs
}

// parseVoicemailForm applies the form to d, which holds the stored dial
// plan on entry (so an empty PIN can keep the stored one). Rows are
// renumbered as blank rows drop, so the store's "voicemail.boxes[1].pin"
// names the row the form shows second.
func parseVoicemailForm(d *store.DialPlan, v url.Values, p *formParser) {
	old := d.Voicemail
	d.Voicemail.MaxMessageS = p.num("max_message_s", "max_message_s", "the length in seconds")
	d.Voicemail.MaxMessages = p.num("max_messages", "max_messages", "the number of messages")
	d.Voicemail.Boxes = nil
	for j := 0; ; j++ {
		pf := fmt.Sprintf("boxes[%d].", j)
		if !v.Has(pf+"extension") && !v.Has(pf+"pin") {
			break
		}
		ext, pin := p.str(pf+"extension"), p.str(pf+"pin")
		if ext == "" && pin == "" {
			continue
		}
		if pin != "" {
			p.keepValue(fmt.Sprintf("boxes[%d].pin", len(d.Voicemail.Boxes)), pin)
		}
		mb := store.Mailbox{Extension: ext, PIN: pin, SkipPIN: v.Get(pf+"skip_pin") != "", Language: v.Get(pf + "language")}
		mb.Email, mb.DeleteAfterEmail = p.str(pf+"email"), v.Get(pf+"delete_after_email") != ""
		d.Voicemail.Boxes = append(d.Voicemail.Boxes, mb)
	}
	keepPINs(&d.Voicemail, old)
}

// hidePINs returns v with every PIN blanked, for the text editor
// (/dialplan/voicemail?json=1), which must not show them either.
func hidePINs(v store.Voicemail) store.Voicemail {
	v.Boxes = slices.Clone(v.Boxes)
	for i := range v.Boxes {
		v.Boxes[i].PIN = ""
	}
	return v
}

// keepPINs gives each mailbox of v without a PIN the PIN stored for the
// same extension in old, so that a form or text that does not show PINs
// can be saved without typing them all again. A new mailbox without a PIN
// stays without, and the store says that it needs one.
func keepPINs(v *store.Voicemail, old store.Voicemail) {
	for i, b := range v.Boxes {
		if b.PIN != "" {
			continue
		}
		if o, ok := old.Box(b.Extension); ok {
			v.Boxes[i].PIN = o.PIN
		}
	}
}
