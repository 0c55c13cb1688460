package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

const secret = "k3J9vQ2mX8pL5tR7wZ4n"

// receiver is a webhook endpoint that checks every request's signature
// with Verify, and answers fail(n) for the n-th request (1-based).
type receiver struct {
	t    *testing.T
	srv  *httptest.Server
	fail func(n int) int

	mu   sync.Mutex
	n    int
	got  []Body
	ids  []string
	bad  int
	seen chan struct{}
}

func newReceiver(t *testing.T, fail func(n int) int) *receiver {
	r := &receiver{t: t, fail: fail, seen: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.n++
		n := r.n
		if err := Verify(secret, req.Header, b, time.Now()); err != nil {
			r.bad++
			r.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		code := http.StatusNoContent
		if r.fail != nil {
			code = r.fail(n)
		}
		if code/100 == 2 {
			var body Body
			if err := json.Unmarshal(b, &body); err != nil {
				r.t.Errorf("body %s: %v", b, err)
			}
			r.got = append(r.got, body)
			r.ids = append(r.ids, req.Header.Get(HeaderDelivery))
		}
		r.mu.Unlock()
		r.seen <- struct{}{}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "try later")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() ([]Body, []string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got), slices.Clone(r.ids), r.bad
}

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// run starts s until the test ends.
func run(t *testing.T, s *Sender) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

func event(kind, id string) telephony.CallEvent {
	ev := telephony.CallEvent{Kind: kind, Time: time.Now(), CallID: id, Caller: channel.CallerID{Number: "5551234"}, Callee: "101", From: "fxo:1"}
	if kind == telephony.EventEnded {
		ev.Record = &store.CallRecord{ID: 7, Caller: "5551234", Callee: "101", Disposition: "answered"}
	}
	return ev
}

// TestDeliveriesSignedAndRetried: a receiver checks each request's
// signature; it refuses the first two tries (503), and the deliveries
// come again, in order, under the same delivery numbers, re-signed, and
// every event the endpoint asked for arrives once; an endpoint that did
// not ask for an event gets none of it.
func TestDeliveriesSignedAndRetried(t *testing.T) {
	rcv := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	only := newReceiver(t, nil)
	s, err := New(Options{Queue: openDB(t), Retry: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Configure(store.Webhooks{Endpoints: []store.WebhookEndpoint{
		{Name: "crm", URL: rcv.srv.URL + "/hook", Secret: secret},
		{Name: "ended-only", URL: only.srv.URL, Secret: secret, Events: []string{store.WebhookEnded}},
	}})
	run(t, s)
	s.Notify(event(telephony.EventRinging, "c1"))
	s.Notify(event(telephony.EventAnswered, "c1"))
	s.Notify(event(telephony.EventEnded, "c1"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _, _ := rcv.received()
		o, _, _ := only.received()
		if st := s.Status(); len(got) == 3 && len(o) == 1 && st[0].Queued+st[1].Queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d and %d", len(got), len(o))
		}
		time.Sleep(20 * time.Millisecond)
	}
	got, ids, bad := rcv.received()
	if bad != 0 {
		t.Errorf("%d requests with a bad signature", bad)
	}
	if got[0].Event != "ringing" || got[1].Event != "answered" || got[2].Event != "ended" || got[2].Record == nil ||
		got[2].Record.ID != 7 || got[0].Call.ID != "c1" || got[0].Call.Caller.Number != "5551234" {
		t.Errorf("bodies %+v", got)
	}
	first, _ := strconv.Atoi(ids[0])
	if ids[1] != strconv.Itoa(first+1) && ids[1] != strconv.Itoa(first+2) {
		t.Errorf("delivery numbers %v", ids)
	}
	if o, _, _ := only.received(); o[0].Event != "ended" {
		t.Errorf("the ended-only endpoint got %+v", o)
	}
	st := s.Status()
	if len(st) != 2 || st[0].Delivered != 3 || st[0].Queued != 0 || st[0].LastError == "" || st[0].LastSuccess.IsZero() || st[1].Delivered != 1 {
		t.Errorf("status %+v", st)
	}
}

// TestEndpointDownNeverBlocks: with an endpoint that never answers in
// time, Notify still returns at once for every event of many calls; the
// deliveries wait in the queue (bounded), the status says why, and a
// test delivery reports the failure.
func TestEndpointDownNeverBlocks(t *testing.T) {
	stop := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer stuck.Close()
	defer close(stop)
	db := openDB(t)
	s, err := New(Options{Queue: db, Retry: time.Hour, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Configure(store.Webhooks{Endpoints: []store.WebhookEndpoint{{Name: "dead", URL: stuck.URL, Secret: secret}}})
	run(t, s)
	start := time.Now()
	for i := range 2000 {
		s.Notify(event(telephony.EventRinging, "c"+strconv.Itoa(i)))
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("2000 events took %v to hand over", d)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		q, _ := db.WebhookQueue()
		st := s.Status()
		if len(q) > 0 && st[0].LastError != "" {
			if len(q) > store.MaxWebhookQueue {
				t.Errorf("the queue holds %d", len(q))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %d, status %+v", len(q), st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.SendTest(ctx, "dead"); err == nil {
		t.Error("a test to a dead endpoint succeeded")
	}
	if err := s.SendTest(ctx, "nobody"); err == nil {
		t.Error("a test to an unknown endpoint succeeded")
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"event":"ended"}`)
	now := time.Unix(1_800_000_000, 0)
	h := http.Header{}
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, now.Unix(), body))
	if err := Verify(secret, h, body, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		secret string
		body   string
		at     time.Time
		want   error
	}{
		{"another-secret-of-20c", string(body), now, ErrBadSignature},
		{secret, `{"event":"answered"}`, now, ErrBadSignature},
		{secret, string(body), now.Add(6 * time.Minute), ErrStale},
		{secret, string(body), now.Add(-6 * time.Minute), ErrStale},
	} {
		if err := Verify(tc.secret, h, []byte(tc.body), tc.at); err != tc.want {
			t.Errorf("%+v: %v", tc, err)
		}
	}
	if err := Verify(secret, http.Header{}, body, now); err != ErrNoSignature {
		t.Errorf("no headers: %v", err)
	}
}

// FuzzVerify: no header or body makes Verify panic, and only the right
// signature passes.
func FuzzVerify(f *testing.F) {
	f.Add("1800000000", "v1=00", []byte("{}"))
	f.Add("x", "", []byte(nil))
	f.Add("-1", Sign(secret, -1, []byte("a")), []byte("a"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		n, perr := strconv.ParseInt(ts, 10, 64)
		err := Verify(secret, h, body, time.Unix(n, 0))
		if err == nil && (perr != nil || sig != Sign(secret, n, body)) {
			t.Fatalf("accepted %q %q %q", ts, sig, body)
		}
	})
}
