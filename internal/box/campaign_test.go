package box

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/internal/testutil"
	"minipbx/telephony/store"
)

// TestCampaignOnTheSimulatedBox: a campaign over the simulated board's
// four telco lines, each the far end of one kind of number — FXO 1 busy
// numbers, FXO 2 numbers nobody answers, FXO 3 a person ("Hello?", then
// waiting), FXO 4 an answering machine (a long greeting) — all with
// answer supervision. Its contacts come from a CSV list with two bad
// rows, which are reported by line; one contact is on the do-not-call
// list and one on a blacklist. Two lines at a time, the busy number
// retried once: the person hears the message, the machine is recognised
// and hung up on, and the campaign completes with every contact's
// expected result, never dialling the two it must not call. A second
// campaign leaves its message on the machine once its greeting ends.
func TestCampaignOnTheSimulatedBox(t *testing.T) {
	rb := runBox(t, Config{DataDir: t.TempDir(), SimFXO: 4})
	b := &testBox{Box: rb.Box}
	b.importDialPlan(t, func(c *store.Config) {
		for i := range c.FXOLines {
			c.FXOLines[i].AnswerOnReversal = true
		}
		c.LineGroups, c.OutboundRoutes = nil, nil
		for i, kind := range []string{"busy", "noanswer", "person", "machine"} {
			c.LineGroups = append(c.LineGroups, store.LineGroup{Name: kind, Lines: []int{i + 1}, Hunt: store.HuntAscending})
			c.OutboundRoutes = append(c.OutboundRoutes, store.OutboundRoute{Name: kind, Pattern: "555" + string(rune('2'+i)) + "XXX", Class: "local", Via: []string{kind}})
		}
		c.Classifiers = []store.Classifier{{Name: "blocked", Action: "reject", Numbers: []string{"5554009"}}}
	})
	sm := b.Sim()
	busy, noAnswer, person, machine := sm.Line(1), sm.Line(2), sm.Line(3), sm.Line(4)
	for _, l := range []int{1, 2, 3, 4} {
		sm.Line(l).SetAnswerReversal(true)
	}
	busy.SetFarEndBusy(true)
	noAnswer.SetAutoAnswer(0)
	person.Play(testutil.Talk([2]int{600, 10000}))
	machine.Play(testutil.Talk([2]int{4000, 4000}))

	api := func(method, path, ctype, body string, want int) []byte {
		t.Helper()
		code, out := rb.api(t, method, path, ctype, []byte(body))
		if code != want {
			t.Fatalf("%s %s: %d %s", method, path, code, out)
		}
		return out
	}
	api("PUT", "/api/v1/do-not-call/5554008", "application/json", `{"why": "asked in 2025"}`, http.StatusOK)
	api("POST", "/api/v1/campaigns", "application/json", `{
		"name": "spring", "class": "local", "max_lines": 2, "ring_s": 5,
		"window": {"start": "00:00", "end": "24:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
		"retry": {"busy": {"after_s": 10, "times": 1}},
		"prompts": [{"tone": "1000", "ms": 3000}],
		"on_machine": "hangup"}`, http.StatusCreated)
	var rep struct {
		Imported int
		Bad      []store.CSVRowError
	}
	csv := "number,name\n5552001,Busy Bee\n5553001,Nobody Home\nnot a number,X\n5554001,Pat Person\n5555001,Machine\n5554008,Said No\n5554009,Blocked\n555-2001,Busy again\n"
	if err := json.Unmarshal(api("POST", "/api/v1/campaigns/spring/contacts", "text/csv", csv, http.StatusOK), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 6 || len(rep.Bad) != 2 || rep.Bad[0].Line != 4 || rep.Bad[1].Line != 9 {
		t.Fatalf("import %+v", rep)
	}
	api("PUT", "/api/v1/campaigns/spring/state", "application/json", `{"state": "active"}`, http.StatusOK)

	ctx := tctx(t, 120*time.Second)
	if err := person.WaitSeized(ctx); err != nil {
		t.Fatal(err)
	}
	waitHears(t, "the person hears the message", lineEar(person), 1000, 10*time.Second)

	var got struct {
		store.Campaign
		Progress store.CampaignProgress
	}
	for {
		if err := json.Unmarshal(api("GET", "/api/v1/campaigns/spring", "", "", http.StatusOK), &got); err != nil {
			t.Fatal(err)
		}
		if got.State == store.CampaignCompleted {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the campaign did not complete: %+v", got)
		}
		time.Sleep(500 * time.Millisecond)
	}
	want := map[string]struct {
		result   string
		attempts int
	}{
		"5552001": {store.ContactBusy, 2},
		"5553001": {store.ContactNoAnswer, 1},
		"5554001": {store.ContactAnswered, 1},
		"5555001": {store.ContactMachine, 1},
		"5554008": {store.ContactDoNotCall, 0},
		"5554009": {store.ContactBlacklist, 0},
	}
	for _, ct := range got.Contacts {
		w := want[ct.Number]
		if ct.Result != w.result || ct.Attempts != w.attempts || !ct.Done {
			t.Errorf("contact %s: %s after %d calls (done %v), want %s after %d", ct.Number, ct.Result, ct.Attempts, ct.Done, w.result, w.attempts)
		}
	}
	if got.Progress.Total != 6 || got.Progress.Done != 6 {
		t.Errorf("progress %+v", got.Progress)
	}
	if d := person.Digits(); strings.Contains(d, "5554008") || strings.Contains(d, "5554009") {
		t.Errorf("a number not to call was dialled: %q", d)
	}
	if d := busy.Digits(); d != "5552001" {
		t.Errorf("the busy line's last call received %q", d)
	}
	results := string(api("GET", "/api/v1/campaigns/spring/results.csv", "", "", http.StatusOK))
	if !strings.HasPrefix(results, "number,name,result,attempts,done") || !strings.Contains(results, "5555001,Machine,machine,1,true") {
		t.Errorf("results CSV:\n%s", results)
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Origin == store.OriginCampaign && r.Callee == "5555001" })
	if !findStep(r, "amd", "fxo:4", "machine", "a greeting longer than a person's") {
		t.Errorf("the machine's record %s", pathString(r))
	}
	var list []store.DoNotCall
	_ = json.Unmarshal(api("GET", "/api/v1/do-not-call", "", "", http.StatusOK), &list)
	if !slices.ContainsFunc(list, func(d store.DoNotCall) bool { return d.Number == "5554008" }) {
		t.Errorf("do-not-call list %+v", list)
	}

	// A campaign that leaves its message on machines: it plays once the
	// greeting has ended, so the machine records it.
	if err := machine.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	machine.Play(testutil.Talk([2]int{3000, 8000}))
	api("POST", "/api/v1/campaigns", "application/json", `{
		"name": "autumn", "class": "local", "max_lines": 1, "ring_s": 5,
		"window": {"start": "00:00", "end": "24:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
		"prompts": [{"tone": "1000", "ms": 2000}], "on_machine": "message",
		"contacts": [{"number": "5555002"}]}`, http.StatusCreated)
	api("PUT", "/api/v1/campaigns/autumn/state", "application/json", `{"state": "active"}`, http.StatusOK)
	if err := machine.WaitSeized(ctx); err != nil {
		t.Fatal(err)
	}
	answered := time.Now()
	waitHears(t, "the machine records the message", lineEar(machine), 1000, 15*time.Second)
	if d := time.Since(answered); d < 3*time.Second {
		t.Errorf("the message began %v after the call, within the machine's greeting", d)
	}
	for {
		if err := json.Unmarshal(api("GET", "/api/v1/campaigns/autumn", "", "", http.StatusOK), &got); err != nil {
			t.Fatal(err)
		}
		if got.State == store.CampaignCompleted {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("autumn did not complete: %+v", got)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if ct := got.Contacts[0]; ct.Result != store.ContactMachine {
		t.Errorf("the machine's contact %+v", ct)
	}
}
