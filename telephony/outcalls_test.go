package telephony

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// outcallsPlan: line 2 leads to DISA "road" (5550100 listed, or PIN
// 480715; local class), trunk "prov" DIDs lead to callback "boss"
// (89161234567 listed, or PIN 907153) and to callback "back" (which
// leads to the DISA); local numbers 5XXXXXX and national 8XXXXXXXXXX go
// out on the city lines, abroad 810X. too (international), 112 is an
// emergency number.
func outcallsPlan(c *store.Config) {
	c.System.OutsidePrefix = "9"
	c.Numbering.EmergencyNumbers = []string{"112"}
	c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntAscending}}
	c.Trunks = []store.Trunk{{Name: "prov", Mode: store.TrunkRegister, Host: "192.0.2.10:5060", Username: "74951112233", Password: "x",
		DIDs: []store.TrunkDID{{Number: "74951112266", Destination: "callback:boss"}, {Number: "74951112277", Destination: "callback:back"}}}}
	c.OutboundRoutes = []store.OutboundRoute{
		{Name: "local", Pattern: "5XXXXXX", Class: "local", Via: []string{"city"}},
		{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"prov"}},
		{Name: "abroad", Pattern: "810X.", Class: "international", Via: []string{"city"}, CallerID: "4950000000"},
	}
	c.InboundRoutes = []store.InboundRoute{{Name: "disa-line", Lines: []int{2}, Destination: "disa:road"}}
	c.DISA = []store.DISA{{Name: "road", Numbers: []string{"5550100"}, PIN: "480715", Class: "local", CallerID: "4951112233"}}
	c.Callbacks = []store.Callback{
		{Name: "boss", Numbers: []string{"89161234567"}, PIN: "907153", Class: "national", Destination: "ext:201", DelayS: 2, CallerID: "74951112233"},
		{Name: "back", Numbers: []string{"89161234567"}, Class: "national", Destination: "disa:road", DelayS: 2},
	}
}

// events collects the call events of x.
type events struct {
	mu  sync.Mutex
	evs []CallEvent
}

func watchEvents(x *Exchange) *events {
	e := &events{}
	x.events = func(ev CallEvent) {
		e.mu.Lock()
		e.evs = append(e.evs, ev)
		e.mu.Unlock()
	}
	return e
}

// of lists the kinds of call id's events so far.
func (e *events) of(id string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.evs {
		if ev.CallID == id {
			out = append(out, ev.Kind)
		}
	}
	return out
}

// press sends digits from a caller as RFC 4733 or in-band digits arrive.
func press(c *fakeChannel, digits string) {
	for i := 0; i < len(digits); i++ {
		c.emit(channel.Event{Type: channel.EventDigit, Digit: digits[i]})
	}
}

// waitAnswered waits until the exchange answered c.
func waitAnswered(t *testing.T, c *fakeChannel) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.answeredCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s was never answered", c.info.ID)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func pathHas(r store.CallRecord, event, to, by string) bool {
	return slices.ContainsFunc(r.Path, func(s store.CallStep) bool { return s.Event == event && s.To == to && s.By == by })
}

// TestDISA: a listed caller is let in without a PIN, hears dial tone and
// dials a local number, which goes out on a line showing the DISA's
// number; a caller not listed keys the PIN first; the record is marked.
func TestDISA(t *testing.T) {
	b := newPlanBox(t, outcallsPlan, nil)
	for _, tc := range []struct{ caller, keys string }{{"5550100", ""}, {"5550199", "480715#"}} {
		in := fxoCaller(2, tc.caller)
		b.x.Accept(in)
		waitAnswered(t, in)
		press(in, tc.keys+"5551234")
		out := expect(t, b.analog, "fxo@1:5551234")
		if out.req.Caller.Number != "4951112233" {
			t.Errorf("%s: the far end sees %+v, want the DISA's number", tc.caller, out.req.Caller)
		}
		out.emit(channel.Event{Type: channel.EventAnswer})
		connected(t, in, out)
		in.end(channel.CauseNormal)
		out.waitHangup(t)
		r := b.st.waitRecord(t)
		if r.DISA != "road" || !pathHas(r, "disa", "disa:road", "") || r.Callee != "5551234" || r.Disposition != "answered" || r.Route != "local" {
			t.Errorf("%s: record %+v", tc.caller, r)
		}
	}
}

// TestDISAClass: a DISA caller cannot dial beyond the DISA's class (the
// number abroad is refused and dial tone comes back), but an emergency
// number always goes out; a DISA nobody may use unchecked refuses a
// caller it does not know before answering.
func TestDISAClass(t *testing.T) {
	b := newPlanBox(t, outcallsPlan, nil)
	in := fxoCaller(2, "5550100")
	b.x.Accept(in)
	waitAnswered(t, in)
	press(in, "8101234567#")
	b.analog.none(t)
	time.Sleep(2500 * time.Millisecond) // the refused tone, then dial tone again
	press(in, "112")
	out := expect(t, b.analog, "fxo@1:112")
	out.emit(channel.Event{Type: channel.EventAnswer})
	in.end(channel.CauseNormal)
	out.waitHangup(t)
	if r := b.st.waitRecord(t); r.DISA != "road" || r.Callee != "112" {
		t.Errorf("record %+v", r)
	}

	// Without a PIN, a caller not on the list is not even answered.
	b2 := newPlanBox(t, func(c *store.Config) {
		outcallsPlan(c)
		c.DISA[0].PIN = ""
	}, nil)
	stranger := fxoCaller(2, "5550666")
	b2.x.Accept(stranger)
	stranger.waitHangup(t)
	if stranger.answeredCount() != 0 {
		t.Error("a caller not on the list was answered")
	}
	b2.analog.none(t)
	if r := b2.st.waitRecord(t); r.DISA != "" || !pathHas(r, "refused", "disa:road", "not allowed") {
		t.Errorf("record %+v", r)
	}
}

// TestDISAPINLockout: five wrong PINs in a row from one caller (over two
// calls) lock that caller out with a security alarm; the next call from
// that number is refused before it is answered, even with the right PIN;
// another caller still gets in. A withheld caller is counted by its line.
func TestDISAPINLockout(t *testing.T) {
	b := newPlanBox(t, outcallsPlan, nil)
	guess := func(caller string, pins string) *fakeChannel {
		in := fxoCaller(2, caller)
		if caller == "" {
			in.info.Caller = channel.CallerID{Withheld: "P"}
		}
		b.x.Accept(in)
		waitAnswered(t, in)
		press(in, pins)
		in.waitHangup(t)
		if r := b.st.waitRecord(t); r.Disposition != "rejected" || r.DISA != "" {
			t.Errorf("record after wrong PINs: %+v", r)
		}
		return in
	}
	guess("5550177", "111112#111113#111114#")
	st, _ := b.x.Status(context.Background())
	if len(st.SecurityAlarms) != 0 {
		t.Fatalf("an alarm after 3 wrong PINs: %+v", st.SecurityAlarms)
	}
	guess("5550177", "111115#111116#")
	st, _ = b.x.Status(context.Background())
	if len(st.SecurityAlarms) != 1 {
		t.Fatalf("alarms %+v", st.SecurityAlarms)
	}
	a := st.SecurityAlarms[0]
	if a.Kind != AlarmPINLocked || a.User != "disa:road" || !slices.Equal(a.Addresses, []string{"5550177"}) || a.Failures != 5 ||
		a.Until.Sub(a.Since) != accessLockFor {
		t.Errorf("alarm %+v", a)
	}
	locked := fxoCaller(2, "5550177")
	b.x.Accept(locked)
	locked.waitHangup(t)
	if locked.answeredCount() != 0 {
		t.Error("a locked-out caller was answered")
	}
	if r := b.st.waitRecord(t); !pathHas(r, "refused", "disa:road", "locked out") {
		t.Errorf("record %+v", r)
	}
	// Another caller gets in with the PIN.
	in := fxoCaller(2, "5550188")
	b.x.Accept(in)
	waitAnswered(t, in)
	press(in, "480715#5551234")
	out := expect(t, b.analog, "fxo@1:5551234")
	in.end(channel.CauseNormal)
	out.waitHangup(t)
	b.st.waitRecord(t)
	// Withheld callers are counted by the line they came on.
	guess("", "111112#111113#111114#")
	guess("", "111112#111113#")
	st, _ = b.x.Status(context.Background())
	if len(st.SecurityAlarms) != 2 || !slices.Equal(st.SecurityAlarms[1].Addresses, []string{"fxo:2"}) {
		t.Errorf("alarms %+v", st.SecurityAlarms)
	}
}

// TestCallbackFromTrunk: a listed caller from a trunk is refused with 486
// before any answer; two seconds later the box calls the number back
// through the national route, showing the callback's number, and once
// answered connects it to extension 201. A caller not listed keys the
// PIN (answered) and is called back too; a second call while a callback
// waits brings no second callback.
func TestCallbackFromTrunk(t *testing.T) {
	b := newPlanBox(t, outcallsPlan, nil)
	ev := watchEvents(b.x)
	in := trunkCaller("prov", "89161234567", "74951112266")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseBusy || in.answeredCount() != 0 {
		t.Fatalf("the caller got %v, answered %d times; want 486 before an answer", c, in.answeredCount())
	}
	if r := b.st.waitRecord(t); !pathHas(r, "callback", "callback:boss", "") || r.Disposition != "rejected" {
		t.Errorf("the request's record %+v", r)
	}
	again := trunkCaller("prov", "89161234567", "74951112266")
	b.x.Accept(again)
	again.waitHangup(t)
	b.st.waitRecord(t)
	start := time.Now()
	back := expect(t, b.sip, "trunk:prov:89161234567")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("called back after %v", d)
	}
	if back.req.Caller.Number != "74951112233" {
		t.Errorf("the caller sees %+v", back.req.Caller)
	}
	back.emit(channel.Event{Type: channel.EventProgress})
	back.emit(channel.Event{Type: channel.EventAnswer})
	ext := expect(t, b.sip, "201")
	ext.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, back, ext)
	ext.end(channel.CauseNormal)
	back.waitHangup(t)
	r := b.st.waitRecord(t)
	if r.Origin != store.OriginCallback || r.Callee != "89161234567" || !strings.HasPrefix(r.Source, "trunk:prov") || r.Destination != "sip:201" ||
		!pathHas(r, "originated", "number:89161234567", "callback:boss") || r.Answer.IsZero() || r.Route != "national" {
		t.Errorf("the call back's record %+v", r)
	}
	b.sip.none(t) // one callback for the two calls
	var id string
	ev.mu.Lock()
	for _, e := range ev.evs {
		if e.Record != nil && e.Record.Origin == store.OriginCallback {
			id = e.CallID
		}
	}
	ev.mu.Unlock()
	if got := ev.of(id); !slices.Equal(got, []string{EventRinging, EventAnswered, EventEnded}) {
		t.Errorf("events of the call back %v", got)
	}

	// Not on the list: the PIN.
	other := trunkCaller("prov", "89160000000", "74951112266")
	b.x.Accept(other)
	waitAnswered(t, other)
	press(other, "907153#")
	other.waitHangup(t)
	if r := b.st.waitRecord(t); !pathHas(r, "callback", "callback:boss", "PIN") {
		t.Errorf("the PIN request's record %+v", r)
	}
	back2 := expect(t, b.sip, "trunk:prov:89160000000")
	back2.end(channel.CauseNoAnswer)
	if r := b.st.waitRecord(t); r.Origin != store.OriginCallback || r.Disposition != "no-answer" {
		t.Errorf("an unanswered call back %+v", r)
	}
}

// TestCallbackToDISA: a caller called back gets the DISA's dial tone
// without its PIN and dials within the narrower of the two classes.
func TestCallbackToDISA(t *testing.T) {
	b := newPlanBox(t, outcallsPlan, nil)
	in := trunkCaller("prov", "89161234567", "74951112277")
	b.x.Accept(in)
	in.waitHangup(t)
	b.st.waitRecord(t)
	back := expect(t, b.sip, "trunk:prov:89161234567")
	back.emit(channel.Event{Type: channel.EventAnswer})
	time.Sleep(100 * time.Millisecond)
	press(back, "89169999999#") // national: the callback's class, not the DISA's local
	b.sip.none(t)
	b.analog.none(t)
	time.Sleep(2500 * time.Millisecond)
	press(back, "5551234")
	out := expect(t, b.analog, "fxo@1:5551234")
	out.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, back, out)
	out.end(channel.CauseNormal)
	back.waitHangup(t)
	r := b.st.waitRecord(t)
	if r.Origin != store.OriginCallback || r.DISA != "road" || !pathHas(r, "disa", "disa:road", "") {
		t.Errorf("record %+v", r)
	}
}

// TestAnswerLine: a ringing FXO line whose route leads to a callback that
// knows the caller is left unanswered and the caller is called back on a
// free line; any other caller, or a line routed elsewhere, is answered.
func TestAnswerLine(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		outcallsPlan(c)
		c.InboundRoutes = append(c.InboundRoutes, store.InboundRoute{Name: "boss-line", Lines: []int{1}, Destination: "callback:boss"})
		c.Callbacks[0].Numbers = []string{"5550100"}
	}, nil)
	if !b.x.AnswerLine(1, channel.CallerID{Number: "5550111"}) || !b.x.AnswerLine(1, channel.CallerID{Withheld: "P"}) ||
		!b.x.AnswerLine(2, channel.CallerID{Number: "5550100"}) {
		t.Fatal("a line was left unanswered for a caller the callback does not know, or for a DISA")
	}
	b.analog.none(t)
	if b.x.AnswerLine(1, channel.CallerID{Number: "5550100"}) {
		t.Fatal("the callback's caller was answered")
	}
	back := expect(t, b.analog, "fxo@1:5550100")
	if back.req.Caller.Number != "74951112233" {
		t.Errorf("the call back shows %+v", back.req.Caller)
	}
	back.end(channel.CauseBusy)
	if r := b.st.waitRecord(t); r.Origin != store.OriginCallback || r.Disposition != "busy" {
		t.Errorf("record %+v", r)
	}
}

// TestClickToCall: PlaceCall rings extension 101's phones showing the
// number, and once one answers dials the number with 101's class and
// outbound caller ID; the record says the API placed it. An extension
// whose class does not allow the number is refused before anything
// rings; so are an unknown extension and a number no route takes.
func TestClickToCall(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		outcallsPlan(c)
		c.Extensions[0].OutboundCallerID = "4957770101"
		c.ExtensionRules = []store.ExtensionRule{{Extension: "202", Class: "local"}}
	}, nil)
	ev := watchEvents(b.x)
	ctx := context.Background()
	pc, err := b.x.PlaceCall(ctx, "101", "+5551234")
	if err != nil {
		t.Fatal(err)
	}
	if pc.Number != "5551234" || pc.Extension != "101" || pc.ID == "" {
		t.Errorf("placed %+v", pc)
	}
	phone := expect(t, b.analog, "fxs:1")
	sipPhone := expect(t, b.sip, "101")
	if phone.req.Caller.Number != "5551234" || sipPhone.req.Caller.Number != "5551234" {
		t.Errorf("the phones show %+v, %+v; want the number being called", phone.req.Caller, sipPhone.req.Caller)
	}
	phone.emit(channel.Event{Type: channel.EventProgress})
	phone.emit(channel.Event{Type: channel.EventAnswer})
	sipPhone.waitHangup(t)
	out := expect(t, b.analog, "fxo@1:5551234")
	if out.req.Caller.Number != "4957770101" {
		t.Errorf("the far end sees %+v, want 101's outbound caller ID", out.req.Caller)
	}
	out.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, phone, out)
	phone.end(channel.CauseNormal)
	out.waitHangup(t)
	r := b.st.waitRecord(t)
	if r.Origin != store.OriginAPI || r.Caller != "101" || r.Callee != "5551234" || r.Source != "fxs:1" || !strings.Contains(r.Destination, "fxo@1") ||
		!pathHas(r, "originated", "ext:101", "api") || r.Disposition != "answered" || r.Route != "local" {
		t.Errorf("record %+v", r)
	}
	if got := ev.of(pc.ID); len(got) < 3 || got[0] != EventRinging || !slices.Contains(got, EventAnswered) || got[len(got)-1] != EventEnded {
		t.Errorf("events %v", got)
	}

	for _, tc := range []struct {
		ext, number string
		want        func(error) bool
	}{
		{"102", "5551234", func(err error) bool { return errors.Is(err, ErrForbidden) }},    // 102: internal only
		{"202", "8101234567", func(err error) bool { return errors.Is(err, ErrForbidden) }}, // 202: local only
		{"999", "5551234", func(err error) bool { return errors.Is(err, store.ErrNotFound) }},
		{"101", "77", func(err error) bool { _, ok := store.AsValidationError(err); return ok }},
		{"101", "555-1234", func(err error) bool { _, ok := store.AsValidationError(err); return ok }},
		{"101", "*72201", func(err error) bool { _, ok := store.AsValidationError(err); return ok }},
	} {
		if _, err := b.x.PlaceCall(ctx, tc.ext, tc.number); !tc.want(err) {
			t.Errorf("%s → %s: %v", tc.ext, tc.number, err)
		}
	}
	b.analog.none(t)
	b.sip.none(t)
	// An emergency number is never refused.
	if _, err := b.x.PlaceCall(ctx, "102", "112"); err != nil {
		t.Errorf("112 from 102: %v", err)
	}
	expect(t, b.analog, "fxs:2").end(channel.CauseNoAnswer)
	if r := b.st.waitRecord(t); r.Origin != store.OriginAPI || r.Disposition != "no-answer" || r.Caller != "102" {
		t.Errorf("record of an unanswered click-to-call %+v", r)
	}
}

// FuzzClickToCall: any request is checked without a panic, and one that
// passes is an extension's digits and a number of digits, * and # with
// at most a leading +.
func FuzzClickToCall(f *testing.F) {
	f.Add("101", "+74951234567")
	f.Add("101", "*67#")
	f.Add("", "1")
	f.Add("10 1", "555\n1234")
	f.Fuzz(func(t *testing.T, ext, number string) {
		if CheckClickToCall(ext, number) != nil {
			return
		}
		n := strings.TrimPrefix(number, "+")
		if ext == "" || n == "" || strings.ContainsFunc(ext+n, func(r rune) bool { return !strings.ContainsRune("0123456789*#", r) }) {
			t.Fatalf("accepted %q %q", ext, number)
		}
	})
}

// FuzzPINEntry: whatever digits a caller keys, the PIN matches only when
// they are exactly the PIN, and an empty PIN never matches.
func FuzzPINEntry(f *testing.F) {
	f.Add("480715", "480715")
	f.Add("480715", "4807150")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, entered, pin string) {
		if pinMatches(entered, pin) != (pin != "" && entered == pin) {
			t.Fatalf("pinMatches(%q, %q) = %v", entered, pin, pinMatches(entered, pin))
		}
	})
}
