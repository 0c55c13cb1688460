package webui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// formValues reads back the values a rendered form shows for ids (text
// fields' value attributes, selects' selected options, ticked
// checkboxes), as a browser would post them unchanged.
func formValues(t *testing.T, page string, ids ...string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, id := range ids {
		row := fieldOf(t, page, id)
		val := ""
		if strings.Contains(row, `type="checkbox"`) {
			if strings.Contains(row, " checked") {
				v.Set(id, "on")
			}
			continue
		}
		if i := strings.Index(row, "<select"); i >= 0 {
			if j := strings.Index(row, " selected>"); j >= 0 {
				k := strings.LastIndex(row[:j], `value="`)
				val = row[k+len(`value="`):]
				val = val[:strings.IndexByte(val, '"')]
			}
			if k := strings.Index(row, `name="`+id+`.number" value="`); k >= 0 { // a picker's outside number
				n := row[k+len(`name="`+id+`.number" value="`):]
				v.Set(id+".number", n[:strings.IndexByte(n, '"')])
			}
		} else if i := strings.Index(row, `value="`); i >= 0 {
			val = row[i+len(`value="`):]
			val = val[:strings.IndexByte(val, '"')]
		}
		v.Set(id, val)
	}
	return v
}

// TestTimeConditionForm: a time condition goes through its form and back;
// an unknown schedule and a bad destination are refused beside their
// fields with what was typed kept; menus then offer it as time:NAME.
func TestTimeConditionForm(t *testing.T) {
	c, db := dialPlanClient(t)
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if w := c.get("/dialplan/time_conditions"); w.Code != 200 || !strings.Contains(w.Body.String(), `id="new-object"`) {
		t.Fatalf("list: %d", w.Code)
	}
	page := c.get("/dialplan/time_conditions/new").Body.String()
	if row := fieldOf(t, page, "schedule"); !strings.Contains(row, `<option value="office">office</option>`) {
		t.Errorf("the schedules are not offered: %s", row)
	}
	form := url.Values{"name": {"office-hours"}, "schedule": {""}, "open": {"ext:105"}, "closed": {"ext:199"}}
	w := c.post("/dialplan/time_conditions/new", form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("no schedule: %d %s", w.Code, w.Body)
	}
	if row := fieldOf(t, w.Body.String(), "schedule"); !strings.Contains(row, "field-error") || !strings.Contains(row, "Required: the schedule") {
		t.Errorf("no error beside the schedule: %s", row)
	}
	if row := fieldOf(t, w.Body.String(), "closed"); !strings.Contains(row, "Extension 199 does not exist") || !strings.Contains(row, `value="ext:199"`) {
		t.Errorf("no error beside the closed destination, or the value lost: %s", row)
	}
	form.Set("schedule", "office")
	form.Set("closed", "hangup")
	if w := c.post("/dialplan/time_conditions/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	want := store.TimeCondition{Name: "office-hours", Schedule: "office", Open: "ext:105", Closed: "hangup"}
	if cfg, _ := db.Config(); len(cfg.TimeConditions) != 1 || cfg.TimeConditions[0] != want {
		t.Fatalf("stored %+v, want %+v", cfg.TimeConditions, want)
	}
	// Saved as shown, it is unchanged.
	page = c.get("/dialplan/time_conditions/0/edit").Body.String()
	back := formValues(t, page, "name", "schedule", "open", "closed")
	if w := c.post("/dialplan/time_conditions/0/edit", back); w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); cfg.TimeConditions[0] != want {
		t.Fatalf("after the round trip %+v, want %+v", cfg.TimeConditions[0], want)
	}
	if list := c.get("/dialplan/time_conditions").Body.String(); !strings.Contains(list, "while office is open → ext:105, else hangup") {
		t.Error("the list does not say what the time condition does")
	}
	// A menu key reaches it; the destinations offer it; in use it stays.
	page = c.get("/dialplan/ivr_menus/new").Body.String()
	if !strings.Contains(page, `<optgroup label="Time conditions"><option value="time:office-hours">office-hours`) {
		t.Error("the destinations list does not offer the time condition")
	}
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.Numbering.ShortNumbers = []store.ShortNumber{{Number: "300", Destination: "time:office-hours"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if w := c.post("/dialplan/time_conditions/0/delete", nil); w.Code == http.StatusSeeOther {
		t.Error("a time condition a short number names was deleted")
	}
}

// TestConditionForm: a condition goes through its form and back; a ring
// time out of range and a kind it cannot ring are refused beside their
// fields; a loop through a time condition is refused beside the field
// that closes it.
func TestConditionForm(t *testing.T) {
	c, db := dialPlanClient(t)
	page := c.get("/dialplan/conditions/new").Body.String()
	for _, id := range []string{"name", "destination", "no_answer_s", "no_answer", "busy", "no_route"} {
		fieldOf(t, page, id)
	}
	form := url.Values{"name": {"boss-mobile"}, "destination": {"hangup"}, "no_answer_s": {"2"},
		"no_answer": {"ext:105"}, "busy": {"ext:105"}, "no_route": {""}}
	w := c.post("/dialplan/conditions/new", form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad condition: %d %s", w.Code, w.Body)
	}
	if row := fieldOf(t, w.Body.String(), "destination"); !strings.Contains(row, "Must be one of: ext:, fxs:, group:, number:, queue:") {
		t.Errorf("no error beside the destination: %s", row)
	}
	if row := fieldOf(t, w.Body.String(), "no_answer_s"); !strings.Contains(row, "5 to 600 seconds") || !strings.Contains(row, `value="2"`) {
		t.Errorf("no error beside the ring time: %s", row)
	}
	form.Set("destination", "number:89161234567")
	form.Set("no_answer_s", "20")
	if w := c.post("/dialplan/conditions/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	want := store.Condition{Name: "boss-mobile", Destination: "number:89161234567", NoAnswerS: 20, NoAnswer: "ext:105", Busy: "ext:105"}
	if cfg, _ := db.Config(); len(cfg.Conditions) != 1 || cfg.Conditions[0] != want {
		t.Fatalf("stored %+v, want %+v", cfg.Conditions, want)
	}
	page = c.get("/dialplan/conditions/0/edit").Body.String()
	back := formValues(t, page, "name", "destination", "no_answer_s", "no_answer", "busy", "no_route")
	if w := c.post("/dialplan/conditions/0/edit", back); w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); cfg.Conditions[0] != want {
		t.Fatalf("after the round trip %+v, want %+v", cfg.Conditions[0], want)
	}
	// A time condition whose closed way comes back here, and the
	// condition's no-route going to it: a loop, refused where it closes.
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
		cfg.TimeConditions = []store.TimeCondition{{Name: "day", Schedule: "office", Open: "ext:105", Closed: "cond:boss-mobile"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	back.Set("no_route", "time:day")
	w = c.post("/dialplan/conditions/0/edit", back)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("loop accepted: %d", w.Code)
	}
	if row := fieldOf(t, w.Body.String(), "no_route"); !strings.Contains(row, "loop (cond:boss-mobile → time:day → cond:boss-mobile)") {
		t.Errorf("the loop is not shown beside the field: %s", row)
	}
}
