package telephony

import (
	"context"
	"errors"
	"fmt"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// Click-to-call: what a CRM's call button does. The box rings the
// extension's phones first, showing the number it is about to call; when
// someone answers, it dials the number as that extension would have —
// with its permission class and outbound caller ID — and the two talk.
// The call's record has origin "api".

// ErrForbidden is a number the extension's permission class may not
// call (the web UI answers 403 Forbidden). Nothing rang.
var ErrForbidden = errors.New("telephony: the number is outside the extension's permission class")

// PlacedCall is a call PlaceCall placed: its ID (as the status page, the
// event stream and webhooks name it), the extension and the number.
type PlacedCall struct {
	ID        string `json:"id"`
	Extension string `json:"extension"`
	Number    string `json:"number"`
}

// maxClickRing bounds how long the extension rings for a click-to-call
// (its user is at the screen that asked for it).
const maxClickRing = 60 * time.Second

// CheckClickToCall says what is wrong with a click-to-call request ("":
// nothing), by field: an extension number and a number to call, digits
// (a number may also have '*', '#' and a leading '+', which is dropped).
func CheckClickToCall(ext, number string) *store.ValidationError {
	v := &store.ValidationError{}
	if ext == "" || len(ext) > dialplan.MaxPatternLen || callbackNumber(ext) != ext || !dialplan.IsDialString(ext) {
		v.Fields = append(v.Fields, store.FieldError{Field: "extension", Message: "must be an extension number"})
	}
	n := callbackNumber(number)
	if n == "" || len(number) > 32 || n != number && "+"+n != number || !dialplan.IsDialString(n) {
		v.Fields = append(v.Fields, store.FieldError{Field: "number", Message: "must be a number to call: digits, * or #, with an optional leading +"})
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

// PlaceCall implements CallControl: it rings extension ext and, once
// answered, calls number for it. A bad request is a *store.ValidationError
// (by field); an unknown extension store.ErrNotFound; a number the
// extension may not call ErrForbidden — all before anything rings.
func (x *Exchange) PlaceCall(ctx context.Context, ext, number string) (PlacedCall, error) {
	if v := CheckClickToCall(ext, number); v != nil {
		return PlacedCall{}, v
	}
	number = callbackNumber(number)
	p := x.plan(x.config())
	e, ok := p.exts[ext]
	if !ok {
		return PlacedCall{}, fmt.Errorf("extension %s: %w", ext, store.ErrNotFound)
	}
	class := p.classOf(e)
	switch p.dialable(number, class) {
	case 0:
	case channel.CauseForbidden:
		x.log.Info("click-to-call refused: outside the extension's class", "extension", ext, "number", number, "class", class)
		return PlacedCall{}, fmt.Errorf("%s for extension %s (%s): %w", number, ext, class, ErrForbidden)
	default:
		return PlacedCall{}, &store.ValidationError{Fields: []store.FieldError{{Field: "number",
			Message: fmt.Sprintf("no route takes %s: not an extension, an internal number or a number the outbound routes dial", number)}}}
	}
	if number == ext {
		return PlacedCall{}, &store.ValidationError{Fields: []store.FieldError{{Field: "number", Message: "is the extension itself"}}}
	}
	me := channel.CallerID{Number: e.Number, Name: e.Name}
	h, err := x.originate(origination{
		To:      dest{Kind: dialplan.DestExtension, Value: ext},
		Class:   dialplan.ClassInternal,
		Caller:  channel.CallerID{Number: number},
		For:     me,
		RingFor: min(maxClickRing, time.Duration(p.cfg.System.NoAnswerTimeoutS)*time.Second),
		Origin:  store.OriginAPI, By: "api", Callee: number,
		Then: func(r router) (*leg, channel.Cause) {
			r.caller, r.class = me, class
			return r.reachNumber(number)
		},
	})
	if err != nil {
		return PlacedCall{}, err
	}
	x.log.Info("click-to-call", "call", h.ID(), "extension", ext, "number", number)
	return PlacedCall{ID: h.ID(), Extension: ext, Number: number}, nil
}

// dialable says whether a caller of class may dial number: 0 when it
// routes (an extension, an internal number, an outside number the class
// allows, an emergency number), CauseForbidden when only routes the
// class may not use take it, CauseNotFound when nothing takes it (a
// feature code acts for a phone, never for a caller sent to it).
func (p *plan) dialable(number string, class dialplan.Class) channel.Cause {
	if !dialplan.IsDialString(number) {
		return channel.CauseNotFound
	}
	if _, ok := p.exts[number]; ok {
		return 0
	}
	st, e := p.numbers.Lookup(number)
	if st != dialplan.Complete && st != dialplan.OpenEnded || e.Kind == dialplan.KindFeature {
		return channel.CauseNotFound
	}
	if e.Kind == dialplan.KindRoute || e.Kind == dialplan.KindEmergency {
		if _, err := p.router.Select(number, class, p.isEmergency); err != nil {
			if errors.Is(err, dialplan.ErrForbidden) {
				return channel.CauseForbidden
			}
			return channel.CauseNotFound
		}
	}
	return 0
}
