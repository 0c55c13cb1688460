package webui

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

func TestMailSettingsPage(t *testing.T) {
	out := &fakeOutputs{}
	f := newFixture(t, func(o *Options) { o.Outputs = out })
	c := f.client()
	c.ready()
	w := c.get("/settings/mail")
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "535 5.7.8 Authentication credentials invalid") || !strings.Contains(body, `id="mail-queued">2<`) {
		t.Fatalf("%d: no status", w.Code)
	}
	form := url.Values{"server": {"smtp.example.com"}, "security": {""}, "port": {""}, "username": {"pbx"}, "password": {"p4ss"},
		"from": {"PBX <pbx@example.com>"}, "alarms_to": {"a@example.com, b@example.com"}, "missed_calls": {"101 ann@example.com\n\n102 bob@example.com"}}
	if w := c.post("/settings/mail", form); w.Code != 303 {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	m := f.svc.callsQ.mail
	if m.Server != "smtp.example.com" || m.Password != "p4ss" || len(m.AlarmsTo) != 2 || len(m.MissedCalls) != 2 || m.MissedCalls[1].To != "bob@example.com" {
		t.Errorf("saved %+v", m)
	}
	// An empty password keeps the stored one; the page never shows it.
	form.Set("password", "")
	c.post("/settings/mail", form)
	if f.svc.callsQ.mail.Password != "p4ss" {
		t.Error("an empty password replaced the stored one")
	}
	if strings.Contains(c.get("/settings/mail").Body.String(), "p4ss") {
		t.Error("the password is shown")
	}
	form.Set("from", "")
	if w := c.post("/settings/mail", form); w.Code != 422 || !strings.Contains(w.Body.String(), `id="mail-from-error"`) {
		t.Errorf("no sender: %d", w.Code)
	}
	form.Set("missed_calls", "101")
	if w := c.post("/settings/mail", form); w.Code != 422 || !strings.Contains(w.Body.String(), `id="mail-missed-error"`) {
		t.Errorf("a notice without address: %d", w.Code)
	}
	// The test button: the server's answer on the page.
	if w := c.post("/settings/mail/test", url.Values{"to": {"me@example.com"}}); w.Code != 200 || !strings.Contains(w.Body.String(), `id="mail-test-ok"`) || out.sent[0] != "me@example.com" {
		t.Errorf("test: %d %v", w.Code, out.sent)
	}
	out.failing = errors.New("login: the server answered 535 5.7.8 Authentication credentials invalid")
	if w := c.post("/settings/mail/test", url.Values{"to": {"me@example.com"}}); w.Code != 502 || !strings.Contains(w.Body.String(), "535 5.7.8") {
		t.Errorf("failing test: %d", w.Code)
	}
}

func TestMailAPI(t *testing.T) {
	out := &fakeOutputs{}
	f := newFixture(t, func(o *Options) { o.Outputs = out })
	f.svc.mustChange = false
	if w := f.api("PUT", "/api/v1/settings/mail", `{"server":"smtp.example.com","from":"pbx@example.com","username":"u","password":"secret-pw"}`); w.Code != 200 || strings.Contains(w.Body.String(), "secret-pw") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w := f.api("GET", "/api/v1/settings/mail", "")
	if !strings.Contains(w.Body.String(), `"password_set":true`) || strings.Contains(w.Body.String(), "secret-pw") {
		t.Errorf("%s", w.Body)
	}
	if w := f.api("PUT", "/api/v1/settings/mail", `{"server":"smtp.example.com","from":"pbx@example.com","username":"u"}`); w.Code != 200 || f.svc.callsQ.mail.Password != "secret-pw" {
		t.Errorf("an update without a password: %d %q", w.Code, f.svc.callsQ.mail.Password)
	}
	if w := f.api("POST", "/api/v1/settings/mail/test", `{"to":"x"}`); w.Code != 422 {
		t.Errorf("bad recipient: %d", w.Code)
	}
	if w := f.api("POST", "/api/v1/settings/mail/test", `{"to":"me@example.com"}`); w.Code != 204 {
		t.Errorf("test: %d", w.Code)
	}
	if w := f.api("PUT", "/api/v1/settings/billing", `{"currency":"EUR","smdr":{"serial_port":"/dev/ttyS1","baud":9601}}`); w.Code != 422 {
		t.Errorf("a bad speed: %d", w.Code)
	}
	if w := f.api("PUT", "/api/v1/settings/billing", `{"currency":"EUR","smdr":{"serial_port":"/dev/ttyS1","baud":19200}}`); w.Code != 200 {
		t.Errorf("billing: %d %s", w.Code, w.Body)
	}
	if w := f.api("GET", "/api/v1/settings/billing", ""); !strings.Contains(w.Body.String(), `"connected":false`) {
		t.Errorf("billing status: %s", w.Body)
	}
}

func TestBillingSettingsPage(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Outputs = &fakeOutputs{} })
	c := f.client()
	c.ready()
	if w := c.get("/settings/billing"); w.Code != 200 || !strings.Contains(w.Body.String(), `id="smdr-serial"`) || !strings.Contains(w.Body.String(), "no such file") {
		t.Fatalf("%d", w.Code)
	}
	w := c.post("/settings/billing", url.Values{"currency": {"EUR"}, "serial_port": {"/dev/ttyS1"}, "baud": {"19200"}, "tcp_port": {"1752"}, "tcp_allow": {"192.168.1.0/24"}})
	if w.Code != 303 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if b := f.svc.callsQ.billing; b.Currency != "EUR" || !reflect.DeepEqual(b.SMDR, store.SMDR{SerialPort: "/dev/ttyS1", Baud: 19200, TCPPort: 1752, TCPAllow: []string{"192.168.1.0/24"}}) {
		t.Errorf("saved %+v", b)
	}
	if w := c.post("/settings/billing", url.Values{"serial_port": {"ttyS1"}, "tcp_port": {"x"}}); w.Code != 422 || !strings.Contains(w.Body.String(), `id="smdr-tcp-error"`) {
		t.Errorf("bad values: %d", w.Code)
	}
	if w := c.post("/settings/billing", url.Values{"serial_port": {"ttyS1"}}); w.Code != 422 || !strings.Contains(w.Body.String(), `id="smdr-serial-error"`) {
		t.Errorf("a relative port: %d", w.Code)
	}
}
