package webui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// TestVoicemailForm: the voicemail part of the dial plan is a form over
// the real store: mailboxes are chosen from the extensions, the store's
// refusals sit beside the row's field with what was typed kept, and a
// stored PIN never appears in a page — an empty PIN field keeps it.
func TestVoicemailForm(t *testing.T) {
	c, db := dialPlanClient(t)
	w := c.get("/dialplan/voicemail")
	page := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("form: %d %s", w.Code, page)
	}
	for _, want := range []string{`id="object-form"`, `name="max_message_s"`, `name="max_messages"`, `<select id="boxes[0].extension" name="boxes[0].extension"`,
		`<option value="105">105 — Sales desk</option>`, `type="password" id="boxes[0].pin" name="boxes[0].pin" value="" inputmode="numeric" autocomplete="new-password" maxlength="8" placeholder="4 to 8 digits"`,
		`name="boxes[1].skip_pin"`} {
		if !strings.Contains(page, want) {
			t.Errorf("form lacks %s", want)
		}
	}

	// Row 2 is blank and dropped, so the store's voicemail.boxes[1] is
	// the row shown second: a guessable PIN there, a bad length above.
	form := url.Values{"max_message_s": {"5"}, "max_messages": {"abc"},
		"boxes[0].extension": {"101"}, "boxes[0].pin": {"4711"}, "boxes[0].skip_pin": {"on"},
		"boxes[1].extension": {""}, "boxes[1].pin": {""},
		"boxes[2].extension": {"105"}, "boxes[2].pin": {"1234"}}
	w = c.post("/dialplan/voicemail", form)
	page = w.Body.String()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d %s", w.Code, page)
	}
	if f := fieldOf(t, page, "max_messages"); !strings.Contains(f, `value="abc"`) || !strings.Contains(f, "whole number") {
		t.Errorf("max_messages: %s", f)
	}
	// The form's own check stops it before the store: fix the number, and
	// the store's messages come back by path.
	form.Set("max_messages", "20")
	w = c.post("/dialplan/voicemail", form)
	page = w.Body.String()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("store refusal: %d %s", w.Code, page)
	}
	if f := fieldOf(t, page, "max_message_s"); !strings.Contains(f, `value="5"`) || !strings.Contains(f, "Must be 0 (default 120) or 10 to 600 seconds.") {
		t.Errorf("max_message_s: %s", f)
	}
	bad := fieldOf(t, page, "boxes[1].pin")
	if !strings.Contains(bad, "Must not be a run of digits like 1234") || !strings.Contains(bad, `value="1234"`) || !strings.Contains(bad, `aria-invalid="true"`) {
		t.Errorf("error not beside the second row's PIN: %s", bad)
	}
	if f := fieldOf(t, page, "boxes[1].extension"); !strings.Contains(f, `<option value="105" selected>`) {
		t.Errorf("second row's extension not kept: %s", f)
	}
	if f := fieldOf(t, page, "boxes[0].pin"); strings.Contains(f, "field-error") || !strings.Contains(f, `value="4711"`) {
		t.Errorf("first row's typed PIN: %s", f)
	}
	if f := fieldOf(t, page, "boxes[0].skip_pin"); !strings.Contains(f, "checked") {
		t.Errorf("skip PIN not kept: %s", f)
	}
	if c, _ := db.ExportConfig(); len(c.Voicemail.Boxes) != 0 {
		t.Fatalf("saved despite errors: %+v", c.Voicemail)
	}

	form.Set("max_message_s", "90")
	form.Set("boxes[2].pin", "80624")
	if w := c.post("/dialplan/voicemail", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.ExportConfig()
	if v := cfg.Voicemail; v.MaxMessageS != 90 || v.MaxMessages != 20 || len(v.Boxes) != 2 ||
		v.Boxes[0] != (store.Mailbox{Extension: "101", PIN: "4711", SkipPIN: true}) || v.Boxes[1] != (store.Mailbox{Extension: "105", PIN: "80624"}) {
		t.Fatalf("saved %+v", v)
	}

	// After saving, the page shows no PIN: "unchanged" stands in.
	page = c.get("/dialplan/voicemail").Body.String()
	if strings.Contains(page, "4711") || strings.Contains(page, "80624") {
		t.Errorf("a stored PIN is in the page:\n%s", page)
	}
	for _, id := range []string{"boxes[0].pin", "boxes[1].pin"} {
		if f := fieldOf(t, page, id); !strings.Contains(f, `value=""`) || !strings.Contains(f, `placeholder="unchanged"`) {
			t.Errorf("%s: %s", id, f)
		}
	}
	if f := fieldOf(t, page, "boxes[2].pin"); !strings.Contains(f, `placeholder="4 to 8 digits"`) {
		t.Errorf("blank row: %s", f)
	}

	// Empty PIN fields keep the stored PINs; a refused save does not put
	// the kept PIN in the page either. Removing 101 (no mailbox, no PIN)
	// and adding 102 without a PIN: the store asks for one.
	form = url.Values{"max_message_s": {"90"}, "max_messages": {"20"},
		"boxes[0].extension": {""}, "boxes[0].pin": {""},
		"boxes[1].extension": {"105"}, "boxes[1].pin": {""},
		"boxes[2].extension": {"102"}, "boxes[2].pin": {""}}
	w = c.post("/dialplan/voicemail", form)
	page = w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || strings.Contains(page, "80624") {
		t.Fatalf("refused save: %d %s", w.Code, page)
	}
	if f := fieldOf(t, page, "boxes[1].pin"); !strings.Contains(f, "Must be 4 to 8 digits") {
		t.Errorf("new mailbox without PIN: %s", f)
	}
	if f := fieldOf(t, page, "boxes[0].pin"); !strings.Contains(f, `placeholder="unchanged"`) || strings.Contains(f, "field-error") {
		t.Errorf("kept PIN row: %s", f)
	}
	form.Del("boxes[2].extension")
	form.Del("boxes[2].pin")
	if w := c.post("/dialplan/voicemail", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.ExportConfig(); len(cfg.Voicemail.Boxes) != 1 || cfg.Voicemail.Boxes[0] != (store.Mailbox{Extension: "105", PIN: "80624"}) {
		t.Fatalf("saved %+v", cfg.Voicemail)
	}
	// The whole configuration's check still applies: the text editor
	// remains for those who know the document.
	if page := c.get("/dialplan/voicemail").Body.String(); !strings.Contains(page, `href="/dialplan/voicemail?json=1"`) {
		t.Error("no link to the text editor")
	}
}

// TestVoicemailFormUnknownExtension: a mailbox of an extension that no
// longer exists (imported, or the extension deleted) stays selected,
// marked, and the store's message sits beside it.
func TestVoicemailFormUnknownExtension(t *testing.T) {
	f := newFixture(t)
	f.svc.addMailbox("101", "2580", false)
	c := f.client()
	c.ready()
	f.svc.mu.Lock()
	f.svc.exts = nil
	f.svc.mu.Unlock()
	page := c.get("/dialplan/voicemail").Body.String()
	if x := fieldOf(t, page, "boxes[0].extension"); !strings.Contains(x, `<option value="101" selected>101 (no such extension)</option>`) {
		t.Fatalf("unknown extension: %s", x)
	}
	w := c.post("/dialplan/voicemail", url.Values{"boxes[0].extension": {"101"}, "boxes[0].pin": {""}})
	if x := fieldOf(t, w.Body.String(), "boxes[0].extension"); w.Code != 422 || !strings.Contains(x, `Extension "101" does not exist.`) {
		t.Errorf("%d %s", w.Code, x)
	}
	if strings.Contains(w.Body.String(), "2580") {
		t.Error("the stored PIN is in the page")
	}
}

// TestVoicemailTextEditorHidesPINs: the text editor of the section shows
// no PIN either; a mailbox saved from it with an empty PIN keeps its own.
func TestVoicemailTextEditorHidesPINs(t *testing.T) {
	c, db := dialPlanClient(t)
	c.get("/dialplan/voicemail")
	if w := c.post("/dialplan/voicemail", url.Values{"boxes[0].extension": {"101"}, "boxes[0].pin": {"4711"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	page := c.get("/dialplan/voicemail?json=1").Body.String()
	if !strings.Contains(page, `id="json"`) || strings.Contains(page, "4711") || !strings.Contains(page, "&#34;pin&#34;: &#34;&#34;") {
		t.Fatalf("text editor: %s", page)
	}
	text := `{"max_message_s": 60, "boxes": [{"extension": "101", "pin": ""}, {"extension": "105", "pin": "80624"}]}`
	if w := c.post("/dialplan/voicemail", url.Values{"json": {text}}); w.Code != http.StatusSeeOther {
		t.Fatalf("save text: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.ExportConfig()
	if v := cfg.Voicemail; v.MaxMessageS != 60 || len(v.Boxes) != 2 || v.Boxes[0].PIN != "4711" || v.Boxes[1].PIN != "80624" {
		t.Fatalf("saved %+v", v)
	}
	// A new mailbox without a PIN is refused by the store, by path.
	w := c.post("/dialplan/voicemail", url.Values{"json": {`{"boxes": [{"extension": "102", "pin": ""}]}`}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "voicemail.boxes[0].pin") {
		t.Errorf("no PIN: %d %s", w.Code, w.Body)
	}
}

// postedValues is what a browser posts for form f left as it is.
func postedValues(f []*field) url.Values {
	v := url.Values{}
	for _, x := range f {
		switch x.Type {
		case "checkbox":
			if x.Checked {
				v.Set(x.Name, "on")
			}
		case "select":
			for _, o := range x.Options {
				if o.Selected {
					v.Set(x.Name, o.Value)
				}
			}
		default:
			v.Set(x.Name, x.Value)
		}
	}
	return v
}

// FuzzVoicemailFormRoundTrip: any voicemail section, shown as the form
// (PINs blank) and posted back untouched, parses to itself — the stored
// PINs kept, no mailbox lost, added or reordered — and no PIN of it
// appears among the form's values.
func FuzzVoicemailFormRoundTrip(f *testing.F) {
	f.Add(120, 50, "101", "2580", true, "102", "7319", false)
	f.Add(0, 0, "", "", false, "9", "x", true)
	f.Add(-5, 1<<20, "101", "", false, "101", "0000", false)
	f.Fuzz(func(t *testing.T, maxS, maxN int, e1, p1 string, s1 bool, e2, p2 string, s2 bool) {
		var v store.Voicemail
		v.MaxMessageS, v.MaxMessages = maxS, maxN
		seen := map[string]bool{}
		for _, b := range []store.Mailbox{{Extension: e1, PIN: p1, SkipPIN: s1}, {Extension: e2, PIN: p2, SkipPIN: s2}} {
			// What a form row can carry: an extension as a select value
			// (the store trims nothing here), one mailbox each.
			if b.Extension == "" || seen[b.Extension] || strings.TrimSpace(b.Extension) != b.Extension || strings.ContainsAny(b.Extension, "\x00\r") {
				continue
			}
			seen[b.Extension] = true
			v.Boxes = append(v.Boxes, b)
		}
		d := store.DialPlan{Voicemail: v}
		c := newPlanContext(&d, []store.Extension{{Number: "101"}}, nil)
		fields := voicemailFields(&d, c)
		posted := postedValues(fields)
		for name, vals := range posted {
			if strings.HasSuffix(name, ".pin") && vals[0] != "" {
				t.Fatalf("%s shows %q", name, vals[0])
			}
		}
		got := d
		p := &formParser{v: posted, bad: map[string]string{}, raw: map[string]string{}}
		parseVoicemailForm(&got, posted, p)
		if len(p.bad) > 0 {
			t.Fatalf("own form refused: %v", p.bad)
		}
		if got.Voicemail.MaxMessageS != v.MaxMessageS || got.Voicemail.MaxMessages != v.MaxMessages || !slices.Equal(got.Voicemail.Boxes, v.Boxes) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got.Voicemail, v)
		}
	})
}
