package store

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"minipbx/telephony/dialplan"

	"go.etcd.io/bbolt"
)

// Campaigns: the auto-dialer (config.md, "Campaigns"). A campaign calls
// a list of contacts through the outbound routes within a time window,
// a few lines at a time, retrying by the result, and on answer plays a
// message with an optional keypad menu. A campaign and its contacts'
// results live in their own bucket, apart from the configuration
// document: they change with every call the campaign places, and a
// configuration import must not reset them. The do-not-call list has a
// bucket of its own too; every campaign respects it.

// Campaign states.
const (
	// CampaignDraft is being set up: it places no call.
	CampaignDraft = "draft"
	// CampaignBlocked cannot run: something it needs is missing (its
	// queue, a route for its numbers); BlockedReason says what. The box
	// sets it; making the campaign active again tries anew.
	CampaignBlocked = "blocked"
	// CampaignActive places calls within its window.
	CampaignActive = "active"
	// CampaignPaused places no new call; calls in progress go on.
	CampaignPaused = "paused"
	// CampaignCompleted has a final result for every contact.
	CampaignCompleted = "completed"
)

// CampaignStates lists the states.
func CampaignStates() []string {
	return []string{CampaignDraft, CampaignBlocked, CampaignActive, CampaignPaused, CampaignCompleted}
}

// What a campaign does with a call an answering machine took
// (on_machine).
const (
	// MachineHangup ends the call once a machine is recognised.
	MachineHangup = "hangup"
	// MachineMessage waits for the machine's greeting to end, then
	// plays the message (it is left on the machine).
	MachineMessage = "message"
	// MachineIgnore does not listen for machines: every answer is a
	// person's.
	MachineIgnore = "ignore"
)

// Contact results. A contact with a final result (Done) is not called
// again; busy, no_answer and failed are retried by the campaign's
// rules until their tries run out.
const (
	ContactAnswered  = "answered"    // a person heard the message
	ContactConnected = "connected"   // a person was put through to the answer queue
	ContactOperator  = "operator"    // pressed 1: sent to the operator queue
	ContactOptedOut  = "opted_out"   // pressed 9: now on the do-not-call list
	ContactMachine   = "machine"     // an answering machine answered
	ContactBusy      = "busy"        // the number was busy
	ContactNoAnswer  = "no_answer"   // nobody answered within ring_s
	ContactFailed    = "failed"      // the call could not be placed (no line, congestion)
	ContactBlacklist = "blacklisted" // on a blacklist caller list: not called
	ContactDoNotCall = "do_not_call" // on the do-not-call list: not called
	ContactNoRoute   = "no_route"    // no outbound route takes the number within the class
	ContactHungUp    = "hung_up"     // answered and hung up before the message ended
)

// Limits of campaigns.
const (
	MaxCampaigns        = 50
	MaxCampaignContacts = 5000
	MaxCampaignLines    = 30
	MaxCampaignRetries  = 10
	MaxCampaignRetryS   = 7 * 24 * 3600
	DefaultCampaignRing = 30
	maxContactName      = 64
	maxContactNumber    = 32
	maxContactsCSV      = 4 << 20
)

// Campaign is one auto-dialer campaign: its settings, its state and its
// contacts with their results.
type Campaign struct {
	Name  string `json:"name"`
	State string `json:"state"`
	// BlockedReason says why the box blocked the campaign.
	BlockedReason string `json:"blocked_reason,omitempty"`
	// CallerID is the number the called parties see ("": the outbound
	// route's).
	CallerID string `json:"caller_id,omitempty"`
	// Class bounds the numbers it may call: local, national or
	// international.
	Class string `json:"class"`
	// Window is when it calls, in the box's time zone.
	Window CampaignWindow `json:"window"`
	// MaxLines is how many of its calls may be up at once.
	MaxLines int `json:"max_lines"`
	// RingS is how long a contact rings before no_answer (default 30).
	RingS int `json:"ring_s,omitempty"`
	// Retry says when a contact is called again, by result.
	Retry CampaignRetry `json:"retry"`
	// AnswerQueue, when set, connects a person who answers to this
	// queue's agents at once, without the message (which then serves
	// only answering machines, by OnMachine).
	AnswerQueue string `json:"answer_queue,omitempty"`
	// Prompts are the message an answering contact hears.
	Prompts []Prompt `json:"prompts,omitempty"`
	// OperatorQueue, when set, is the queue key 1 sends the contact to
	// (during or after the message).
	OperatorQueue string `json:"operator_queue,omitempty"`
	// OptOutKey: key 9 puts the contact on the do-not-call list.
	OptOutKey bool `json:"opt_out_key,omitempty"`
	// OnMachine is what an answering machine gets: hangup, message or
	// ignore (no detection). Default hangup.
	OnMachine string `json:"on_machine,omitempty"`
	// Contacts are the numbers to call, in order, with their results.
	Contacts []CampaignContact `json:"contacts"`
	// Revision counts the campaign's writes (the store sets it): a
	// reader that saw one revision knows nothing changed since.
	Revision uint64 `json:"revision,omitempty"`
}

// CampaignWindow is when a campaign calls: from Start to End ("HH:MM",
// End after Start) on Days (mon, tue, ... sun).
type CampaignWindow struct {
	Start string   `json:"start"`
	End   string   `json:"end"`
	Days  []string `json:"days"`
}

// CampaignRetry holds a retry rule per result.
type CampaignRetry struct {
	Busy     RetryRule `json:"busy"`
	NoAnswer RetryRule `json:"no_answer"`
	Failed   RetryRule `json:"failed"`
}

// RetryRule: call again AfterS seconds later, at most Times more times.
type RetryRule struct {
	AfterS int `json:"after_s"`
	Times  int `json:"times"`
}

// For is the rule of a result ("" and false for a final result).
func (r CampaignRetry) For(result string) (RetryRule, bool) {
	switch result {
	case ContactBusy:
		return r.Busy, true
	case ContactNoAnswer:
		return r.NoAnswer, true
	case ContactFailed:
		return r.Failed, true
	}
	return RetryRule{}, false
}

// CampaignContact is one number of a campaign and how calling it went.
type CampaignContact struct {
	Number string `json:"number"`
	Name   string `json:"name,omitempty"`
	// Result is the last call's result ("": not called yet).
	Result string `json:"result,omitempty"`
	// Attempts counts the calls placed to it.
	Attempts int `json:"attempts,omitempty"`
	// Done: Result is final; the contact is not called again.
	Done bool `json:"done,omitempty"`
	// LastAt is when it was last called; NextAt is when it may be
	// called again (zero: at once).
	LastAt time.Time `json:"last_at,omitzero"`
	NextAt time.Time `json:"next_at,omitzero"`
	// CallID is the last call's ID (status page, webhooks).
	CallID string `json:"call_id,omitempty"`
}

// Ring is how long a contact rings.
func (c Campaign) Ring() time.Duration {
	if c.RingS <= 0 {
		return DefaultCampaignRing * time.Second
	}
	return time.Duration(c.RingS) * time.Second
}

// Machine is OnMachine with its default.
func (c Campaign) Machine() string {
	if c.OnMachine == "" {
		return MachineHangup
	}
	return c.OnMachine
}

// CampaignProgress counts a campaign's contacts by result.
type CampaignProgress struct {
	Total   int            `json:"total"`
	Done    int            `json:"done"`
	Pending int            `json:"pending"`
	Results map[string]int `json:"results"`
}

// Progress counts the contacts by result ("pending" for those not called
// yet).
func (c Campaign) Progress() CampaignProgress {
	p := CampaignProgress{Total: len(c.Contacts), Results: map[string]int{}}
	for _, ct := range c.Contacts {
		if ct.Done {
			p.Done++
		} else {
			p.Pending++
		}
		r := ct.Result
		if r == "" {
			r = "pending"
		}
		p.Results[r]++
	}
	return p
}

// weekdays are the window's day names, Sunday first as time.Weekday.
func weekdays() []string { return []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} }

// InWindow reports whether t (in the box's zone) is within the window.
func (w CampaignWindow) InWindow(t time.Time) bool {
	if !slices.Contains(w.Days, weekdays()[t.Weekday()]) {
		return false
	}
	start, ok1 := clockMinutes(w.Start)
	end, ok2 := clockMinutes(w.End)
	now := t.Hour()*60 + t.Minute()
	return ok1 && ok2 && now >= start && now < end
}

// clockMinutes reads "HH:MM" as minutes after midnight ("24:00" is the
// end of the day).
func clockMinutes(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, m := 0, 0
	for i, c := range []byte(s) {
		if i == 2 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h = int(s[0]-'0')*10 + int(s[1]-'0')
	m = int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

// ContactNumber is a contact's number as it is dialled: digits, '*'
// and '#' with the spaces, dashes, dots, brackets and a leading '+' of
// how people write numbers taken out; "" when it is not a number.
func ContactNumber(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9' || r == '*' || r == '#':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	n := b.String()
	if len(n) < 2 || len(n) > maxContactNumber || !dialplan.IsDialString(n) {
		return ""
	}
	return n
}

// checkCampaign validates a campaign against the configuration (its
// queue must exist), problems relative to the campaign.
func checkCampaign(c Campaign, cfg Config, add func(path, format string, args ...any)) {
	if err := dialplan.CheckName(c.Name); err != nil {
		add("name", "%v", err)
	}
	if !slices.Contains(CampaignStates(), c.State) {
		add("state", "must be one of %s", strings.Join(CampaignStates(), ", "))
	}
	if c.State != CampaignBlocked && c.BlockedReason != "" {
		add("blocked_reason", "only a blocked campaign has one")
	}
	if c.CallerID != "" && ContactNumber(c.CallerID) != c.CallerID {
		add("caller_id", "must be a number: digits, * or #")
	}
	if !slices.Contains(outsideClasses, c.Class) {
		add("class", "must be local, national or international")
	}
	start, ok1 := clockMinutes(c.Window.Start)
	end, ok2 := clockMinutes(c.Window.End)
	if !ok1 {
		add("window.start", "must be a time HH:MM")
	}
	if !ok2 {
		add("window.end", "must be a time HH:MM (24:00 for the end of the day)")
	}
	if ok1 && ok2 && end <= start {
		add("window.end", "must be after the start")
	}
	if len(c.Window.Days) == 0 {
		add("window.days", "name at least one day: mon, tue, wed, thu, fri, sat, sun")
	}
	for i, d := range c.Window.Days {
		if !slices.Contains(weekdays(), d) {
			add(fmt.Sprintf("window.days[%d]", i), "%q is not one of mon, tue, wed, thu, fri, sat, sun", d)
		} else if slices.Index(c.Window.Days, d) != i {
			add(fmt.Sprintf("window.days[%d]", i), "%s is listed twice", d)
		}
	}
	if c.MaxLines < 1 || c.MaxLines > MaxCampaignLines {
		add("max_lines", "must be 1 to %d", MaxCampaignLines)
	}
	if c.RingS != 0 && (c.RingS < 5 || c.RingS > 120) {
		add("ring_s", "must be 5 to 120 seconds (0: %d)", DefaultCampaignRing)
	}
	for _, r := range []struct {
		name string
		rule RetryRule
	}{{"busy", c.Retry.Busy}, {"no_answer", c.Retry.NoAnswer}, {"failed", c.Retry.Failed}} {
		if r.rule.Times < 0 || r.rule.Times > MaxCampaignRetries {
			add("retry."+r.name+".times", "must be 0 to %d", MaxCampaignRetries)
		}
		if r.rule.AfterS < 0 || r.rule.AfterS > MaxCampaignRetryS {
			add("retry."+r.name+".after_s", "must be 0 to %d seconds", MaxCampaignRetryS)
		}
		if r.rule.Times > 0 && r.rule.AfterS < 10 {
			add("retry."+r.name+".after_s", "must be at least 10 seconds when the call is retried")
		}
	}
	switch {
	case len(c.Prompts) == 0 && c.AnswerQueue == "":
		add("prompts", "the message is required (what an answering contact hears), unless answer_queue puts people through to agents")
	case len(c.Prompts) == 0 && c.OnMachine == MachineMessage:
		add("prompts", "on_machine message needs a message to leave")
	}
	checkPrompts("prompts", c.Prompts, add)
	hasQueue := func(name string) bool {
		return slices.ContainsFunc(cfg.Queues, func(q Queue) bool { return q.Name == name })
	}
	if c.OperatorQueue != "" && !hasQueue(c.OperatorQueue) {
		add("operator_queue", "there is no queue %q", c.OperatorQueue)
	}
	if c.AnswerQueue != "" && !hasQueue(c.AnswerQueue) {
		add("answer_queue", "there is no queue %q", c.AnswerQueue)
	}
	switch c.OnMachine {
	case "", MachineHangup, MachineMessage, MachineIgnore:
	default:
		add("on_machine", "must be hangup, message or ignore")
	}
	if len(c.Contacts) > MaxCampaignContacts {
		add("contacts", "at most %d contacts", MaxCampaignContacts)
	}
	seen := make(map[string]int, len(c.Contacts))
	for i, ct := range c.Contacts {
		p := fmt.Sprintf("contacts[%d].", i)
		if ContactNumber(ct.Number) != ct.Number {
			add(p+"number", "must be a number: digits, * or #")
		} else if j, dup := seen[ct.Number]; dup {
			add(p+"number", "%s is contacts[%d] already", ct.Number, j)
		}
		seen[ct.Number] = i
		if len(ct.Name) > maxContactName || !validText(ct.Name) {
			add(p+"name", "at most %d printable characters", maxContactName)
		}
		if ct.Attempts < 0 {
			add(p+"attempts", "must not be negative")
		}
	}
}

// validText: printable, one line.
func validText(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\uFFFD' })
}

// Validate checks the campaign on its own and against cfg, a
// *ValidationError naming each problem relative to it.
func (c Campaign) Validate(cfg Config) error {
	v := &ValidationError{}
	checkCampaign(c, cfg, v.add)
	return v.err()
}

const (
	bucketCampaigns = "campaigns" // name → Campaign
	// bucketCampaignHeads holds each campaign without its contacts
	// (CampaignHeads).
	bucketCampaignHeads = "campaign_heads"
	bucketDoNotCall     = "do_not_call" // number → DoNotCall
)

// Campaigns returns every campaign, by name.
func (db *DB) Campaigns() ([]Campaign, error) {
	out := []Campaign{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketCampaigns))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var c Campaign
			if err := decodeValue("campaign", v, db.schema, &c); err != nil {
				return &valueError{bucketCampaigns, string(k), err}
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	return out, nil
}

// CampaignHeads returns every campaign without its contacts: what the
// auto-dialer looks at every second. Each campaign's settings and state
// are kept a second time, without the contacts, in a bucket of their own
// written in the same transaction, so this reads a few hundred bytes a
// campaign, not thousands of contacts (and with Revision the reader
// knows when nothing changed).
func (db *DB) CampaignHeads() ([]Campaign, error) {
	out := []Campaign{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketCampaignHeads))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var c Campaign
			if err := decodeValue("campaign", v, db.schema, &c); err != nil {
				return &valueError{bucketCampaignHeads, string(k), err}
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	return out, nil
}

// putCampaign stores c and its head.
func putCampaign(tx *bbolt.Tx, b *bbolt.Bucket, c Campaign) error {
	if err := putValue(b, c.Name, c); err != nil {
		return err
	}
	heads, err := tx.CreateBucketIfNotExists([]byte(bucketCampaignHeads))
	if err != nil {
		return err
	}
	c.Contacts = []CampaignContact{}
	return putValue(heads, c.Name, c)
}

// Campaign returns campaign name (ErrNotFound when none).
func (db *DB) Campaign(name string) (Campaign, error) {
	var c Campaign
	err := db.bolt.View(func(tx *bbolt.Tx) error { return readCampaign(tx, db.schema, name, &c) })
	if err != nil {
		return Campaign{}, fmt.Errorf("store: campaign %q: %w", name, err)
	}
	return c, nil
}

func readCampaign(tx *bbolt.Tx, schema int, name string, c *Campaign) error {
	b := tx.Bucket([]byte(bucketCampaigns))
	if b == nil {
		return ErrNotFound
	}
	raw := b.Get([]byte(name))
	if raw == nil {
		return ErrNotFound
	}
	return decodeValue("campaign", raw, schema, c)
}

// CreateCampaign stores a new campaign (a draft unless it says
// otherwise). Problems are a *ValidationError relative to it; a name in
// use is a problem of "name".
func (db *DB) CreateCampaign(c Campaign) (Campaign, error) {
	if c.State == "" {
		c.State = CampaignDraft
	}
	if c.Contacts == nil {
		c.Contacts = []CampaignContact{}
	}
	err := db.campaignTx(func(tx *bbolt.Tx, b *bbolt.Bucket, cfg Config) error {
		v := &ValidationError{}
		checkCampaign(c, cfg, v.add)
		switch {
		case b.Get([]byte(c.Name)) != nil:
			v.add("name", "there is a campaign %q already", c.Name)
		case b.Stats().KeyN >= MaxCampaigns:
			v.add("name", "at most %d campaigns: delete one first", MaxCampaigns)
		}
		if err := v.err(); err != nil {
			return err
		}
		c.Revision = 1
		if err := putCampaign(tx, b, c); err != nil {
			return err
		}
		return db.auditCampaign(tx, c.Name, nil, &c)
	})
	if err != nil {
		return Campaign{}, err
	}
	return c, nil
}

// ChangeCampaign changes campaign name with fn in one transaction: the
// result is validated and stored only if fn succeeds and it is valid
// (its name cannot change). It returns the campaign as stored.
func (db *DB) ChangeCampaign(name string, fn func(c *Campaign) error) (Campaign, error) {
	var out Campaign
	err := db.campaignTx(func(tx *bbolt.Tx, b *bbolt.Bucket, cfg Config) error {
		var c, before Campaign
		if err := readCampaign(tx, db.schema, name, &c); err != nil {
			return err
		}
		before.Revision = c.Revision
		if db.actor.Login != "" {
			before = c
			before.Contacts = slices.Clone(c.Contacts)
		}
		if err := fn(&c); err != nil {
			return err
		}
		if c.Name != name {
			return &ValidationError{Fields: []FieldError{{Field: "name", Message: "a campaign's name cannot change"}}}
		}
		if c.Contacts == nil {
			c.Contacts = []CampaignContact{}
		}
		if err := c.Validate(cfg); err != nil {
			return err
		}
		c.Revision = before.Revision + 1
		out = c
		if err := putCampaign(tx, b, c); err != nil {
			return err
		}
		return db.auditCampaign(tx, name, &before, &c)
	})
	if err != nil {
		return Campaign{}, err
	}
	return out, nil
}

// DeleteCampaign removes campaign name (ErrNotFound when none).
func (db *DB) DeleteCampaign(name string) error {
	return db.campaignTx(func(tx *bbolt.Tx, b *bbolt.Bucket, _ Config) error {
		var c Campaign
		if err := readCampaign(tx, db.schema, name, &c); err != nil {
			return err
		}
		if err := b.Delete([]byte(name)); err != nil {
			return err
		}
		if heads := tx.Bucket([]byte(bucketCampaignHeads)); heads != nil {
			if err := heads.Delete([]byte(name)); err != nil {
				return err
			}
		}
		return db.auditCampaign(tx, name, &c, nil)
	})
}

// auditCampaign writes the audit entry of a change to campaign name
// made by an account (nil before: created; nil after: deleted). The
// auto-dialer's own writes — results, blocked, completed, made by the
// box itself — are the campaign's progress, not changes, and are not
// logged (they would push everything else out of the log).
func (db *DB) auditCampaign(tx *bbolt.Tx, name string, before, after *Campaign) error {
	if db.actor.Login == "" {
		return nil
	}
	var bm, am map[string]any
	for _, x := range []struct {
		c   *Campaign
		out *map[string]any
	}{{before, &bm}, {after, &am}} {
		if x.c == nil {
			continue
		}
		c := *x.c
		c.Revision = 0 // bookkeeping, not a change
		if err := genericOf(c, x.out); err != nil {
			return err
		}
	}
	lines := diffLines(bm, am, "")
	switch {
	case before == nil:
		lines = append([]string{"created"}, lines...)
	case after == nil:
		lines = []string{"deleted"}
	case len(lines) == 0:
		return nil
	}
	return db.appendAudit(tx, AuditEntry{Action: AuditChange, Section: "campaigns", Target: name, Changes: lines})
}

// campaignTx runs fn in a write transaction with the campaigns' bucket
// and the configuration they are checked against.
func (db *DB) campaignTx(fn func(tx *bbolt.Tx, b *bbolt.Bucket, cfg Config) error) error {
	if db.readOnly {
		return ErrReadOnly
	}
	cfg, err := db.Config()
	if err != nil {
		return err
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketCampaigns))
		if err != nil {
			return err
		}
		return fn(tx, b, cfg)
	})
	var v *ValidationError
	if err != nil && !errors.As(err, &v) {
		return fmt.Errorf("store: campaigns: %w", err)
	}
	return err
}

// DoNotCall is a number no campaign calls.
type DoNotCall struct {
	Number string    `json:"number"`
	Added  time.Time `json:"added"`
	// Why says how it got there ("opted out in campaign spring",
	// "added by admin").
	Why string `json:"why,omitempty"`
}

// DoNotCallList returns the do-not-call list, by number.
func (db *DB) DoNotCallList() ([]DoNotCall, error) {
	out := []DoNotCall{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketDoNotCall))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var d DoNotCall
			if err := decodeValue("do_not_call", v, db.schema, &d); err != nil {
				return &valueError{bucketDoNotCall, string(k), err}
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: do-not-call list: %w", err)
	}
	return out, nil
}

// OnDoNotCall reports whether number is on the do-not-call list.
func (db *DB) OnDoNotCall(number string) (bool, error) {
	var on bool
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte(bucketDoNotCall)); b != nil {
			on = b.Get([]byte(number)) != nil
		}
		return nil
	})
	return on, err
}

// AddDoNotCall puts number on the do-not-call list (a number already on
// it keeps its entry). A number that is not one is a *ValidationError.
func (db *DB) AddDoNotCall(number, why string, now time.Time) (DoNotCall, error) {
	n := ContactNumber(number)
	if n == "" || len(why) > 200 || !validText(why) {
		f := FieldError{Field: "number", Message: "must be a number: digits, * or #"}
		if n != "" {
			f = FieldError{Field: "why", Message: "at most 200 printable characters"}
		}
		return DoNotCall{}, &ValidationError{Fields: []FieldError{f}}
	}
	if db.readOnly {
		return DoNotCall{}, ErrReadOnly
	}
	d := DoNotCall{Number: n, Added: now.UTC().Truncate(time.Second), Why: why}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketDoNotCall))
		if err != nil {
			return err
		}
		if raw := b.Get([]byte(n)); raw != nil {
			return decodeValue("do_not_call", raw, db.schema, &d)
		}
		if err := putValue(b, n, d); err != nil {
			return err
		}
		return db.auditDoNotCall(tx, n, "added: "+why)
	})
	if err != nil {
		return DoNotCall{}, fmt.Errorf("store: do-not-call list: %w", err)
	}
	return d, nil
}

// RemoveDoNotCall takes number off the do-not-call list (ErrNotFound
// when it is not on it).
func (db *DB) RemoveDoNotCall(number string) error {
	if db.readOnly {
		return ErrReadOnly
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketDoNotCall))
		if b == nil || b.Get([]byte(number)) == nil {
			return ErrNotFound
		}
		if err := b.Delete([]byte(number)); err != nil {
			return err
		}
		return db.auditDoNotCall(tx, number, "removed")
	})
	if err != nil {
		return fmt.Errorf("store: do-not-call list %s: %w", number, err)
	}
	return nil
}

// auditDoNotCall writes the audit entry of a change to the do-not-call
// list: by an account, or by a contact who opted out (the box itself).
func (db *DB) auditDoNotCall(tx *bbolt.Tx, number, what string) error {
	return db.appendAudit(tx, AuditEntry{Action: AuditChange, Section: "do_not_call", Target: number, Changes: []string{what}})
}

// CSVRowError is a row of a contact list that was not imported.
type CSVRowError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// ContactRow is a contact read from a list, with its line there.
type ContactRow struct {
	Line int
	CampaignContact
}

// ParseContactsCSV reads a contact list: one contact a row, the number
// first and an optional name second (more columns are ignored); a first
// row whose first field is not a number is a header. Rows that are not
// contacts (a bad number, a duplicate, a quoting error) are returned
// with their line numbers, and the good rows are kept. It fails only
// when the input is too large to be a contact list or has too many
// contacts.
func ParseContactsCSV(r io.Reader) (contacts []ContactRow, bad []CSVRowError, err error) {
	data, err := io.ReadAll(io.LimitReader(r, maxContactsCSV+1))
	if err != nil {
		return nil, nil, fmt.Errorf("contacts: %w", err)
	}
	if len(data) > maxContactsCSV {
		return nil, nil, fmt.Errorf("contacts: the file is larger than %d MiB", maxContactsCSV>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a spreadsheet's byte-order mark
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if bytes.Count(data, []byte(";")) > bytes.Count(data, []byte(",")) {
		cr.Comma = ';' // as spreadsheets in many countries write CSV
	}
	seen := map[string]int{}
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, CSVRowError{Line: pe.Line, Message: pe.Err.Error()})
				first = false
				continue
			}
			return nil, nil, fmt.Errorf("contacts: %w", err)
		}
		line, _ := cr.FieldPos(0)
		isHeader := first
		first = false
		if len(rec) == 0 || len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		number := ContactNumber(rec[0])
		if number == "" {
			if isHeader {
				continue
			}
			bad = append(bad, CSVRowError{Line: line, Message: fmt.Sprintf("%q is not a telephone number", clipField(rec[0]))})
			continue
		}
		name := ""
		if len(rec) > 1 {
			name = strings.TrimSpace(rec[1])
		}
		if len(name) > maxContactName || !validText(name) {
			bad = append(bad, CSVRowError{Line: line, Message: fmt.Sprintf("the name must be at most %d printable characters", maxContactName)})
			continue
		}
		if l, dup := seen[number]; dup {
			bad = append(bad, CSVRowError{Line: line, Message: fmt.Sprintf("%s is on line %d already", number, l)})
			continue
		}
		seen[number] = line
		if len(contacts) >= MaxCampaignContacts {
			return nil, nil, fmt.Errorf("contacts: more than %d contacts", MaxCampaignContacts)
		}
		contacts = append(contacts, ContactRow{line, CampaignContact{Number: number, Name: name}})
	}
	return contacts, bad, nil
}

// clipField shortens a field for a message, at a rune boundary.
func clipField(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
