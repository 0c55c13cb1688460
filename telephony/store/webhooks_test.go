package store

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func validWebhooks() Webhooks {
	return Webhooks{Endpoints: []WebhookEndpoint{
		{Name: "crm", URL: "https://crm.example.com/hooks/pbx?box=1", Secret: "k3J9vQ2mX8pL5tR7wZ4n", Events: []string{"ended"}},
		{Name: "desk", URL: "http://192.168.1.20:8080/pbx", Secret: "abcdefghijklmnopqrst"},
	}}
}

func TestUpdateWebhooks(t *testing.T) {
	db, _ := openTemp(t)
	w := validWebhooks()
	got, err := db.UpdateWebhooks(w)
	if err != nil {
		t.Fatal(err)
	}
	if back, _ := db.Webhooks(); !slices.EqualFunc(back.Endpoints, w.Endpoints, func(a, b WebhookEndpoint) bool {
		return a.Name == b.Name && a.URL == b.URL && a.Secret == b.Secret && slices.Equal(a.Events, b.Events)
	}) || len(got.Endpoints) != 2 {
		t.Fatalf("stored %+v", back)
	}
	for _, tc := range []struct {
		edit  func(w *Webhooks)
		field string
		msg   string
	}{
		{func(w *Webhooks) { w.Endpoints[0].URL = "ftp://crm.example.com/" }, "endpoints[0].url", "https://"},
		{func(w *Webhooks) { w.Endpoints[0].URL = "https://user:pw@crm.example.com/" }, "endpoints[0].url", "user name"},
		{func(w *Webhooks) { w.Endpoints[0].URL = "https:///hooks" }, "endpoints[0].url", "name a host"},
		{func(w *Webhooks) { w.Endpoints[0].URL = "" }, "endpoints[0].url", "required"},
		{func(w *Webhooks) { w.Endpoints[1].Secret = "short" }, "endpoints[1].secret", "16 to 128"},
		{func(w *Webhooks) { w.Endpoints[1].Secret = "has a space in it here" }, "endpoints[1].secret", "printable"},
		{func(w *Webhooks) { w.Endpoints[1].Events = []string{"hangup"} }, "endpoints[1].events[0]", "not one of"},
		{func(w *Webhooks) { w.Endpoints[1].Events = []string{"ended", "ended"} }, "endpoints[1].events[1]", "twice"},
		{func(w *Webhooks) { w.Endpoints[1].Name = "crm" }, "endpoints[1].name", "used twice"},
		{func(w *Webhooks) { w.Endpoints[1].Name = "CRM" }, "endpoints[1].name", "lower-case"},
	} {
		bad := validWebhooks()
		tc.edit(&bad)
		_, err := db.UpdateWebhooks(bad)
		if got := fieldsOf(t, err); len(got) != 1 || got[0] != tc.field || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v, want %s (%s)", bad, err, tc.field, tc.msg)
		}
	}
	if back, _ := db.Webhooks(); back.Endpoints[0].URL != w.Endpoints[0].URL {
		t.Error("a refused change was written")
	}
}

func TestWebhookQueueBounded(t *testing.T) {
	db, _ := openTemp(t)
	var ds []WebhookDelivery
	for i := range MaxWebhookQueue + 5 {
		ds = append(ds, WebhookDelivery{Endpoint: "crm", Event: WebhookEnded, Body: json.RawMessage(`{"n":` + strconv.Itoa(i) + `}`)})
	}
	queued, dropped, err := db.EnqueueWebhooks(ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != len(ds) || len(dropped) != 5 || string(dropped[0].Body) != `{"n":0}` {
		t.Fatalf("queued %d, dropped %d (%s)", len(queued), len(dropped), dropped[0].Body)
	}
	q, err := db.WebhookQueue()
	if err != nil || len(q) != MaxWebhookQueue || string(q[0].Body) != `{"n":5}` {
		t.Fatalf("queue of %d from %s: %v", len(q), q[0].Body, err)
	}
	next := time.Now().Add(time.Minute)
	if err := db.WebhookAttempted(q[0].ID, next, "connection refused\x00"); err != nil {
		t.Fatal(err)
	}
	if err := db.WebhookDone(q[1].ID); err != nil {
		t.Fatal(err)
	}
	q2, _ := db.WebhookQueue()
	if len(q2) != MaxWebhookQueue-1 || q2[0].Attempts != 1 || !q2[0].Next.Equal(next) || strings.ContainsRune(q2[0].LastError, 0) {
		t.Errorf("after an attempt and a delivery: %d, %+v", len(q2), q2[0])
	}
}

// FuzzWebhooks: any webhooks section decodes or not, validates or not,
// without a panic; one that validates has only http(s) URLs with a
// host and no credentials, secrets of the allowed length, known events.
func FuzzWebhooks(f *testing.F) {
	b, _ := json.Marshal(validWebhooks())
	f.Add(b)
	f.Add([]byte(`{"endpoints":[{"name":"a","url":"https://x","secret":"0123456789abcdef","events":["ringing"]}]}`))
	f.Add([]byte(`{"endpoints":[{"name":"a","url":"javascript:alert(1)","secret":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var w Webhooks
		if json.Unmarshal(data, &w) != nil {
			return
		}
		var problems int
		checkWebhooks(w, func(entity, prefix, field, format string, args ...any) { problems++ })
		if problems > 0 {
			return
		}
		for _, e := range w.Endpoints {
			u, err := url.Parse(e.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
				len(e.Secret) < MinWebhookSecretLen || len(e.Secret) > MaxWebhookSecretLen {
				t.Fatalf("accepted %+v", e)
			}
			for _, ev := range e.Events {
				if !slices.Contains(WebhookEvents(), ev) {
					t.Fatalf("accepted event %q", ev)
				}
			}
		}
	})
}
