package webui

import (
	"html"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// profileValues are the extension page's fields as the browser posts
// them.
var profileIDs = []string{"name", "secret", "require_encryption", "fxs_port", "language", "outside_calls", "class", "outbound_caller_id", "outbound_caller_name",
	"mailbox", "pin", "skip_pin", "email", "delete_after_email", "mailbox_language", "forward_always", "forward_busy", "forward_no_answer", "no_answer_s", "forward_unavailable", "forward_caller_id",
	"follow_me[0].destination", "follow_me[0].ring_s", "follow_me[0].off", "follow_me[1].destination", "follow_me[1].ring_s", "follow_me[1].off", "follow_me_schedule",
	"dnd", "call_waiting", "moh_class", "record"}

// TestExtensionPage: one page shows and edits everything about an
// extension — SIP account, port, class, mailbox, forwarding, follow-me,
// call handling — saved in one transaction; a refused save keeps what was
// typed with each problem beside its field and changes nothing; the
// page as shown, posted back, changes nothing either.
func TestExtensionPage(t *testing.T) {
	c, db := dialPlanClient(t)
	everyKindPlan(t, db)
	page := c.get("/extensions/105").Body.String()
	for _, id := range []string{"section-phone", "section-voicemail", "section-forwarding", "section-follow-me", "section-handling"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("the page lacks %s", id)
		}
	}
	before, _ := db.Config()
	if w := c.post("/extensions/105", formValues(t, page, profileIDs...)); w.Code != http.StatusSeeOther {
		t.Fatalf("posted back as shown: %d %s", w.Code, w.Body)
	}
	if after, _ := db.Config(); !reflect.DeepEqual(after, before) {
		t.Errorf("the page posted back as shown changed the configuration:\n%+v\n%+v", after.ExtensionRules, before.ExtensionRules)
	}

	v := formValues(t, page, profileIDs...)
	v.Set("name", "Sales desk 2")
	v.Set("class", "national")
	v.Set("forward_busy", "voicemail:105")
	v.Set("forward_no_answer", "number:")
	v.Set("forward_no_answer.number", "89161234567")
	v.Set("no_answer_s", "15")
	v.Set("follow_me[0].destination", "ext:101")
	v.Set("follow_me[0].ring_s", "10")
	v.Set("dnd", "on")
	v.Set("skip_pin", "on")
	v.Set("pin", "") // keeps the stored 4826
	if w := c.post("/extensions/105", v); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/extensions/105" {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	p, _ := cfg.Profile("105")
	if p.Extension.Name != "Sales desk 2" || p.Rule == nil || p.Rule.Class != "national" || p.Rule.ForwardBusy != "voicemail:105" ||
		p.Rule.ForwardNoAnswer != "number:89161234567" || p.Rule.NoAnswerS != 15 || len(p.Rule.FollowMe) != 1 || !p.Rule.DND ||
		p.Mailbox == nil || p.Mailbox.PIN != "4826" || !p.Mailbox.SkipPIN {
		t.Fatalf("saved %+v %+v %+v", p.Extension, p.Rule, p.Mailbox)
	}

	// A follow-me number switched off (as its user does on their own
	// page) stays off when the page is saved as shown, and on again when
	// the box is cleared.
	cfg.ExtensionRules[slices.IndexFunc(cfg.ExtensionRules, func(r store.ExtensionRule) bool { return r.Extension == "105" })].FollowMe[0].Off = true
	if _, err := db.UpdateDialPlan(func(c *store.Config) error { c.ExtensionRules = cfg.ExtensionRules; return nil }); err != nil {
		t.Fatal(err)
	}
	shown := formValues(t, c.get("/extensions/105").Body.String(), profileIDs...)
	if shown.Get("follow_me[0].off") != "on" {
		t.Error("the page does not show the follow-me number switched off")
	}
	for _, off := range []string{"on", ""} {
		shown.Set("follow_me[0].off", off)
		if w := c.post("/extensions/105", shown); w.Code != http.StatusSeeOther {
			t.Fatalf("save with off=%q: %d %s", off, w.Code, w.Body)
		}
		cfg, _ = db.Config()
		if p, _ := cfg.Profile("105"); len(p.Rule.FollowMe) != 1 || p.Rule.FollowMe[0].Off != (off == "on") {
			t.Errorf("saved with off=%q: %+v", off, p.Rule.FollowMe)
		}
	}

	// Port 1 is 101's, and no mailbox means voicemail:105 leads nowhere:
	// both refused beside their fields, everything typed kept.
	before = cfg
	v.Set("fxs_port", "1")
	v.Del("mailbox")
	v.Set("name", "Typed name")
	w := c.post("/extensions/105", v)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad save: %d", w.Code)
	}
	body := w.Body.String()
	if got := fieldOf(t, body, "fxs_port"); !strings.Contains(got, "field-error") {
		t.Errorf("no error beside the port: %s", got)
	}
	if got := fieldOf(t, body, "forward_busy"); !strings.Contains(got, "has no mailbox") || !strings.Contains(got, `value="voicemail:105" selected`) {
		t.Errorf("no error beside busy forwarding: %s", got)
	}
	if got := fieldOf(t, body, "name"); !strings.Contains(got, `value="Typed name"`) {
		t.Errorf("typed name lost: %s", got)
	}
	if after, _ := db.Config(); !reflect.DeepEqual(after, before) {
		t.Error("a refused save changed the configuration")
	}
}

// TestDeleteExtensionInUse: deleting an extension a queue, a condition
// and a provisioned phone use is refused; the page names each, linked to its form (not
// "extension 105 does not exist" four times), and nothing is deleted. Its
// own rule and mailbox do not count: with no other user it goes, with them.
func TestDeleteExtensionInUse(t *testing.T) {
	c, db := dialPlanClient(t)
	everyKindPlan(t, db)
	if _, err := db.SetPhone(store.Phone{MAC: "001565a1b2c3", Extension: "105", Template: "yealink"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateAccount(store.Account{Login: "105", Role: store.RoleUser}, ""); err != nil {
		t.Fatal(err)
	}
	if page := html.UnescapeString(c.get("/extensions/105").Body.String()); !strings.Contains(page, `<a href="/users/105">web account 105</a>`) {
		t.Error("the extension's page does not say its web account uses it")
	}
	page := html.UnescapeString(c.get("/extensions/105/delete").Body.String())
	for _, want := range []string{`<a href="/dialplan/queues/0/edit?of=support">queue support, member 1</a>`,
		`<a href="/dialplan/conditions/0/edit?of=boss">condition boss, destination</a>`,
		`<a href="/phones#phone-001565a1b2c3">provisioned phone 001565a1b2c3</a>`, `<a href="/users/105">web account 105</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the delete page does not say %s", want)
		}
	}
	w := c.post("/extensions/105/delete", nil)
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusConflict || strings.Contains(body, "does not exist") || !strings.Contains(body, "queue support, member 1") || !strings.Contains(body, "web account 105") {
		t.Errorf("delete in use: %d %s", w.Code, body)
	}
	if cfg, _ := db.Config(); len(cfg.Extensions) != 3 {
		t.Fatal("an extension in use was deleted")
	}
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.Queues, cfg.Conditions, cfg.Provisioning.Phones = nil, nil, nil
		cfg.ExtensionRules = []store.ExtensionRule{{Extension: "105", ForwardBusy: "voicemail:105"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount("105"); err != nil {
		t.Fatal(err)
	}
	c.get("/extensions")
	if w := c.post("/extensions/105/delete", url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("an extension used only by its own rule and mailbox: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); len(cfg.ExtensionRules) != 0 || len(cfg.Voicemail.Boxes) != 0 {
		t.Errorf("its rule and mailbox stayed: %+v %+v", cfg.ExtensionRules, cfg.Voicemail.Boxes)
	}
}
