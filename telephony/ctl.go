package telephony

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Control messages between calls. A call that waits for a party (ringing
// phones, a parked call, a held call waiting for its phone) is asked to
// take a leg another call offers (ctlTake); a call in conversation is asked
// to hand its party over for an attended transfer (ctlHandoff) or to let a
// new leg replace one of its own (ctlReplace); the operator's view acts on
// a call (ctlOp). Every request carries a buffered reply channel, so a
// call never blocks on answering, and a claim token, so that a request its
// sender gave up on is not acted on late.

// ctlWait bounds how long a call waits for another call's answer: a
// script that is slow to read its inbox is busy playing or dialling, and a
// request it has not taken by then is withdrawn.
const ctlWait = 3 * time.Second

// claim is a one-shot token: the first of the sender (withdrawing) and the
// receiver (acting) to claim it wins.
type claim struct{ done atomic.Bool }

func (c *claim) claim() bool { return c.done.CompareAndSwap(false, true) }

// takeKind says why a leg is offered.
type takeKind int

const (
	// takePickup: a phone picks up the ringing call.
	takePickup takeKind = iota + 1
	// takeWaiting: a phone in another call takes the waiting call (call
	// waiting), or comes back to its held call.
	takeWaiting
	// takeRetrieve: a phone takes a parked call back.
	takeRetrieve
)

// ctlTake offers leg to a waiting call as its party.
type ctlTake struct {
	claim
	kind  takeKind
	leg   *leg
	by    string // who takes the call, for the record
	reply chan bool
}

// ctlHandoff asks the call owning mine to drop it and give mine's partner
// to the asking call (attended transfer: mine is the transferrer's
// consultation leg).
type ctlHandoff struct {
	claim
	mine *leg
	to   *call
	// toParty is who the partner will talk to there (for the record).
	toParty string
	reply   chan *leg
}

// ctlReplace asks the call owning old to put new in old's place (an
// INVITE with Replaces for a confirmed dialog).
type ctlReplace struct {
	claim
	old, new *leg
	reply    chan bool
}

// ctlOp is an operator's action on a call from the web UI.
type ctlOp struct {
	claim
	op    string // hold, resume, transfer, park, hangup
	leg   string // the leg acted on (channel ID; "" the call's party)
	dest  string // transfer: the number to transfer to
	reply chan error
}

// refuseCtl answers a request the call cannot act on now.
func refuseCtl(ctl any) {
	switch v := ctl.(type) {
	case *ctlTake:
		if v.claim.claim() {
			v.reply <- false
		}
	case *ctlHandoff:
		if v.claim.claim() {
			v.reply <- nil
		}
	case *ctlReplace:
		if v.claim.claim() {
			v.reply <- false
		}
	case *ctlOp:
		if v.claim.claim() {
			v.reply <- errBusyCall
		}
	}
}

// RefusedError is an operator's action the call refused, in words for the
// operator (the web UI answers 409 Conflict with it).
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// refused is a RefusedError.
func refused(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

var errBusyCall = &RefusedError{Reason: "the call cannot do that now: it is ringing, in a menu or queue, or ending"}

// ask posts a request to call c and waits for its reply: the reply, or ok
// false when c ended or did not take the request within ctlWait.
func ask[T any](c *call, ctl any, cl *claim, reply chan T) (T, bool) {
	var zero T
	c.box.post(msg{ctl: ctl})
	t := time.NewTimer(ctlWait)
	defer t.Stop()
	select {
	case v := <-reply:
		return v, true
	case <-c.done:
	case <-t.C:
	}
	if cl.claim() {
		return zero, false // withdrawn before c acted on it
	}
	// c is acting on it: its reply comes.
	return <-reply, true
}
