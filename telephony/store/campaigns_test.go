package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func validCampaign() Campaign {
	return Campaign{
		Name: "spring", State: CampaignDraft, Class: "local", MaxLines: 2, RingS: 20,
		Window:  CampaignWindow{Start: "09:00", End: "18:00", Days: []string{"mon", "tue", "wed", "thu", "fri"}},
		Retry:   CampaignRetry{Busy: RetryRule{AfterS: 60, Times: 2}, NoAnswer: RetryRule{AfterS: 600, Times: 1}},
		Prompts: []Prompt{{Tone: "1000", MS: 500}},
		Contacts: []CampaignContact{
			{Number: "5550101", Name: "Ann"}, {Number: "5550102"},
		},
	}
}

func TestParseContactsCSV(t *testing.T) {
	in := "\xef\xbb\xbfnumber,name\n" + // header (and a byte-order mark)
		"+1 (555) 010-1234,Ann\n" + // 2: good
		"hello,Bob\n" + // 3: not a number
		"5550102\n" + // 4: good, no name
		"\n" + // 5: blank
		"15550101234,Ann again\n" + // 6: duplicate of line 2
		"5550103,\"Carol \"\"C\"\" Smith\",extra\n" + // 7: good, quoted name, extra column
		"5550104,\"broken\n" // 8: quote never closed
	got, bad, err := ParseContactsCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []ContactRow{{2, CampaignContact{Number: "15550101234", Name: "Ann"}}, {4, CampaignContact{Number: "5550102"}}, {7, CampaignContact{Number: "5550103", Name: `Carol "C" Smith`}}}
	if !slices.Equal(got, want) {
		t.Errorf("contacts %+v, want %+v", got, want)
	}
	lines := []int{}
	for _, b := range bad {
		lines = append(lines, b.Line)
	}
	if !slices.Equal(lines, []int{3, 6, 8}) || !strings.Contains(bad[0].Message, "not a telephone number") || !strings.Contains(bad[1].Message, "line 2") {
		t.Errorf("bad rows %+v", bad)
	}
	// Semicolons, as spreadsheets in many countries write CSV.
	got, bad, err = ParseContactsCSV(strings.NewReader("5550101;Ann\n5550102;Bob\n"))
	if err != nil || len(bad) != 0 || len(got) != 2 || got[1].Name != "Bob" {
		t.Errorf("semicolons: %+v %+v %v", got, bad, err)
	}
	if _, _, err := ParseContactsCSV(strings.NewReader(strings.Repeat("5550101\n", 1) + strings.Repeat("x", maxContactsCSV))); err == nil {
		t.Error("a file beyond the size limit was read")
	}
}

func TestCampaignValidation(t *testing.T) {
	cfg := Config{Queues: []Queue{{Name: "sales"}}}
	if err := validCampaign().Validate(cfg); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(c *Campaign)
		field string
	}{
		{func(c *Campaign) { c.Name = "Spring!" }, "name"},
		{func(c *Campaign) { c.State = "running" }, "state"},
		{func(c *Campaign) { c.Class = "internal" }, "class"},
		{func(c *Campaign) { c.Window.Start = "9am" }, "window.start"},
		{func(c *Campaign) { c.Window.End = "08:00" }, "window.end"},
		{func(c *Campaign) { c.Window.Days = nil }, "window.days"},
		{func(c *Campaign) { c.Window.Days = []string{"mon", "mon"} }, "window.days[1]"},
		{func(c *Campaign) { c.MaxLines = 0 }, "max_lines"},
		{func(c *Campaign) { c.RingS = 500 }, "ring_s"},
		{func(c *Campaign) { c.Retry.Busy.Times = 99 }, "retry.busy.times"},
		{func(c *Campaign) { c.Retry.Failed = RetryRule{AfterS: 1, Times: 1} }, "retry.failed.after_s"},
		{func(c *Campaign) { c.Prompts = nil }, "prompts"},
		{func(c *Campaign) { c.Prompts = []Prompt{{File: "../x.wav"}} }, "prompts[0].file"},
		{func(c *Campaign) { c.OperatorQueue = "support" }, "operator_queue"},
		{func(c *Campaign) { c.AnswerQueue = "support" }, "answer_queue"},
		{func(c *Campaign) { c.AnswerQueue, c.Prompts, c.OnMachine = "sales", nil, MachineMessage }, "prompts"},
		{func(c *Campaign) { c.OnMachine = "shout" }, "on_machine"},
		{func(c *Campaign) { c.Contacts[1].Number = "5550101" }, "contacts[1].number"},
		{func(c *Campaign) { c.Contacts[0].Number = "call me" }, "contacts[0].number"},
		{func(c *Campaign) { c.CallerID = "office" }, "caller_id"},
		{func(c *Campaign) { c.BlockedReason = "why" }, "blocked_reason"},
	} {
		c := validCampaign()
		c.Contacts = slices.Clone(c.Contacts)
		tc.edit(&c)
		var v *ValidationError
		if err := c.Validate(cfg); !errors.As(err, &v) || !slices.ContainsFunc(v.Fields, func(f FieldError) bool { return f.Field == tc.field }) {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}

func TestCampaignStore(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.CreateCampaign(validCampaign())
	if err != nil || c.State != CampaignDraft {
		t.Fatalf("create: %+v %v", c, err)
	}
	if _, err := db.CreateCampaign(validCampaign()); err == nil {
		t.Error("a second campaign of the same name was created")
	}
	bad := validCampaign()
	bad.Name, bad.MaxLines = "other", 0
	if _, err := db.CreateCampaign(bad); err == nil {
		t.Error("an invalid campaign was created")
	}
	// A refused change changes nothing.
	if _, err := db.ChangeCampaign("spring", func(c *Campaign) error { c.MaxLines = -1; c.State = CampaignActive; return nil }); err == nil {
		t.Error("an invalid change was stored")
	}
	if c, _ := db.Campaign("spring"); c.State != CampaignDraft || c.MaxLines != 2 {
		t.Errorf("after a refused change: %+v", c)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c, err = db.ChangeCampaign("spring", func(c *Campaign) error {
		c.State = CampaignActive
		c.Contacts[0].Result, c.Contacts[0].Attempts, c.Contacts[0].Done, c.Contacts[0].LastAt = ContactBusy, 1, false, now
		return nil
	})
	if err != nil || c.State != CampaignActive {
		t.Fatal(err)
	}
	back, err := db.Campaign("spring")
	if err != nil || back.Contacts[0].Result != ContactBusy || !back.Contacts[0].LastAt.Equal(now) {
		t.Errorf("stored %+v %v", back, err)
	}
	if p := back.Progress(); p.Total != 2 || p.Pending != 2 || p.Results[ContactBusy] != 1 || p.Results["pending"] != 1 {
		t.Errorf("progress %+v", p)
	}
	if all, err := db.Campaigns(); err != nil || len(all) != 1 {
		t.Errorf("campaigns %v %v", all, err)
	}
	if err := db.DeleteCampaign("spring"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Campaign("spring"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestDoNotCall(t *testing.T) {
	db, _ := openTemp(t)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if _, err := db.AddDoNotCall("+1 555-0101", "opted out in spring", now); err != nil {
		t.Fatal(err)
	}
	if on, _ := db.OnDoNotCall("15550101"); !on {
		t.Error("the number is not on the list")
	}
	if _, err := db.AddDoNotCall("not a number", "", now); err == nil {
		t.Error("a word went on the list")
	}
	if l, _ := db.DoNotCallList(); len(l) != 1 || l[0].Why != "opted out in spring" {
		t.Errorf("list %+v", l)
	}
	if err := db.RemoveDoNotCall("15550101"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveDoNotCall("15550101"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second removal: %v", err)
	}
}

func TestCampaignWindow(t *testing.T) {
	w := CampaignWindow{Start: "09:00", End: "17:30", Days: []string{"mon"}}
	mon := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{mon.Add(9 * time.Hour), true},
		{mon.Add(8*time.Hour + 59*time.Minute), false},
		{mon.Add(17*time.Hour + 29*time.Minute), true},
		{mon.Add(17*time.Hour + 30*time.Minute), false},
		{mon.Add(24*time.Hour + 10*time.Hour), false}, // Tuesday
	} {
		if got := w.InWindow(tc.at); got != tc.want {
			t.Errorf("%v: %v", tc.at, got)
		}
	}
}

// FuzzParseContactsCSV: any input gives contacts that are valid, unique
// numbers and bad rows with line numbers, never a panic.
func FuzzParseContactsCSV(f *testing.F) {
	f.Add("number,name\n5550101,Ann\nhello\n5550101,dup\n")
	f.Add("5550101;Ann\n\"5550102\";\"B\"\"ob\"\n")
	f.Add("\"unclosed\n5550103\n")
	f.Add("\xef\xbb\xbf+44 (20) 7946-0958,Bé\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, bad, err := ParseContactsCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range got {
			if ContactNumber(c.Number) != c.Number || seen[c.Number] || c.Line < 1 {
				t.Fatalf("contact %+v", c)
			}
			seen[c.Number] = true
		}
		for _, b := range bad {
			if b.Line < 1 || b.Message == "" {
				t.Fatalf("bad row %+v", b)
			}
		}
		c := validCampaign()
		c.Contacts = nil
		for _, r := range got {
			c.Contacts = append(c.Contacts, r.CampaignContact)
		}
		if err := c.Validate(Config{}); err != nil && len(got) <= MaxCampaignContacts {
			t.Fatalf("imported contacts do not validate: %v", err)
		}
	})
}

// FuzzCampaignValidate: any campaign document decodes and validates
// without a panic; one that validates encodes and validates again the
// same.
func FuzzCampaignValidate(f *testing.F) {
	f.Add(`{"name": "spring", "state": "draft", "class": "local", "max_lines": 2, "window": {"start": "09:00", "end": "18:00", "days": ["mon"]}, "prompts": [{"tone": "1000", "ms": 500}], "contacts": [{"number": "5550101"}]}`)
	f.Add(`{"name": "x", "state": "active", "class": "national", "max_lines": 1, "window": {"start": "24:00", "end": "00:00", "days": []}, "answer_queue": "sales"}`)
	cfg := Config{Queues: []Queue{{Name: "sales"}}}
	f.Fuzz(func(t *testing.T, doc string) {
		var c Campaign
		if strictUnmarshal([]byte(doc), &c) != nil {
			return
		}
		if c.Validate(cfg) != nil {
			return
		}
		enc, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Campaign
		if err := strictUnmarshal(enc, &back); err != nil || back.Validate(cfg) != nil {
			t.Fatalf("a valid campaign does not come back: %s (%v)", enc, err)
		}
	})
}

// BenchmarkCampaignResult: writing one call's result to a campaign of
// the largest size (read, validate, encode, write, sync).
func BenchmarkCampaignResult(b *testing.B) {
	db, _ := openTemp(b)
	c := validCampaign()
	c.Contacts = nil
	for i := range MaxCampaignContacts {
		c.Contacts = append(c.Contacts, CampaignContact{Number: fmt.Sprintf("5%07d", i), Name: "Contact name"})
	}
	if _, err := db.CreateCampaign(c); err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		n++
		if _, err := db.ChangeCampaign(c.Name, func(c *Campaign) error {
			c.Contacts[n%MaxCampaignContacts].Attempts++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCampaignAudit: an account's changes to a campaign and to the
// do-not-call list are in the audit log with their diff; the
// auto-dialer's own result writes are not.
func TestCampaignAudit(t *testing.T) {
	db, _ := openTemp(t)
	anna := db.As(Actor{Login: "anna", Role: RoleInstaller, Via: "web"})
	if _, err := anna.CreateCampaign(validCampaign()); err != nil {
		t.Fatal(err)
	}
	if _, err := anna.ChangeCampaign("spring", func(c *Campaign) error { c.MaxLines = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ChangeCampaign("spring", func(c *Campaign) error { c.Contacts[0].Attempts = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := anna.AddDoNotCall("5550199", "asked", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := anna.DeleteCampaign("spring"); err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.Actor+" "+e.Section+" "+e.Target+": "+strings.Join(e.Changes, "; "))
	}
	want := []string{"anna campaigns spring: deleted", "anna do_not_call 5550199: added: asked", "anna campaigns spring: max_lines: 2 → 3"}
	if len(got) != 4 || !slices.Equal(got[:3], want) || !strings.HasPrefix(got[3], "anna campaigns spring: created") {
		t.Errorf("audit log:\n%s", strings.Join(got, "\n"))
	}
}

// BenchmarkCampaignsRead: what the auto-dialer reads every tick, with
// one campaign of the largest size.
func BenchmarkCampaignsRead(b *testing.B) {
	db, _ := openTemp(b)
	c := validCampaign()
	c.Contacts = nil
	for i := range MaxCampaignContacts {
		c.Contacts = append(c.Contacts, CampaignContact{Number: fmt.Sprintf("5%07d", i), Name: "Contact name"})
	}
	if _, err := db.CreateCampaign(c); err != nil {
		b.Fatal(err)
	}
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Campaigns(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("heads", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.CampaignHeads(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
