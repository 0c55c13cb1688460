package webui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/telephony/store"
)

// Browser tests of the dial-plan forms added with time conditions,
// conditions and announcements, of the inbound route's caller lists and of
// the SIP trunk's TLS fields. Unlike dialplan_browser_test.go they run
// against a real store database (storeService), so what is refused beside
// a field is the store's own rule and message: a loop time:a → cond:b →
// time:a, a condition that first reaches a menu, a CA that is not PEM.

// storePassword is the admin password the store fixtures set.
const storePassword = "installer password"

// serveStoreForBrowser starts the server over a store database seeded by
// seed (nil: the store's defaults, extensions 101 and 102) and returns
// the base URL and the database.
func serveStoreForBrowser(t *testing.T, seed func(c *store.Config) error) (string, *store.DB) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SetAdminPassword(storePassword); err != nil {
		t.Fatal(err)
	}
	if seed != nil {
		if _, err := db.UpdateDialPlan(seed); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	return serveOptions(t, Options{Service: &storeService{fakeService: newFakeService(), db: db}}), db
}

// fillArea types value into the text area id, emptied first
// (chromedp.Clear refuses an empty text area, which has no text node, and
// SetValue to "" reports failure).
func fillArea(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Evaluate[chromedp.Void](`document.getElementById(`+jsString(id)+`).value = ""`),
		chromedp.SendKeys(chromedp.ID(id), value))
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// follow runs steps that leave the page (a click on a link or a submit
// button) and waits for the next page to have loaded with the element
// id. A marker set on the old page tells the pages apart: waiting for an
// element alone passes at once when the old page has one too, and the
// next step then races the navigation ("No node with given id found").
func follow(t *testing.T, ctx context.Context, id string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__oldPage = true`))
	do(t, ctx, steps...)
	waitJS(t, ctx, "a new page with #"+id, `window.__oldPage === undefined && document.readyState === "complete" && document.getElementById(`+jsString(id)+`) !== null`)
}

// submit clicks the form's submit button and waits for the answer: the
// list page with its flash when wantID is "flash", or the form back with
// the error of field wantID.
func submit(t *testing.T, ctx context.Context, wantID string) {
	t.Helper()
	follow(t, ctx, wantID, chromedp.Click(chromedp.ID("object-form-submit")))
}

// choose picks the option with value in the select id, as a click in its
// list would; the test fails when the form does not offer it.
func choose(t *testing.T, ctx context.Context, id, value string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, pick(id, value)); err != nil {
		t.Fatalf("the select %s offers no %q: %v", id, value, err)
	}
}

// options lists the values a select offers.
func options(t *testing.T, ctx context.Context, id string) []string {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[[]string](`[...document.getElementById(`+jsString(id)+`).options].map(o => o.value)`))
}

// besideField returns the value shown in field id and the error beside
// it, failing the test unless the error sits inside the field's block,
// the input is marked invalid and names the error in aria-describedby,
// and no other field has an error.
func besideField(t *testing.T, ctx context.Context, id string) (value, msg string) {
	t.Helper()
	var got struct {
		Inside, Described bool
		Invalid, Value    string
		Msg               string
		Errors            int
	}
	raw := run(t, ctx, chromedp.Evaluate[string](`JSON.stringify((() => {
		const input = document.getElementById(`+jsString(id)+`);
		const err = document.getElementById(`+jsString(id+"-error")+`);
		const box = document.getElementById(`+jsString(id+"-field")+`);
		if (!input || !err || !box) return {Errors: -1};
		return {Inside: box.contains(err), Described: (input.getAttribute("aria-describedby") || "").split(" ").includes(err.id),
			Invalid: input.getAttribute("aria-invalid") || "", Value: input.value, Msg: err.textContent.trim(),
			Errors: document.querySelectorAll(".field-error").length};
	})())`))
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("field %s: %v", id, err)
	}
	if got.Errors < 0 {
		t.Fatalf("no field %s with an error beside it", id)
	}
	if !got.Inside || !got.Described || got.Invalid != "true" || got.Errors != 1 {
		t.Errorf("field %s: error inside %v, described %v, aria-invalid %q, %d errors on the page", id, got.Inside, got.Described, got.Invalid, got.Errors)
	}
	return got.Value, got.Msg
}

// loginTo logs in with the store's admin password and waits for path.
func loginTo(t *testing.T, ctx context.Context, base, path, readyID string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.ID("login-form")), fill("password", storePassword))
	follow(t, ctx, readyID, chromedp.Click(chromedp.ID("login")))
}

func storedPlan(t *testing.T, db *store.DB) store.Config {
	t.Helper()
	c, err := db.Config()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBrowserTimeConditionsConditionsAnnouncements: an installer builds
// "closed" (an announcement), "a" (a time condition) and "b" (a condition)
// through their forms in Chromium, each refused once beside its field with
// what was typed kept — a prompt too short, a time condition naming no
// schedule, a condition ringing too short (its first ring's picker does
// not offer the voice menu, which cannot ring), and the loop
// time:a → cond:b → time:a — then each is listed and edited; the time
// condition cannot be deleted while others lead to it.
func TestBrowserTimeConditionsConditionsAnnouncements(t *testing.T) {
	base, db := serveStoreForBrowser(t, func(c *store.Config) error {
		c.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
		c.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{Tone: "1000", MS: 500}}, Keys: map[string]string{"1": "ext:101"}}}
		return nil
	})
	ctx := newBrowser(t)

	// The announcement: a tone then a pause, then extension 101.
	loginTo(t, ctx, base, "/dialplan/announcements", "new-object")
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("new-object")))
	do(t, ctx, fill("name", "closed"),
		fillID("prompts[0].tone", "425"), fillID("prompts[0].ms", "50"),
		fillID("prompts[1].ms", "500"), pick("then", "ext:101"))
	submit(t, ctx, "prompts[0].ms-error")
	if v, msg := besideField(t, ctx, "prompts[0].ms"); v != "50" || !strings.Contains(msg, "100") {
		t.Errorf("a 50 ms tone: %q beside it, value %q", msg, v)
	}
	if v := run(t, ctx, chromedp.Value(byID("prompts[0].tone"))); v != "425" {
		t.Errorf("the tone typed was not kept: %q", v)
	}
	do(t, ctx, fillID("prompts[0].ms", "1000"))
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "closed") || !strings.Contains(row, "tone 425 1000 ms, pause 500 ms → ext:101") {
		t.Errorf("announcement listed as %q", row)
	}

	// The time condition: first without a schedule.
	do(t, ctx, chromedp.Navigate(base+"/dialplan/time_conditions"), chromedp.WaitVisible(chromedp.ID("new-object")))
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("new-object")))
	if got := options(t, ctx, "schedule"); !slices.Equal(got, []string{"", "office"}) {
		t.Errorf("schedules offered: %q", got)
	}
	do(t, ctx, fill("name", "a"), pick("open", "ext:101"), pick("closed", "announce:closed"))
	submit(t, ctx, "schedule-error")
	if v, msg := besideField(t, ctx, "schedule"); v != "" || !strings.Contains(msg, "Required: the schedule") {
		t.Errorf("no schedule: %q beside it, value %q", msg, v)
	}
	if o, c := run(t, ctx, chromedp.Value(chromedp.ID("open"))), run(t, ctx, chromedp.Value(chromedp.ID("closed"))); o != "ext:101" || c != "announce:closed" {
		t.Errorf("destinations typed not kept: %q, %q", o, c)
	}
	choose(t, ctx, "schedule", "office")
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "while office is open → ext:101, else announce:closed") {
		t.Errorf("time condition listed as %q", row)
	}

	// The condition: a voice menu cannot ring, so the first ring's
	// picker does not offer it; a ring time too short is refused.
	do(t, ctx, chromedp.Navigate(base+"/dialplan/conditions"), chromedp.WaitVisible(chromedp.ID("new-object")))
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("new-object")))
	if got := options(t, ctx, "destination"); slices.Contains(got, "menu:main") || !slices.Contains(got, "ext:102") || !slices.Contains(got, "number:") {
		t.Errorf("the first ring offers %q", got)
	}
	if got := options(t, ctx, "no_answer"); !slices.Contains(got, "menu:main") {
		t.Errorf("no answer does not offer the menu: %q", got)
	}
	do(t, ctx, fill("name", "b"), pick("destination", "ext:102"), fill("no_answer_s", "2"),
		pick("no_answer", "announce:closed"), pick("busy", "time:a"))
	submit(t, ctx, "no_answer_s-error")
	if v, msg := besideField(t, ctx, "no_answer_s"); v != "2" || !strings.Contains(msg, "5 to 600 seconds") {
		t.Errorf("2 s ring: %q beside it, value %q", msg, v)
	}
	if v := run(t, ctx, chromedp.Value(chromedp.ID("busy"))); v != "time:a" {
		t.Errorf("busy destination not kept: %q", v)
	}
	do(t, ctx, fill("no_answer_s", "20"))
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "ext:102 for 20 s; no answer → announce:closed; busy → time:a") {
		t.Errorf("condition listed as %q", row)
	}

	// The loop: time condition a's open way to cond:b, whose busy way
	// leads back to time:a. Refused beside the field that starts it, the
	// other end of the loop named at the top of the form.
	do(t, ctx, chromedp.Navigate(base+"/dialplan/time_conditions"), chromedp.WaitVisible(chromedp.ID("edit-0")))
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("edit-0")))
	if v := run(t, ctx, chromedp.Value(chromedp.ID("schedule"))); v != "office" {
		t.Errorf("edit form's schedule: %q", v)
	}
	do(t, ctx, pick("open", "cond:b"))
	submit(t, ctx, "open-error")
	screenshot(t, ctx, "time-condition-loop")
	if v, msg := besideField(t, ctx, "open"); v != "cond:b" || !strings.Contains(msg, "loop (time:a → cond:b → time:a)") {
		t.Errorf("the loop: %q beside open, value %q", msg, v)
	}
	if top := text(t, ctx, "object-form-errors"); !strings.Contains(top, "Conditions “b”, busy") {
		t.Errorf("the loop's other end at the top: %q", top)
	}
	if tc := storedPlan(t, db).TimeConditions; len(tc) != 1 || tc[0].Open != "ext:101" {
		t.Fatalf("the refused loop was stored: %+v", tc)
	}
	// Edited without the loop, it is saved.
	do(t, ctx, pick("open", "ext:102"), pick("closed", ""))
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "while office is open → ext:102, else hang up") {
		t.Errorf("edited time condition listed as %q", row)
	}

	// Edit the condition and the announcement.
	do(t, ctx, chromedp.Navigate(base+"/dialplan/conditions"), chromedp.WaitVisible(chromedp.ID("edit-0")))
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("edit-0")))
	do(t, ctx, fill("no_answer_s", "30"), pick("no_route", "ext:101"))
	submit(t, ctx, "flash")
	do(t, ctx, chromedp.Navigate(base+"/dialplan/announcements"), chromedp.WaitVisible(chromedp.ID("edit-0")))
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("edit-0")))
	if v := run(t, ctx, chromedp.Value(byID("prompts[1].ms"))); v != "500" {
		t.Errorf("edit form's pause: %q", v)
	}
	do(t, ctx, pick("then", "time:a"), chromedp.Click(chromedp.ID("early_media")))
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "→ time:a (played before answering)") {
		t.Errorf("edited announcement listed as %q", row)
	}

	// Condition b's busy way and the announcement still lead to time:a,
	// so deleting a is refused, both named on the list page.
	do(t, ctx, chromedp.Navigate(base+"/dialplan/time_conditions"), chromedp.WaitVisible(chromedp.ID("delete-0")))
	follow(t, ctx, "confirm-delete", chromedp.Click(chromedp.ID("delete-0")))
	follow(t, ctx, "page-error", chromedp.Click(chromedp.ID("confirm-delete")))
	if msg := text(t, ctx, "in-use-list"); !strings.Contains(msg, "condition b, busy") || !strings.Contains(msg, "announcement closed, then") {
		t.Errorf("deleting a time condition in use: %q", msg)
	}

	c := storedPlan(t, db)
	wantTC := store.TimeCondition{Name: "a", Schedule: "office", Open: "ext:102"}
	wantCond := store.Condition{Name: "b", Destination: "ext:102", NoAnswerS: 30, NoAnswer: "announce:closed", Busy: "time:a", NoRoute: "ext:101"}
	wantAnn := []store.Prompt{{Tone: "425", MS: 1000}, {MS: 500}}
	if len(c.TimeConditions) != 1 || c.TimeConditions[0] != wantTC {
		t.Errorf("time conditions %+v, want %+v", c.TimeConditions, wantTC)
	}
	if len(c.Conditions) != 1 || c.Conditions[0] != wantCond {
		t.Errorf("conditions %+v, want %+v", c.Conditions, wantCond)
	}
	if len(c.Announcements) != 1 || !slices.Equal(c.Announcements[0].Prompts, wantAnn) || c.Announcements[0].Then != "time:a" ||
		!c.Announcements[0].EarlyMedia {
		t.Errorf("announcements %+v", c.Announcements)
	}
}

// TestBrowserInboundRouteCallerLists: a caller list made on its form
// (then moved up the list) and one already there are offered by the inbound route's caller-list
// selects (those and nothing else); the route keeps them in the order
// chosen, one listed twice is refused beside the second choice, and an
// edit reorders them.
func TestBrowserInboundRouteCallerLists(t *testing.T) {
	base, db := serveStoreForBrowser(t, func(c *store.Config) error {
		c.Classifiers = []store.Classifier{{Name: "blocked", Action: "reject", Numbers: []string{"8800."}}}
		return nil
	})
	ctx := newBrowser(t)

	loginTo(t, ctx, base, "/dialplan/classifiers", "new-object")
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("new-object")))
	choose(t, ctx, "action", "route")
	do(t, ctx, fill("name", "vip"), fillArea("numbers", "84951234567\n8916XXXXXXX"), pick("destination", "ext:102"))
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-1"); !strings.Contains(row, "vip") || !strings.Contains(row, "route: 2 numbers → ext:102") {
		t.Errorf("caller list listed as %q", row)
	}
	// The first list that matches wins: the installer puts vip first.
	follow(t, ctx, "object-1", chromedp.Click(chromedp.ID("up-1")))
	if a, b := text(t, ctx, "object-0"), text(t, ctx, "object-1"); !strings.HasPrefix(a, "vip") || !strings.HasPrefix(b, "blocked") ||
		!strings.Contains(b, "reject: 1 number\n") {
		t.Errorf("after moving vip up: %q, %q", a, b)
	}
	if cl := storedPlan(t, db).Classifiers; len(cl) != 2 || cl[0].Name != "vip" || cl[0].Destination != "ext:102" ||
		!slices.Equal(cl[0].Numbers, []string{"84951234567", "8916XXXXXXX"}) || cl[1].Name != "blocked" {
		t.Fatalf("stored caller lists %+v", cl)
	}

	do(t, ctx, chromedp.Navigate(base+"/dialplan/inbound_routes"), chromedp.WaitVisible(chromedp.ID("new-object")))
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("new-object")))
	for _, id := range []string{"classifiers[0]", "classifiers[1]"} {
		if got := options(t, ctx, id); !slices.Equal(got, []string{"", "vip", "blocked"}) {
			t.Errorf("%s offers %q, want the caller lists only", id, got)
		}
	}
	do(t, ctx, fill("name", "main"), pick("destination", "ext:101"))
	choose(t, ctx, "lines", "1")
	choose(t, ctx, "classifiers[0]", "vip")
	choose(t, ctx, "classifiers[1]", "vip")
	submit(t, ctx, "classifiers[1]-error")
	if v, msg := besideField(t, ctx, "classifiers[1]"); v != "vip" || !strings.Contains(msg, "listed twice") {
		t.Errorf("a list twice: %q beside the second, value %q", msg, v)
	}
	if v := run(t, ctx, chromedp.Value(chromedp.ID("destination"))); v != "ext:101" {
		t.Errorf("destination not kept: %q", v)
	}
	choose(t, ctx, "classifiers[1]", "blocked")
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "line 1 → ext:101") {
		t.Errorf("route listed as %q", row)
	}
	if r := storedPlan(t, db).InboundRoutes; len(r) != 1 || !slices.Equal(r[0].Classifiers, []string{"vip", "blocked"}) || !slices.Equal(r[0].Lines, []int{1}) {
		t.Fatalf("stored routes %+v", r)
	}

	// The edit form shows the choices in order, with empty rows to add
	// more; swapped and saved, the order is the new one.
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("edit-0")))
	got := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('select[name^="classifiers["]')].map(s => s.value)`))
	if !slices.Equal(got, []string{"vip", "blocked", "", ""}) {
		t.Errorf("edit form's caller lists %q", got)
	}
	choose(t, ctx, "classifiers[0]", "")
	choose(t, ctx, "classifiers[2]", "vip")
	submit(t, ctx, "flash")
	if r := storedPlan(t, db).InboundRoutes; len(r) != 1 || !slices.Equal(r[0].Classifiers, []string{"blocked", "vip"}) {
		t.Fatalf("reordered routes %+v", r)
	}
}

// testCAPEM is a freshly made self-signed CA certificate as PEM.
func testCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Provider test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestBrowserTrunkTLS: a register trunk over TLS with the provider's own
// CA. Text that is not PEM is refused beside tls_ca with it kept and the
// transport still TLS; the certificate pasted in is stored as given, shown
// again on the edit form, and kept by an edit of another field.
func TestBrowserTrunkTLS(t *testing.T) {
	base, db := serveStoreForBrowser(t, nil)
	ctx := newBrowser(t)
	ca := testCAPEM(t)

	loginTo(t, ctx, base, "/dialplan/trunks", "new-object")
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("new-object")))
	choose(t, ctx, "mode", store.TrunkRegister)
	choose(t, ctx, "transport", "tls")
	do(t, ctx, fill("name", "provider"), fill("host", "sip.example.net"), fillArea("tls_ca", "not a certificate"),
		fill("username", "74951112233"), fill("password", "trunk secret 1"))
	submit(t, ctx, "tls_ca-error")
	if v, msg := besideField(t, ctx, "tls_ca"); strings.TrimSpace(v) != "not a certificate" || !strings.Contains(msg, "PEM certificates") {
		t.Errorf("garbage CA: %q beside it, value %q", msg, v)
	}
	if v := run(t, ctx, chromedp.Value(chromedp.ID("transport"))); v != "tls" {
		t.Errorf("transport not kept: %q", v)
	}
	if len(storedPlan(t, db).Trunks) != 0 {
		t.Fatal("the refused trunk was stored")
	}
	// The password field comes back empty (never put in a page); the
	// installer types it again and pastes the provider's CA.
	do(t, ctx, fill("password", "trunk secret 1"), chromedp.SetValue(chromedp.ID("tls_ca"), ca))
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "provider") || !strings.Contains(row, "register sip.example.net") {
		t.Errorf("trunk listed as %q", row)
	}
	tr := storedPlan(t, db).Trunks
	if len(tr) != 1 || tr[0].Transport != "tls" || tr[0].TLSCA != ca || tr[0].Password != "trunk secret 1" {
		t.Fatalf("stored trunks %+v", tr)
	}

	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("edit-0")))
	if v := run(t, ctx, chromedp.Value(chromedp.ID("tls_ca"))); strings.TrimSpace(v) != strings.TrimSpace(ca) {
		t.Errorf("edit form's CA %q", v)
	}
	if v := run(t, ctx, chromedp.Value(chromedp.ID("transport"))); v != "tls" {
		t.Errorf("edit form's transport %q", v)
	}
	do(t, ctx, fill("max_calls", "4"))
	submit(t, ctx, "flash")
	tr = storedPlan(t, db).Trunks
	if len(tr) != 1 || tr[0].MaxCalls != 4 || tr[0].TLSCA != ca || tr[0].Transport != "tls" || tr[0].Password != "trunk secret 1" {
		t.Fatalf("edited trunk %+v", tr)
	}
}
