// Package channel defines the one face every leg of a call shows the
// exchange: a SIP dialog, an FXS port or an FXO port. The exchange's call
// logic is written once against this interface; telephony/sip and
// telephony/analog implement it.
//
// A channel is either inbound (it started the call: a SIP INVITE arrived, a
// phone went off hook, an FXO line rang) or outbound (the exchange dialled
// it). Its life is: created → (ringing) → answered → hung up. Hangup is
// idempotent and always ends with exactly one EventHangup on Events, after
// which the Events channel is closed.
package channel

import (
	"context"
	"fmt"
	"time"

	"minipbx/telephony/media"
)

// Kind names the technology of a channel.
type Kind string

const (
	SIP Kind = "sip"
	FXS Kind = "fxs"
	FXO Kind = "fxo"
	// Internal is a channel the exchange itself plays to (tones, prompts).
	Internal Kind = "internal"
)

// CallerID is who is calling.
type CallerID struct {
	Number string `json:"number,omitempty"`
	Name   string `json:"name,omitempty"`
	// Withheld: the caller asked for privacy ("P") or it is unavailable
	// ("O"), as caller ID absence reasons say; empty when Number is valid.
	// With "P" Number may still hold the real number, for a network
	// trusted to hide it (SIP Privacy: id beside P-Asserted-Identity);
	// whoever shows caller ID to a person shows "private".
	Withheld string `json:"withheld,omitempty"`
}

// Diversion is one redirection a call went through before a leg was
// dialled for it: Number (the redirecting party as the far end knows it;
// "" the carrier's own number for the box) sent it on for Reason. A
// provider accepts a forwarded call that shows its original caller when
// it names a number of the provider's customer this way (SIP Diversion,
// RFC 5806, or History-Info, RFC 7044).
type Diversion struct {
	Number string
	// Reason is one of RFC 5806's: unconditional, user-busy, no-answer,
	// unavailable, do-not-disturb, follow-me, deflection.
	Reason string
}

// Diversion reasons.
const (
	DivertUnconditional = "unconditional"
	DivertBusy          = "user-busy"
	DivertNoAnswer      = "no-answer"
	DivertUnavailable   = "unavailable"
	DivertDND           = "do-not-disturb"
	DivertFollowMe      = "follow-me"
	DivertDeflection    = "deflection"
)

func (c CallerID) String() string {
	switch {
	case c.Name != "" && c.Number != "":
		return fmt.Sprintf("%q <%s>", c.Name, c.Number)
	case c.Number != "":
		return c.Number
	case c.Withheld == "P":
		return "private"
	}
	return "unknown"
}

// Cause says why a call or a leg ended. Each maps to a SIP response and to
// a tone on an analog port.
type Cause int

const (
	CauseNormal      Cause = iota // normal clearing (BYE, on-hook)
	CauseBusy                     // 486 Busy Here / busy tone
	CauseNoAnswer                 // 480 after the no-answer timeout / 408
	CauseNotFound                 // 404 Not Found / number unobtainable
	CauseUnavailable              // 480 Temporarily Unavailable (not registered, port fault)
	CauseCancelled                // the caller gave up before answer (CANCEL)
	CauseRejected                 // 603 Decline / 403 Forbidden
	CauseCongestion               // 503 Service Unavailable / congestion tone
	CauseFailure                  // 500 or any other failure
	CauseForbidden                // 403: not allowed (permission class, toll-fraud guard)
	CauseLoop                     // 483 Too Many Hops: the request went round a loop (Max-Forwards ran out)
)

var causeNames = [...]string{"normal", "busy", "no-answer", "not-found", "unavailable",
	"cancelled", "rejected", "congestion", "failure", "forbidden", "loop"}

func (c Cause) String() string {
	if int(c) >= 0 && int(c) < len(causeNames) {
		return causeNames[c]
	}
	return fmt.Sprintf("cause(%d)", int(c))
}

// SIPStatus is the SIP final response for a call that ends with c before
// answer.
func (c Cause) SIPStatus() int {
	switch c {
	case CauseBusy:
		return 486
	case CauseNoAnswer, CauseUnavailable:
		return 480
	case CauseNotFound:
		return 404
	case CauseCancelled:
		return 487
	case CauseRejected:
		return 603
	case CauseCongestion:
		return 503
	case CauseForbidden:
		return 403
	case CauseLoop:
		return 483
	case CauseNormal:
		return 200
	}
	return 500
}

// VoiceBandData is a channel whose audio path can switch to voice-band
// data mode for a fax or modem call (ITU-T V.152's idea): what would
// help a voice harms a modem signal, so an FXO port's echo canceller and
// non-linear processor go off, the jitter buffer keeps a fixed depth and
// fills a lost frame with silence instead of concealing it, and DTMF
// detection stops acting on the modem's tones. why goes to the log.
// InVoiceBandData reports whether the switch happened (it lasts for the
// rest of the call). Channels without such processing do not implement
// it.
type VoiceBandData interface {
	SetVoiceBandData(why string)
	InVoiceBandData() bool
}

// EventType names a signalling event of a channel.
type EventType int

const (
	EventProgress EventType = iota + 1 // the far end is alerting (180/183, ringing port)
	EventAnswer                        // the far end answered
	EventDigit                         // a DTMF digit (in-band, RFC 4733, SIP INFO or pulse)
	EventFlash                         // hook flash (analog) or equivalent
	EventHold                          // the far end put the call on hold
	EventUnhold                        // the far end resumed
	EventHangup                        // the leg ended; Cause says why. Last event.
	// EventEarlyMedia: an outbound leg's far end sends audio before it
	// answers (SIP 18x with SDP: a provider's ringback or "the number you
	// have dialled is not in service"); the leg's media is live from now.
	EventEarlyMedia
	// EventTransfer: the leg's phone asks to transfer its far party
	// (SIP REFER, RFC 3515); Event.Transfer says to where. The channel
	// has accepted the request (202); the exchange reports how it went
	// through TransferNotifier.
	EventTransfer
	// EventVoiceBandData: the leg's audio switched to voice-band data
	// mode by itself (it heard CNG, CED or ANSam: a fax or modem call);
	// the exchange switches the leg bridged to it too, so the tones are
	// carried as data all the way (VoiceBandData).
	EventVoiceBandData
)

var eventNames = [...]string{"", "progress", "answer", "digit", "flash", "hold", "unhold", "hangup", "early-media", "transfer", "voice-band-data"}

func (t EventType) String() string {
	if int(t) > 0 && int(t) < len(eventNames) {
		return eventNames[t]
	}
	return fmt.Sprintf("event(%d)", int(t))
}

// Event is one signalling event on a channel.
type Event struct {
	Type  EventType
	Digit byte  // for EventDigit: 0-9 * # A-D
	Cause Cause // for EventHangup
	Time  time.Time
	// Transfer is set for EventTransfer.
	Transfer *Transfer
}

// Transfer is a phone's request to transfer the party it talks to.
type Transfer struct {
	// Target is the number to transfer to (Refer-To's user part): a blind
	// transfer.
	Target string
	// Replaces, for an attended transfer, is the ID (Info.ID) of the
	// channel whose dialog the party is to replace: the transferrer's
	// call with the target. The channel's technology checked that the
	// dialog belongs to the same phone user.
	Replaces string
}

// TransferNotifier is implemented by channels that can tell their phone
// how a transfer it asked for goes (SIP: NOTIFY with a message/sipfrag
// body, RFC 3515): code is a SIP status (100 trying, 180 ringing, 200
// done, 4xx-6xx failed).
type TransferNotifier interface {
	NotifyTransfer(code int) error
}

// CallWaiting is implemented by channels of analog phones: while the
// phone talks, AlertCallWaiting plays the zone's call-waiting tone and,
// where the zone has it, sends the caller's ID (CAS alerting tone, the
// phone's acknowledgement, then FSK) without interrupting the call for
// longer than the alert.
type CallWaiting interface {
	AlertCallWaiting(caller CallerID) error
}

// Info describes a channel for status pages and call records.
type Info struct {
	ID        string   // unique in the running exchange, e.g. "sip-7f3a", "fxs-1"
	Kind      Kind     //
	Endpoint  string   // the extension, port name or SIP URI it reaches
	Direction string   // "in" or "out"
	Caller    CallerID // for inbound channels, who is calling
	Dialled   string   // for inbound SIP channels, the number in the request URI
	// Replaces, for an inbound channel, is the ID of the channel whose
	// dialog it asks to replace (SIP INVITE with Replaces, RFC 3891): a
	// pickup of a ringing phone, or a call taken over by its own user.
	Replaces string
}

// Channel is one leg of a call.
type Channel interface {
	Info() Info
	// Events delivers the channel's signalling; closed after EventHangup.
	Events() <-chan Event
	// Media is the channel's audio endpoint; valid for the channel's life.
	Media() media.Endpoint
	// Progress tells an inbound channel's caller that the call is alerting
	// (SIP 180 Ringing; on an analog port the exchange plays ringback).
	Progress() error
	// Answer answers an inbound channel (SIP 200 OK with SDP, or stops the
	// caller's tones on an analog port).
	Answer(ctx context.Context) error
	// SendDigit sends a DTMF digit to the far end (RFC 4733 on SIP, a tone
	// on an analog port).
	SendDigit(d byte) error
	// Hangup ends the leg with cause c: a SIP final response (c.SIPStatus)
	// or CANCEL/BYE; an analog port stops ringing, plays the matching tone
	// or goes on hook. Idempotent.
	Hangup(c Cause) error
}

// EarlyMedia is implemented by inbound channels whose caller can hear the
// exchange before the call is answered: SIP's 183 Session Progress with
// the SDP answer. A caller from a provider is charged from the answer, so
// an announcement played as early media ("please hold, we are connecting
// you") costs them nothing, and the call is answered only when someone
// takes it. Analog ports do not implement it: a telco line cannot carry
// sound before the box seizes it, and an analog extension is the box's own.
type EarlyMedia interface {
	// EarlyMedia opens the media towards the caller without answering.
	// Calling it again is a no-op; after the answer it is an error.
	EarlyMedia() error
}

// Request asks a technology to create an outbound channel.
type Request struct {
	Target   string   // extension number, port index or dialled digits
	Caller   CallerID // presented caller ID
	Codecs   []media.Codec
	Timeout  time.Duration // how long to ring before giving up (0: no limit)
	Metadata map[string]string
	// AutoAnswer asks the phone to answer by itself (intercom, paging:
	// SIP Call-Info answer-after=0 and Alert-Info auto answer). Phones
	// that cannot ring normally.
	AutoAnswer bool
	// Hops is what is left of the caller's hop limit (NextHop of the
	// inbound channel): a SIP leg carries it as Max-Forwards, so a call
	// looping through a trunk ends (483) instead of spinning.
	Hops HopLimit
	// Diversions are the redirections that led here, the most recent
	// first: forwarding and follow-me of office extensions.
	Diversions []Diversion
}

// HopLimit is what is left of a request's hop limit (SIP's
// Max-Forwards) for a leg dialled on its behalf. The zero value sets
// none (the dialer's default, 70 hops).
type HopLimit struct {
	Set  bool
	Left int // the outbound request's Max-Forwards; below 0 none is left: the dial fails with CauseLoop
}

// HopLimited is implemented by channels whose request carries a hop
// limit: an inbound SIP leg's Max-Forwards.
type HopLimited interface {
	MaxForwards() int
}

// NextHop is the hop limit for legs dialled on behalf of in: its
// Max-Forwards less one, or none when in carries no limit (an analog
// port, the exchange itself).
func NextHop(in Channel) HopLimit {
	if h, ok := in.(HopLimited); ok {
		return HopLimit{Set: true, Left: h.MaxForwards() - 1}
	}
	return HopLimit{}
}

// Dialer creates outbound channels of one technology. Dial returns as soon
// as the channel exists (the far end is being alerted); its progress and
// answer arrive on the channel's Events. It fails fast with a *DialError
// carrying a Cause when the target cannot be reached at all.
type Dialer interface {
	Dial(ctx context.Context, req Request) (Channel, error)
}

// DialError is a failure to create an outbound channel.
type DialError struct {
	Cause Cause
	Err   error
}

func (e *DialError) Error() string { return fmt.Sprintf("dial: %s: %v", e.Cause, e.Err) }
func (e *DialError) Unwrap() error { return e.Err }
