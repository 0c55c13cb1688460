package store

import (
	"fmt"
	"strings"

	"minipbx/telephony/prompts"
)

// Voicemail is the voicemail section: the mailboxes and their limits. A
// mailbox belongs to an extension; callers reach it through a
// "voicemail:EXT" destination (an extension's busy or no-answer
// forwarding, a menu key, a route), and its owner listens from a phone with
// the feature codes *97 (own mailbox) and *98 (any mailbox), or on the web
// UI's Voicemail page. Messages are files in the data directory
// (recordings/voicemail/EXT/), not part of the configuration.
type Voicemail struct {
	// MaxMessageS bounds one message (DefaultVoicemailMessageS when 0).
	MaxMessageS int `json:"max_message_s,omitempty"`
	// MaxMessages bounds the messages a mailbox keeps, new and old
	// together (DefaultVoicemailMessages when 0); a full mailbox tells the
	// caller so instead of recording.
	MaxMessages int `json:"max_messages,omitempty"`
	// Boxes are the mailboxes, one per extension at most.
	Boxes []Mailbox `json:"boxes,omitempty"`
}

// Mailbox is one extension's voice mailbox.
type Mailbox struct {
	// Extension is the owner; also the mailbox number dialled at *98.
	Extension string `json:"extension"`
	// PIN is the 4–8 digit password asked at *97/*98. Like SIP secrets
	// it is kept as written (the phone must compare it); the validation
	// refuses PINs anyone would guess first.
	PIN string `json:"pin"`
	// SkipPIN lets the owner's own phone (*97 from the extension) in
	// without the PIN; *98 and every other phone still ask.
	SkipPIN bool `json:"skip_pin,omitempty"`
	// Email, when set, receives each new message as a WAV attachment
	// (the mail section's server sends it).
	Email string `json:"email,omitempty"`
	// DeleteAfterEmail deletes a message once the server accepted the
	// e-mail carrying it (the lamp goes off); it needs Email.
	DeleteAfterEmail bool `json:"delete_after_email,omitempty"`
	// Language is the language of the mailbox: the built-in greeting and
	// what its owner hears ("": the box's, System.Language).
	Language string `json:"language,omitempty"`
}

// Voicemail bounds and defaults.
const (
	DefaultVoicemailMessageS = 120
	MinVoicemailMessageS     = 10
	MaxVoicemailMessageS     = 600
	DefaultVoicemailMessages = 50
	MaxVoicemailMessages     = 500
	MinPINLen                = 4
	MaxPINLen                = 8
)

// MessageLimit is the longest message, with the default applied.
func (v Voicemail) MessageLimit() int {
	if v.MaxMessageS == 0 {
		return DefaultVoicemailMessageS
	}
	return v.MaxMessageS
}

// MessageCount is the most messages a mailbox keeps, with the default
// applied.
func (v Voicemail) MessageCount() int {
	if v.MaxMessages == 0 {
		return DefaultVoicemailMessages
	}
	return v.MaxMessages
}

// Box returns the mailbox of extension ext.
func (v Voicemail) Box(ext string) (Mailbox, bool) {
	for _, b := range v.Boxes {
		if b.Extension == ext {
			return b, true
		}
	}
	return Mailbox{}, false
}

// CheckPIN says what is wrong with pin as the PIN of extension ext's
// mailbox ("" when it is acceptable): 4–8 digits, not the extension's
// number, not one digit repeated, not a run up or down (1234, 9876).
// The phone's PIN-change menu uses it too.
func CheckPIN(ext, pin string) string {
	if len(pin) < MinPINLen || len(pin) > MaxPINLen {
		return fmt.Sprintf("must be %d to %d digits", MinPINLen, MaxPINLen)
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return fmt.Sprintf("must be %d to %d digits (0-9 only)", MinPINLen, MaxPINLen)
		}
	}
	if pin == ext || strings.HasSuffix(pin, ext) && len(ext) >= MinPINLen {
		return "must not be the extension's own number (the first thing anyone would try)"
	}
	return weakPIN(pin)
}

// weakPIN says why pin is among the PINs guessed first ("" when it is
// not): one digit repeated, a run up or down.
func weakPIN(pin string) string {
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		same = same && d == 0
		up = up && (d == 1 || d == -9)
		down = down && (d == -1 || d == 9)
	}
	switch {
	case same:
		return "must not be one digit repeated (such PINs are tried first)"
	case up || down:
		return "must not be a run of digits like 1234 or 4321 (such PINs are tried first)"
	}
	return ""
}

// voicemail validates the voicemail section.
func (pc *planCheck) voicemail() {
	v, add := pc.c.Voicemail, pc.add
	if s := v.MaxMessageS; s != 0 && (s < MinVoicemailMessageS || s > MaxVoicemailMessageS) {
		add("voicemail.max_message_s", "must be 0 (default %d) or %d to %d seconds",
			DefaultVoicemailMessageS, MinVoicemailMessageS, MaxVoicemailMessageS)
	}
	if n := v.MaxMessages; n < 0 || n > MaxVoicemailMessages {
		add("voicemail.max_messages", "must be 0 (default %d) or 1 to %d", DefaultVoicemailMessages, MaxVoicemailMessages)
	}
	boxes := map[string]bool{}
	if len(v.Boxes) > MaxExtensions {
		add("voicemail.boxes", "at most %d mailboxes", MaxExtensions)
	}
	for i, b := range v.Boxes {
		p := fmt.Sprintf("voicemail.boxes[%d].", i)
		switch {
		case !pc.has(SectionExtensions, b.Extension):
			add(p+"extension", "extension %q does not exist", b.Extension)
		case boxes[b.Extension]:
			add(p+"extension", "extension %s has two mailboxes", b.Extension)
		}
		boxes[b.Extension] = true
		if msg := CheckPIN(b.Extension, b.PIN); msg != "" {
			add(p+"pin", "%s", msg)
		}
		if b.Email != "" {
			if msg := AddressProblem(b.Email); msg != "" {
				add(p+"email", "%s", msg)
			}
		} else if b.DeleteAfterEmail {
			add(p+"delete_after_email", "needs an e-mail address to send the messages to")
		}
		if err := prompts.CheckLanguage(b.Language); err != nil {
			add(p+"language", "%v", err)
		}
	}
}
