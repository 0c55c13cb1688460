package webui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// TestOutboundRouteTariff: a route's tariff goes through its form into
// the store and back; an amount that is not one, and one the store
// refuses, are each shown beside their field.
func TestOutboundRouteTariff(t *testing.T) {
	c, db := dialPlanClient(t)
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.LineGroups = []store.LineGroup{{Name: "lines", Lines: []int{1}, Hunt: "ascending"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c.get("/dialplan/outbound_routes/new")
	form := url.Values{"name": {"mobile"}, "pattern": {"8XXXXXXXXXX"}, "class": {"national"}, "via[0]": {"lines"},
		"tariff.per_minute": {"0,035"}, "tariff.connection": {"0.1"}, "tariff.unit_s": {"30"}, "tariff.free_s": {"5"}}
	w := c.post("/dialplan/outbound_routes/new", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldOf(t, w.Body.String(), "tariff-per-minute"), "Enter an amount such as 0.035") {
		t.Fatalf("a comma: %d", w.Code)
	}
	form.Set("tariff.per_minute", "0.035")
	form.Set("tariff.unit_s", "7200")
	w = c.post("/dialplan/outbound_routes/new", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldOf(t, w.Body.String(), "tariff-unit"), "3600") {
		t.Fatalf("a step of two hours: %d", w.Code)
	}
	form.Set("tariff.unit_s", "30")
	if w := c.post("/dialplan/outbound_routes/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if got := cfg.OutboundRoutes[0].Tariff; got != (store.Tariff{PerMinute: 350, Connection: 1000, UnitS: 30, FreeS: 5}) {
		t.Errorf("stored %+v", got)
	}
	page := c.get("/dialplan/outbound_routes/0/edit").Body.String()
	if !strings.Contains(fieldOf(t, page, "tariff-per-minute"), `value="0.035"`) || !strings.Contains(fieldOf(t, page, "tariff-connection"), `value="0.1"`) {
		t.Error("the edit page does not show the tariff")
	}
}

// TestMailboxEmailForm: a mailbox's address and delete-after-sending go
// through the voicemail form; a bad address is shown beside its field.
func TestMailboxEmailForm(t *testing.T) {
	c, db := dialPlanClient(t)
	c.get("/dialplan/voicemail")
	form := url.Values{"max_message_s": {""}, "max_messages": {""}, "boxes[0].extension": {"105"}, "boxes[0].pin": {"4711"},
		"boxes[0].email": {"not an address"}, "boxes[0].delete_after_email": {"on"}}
	w := c.post("/dialplan/voicemail", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldOf(t, w.Body.String(), "boxes[0].email"), "is not an e-mail address") {
		t.Fatalf("a bad address: %d", w.Code)
	}
	form.Set("boxes[0].email", "sales@example.com")
	if w := c.post("/dialplan/voicemail", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if b := cfg.Voicemail.Boxes[0]; b.Email != "sales@example.com" || !b.DeleteAfterEmail {
		t.Errorf("stored %+v", b)
	}
	if !strings.Contains(fieldOf(t, c.get("/dialplan/voicemail").Body.String(), "boxes[0].delete_after_email"), "checked") {
		t.Error("the form does not show delete-after-sending")
	}
}
