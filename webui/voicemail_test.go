package webui

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// vmFixture is a logged-in client on a fake with mailboxes 101 (two
// messages: one new with name and number, one heard and withheld) and
// 102 (empty), and the messages of a removed mailbox 107, in Berlin time.
func vmFixture(t *testing.T) (*fixture, *client, []string) {
	t.Helper()
	f := newFixture(t)
	f.svc.exts = append(f.svc.exts, store.Extension{Number: "102", Name: "Sales"})
	f.svc.sys.TimeZone = "Europe/Berlin"
	f.svc.addMailbox("101", "2580", false)
	f.svc.addMailbox("102", "7319", true)
	t0 := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC) // 09:30 in Berlin
	ids := []string{
		f.svc.addVoicemail("101", channel.CallerID{Number: "0301234567", Name: "Müller GmbH"}, t0, 2300),
		f.svc.addVoicemail("101", channel.CallerID{Withheld: "P"}, t0.Add(time.Hour), 61_000),
		f.svc.addVoicemail("107", channel.CallerID{Number: "+49891234"}, t0.Add(2*time.Hour), 400),
	}
	f.svc.vm.greetings = map[string][]string{"101": {"unavailable", "busy"}}
	if err := f.svc.MarkVoicemail(t.Context(), "101", ids[1], true); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.ready()
	return f, c, ids
}

// rowOf returns the rendered table row with id.
func rowOf(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr id="` + regexp.QuoteMeta(id) + `"[^>]*>.*?</tr>`).FindString(page)
	if m == "" {
		t.Fatalf("no row %s in page:\n%s", id, page)
	}
	return html.UnescapeString(m)
}

func TestVoicemailPages(t *testing.T) {
	f, c, ids := vmFixture(t)
	w := c.get("/voicemail")
	page := w.Body.String()
	if w.Code != 200 || !strings.Contains(page, `id="nav-voicemail" aria-current="page"`) {
		t.Fatalf("overview: %d %s", w.Code, page)
	}
	for id, wants := range map[string][]string{
		"box-101": {">101<", "Reception", `<span class="badge info">1</span>`, ">1<", "unavailable, busy", `href="/voicemail/101"`, "Listen"},
		"box-102": {"Sales", "built-in only", "Open"},
		"box-107": {"removed", "Listen"},
	} {
		row := rowOf(t, page, id)
		for _, want := range wants {
			if !strings.Contains(row, want) {
				t.Errorf("%s lacks %q: %s", id, want, row)
			}
		}
	}
	if strings.Contains(rowOf(t, page, "box-101"), "removed") {
		t.Error("a configured mailbox is marked removed")
	}

	w = c.get("/voicemail/101")
	page = w.Body.String()
	if w.Code != 200 || !strings.Contains(page, "Mailbox 101 — Reception") || !strings.Contains(page, "Times are in Europe/Berlin") {
		t.Fatalf("mailbox: %d %s", w.Code, page)
	}
	row := rowOf(t, page, "msg-"+ids[0])
	for _, want := range []string{"<strong>Müller GmbH</strong>", "0301234567", "Sat 2026-11-21 09:30", `datetime="2026-11-21T08:30:00Z"`, ">0:02<",
		`badge info">new`, `<audio controls preload="none" src="/voicemail/101/` + ids[0] + `/audio"`,
		`href="/voicemail/101/` + ids[0] + `/audio?download=1"`, `name="heard" value="1"`, "Mark as heard", `href="/voicemail/101/` + ids[0] + `/delete"`} {
		if !strings.Contains(row, want) {
			t.Errorf("new message lacks %q: %s", want, row)
		}
	}
	row = rowOf(t, page, "msg-"+ids[1])
	for _, want := range []string{"number withheld by the caller", "Sat 2026-11-21 10:30", ">1:01<", `badge quiet">heard`, `name="heard" value="0"`, "Mark as new"} {
		if !strings.Contains(row, want) {
			t.Errorf("heard message lacks %q: %s", want, row)
		}
	}
	if strings.Index(page, "msg-"+ids[0]) > strings.Index(page, "msg-"+ids[1]) {
		t.Error("new messages are not listed first")
	}

	// An empty mailbox says how messages get there; a removed one says
	// that it is removed.
	if page := c.get("/voicemail/102").Body.String(); !strings.Contains(page, "No messages in this mailbox.") || !strings.Contains(page, "voicemail:102") {
		t.Errorf("empty mailbox: %s", page)
	}
	if page := html.UnescapeString(c.get("/voicemail/107").Body.String()); !strings.Contains(page, `id="vm-removed"`) || !strings.Contains(page, "+49891234") {
		t.Errorf("removed mailbox: %s", page)
	}

	// Unknown mailboxes and messages are 404 pages in words.
	for _, p := range []string{"/voicemail/109", "/voicemail/101/nosuch/delete", "/voicemail/101/nosuch/audio", "/voicemail/..%2F101/" + ids[0] + "/audio"} {
		w := c.get(p)
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "class=\"notice bad\"") {
			t.Errorf("%s: %d %s", p, w.Code, w.Body)
		}
	}
	if w := c.get("/voicemail/109"); !strings.Contains(w.Body.String(), "There is no mailbox 109. Mailboxes are set up under Dial plan → Voicemail.") {
		t.Errorf("unknown mailbox: %s", w.Body)
	}

	// No mailbox at all: the page says where to add one.
	f.svc.mu.Lock()
	f.svc.plan.Voicemail.Boxes = nil
	f.svc.vm.boxes = nil
	f.svc.mu.Unlock()
	page = c.get("/voicemail").Body.String()
	if !strings.Contains(page, "No mailboxes yet — add one under") || !strings.Contains(page, `href="/dialplan/voicemail"`) {
		t.Errorf("empty state: %s", page)
	}
}

// TestVoicemailServiceError: a failing exchange is said in words, not a
// blank page.
func TestVoicemailServiceError(t *testing.T) {
	f, c, _ := vmFixture(t)
	f.svc.mu.Lock()
	f.svc.failNext = io.ErrUnexpectedEOF
	f.svc.mu.Unlock()
	w := c.get("/voicemail")
	if w.Code != 500 || !strings.Contains(w.Body.String(), "list mailboxes failed: an internal error") || strings.Contains(w.Body.String(), "EOF") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

func TestVoicemailAudio(t *testing.T) {
	f, c, ids := vmFixture(t)
	want := toneWAV(2300, 440)
	check := func(name string, w *http.Response, body []byte, disp string) {
		t.Helper()
		if w.StatusCode != 200 {
			t.Fatalf("%s: %d %s", name, w.StatusCode, body)
		}
		h := w.Header
		if h.Get("Content-Type") != "audio/wav" || h.Get("Content-Length") != itoa(len(want)) || h.Get("Content-Disposition") != disp {
			t.Errorf("%s headers: %v", name, h)
		}
		if !bytes.Equal(body, want) {
			t.Errorf("%s: %d bytes, not the message's %d", name, len(body), len(want))
		}
		samples, rate, err := audiofile.ReadWAV(bytes.NewReader(body))
		if err != nil || rate != 8000 || len(samples) != 8*2300 {
			t.Errorf("%s: not the 8 kHz WAV: %d samples at %d Hz, %v", name, len(samples), rate, err)
		}
	}
	inline := `inline; filename=voicemail-101-2026-11-21-0930-from-0301234567.wav`
	w := c.get("/voicemail/101/" + ids[0] + "/audio")
	check("page", w.Result(), w.Body.Bytes(), inline)
	if w.Header().Get("Accept-Ranges") != "bytes" {
		t.Errorf("a seekable message does not offer ranges: %v", w.Header())
	}
	w = c.get("/voicemail/101/" + ids[0] + "/audio?download=1")
	check("download", w.Result(), w.Body.Bytes(), strings.Replace(inline, "inline", "attachment", 1))
	f.readyAPI()
	w = f.api("GET", "/api/v1/voicemail/101/messages/"+ids[0]+"/audio", "")
	check("api", w.Result(), w.Body.Bytes(), inline)

	// A player seeking asks for a range.
	w = c.do("GET", "/voicemail/101/"+ids[0]+"/audio", nil, map[string]string{"Range": "bytes=44-99"})
	if w.Code != http.StatusPartialContent || w.Header().Get("Content-Range") != "bytes 44-99/"+itoa(len(want)) || !bytes.Equal(w.Body.Bytes(), want[44:100]) {
		t.Errorf("range: %d %v %d bytes", w.Code, w.Header(), w.Body.Len())
	}
	// A withheld caller's file has no "from" part.
	if w := c.get("/voicemail/101/" + ids[1] + "/audio"); w.Header().Get("Content-Disposition") != "inline; filename=voicemail-101-2026-11-21-1030.wav" {
		t.Errorf("withheld: %v", w.Header())
	}

	// A service that hands out a plain stream: the whole file, its
	// length, and no ranges promised.
	f.svc.mu.Lock()
	f.svc.vm.plainReader = true
	f.svc.mu.Unlock()
	w = c.do("GET", "/voicemail/101/"+ids[0]+"/audio", nil, map[string]string{"Range": "bytes=44-99"})
	check("stream", w.Result(), w.Body.Bytes(), inline)
	if w.Header().Get("Accept-Ranges") != "none" {
		t.Errorf("stream promises ranges: %v", w.Header())
	}

	for _, p := range []string{"/api/v1/voicemail/101/messages/nosuch/audio", "/api/v1/voicemail/109/messages/" + ids[0] + "/audio"} {
		w := f.api("GET", p, "")
		if e := decodeError(t, w); w.Code != 404 || !strings.Contains(e.Error, "no") {
			t.Errorf("%s: %d %+v", p, w.Code, e)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestVoicemailMarkAndDelete(t *testing.T) {
	f, c, ids := vmFixture(t)
	c.get("/voicemail/101")
	w := c.post("/voicemail/101/"+ids[0]+"/heard", url.Values{"heard": {"1"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/voicemail/101#msg-"+ids[0] {
		t.Fatalf("mark: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if m := f.svc.voicemailOf("101"); !m[0].Heard {
		t.Error("not marked heard")
	}
	page := c.get("/voicemail/101").Body.String()
	if !strings.Contains(page, "The message from Müller GmbH (0301234567) of Sat 2026-11-21 09:30 marked as heard.") {
		t.Errorf("no flash: %s", page)
	}
	if row := rowOf(t, page, "msg-"+ids[0]); !strings.Contains(row, "Mark as new") {
		t.Errorf("row after marking: %s", row)
	}
	if w := c.post("/voicemail/101/"+ids[0]+"/heard", url.Values{"heard": {"0"}}); w.Code != http.StatusSeeOther || f.svc.voicemailOf("101")[0].Heard {
		t.Errorf("mark new: %d %+v", w.Code, f.svc.voicemailOf("101"))
	}

	// Without the page's token nothing changes.
	for _, p := range []string{"/voicemail/101/" + ids[0] + "/heard", "/voicemail/101/" + ids[0] + "/delete"} {
		w := c.post(p, url.Values{"heard": {"1"}, "csrf": {"forged"}})
		if w.Code != http.StatusForbidden {
			t.Errorf("%s without token: %d", p, w.Code)
		}
	}
	if m := f.svc.voicemailOf("101"); len(m) != 2 || m[0].Heard {
		t.Errorf("changed by a forged form: %+v", m)
	}
	if w := c.post("/voicemail/101/nosuch/heard", url.Values{"heard": {"1"}}); w.Code != 404 {
		t.Errorf("mark unknown: %d", w.Code)
	}

	// Delete asks first, on its own page that plays the message too.
	w = c.get("/voicemail/101/" + ids[0] + "/delete")
	page = w.Body.String()
	for _, want := range []string{"Delete the message from Müller GmbH (0301234567) of Sat 2026-11-21 09:30 from mailbox 101?", "has not been heard yet",
		`action="/voicemail/101/` + ids[0] + `/delete"`, `id="confirm-delete"`, `href="/voicemail/101"`, `<audio controls preload="none"`} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("confirmation lacks %q", want)
		}
	}
	if len(f.svc.voicemailOf("101")) != 2 {
		t.Fatal("the confirmation page deleted")
	}
	w = c.post("/voicemail/101/"+ids[0]+"/delete", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/voicemail/101" {
		t.Fatalf("delete: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if m := f.svc.voicemailOf("101"); len(m) != 1 || m[0].ID != ids[1] {
		t.Errorf("after delete: %+v", m)
	}
	if page := c.get("/voicemail/101").Body.String(); !strings.Contains(page, "is deleted.") || strings.Contains(page, "msg-"+ids[0]) {
		t.Errorf("after delete: %s", page)
	}
	// Deleted twice (a second tab): a 404 in words.
	if w := c.post("/voicemail/101/"+ids[0]+"/delete", nil); w.Code != 404 || !strings.Contains(w.Body.String(), "may have been deleted") {
		t.Errorf("second delete: %d %s", w.Code, w.Body)
	}
	// The last message of a removed mailbox takes the mailbox along: back
	// to the overview.
	c.get("/voicemail/107")
	if w := c.post("/voicemail/107/"+ids[2]+"/delete", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/voicemail" {
		t.Errorf("last of removed: %d %v", w.Code, w.Header())
	}
}

func TestVoicemailAPI(t *testing.T) {
	f, c, ids := vmFixture(t)
	f.readyAPI()
	var boxes []telephony.MailboxStatus
	w := f.api("GET", "/api/v1/voicemail", "")
	if err := json.Unmarshal(w.Body.Bytes(), &boxes); err != nil || w.Code != 200 || len(boxes) != 3 {
		t.Fatalf("mailboxes: %d %s", w.Code, w.Body)
	}
	if b := boxes[0]; b.Extension != "101" || b.Name != "Reception" || b.New != 1 || b.Old != 1 || !b.Configured || len(b.Greetings) != 2 {
		t.Errorf("101: %+v", b)
	}
	if b := boxes[2]; b.Extension != "107" || b.Configured {
		t.Errorf("107: %+v", b)
	}
	var msgs []telephony.VoicemailMessage
	w = f.api("GET", "/api/v1/voicemail/101/messages", "")
	if err := json.Unmarshal(w.Body.Bytes(), &msgs); err != nil || len(msgs) != 2 || msgs[0].ID != ids[0] || msgs[0].Caller.Name != "Müller GmbH" || msgs[0].DurationMS != 2300 {
		t.Fatalf("messages: %d %s", w.Code, w.Body)
	}
	if w := f.api("GET", "/api/v1/voicemail/102/messages", ""); w.Code != 200 || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("empty mailbox: %d %s", w.Code, w.Body)
	}

	w = f.api("PATCH", "/api/v1/voicemail/101/messages/"+ids[0], `{"heard": true}`)
	var m telephony.VoicemailMessage
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 || !m.Heard || m.ID != ids[0] {
		t.Errorf("patch: %d %s", w.Code, w.Body)
	}
	if !f.svc.voicemailOf("101")[0].Heard {
		t.Error("not marked")
	}
	w = f.api("GET", "/api/v1/voicemail/101/messages/"+ids[0], "")
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 || !m.Heard {
		t.Errorf("get one: %d %s", w.Code, w.Body)
	}
	for body, code := range map[string]int{`{}`: 422, `{"heard": "yes"}`: 400, `{"heard": true, "x": 1}`: 400, `{`: 400} {
		w := f.api("PATCH", "/api/v1/voicemail/101/messages/"+ids[0], body)
		if e := decodeError(t, w); w.Code != code {
			t.Errorf("patch %s: %d %+v", body, w.Code, e)
		}
	}
	if e := decodeError(t, f.api("PATCH", "/api/v1/voicemail/101/messages/"+ids[0], `{}`)); len(e.Fields) != 1 || e.Fields[0].Field != "heard" {
		t.Errorf("missing heard: %+v", e)
	}

	for _, rq := range [][2]string{{"GET", "/api/v1/voicemail/109/messages"}, {"GET", "/api/v1/voicemail/101/messages/nosuch"},
		{"PATCH", "/api/v1/voicemail/101/messages/nosuch"}, {"DELETE", "/api/v1/voicemail/109/messages/" + ids[0]}} {
		body := ""
		if rq[0] == "PATCH" {
			body = `{"heard": true}`
		}
		w := f.api(rq[0], rq[1], body)
		if e := decodeError(t, w); w.Code != 404 || !strings.HasPrefix(e.Error, "There is no mailbox") && !strings.HasPrefix(e.Error, "Mailbox 101 has no message") {
			t.Errorf("%s %s: %d %+v", rq[0], rq[1], w.Code, e)
		}
	}

	// With the session cookie, changes need the X-CSRF-Token header.
	c.get("/voicemail")
	if w := c.do("DELETE", "/api/v1/voicemail/101/messages/"+ids[0], nil, nil); w.Code != 403 {
		t.Errorf("delete without token: %d", w.Code)
	}
	if w := c.do("DELETE", "/api/v1/voicemail/101/messages/"+ids[0], nil, map[string]string{"X-CSRF-Token": c.csrf}); w.Code != 204 {
		t.Errorf("delete with token: %d %s", w.Code, w.Body)
	}
	if w := f.api("DELETE", "/api/v1/voicemail/101/messages/"+ids[0], ""); w.Code != 404 {
		t.Errorf("deleted twice: %d", w.Code)
	}
	if len(f.svc.voicemailOf("101")) != 1 {
		t.Errorf("after delete: %+v", f.svc.voicemailOf("101"))
	}
	if w := f.apiAs("admin", "wrong", "GET", "/api/v1/voicemail", ""); w.Code != 401 {
		t.Errorf("wrong password: %d", w.Code)
	}
}

// TestVoicemailOpenAPISchemas: the voicemail objects' fields are the
// documented ones, both ways.
func TestVoicemailOpenAPISchemas(t *testing.T) {
	f, _, _ := vmFixture(t)
	f.readyAPI()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(f.srv.openapi, &doc); err != nil {
		t.Fatal(err)
	}
	for schema, path := range map[string]string{"MailboxStatus": "/api/v1/voicemail", "VoicemailMessage": "/api/v1/voicemail/101/messages"} {
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(f.api("GET", path, "").Body.Bytes(), &list); err != nil || len(list) == 0 {
			t.Fatalf("%s: %v", path, err)
		}
		sent := map[string]bool{}
		for _, o := range list {
			for k := range o {
				sent[k] = true
			}
		}
		props := doc.Components.Schemas[schema].Properties
		for k := range sent {
			if _, ok := props[k]; !ok {
				t.Errorf("%s: %q sent but not documented", schema, k)
			}
		}
		for k := range props {
			if !sent[k] {
				t.Errorf("%s: %q documented but never sent", schema, k)
			}
		}
	}
}

// TestNavVoicemailCount: the navigation's Voicemail item counts the new
// messages of every mailbox (a removed one's included) on every page,
// drops the count when none are new, and shows the plain label when the
// exchange cannot say, rather than failing the page.
func TestNavVoicemailCount(t *testing.T) {
	f, c, ids := vmFixture(t) // new: ids[0] in 101, ids[2] in removed 107
	nav := func(path string) string {
		t.Helper()
		w := c.get(path)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		m := regexp.MustCompile(`<a href="/voicemail" id="nav-voicemail"[^>]*>[^<]*</a>`).FindString(w.Body.String())
		if m == "" {
			t.Fatalf("%s: no Voicemail navigation item", path)
		}
		return m
	}
	if got := nav("/status"); !strings.HasSuffix(got, ">Voicemail (2)</a>") {
		t.Errorf("two new messages: %s", got)
	}
	if err := f.svc.MarkVoicemail(t.Context(), "101", ids[0], true); err != nil {
		t.Fatal(err)
	}
	if got := nav("/voicemail"); got != `<a href="/voicemail" id="nav-voicemail" aria-current="page">Voicemail (1)</a>` {
		t.Errorf("one new message, on the Voicemail page: %s", got)
	}
	f.svc.mu.Lock()
	f.svc.failNext = io.ErrUnexpectedEOF
	f.svc.mu.Unlock()
	if got := nav("/password"); !strings.HasSuffix(got, ">Voicemail</a>") {
		t.Errorf("the exchange failed: %s", got)
	}
	f.svc.mu.Lock()
	failed := f.svc.failNext == nil
	f.svc.mu.Unlock()
	if !failed {
		t.Error("the page never asked for the mailboxes")
	}
	if err := f.svc.MarkVoicemail(t.Context(), "107", ids[2], true); err != nil {
		t.Fatal(err)
	}
	if got := nav("/extensions"); !strings.HasSuffix(got, ">Voicemail</a>") {
		t.Errorf("no new messages: %s", got)
	}
}
