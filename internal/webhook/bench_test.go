package webhook

import (
	"testing"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// BenchmarkNotify is what a call pays to hand an event to the webhooks:
// a channel send, whatever the endpoints do (here the sender is not even
// running, so once its inbox is full every event is dropped at once).
func BenchmarkNotify(b *testing.B) {
	s, err := New(Options{Queue: nopQueue{}})
	if err != nil {
		b.Fatal(err)
	}
	s.Configure(store.Webhooks{Endpoints: []store.WebhookEndpoint{{Name: "crm", URL: "https://crm.example.com/", Secret: secret}}})
	ev := telephony.CallEvent{Kind: telephony.EventRinging, Time: time.Now(), CallID: "c1"}
	b.ReportAllocs()
	for b.Loop() {
		s.Notify(ev)
	}
}

// BenchmarkSign signs a typical ended event's body (the call record).
func BenchmarkSign(b *testing.B) {
	body, _ := endedBody(b)
	b.ReportAllocs()
	for b.Loop() {
		Sign(secret, 1_800_000_000, body)
	}
}

func endedBody(b *testing.B) ([]byte, error) {
	b.Helper()
	return body(telephony.CallEvent{Kind: telephony.EventEnded, Time: time.Now(), CallID: "c12", Record: &store.CallRecord{ID: 7,
		Caller: "5551234", Callee: "101", Source: "fxo:1", Destination: "sip:101", Disposition: "answered",
		Legs: []store.CallLeg{{Name: "fxo:1"}, {Name: "sip:101"}}, Path: []store.CallStep{{Event: "answered", Party: "sip:101"}}}})
}

// nopQueue is a queue that keeps nothing.
type nopQueue struct{}

func (nopQueue) EnqueueWebhooks(ds []store.WebhookDelivery) ([]store.WebhookDelivery, []store.WebhookDelivery, error) {
	return ds, nil, nil
}
func (nopQueue) WebhookQueue() ([]store.WebhookDelivery, error)   { return nil, nil }
func (nopQueue) WebhookAttempted(uint64, time.Time, string) error { return nil }
func (nopQueue) WebhookDone(uint64) error                         { return nil }
