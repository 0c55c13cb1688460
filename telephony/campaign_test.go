package telephony

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// fakeCampaigns is a CampaignStore in memory that validates as the
// store does, against cfg.
type fakeCampaigns struct {
	cfg   store.Config
	mu    sync.Mutex
	camps map[string]store.Campaign
	dnc   map[string]store.DoNotCall
}

func newFakeCampaigns(cfg store.Config) *fakeCampaigns {
	return &fakeCampaigns{cfg: cfg, camps: map[string]store.Campaign{}, dnc: map[string]store.DoNotCall{}}
}

func (f *fakeCampaigns) Campaigns() ([]store.Campaign, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Campaign
	for _, k := range slices.Sorted(maps.Keys(f.camps)) {
		out = append(out, f.camps[k])
	}
	return out, nil
}

func (f *fakeCampaigns) CampaignHeads() ([]store.Campaign, error) {
	cs, err := f.Campaigns()
	for i := range cs {
		cs[i].Contacts = nil
	}
	return cs, err
}

func (f *fakeCampaigns) Campaign(name string) (store.Campaign, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.camps[name]
	if !ok {
		return c, store.ErrNotFound
	}
	c.Contacts = slices.Clone(c.Contacts)
	return c, nil
}

func (f *fakeCampaigns) CreateCampaign(c store.Campaign) (store.Campaign, error) {
	if err := c.Validate(f.cfg); err != nil {
		return store.Campaign{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Revision = 1
	f.camps[c.Name] = c
	return c, nil
}

func (f *fakeCampaigns) ChangeCampaign(name string, fn func(c *store.Campaign) error) (store.Campaign, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.camps[name]
	if !ok {
		return c, store.ErrNotFound
	}
	c.Contacts = slices.Clone(c.Contacts)
	if err := fn(&c); err != nil {
		return store.Campaign{}, err
	}
	if err := c.Validate(f.cfg); err != nil {
		return store.Campaign{}, err
	}
	c.Revision++
	f.camps[name] = c
	return c, nil
}

func (f *fakeCampaigns) DeleteCampaign(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.camps, name)
	return nil
}

func (f *fakeCampaigns) OnDoNotCall(number string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.dnc[number]
	return ok, nil
}

func (f *fakeCampaigns) AddDoNotCall(number, why string, now time.Time) (store.DoNotCall, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := store.DoNotCall{Number: number, Why: why, Added: now}
	f.dnc[number] = d
	return d, nil
}

func (f *fakeCampaigns) DoNotCallList() ([]store.DoNotCall, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Collect(maps.Values(f.dnc)), nil
}

func (f *fakeCampaigns) RemoveDoNotCall(number string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.dnc, number)
	return nil
}

// campaignBox is outcallsPlan with queue "ops" (extension 202) and an
// auto-dialer over fakeCampaigns that ticks every 20 ms.
func campaignBox(t *testing.T, edit func(c *store.Config)) (*testBox, *fakeCampaigns) {
	t.Helper()
	var cfg store.Config
	b := newPlanBox(t, func(c *store.Config) {
		outcallsPlan(c)
		c.Queues = []store.Queue{{Name: "ops", Strategy: "linear", Members: []store.GroupMember{{Destination: "ext:202", RingS: 5}}}}
		if edit != nil {
			edit(c)
		}
		cfg = *c
	}, nil)
	f := newFakeCampaigns(cfg)
	b.x.vmState.keyWait = 300 * time.Millisecond
	b.x.dial.db, b.x.dial.tick = f, 20*time.Millisecond
	b.x.callWG.Add(1)
	go b.x.runCampaigns()
	return b, f
}

func testCampaign(numbers ...string) store.Campaign {
	c := store.Campaign{Name: "spring", State: store.CampaignActive, Class: "national", MaxLines: 1, CallerID: "74951112233",
		Window:  store.CampaignWindow{Start: "00:00", End: "24:00", Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
		Prompts: []store.Prompt{{Tone: "1000", MS: 300}}, OperatorQueue: "ops", OptOutKey: true, OnMachine: store.MachineIgnore}
	for _, n := range numbers {
		c.Contacts = append(c.Contacts, store.CampaignContact{Number: n})
	}
	return c
}

// waitContact waits until the contact with number has a final result.
func waitContact(t *testing.T, f *fakeCampaigns, number string) store.CampaignContact {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, _ := f.Campaign("spring")
		for _, ct := range c.Contacts {
			if ct.Number == number && ct.Done {
				return ct
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("contact %s has no final result", number)
	return store.CampaignContact{}
}

// TestCampaignKeys: one line at a time, the contacts are called in
// order showing the campaign's number; the first presses 1 and is put
// through to the operator queue's agent, the second presses 9 and goes
// on the do-not-call list, the third listens and hangs up, the fourth is
// busy; the campaign completes.
func TestCampaignKeys(t *testing.T) {
	b, f := campaignBox(t, nil)
	if _, err := f.CreateCampaign(testCampaign("89160000001", "89160000002", "89160000003", "89160000004")); err != nil {
		t.Fatal(err)
	}
	first := expect(t, b.sip, "trunk:prov:89160000001")
	if first.req.Caller.Number != "74951112233" {
		t.Errorf("the contact sees %+v", first.req.Caller)
	}
	b.sip.none(t) // max_lines 1
	first.emit(channel.Event{Type: channel.EventAnswer})
	press(first, "1")
	agent := expect(t, b.sip, "202")
	agent.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, first, agent)
	first.end(channel.CauseNormal)
	if ct := waitContact(t, f, "89160000001"); ct.Result != store.ContactOperator || ct.Attempts != 1 || ct.CallID == "" {
		t.Errorf("first contact %+v", ct)
	}
	r := b.st.waitRecord(t)
	if r.Origin != store.OriginCampaign || !pathHas(r, "originated", "number:89160000001", "campaign:spring") || !pathHas(r, "campaign", "queue:ops", "key 1") {
		t.Errorf("the first call's record %+v", r.Path)
	}

	second := expect(t, b.sip, "trunk:prov:89160000002")
	second.emit(channel.Event{Type: channel.EventAnswer})
	press(second, "9")
	second.waitHangup(t)
	if ct := waitContact(t, f, "89160000002"); ct.Result != store.ContactOptedOut {
		t.Errorf("second contact %+v", ct)
	}
	if on, _ := f.OnDoNotCall("89160000002"); !on {
		t.Error("the opt-out is not on the do-not-call list")
	}
	b.st.waitRecord(t)

	third := expect(t, b.sip, "trunk:prov:89160000003")
	third.emit(channel.Event{Type: channel.EventAnswer})
	third.waitHangup(t) // the message, no key: the box says goodbye by hanging up
	if ct := waitContact(t, f, "89160000003"); ct.Result != store.ContactAnswered {
		t.Errorf("third contact %+v", ct)
	}
	if third.ep.heard() == 0 {
		t.Error("the third contact heard no message")
	}
	b.st.waitRecord(t)

	fourth := expect(t, b.sip, "trunk:prov:89160000004")
	fourth.end(channel.CauseBusy)
	if ct := waitContact(t, f, "89160000004"); ct.Result != store.ContactBusy || ct.Attempts != 1 {
		t.Errorf("fourth contact %+v", ct)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if c, _ := f.Campaign("spring"); c.State == store.CampaignCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the campaign did not complete")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCampaignRules: a busy number is called again after its rule's
// pause; nothing is placed outside the window, nor while paused, nor to
// a blacklisted or do-not-call number; a campaign whose answer queue is
// gone from the dial plan is blocked, saying why.
func TestCampaignRules(t *testing.T) {
	b, f := campaignBox(t, func(c *store.Config) {
		c.Classifiers = []store.Classifier{{Name: "nope", Action: "reject", Numbers: []string{"89160000009"}}}
	})
	now := time.Now()
	c := testCampaign("89160000008", "89160000009", "89160000001")
	c.Retry.Busy = store.RetryRule{AfterS: 10, Times: 1}
	if _, err := f.AddDoNotCall("89160000008", "test", now); err != nil {
		t.Fatal(err)
	}
	// Closed today: nothing is dialled.
	c.Window.Days = []string{[]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}[(int(now.UTC().Weekday())+1)%7]}
	if _, err := f.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	b.sip.none(t)
	// Open: the blacklisted and do-not-call numbers are skipped.
	if _, err := f.ChangeCampaign("spring", func(c *store.Campaign) error {
		c.Window.Days = append(c.Window.Days, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[now.UTC().Weekday()])
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	busy := expect(t, b.sip, "trunk:prov:89160000001")
	got, _ := f.Campaign("spring")
	if got.Contacts[0].Result != store.ContactDoNotCall || got.Contacts[1].Result != store.ContactBlacklist || got.Contacts[2].Attempts != 1 {
		t.Errorf("contacts %+v", got.Contacts)
	}
	busy.end(channel.CauseBusy)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ = f.Campaign("spring")
		if ct := got.Contacts[2]; ct.Result == store.ContactBusy {
			if ct.Done || ct.NextAt.Sub(ct.LastAt) < 10*time.Second {
				t.Errorf("a busy contact with a retry left %+v", ct)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no result")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Due again now, but paused: nothing.
	if _, err := f.ChangeCampaign("spring", func(c *store.Campaign) error {
		c.State, c.Contacts[2].NextAt = store.CampaignPaused, time.Time{}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b.sip.none(t)
	if _, err := f.ChangeCampaign("spring", func(c *store.Campaign) error { c.State = store.CampaignActive; return nil }); err != nil {
		t.Fatal(err)
	}
	again := expect(t, b.sip, "trunk:prov:89160000001")
	again.end(channel.CauseBusy)
	if ct := waitContact(t, f, "89160000001"); ct.Result != store.ContactBusy || ct.Attempts != 2 {
		t.Errorf("after the retry %+v", ct)
	}

	// A queue the store knows but the running plan does not: blocked.
	f.cfg.Queues = append(f.cfg.Queues, store.Queue{Name: "gone"})
	c2 := testCampaign("89160000005")
	c2.Name, c2.AnswerQueue = "autumn", "gone"
	if _, err := f.CreateCampaign(c2); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		got, err := f.Campaign("autumn")
		if errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
			t.Fatalf("autumn: %+v %v", got, err)
		}
		if got.State == store.CampaignBlocked {
			if !strings.Contains(got.BlockedReason, `"gone"`) {
				t.Errorf("blocked because %q", got.BlockedReason)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.sip.none(t)
}

// TestCampaignAnswerQueue: with an answer queue a person who answers is
// put through to its agent without the message.
func TestCampaignAnswerQueue(t *testing.T) {
	b, f := campaignBox(t, nil)
	c := testCampaign("89160000001")
	c.AnswerQueue, c.Prompts, c.OperatorQueue, c.OptOutKey = "ops", nil, "", false
	if _, err := f.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	contact := expect(t, b.sip, "trunk:prov:89160000001")
	contact.emit(channel.Event{Type: channel.EventAnswer})
	agent := expect(t, b.sip, "202")
	agent.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, contact, agent)
	agent.end(channel.CauseNormal)
	if ct := waitContact(t, f, "89160000001"); ct.Result != store.ContactConnected {
		t.Errorf("contact %+v", ct)
	}
}
