package dialplan

import "time"

// Condition is what happened to an attempt to reach a destination.
type Condition int

const (
	// CondBusy: the destination is busy.
	CondBusy Condition = iota + 1
	// CondNoAnswer: it rang for the no-answer time without answer.
	CondNoAnswer
	// CondUnavailable: it cannot ring at all (not registered, port fault).
	CondUnavailable
	// CondNoRoute: the number leads nowhere.
	CondNoRoute
)

func (c Condition) String() string {
	switch c {
	case CondBusy:
		return "busy"
	case CondNoAnswer:
		return "no answer"
	case CondUnavailable:
		return "unavailable"
	case CondNoRoute:
		return "no route"
	}
	return "condition?"
}

// DefaultNoAnswer is how long an extension rings before forwarding on no
// answer, unless its settings say otherwise.
const DefaultNoAnswer = 20 * time.Second

// MaxFollowMe is the longest follow-me list.
const MaxFollowMe = 10

// Forwarding is one extension's call forwarding: numbers (empty: off).
type Forwarding struct {
	Always      string
	Busy        string
	NoAnswer    string
	Unavailable string
	// NoAnswerAfter is how long the extension rings before NoAnswer
	// applies (DefaultNoAnswer when 0).
	NoAnswerAfter time.Duration
}

// Ring returns how long to ring the extension itself before giving up:
// NoAnswerAfter when no-answer forwarding is set, else fallback.
func (f Forwarding) Ring(fallback time.Duration) time.Duration {
	if f.NoAnswer == "" {
		return fallback
	}
	if f.NoAnswerAfter > 0 {
		return f.NoAnswerAfter
	}
	return DefaultNoAnswer
}

// Next returns where a call goes after cond, if forwarding says so.
func (f Forwarding) Next(cond Condition) (string, bool) {
	var n string
	switch cond {
	case CondBusy:
		n = f.Busy
	case CondNoAnswer:
		n = f.NoAnswer
	case CondUnavailable, CondNoRoute:
		n = f.Unavailable
	}
	return n, n != ""
}

// FollowStep is one number of a follow-me list and how long it rings.
type FollowStep struct {
	Number string
	Ring   time.Duration
}

// FeatureKind names what a feature code does: switch a forwarding
// condition of the caller's extension, or open a voice mailbox.
type FeatureKind string

const (
	ForwardAlways   FeatureKind = "always"
	ForwardBusy     FeatureKind = "busy"
	ForwardNoAnswer FeatureKind = "no_answer"
	// MailboxOwn opens the caller's own mailbox, MailboxAny asks for the
	// mailbox number first.
	MailboxOwn FeatureKind = "mailbox"
	MailboxAny FeatureKind = "mailbox_any"
	// DoNotDisturb and CallWaiting switch the caller's own do-not-disturb
	// and call waiting on (Activate) or off.
	DoNotDisturb FeatureKind = "dnd"
	CallWaiting  FeatureKind = "call_waiting"
	// Withhold, followed by a number, calls it with the caller ID
	// withheld (this call only).
	Withhold FeatureKind = "withhold"
)

// Forwarding reports whether the feature switches forwarding.
func (k FeatureKind) Forwarding() bool {
	return k == ForwardAlways || k == ForwardBusy || k == ForwardNoAnswer
}

// FeatureCode is a code a user dials from an extension's phone to switch
// its own forwarding, do-not-disturb or call waiting, reach voicemail, or
// withhold its caller ID on one call (*67 and the number).
// A forwarding activation code is followed by the number to forward to
// (ended by '#' or the inter-digit pause): *72 201.
type FeatureCode struct {
	Code     string
	Kind     FeatureKind
	Activate bool
}

// TakesNumber reports whether a number follows the code.
func (f FeatureCode) TakesNumber() bool {
	return f.Activate && (f.Kind.Forwarding() || f.Kind == Withhold)
}

// FeatureCodes are the box's feature codes: the ones FreePBX uses by
// default, which installers and users already know.
func FeatureCodes() []FeatureCode {
	return []FeatureCode{
		{"*72", ForwardAlways, true}, {"*73", ForwardAlways, false},
		{"*90", ForwardBusy, true}, {"*91", ForwardBusy, false},
		{"*52", ForwardNoAnswer, true}, {"*53", ForwardNoAnswer, false},
		{"*97", MailboxOwn, false}, {"*98", MailboxAny, false},
		{"*78", DoNotDisturb, true}, {"*79", DoNotDisturb, false},
		{"*70", CallWaiting, true}, {"*71", CallWaiting, false},
		{"*67", Withhold, true},
	}
}

// Pattern is the numbering-plan pattern of the code: the code alone to
// cancel, the code and a number to activate.
func (f FeatureCode) Pattern() Pattern {
	if f.TakesNumber() {
		return MustParsePattern(f.Code + "X.")
	}
	return MustParsePattern(f.Code)
}

// SplitFeature returns the feature code dialled digits begin with and the number
// after it.
func SplitFeature(digits string) (FeatureCode, string, bool) {
	for _, f := range FeatureCodes() {
		if len(digits) >= len(f.Code) && digits[:len(f.Code)] == f.Code {
			return f, digits[len(f.Code):], true
		}
	}
	return FeatureCode{}, "", false
}
