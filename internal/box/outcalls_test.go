package box

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/internal/webhook"
	"minipbx/telephony/store"
)

// Calls the box places or lets through for callers from outside, on the
// simulated board: a telco caller on FXO 1 dials out through FXO 2 by
// DISA, and is called back on FXO 2; an extension's click-to-call rings
// its analog phone, then the telco line — with a webhook receiver that
// checks every delivery's signature.

const (
	lineHz = 600  // what the far end of an outgoing line says
	farHz  = 1400 // what the caller says
)

// keyDTMF has a telco line's caller key digits (in-band tones) and
// waits until they are out.
func keyDTMF(t *testing.T, line *sim.Line, digits string) {
	t.Helper()
	gen := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{})
	if err := gen.Queue(digits); err != nil {
		t.Fatal(err)
	}
	var tone []int16
	buf := make([]int16, 160)
	for gen.Busy() {
		gen.Read(buf)
		tone = append(tone, buf...)
	}
	tone = append(tone, make([]int16, 800)...)
	line.Play(tone)
	time.Sleep(time.Duration(len(tone)/8) * time.Millisecond)
}

// outcallsConfig: FXO 1's calls go to DISA "road" (5559999 listed, else
// PIN 480715; local class); local numbers 5XXXXXX go out on FXO 2.
func outcallsConfig(c *store.Config) {
	c.LineGroups = []store.LineGroup{{Name: "out", Lines: []int{2}, Hunt: store.HuntAscending}}
	c.OutboundRoutes = []store.OutboundRoute{{Name: "local", Pattern: "5XXXXXX", Class: "local", Via: []string{"out"}}}
	c.InboundRoutes = []store.InboundRoute{{Name: "disa-line", Lines: []int{1}, Destination: "disa:road"}}
	c.DISA = []store.DISA{{Name: "road", Numbers: []string{"5559999"}, PIN: "480715", Class: "local"}}
}

// answerOut waits for the box to seize telco line out and dial number,
// answers, and checks that the caller (near, heard by nearEar) and the
// far end hear each other.
func answerOut(ctx context.Context, t *testing.T, out *sim.Line, number string, near func(func([]int16)), nearEar recorder, what string) {
	t.Helper()
	if err := out.WaitSeized(ctx); err != nil {
		t.Fatalf("%s: the outgoing line was not seized: %v", what, err)
	}
	got, err := out.WaitDigits(ctx, len(number))
	if err != nil || got != number {
		t.Fatalf("%s: the outgoing line received %q (%v), want %s", what, got, err, number)
	}
	if err := out.Answer(); err != nil {
		t.Fatal(err)
	}
	out.Talk(sim.Sine(lineHz, toneDBm0))
	near(sim.Sine(farHz, toneDBm0))
	waitHears(t, what+": the caller hears the far end", nearEar, lineHz, 5*time.Second)
	waitHears(t, what+": the far end hears the caller", lineEar(out), farHz, 5*time.Second)
}

// TestDISAThroughFXO: a telco caller on FXO 1, not on the DISA's list,
// keys the PIN, hears the box's dial tone, dials a local number, and
// the box puts it out on FXO 2; they talk; the far end hangs up and both
// lines are released; the record names the DISA.
func TestDISAThroughFXO(t *testing.T) {
	b := startBox(t, "")
	b.importDialPlan(t, outcallsConfig)
	ctx := tctx(t, 60*time.Second)
	in, out := b.Sim().Line(1), b.Sim().Line(2)
	ringFromTelco(t, in, "5551234")
	if err := in.WaitSeized(ctx); err != nil {
		t.Fatalf("the line was not answered: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // the PIN prompt starts
	keyDTMF(t, in, "480715#")
	waitHears(t, "dial tone after the PIN", lineEar(in), 440, 5*time.Second)
	keyDTMF(t, in, "5550123")
	answerOut(ctx, t, out, "5550123", in.Talk, lineEar(in), "DISA")
	if err := out.Hangup(sim.HangupBusyTone); err != nil {
		t.Fatal(err)
	}
	r := lineRecord(ctx, t, b, in, func(r store.CallRecord) bool { return r.DISA == "road" })
	if err := out.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Destination != "fxo:2" || r.Callee != "5550123" || !findStep(r, "disa", "fxo:1", "disa:road", "") || r.Route != "local" {
		t.Errorf("record %s %+v", pathString(r), r)
	}
}

// TestCallbackThroughFXO: a telco caller on FXO 1 whose number the
// callback knows is not answered (the line rings on until they give
// up); two seconds later the box calls them back on FXO 2, they answer
// and get the DISA's dial tone without a PIN, dial a local number and
// are put through on FXO 3.
func TestCallbackThroughFXO(t *testing.T) {
	b := startBox(t, "", func(c *Config) { c.SimFXO = 3 })
	b.importDialPlan(t, func(c *store.Config) {
		outcallsConfig(c)
		c.LineGroups = append(c.LineGroups, store.LineGroup{Name: "third", Lines: []int{3}, Hunt: store.HuntAscending})
		c.OutboundRoutes = []store.OutboundRoute{
			{Name: "callers", Pattern: "5551XXX", Class: "local", Via: []string{"out"}},
			{Name: "local", Pattern: "5550XXX", Class: "local", Via: []string{"third"}},
		}
		c.Callbacks = []store.Callback{{Name: "boss", Numbers: []string{"5551234"}, Class: "local", Destination: "disa:road", DelayS: 2}}
		c.InboundRoutes = []store.InboundRoute{{Name: "boss-line", Lines: []int{1}, Destination: "callback:boss"}}
	})
	ctx := tctx(t, 60*time.Second)
	in, back, third := b.Sim().Line(1), b.Sim().Line(2), b.Sim().Line(3)
	ringFromTelco(t, in, "5551234")
	for in.Rings() < 4 {
		if in.Seized() {
			t.Fatal("the callback's caller was answered (and charged)")
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.StopRinging() // the caller gives up
	if err := back.WaitSeized(ctx); err != nil {
		t.Fatalf("no call back: %v", err)
	}
	if in.Seized() {
		t.Error("FXO 1 was seized for the caller's call")
	}
	got, err := back.WaitDigits(ctx, 7)
	if err != nil || got != "5551234" {
		t.Fatalf("called back %q (%v)", got, err)
	}
	if err := back.Answer(); err != nil {
		t.Fatal(err)
	}
	waitHears(t, "dial tone when called back", lineEar(back), 440, 5*time.Second)
	keyDTMF(t, back, "5550123")
	answerOut(ctx, t, third, "5550123", back.Talk, lineEar(back), "callback")
	if err := back.Hangup(sim.HangupBusyTone); err != nil {
		t.Fatal(err)
	}
	if err := third.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Origin == store.OriginCallback })
	if r.Source != "fxo:2" || r.Callee != "5550123" || r.Legs[0].Number != "5551234" || r.DISA != "road" || r.Destination != "fxo:3" || r.Direction != store.DirectionOut ||
		!findStep(r, "originated", "", "number:5551234", "callback:boss") {
		t.Errorf("record %s %+v", pathString(r), r)
	}
}

// hookReceiver is a CRM's webhook endpoint: it verifies each request's
// signature and refuses the first one (so the box must retry).
type hookReceiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	n      int
	bad    int
	bodies []webhook.Body
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
			h.bad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if h.n++; h.n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var b webhook.Body
		if err := json.Unmarshal(body, &b); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		h.bodies = append(h.bodies, b)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// events are the events received for call id.
func (h *hookReceiver) events(id string) ([]string, *store.CallRecord, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	var rec *store.CallRecord
	for _, b := range h.bodies {
		if b.Call.ID == id {
			out = append(out, b.Event)
			if b.Record != nil {
				rec = b.Record
			}
		}
	}
	return out, rec, h.bad
}

// TestClickToCallOnTheSimulatedBox: a CRM sets up its webhook and asks
// the REST API to call 5550123 for extension 101: the analog phone on
// FXS 1 rings showing 5550123, is answered, and the box dials the number
// on FXO 2; they talk. A number outside 102's class is refused (403) and
// nothing rings. The webhook receiver gets ringing, answered and ended
// (with the call record, origin api), every one signed — after the box
// retried the one it refused.
func TestClickToCallOnTheSimulatedBox(t *testing.T) {
	rb := runBox(t, Config{DataDir: t.TempDir()})
	b := &testBox{Box: rb.Box}
	b.importDialPlan(t, func(c *store.Config) {
		c.LineGroups = []store.LineGroup{{Name: "out", Lines: []int{2}, Hunt: store.HuntAscending}}
		c.OutboundRoutes = []store.OutboundRoute{{Name: "local", Pattern: "5XXXXXX", Class: "local", Via: []string{"out"}}}
		c.ExtensionRules = []store.ExtensionRule{{Extension: "102", Class: "internal"}}
	})
	const secret = "k3J9vQ2mX8pL5tR7wZ4n"
	rcv := newHookReceiver(t, secret)
	hooks := `{"endpoints": [{"name": "crm", "url": "` + rcv.srv.URL + `/pbx", "secret": "` + secret + `"}]}`
	if code, body := rb.api(t, "PUT", "/api/v1/settings/webhooks", "application/json", []byte(hooks)); code != 200 {
		t.Fatalf("webhooks: %d %s", code, body)
	}
	ctx := tctx(t, 90*time.Second)
	if code, body := rb.api(t, "POST", "/api/v1/calls", "application/json", []byte(`{"extension": "102", "number": "5550123"}`)); code != http.StatusForbidden {
		t.Errorf("102 (internal only) to 5550123: %d %s", code, body)
	}
	code, body := rb.api(t, "POST", "/api/v1/calls", "application/json", []byte(`{"extension": "101", "number": "5550123"}`))
	if code != http.StatusAccepted {
		t.Fatalf("click-to-call: %d %s", code, body)
	}
	var placed struct{ ID string }
	if err := json.Unmarshal(body, &placed); err != nil || placed.ID == "" {
		t.Fatalf("answer %s", body)
	}
	ph1 := b.Sim().Phone(1)
	answerAnalog(ctx, t, ph1, "5550123", "101")
	if b.Sim().Phone(2).Ringing() {
		t.Error("102's phone rang")
	}
	answerOut(ctx, t, b.Sim().Line(2), "5550123", ph1.Talk, phoneEar(ph1), "click-to-call")
	ph1.OnHook()
	if err := b.Sim().Line(2).WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Origin == store.OriginAPI })
	if r.Caller != "101" || r.Callee != "5550123" || r.Source != "fxs:1" || r.Destination != "fxo:2" || !findStep(r, "originated", "", "ext:101", "api") {
		t.Errorf("record %s %+v", pathString(r), r)
	}
	deadline := time.Now().Add(40 * time.Second) // the refused delivery comes again after 10 s
	for {
		evs, rec, bad := rcv.events(placed.ID)
		if bad != 0 {
			t.Fatalf("%d deliveries with a bad signature", bad)
		}
		if slices.Contains(evs, "ended") && slices.Contains(evs, "ringing") && slices.Contains(evs, "answered") {
			if rec == nil || rec.ID != r.ID || rec.Origin != store.OriginAPI {
				t.Errorf("the ended event's record %+v", rec)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook events of %s: %v", placed.ID, evs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
