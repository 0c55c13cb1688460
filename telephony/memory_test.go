package telephony

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// memoryBox is an exchange over a real store at path, with ring group
// sales (number 300, rrmemory over 201, 202, 203).
type memoryBox struct {
	db  *store.DB
	x   *Exchange
	sip *fakeDialer
	log *syncBuffer
}

func openMemoryBox(t *testing.T, path string, first bool) *memoryBox {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if first {
		cfg := testConfig()
		cfg.System.InterDigitTimeoutMS, cfg.System.NoAnswerTimeoutS = 4000, 30 // the store's ranges
		cfg.Extensions = append(cfg.Extensions, store.Extension{Number: "203", Name: "Erin"})
		cfg.RingGroups = []store.RingGroup{{Name: "sales", Number: "300", Strategy: "rrmemory",
			Members: []store.GroupMember{{Destination: "ext:201"}, {Destination: "ext:202"}, {Destination: "ext:203"}}}}
		if err := db.ImportConfig(cfg); err != nil {
			t.Fatal(err)
		}
	}
	b := &memoryBox{db: db, sip: newFakeDialer(channel.SIP), log: &syncBuffer{}}
	b.x, err = New(Options{Store: db, SIP: b.sip, Analog: newFakeDialer(channel.FXS), Logger: slog.New(slog.NewTextHandler(b.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// close shuts the exchange down (saving its memory) and closes the store.
func (b *memoryBox) close(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.x.Shutdown(ctx); err != nil {
		t.Error(err)
	}
	if err := b.db.Close(); err != nil {
		t.Error(err)
	}
}

// callGroup calls the ring group, has the first member rung answer, and
// returns which one it was once the call has ended.
func (b *memoryBox) callGroup(t *testing.T) string {
	t.Helper()
	in := sipCaller("101", "300")
	b.x.Accept(in)
	leg := b.sip.next(t)
	leg.emit(channel.Event{Type: channel.EventAnswer})
	deadline := time.Now().Add(2 * time.Second)
	for b.x.callStateOf(in.info.ID) != "answered" && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	in.end(channel.CauseNormal)
	leg.waitHangup(t)
	for b.x.ActiveCalls() > 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	return leg.info.Endpoint
}

// TestStrategyMemorySurvivesRestart: the round robin continues after the
// store is reopened under a new exchange, and is saved behind the calls
// (not only at shutdown), so a crash loses at most the last second.
func TestStrategyMemorySurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	b := openMemoryBox(t, path, true)
	for i, want := range []string{"201", "202"} {
		if got := b.callGroup(t); got != want {
			t.Fatalf("call %d rang %s first, want %s", i, got, want)
		}
	}
	// Written behind the calls, without a shutdown.
	deadline := time.Now().Add(3 * memoryFlushDelay)
	for {
		saved, err := b.db.LoadRuntime()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(saved["group:sales"]), `"last_answered":"ext:202"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("memory not saved %v after the call: %q", 3*memoryFlushDelay, saved)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.close(t)

	b = openMemoryBox(t, path, false)
	for i, want := range []string{"203", "201"} {
		if got := b.callGroup(t); got != want {
			t.Fatalf("after the restart, call %d rang %s first, want %s (the rotation started over)", i, got, want)
		}
	}
	b.close(t)
	// Shutdown saved the last call at once.
	b = openMemoryBox(t, path, false)
	if got := b.callGroup(t); got != "202" {
		t.Errorf("after the second restart rang %s first, want 202", got)
	}
	b.close(t)
}

// TestStrategyMemoryDamagedOrStale: a damaged saved entry is ignored with
// a warning and the box starts; entries of removed groups are dropped from
// the store.
func TestStrategyMemoryDamagedOrStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	b := openMemoryBox(t, path, true)
	b.close(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRuntime(map[string][]byte{
		"group:sales":   []byte(`{"strategy": "rrmemory", "calls": "many"}`),
		"group:removed": []byte(`{"strategy": "rrmemory", "last_answered": "ext:201"}`),
		"lines:gone":    []byte(`2`),
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	b = openMemoryBox(t, path, false)
	defer b.close(t)
	if log := b.log.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "key=group:sales") {
		t.Errorf("no warning about the damaged entry:\n%s", log)
	}
	if got := b.callGroup(t); got != "201" {
		t.Errorf("with damaged memory rang %s first, want 201 (a fresh start)", got)
	}
	deadline := time.Now().Add(3 * memoryFlushDelay)
	for {
		saved, _ := b.db.LoadRuntime()
		_, removed := saved["group:removed"]
		_, gone := saved["lines:gone"]
		if !removed && !gone && strings.Contains(string(saved["group:sales"]), `"last_answered":"ext:201"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stale or damaged entries kept: %q", saved)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStrategyMemoryQueuesAndLineGroups: a queue's memory and where a
// round-robin line group stands come back after a restart too.
func TestStrategyMemoryQueuesAndLineGroups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	b := openMemoryBox(t, path, true)
	if _, err := b.db.UpdateDialPlan(func(c *store.Config) error {
		c.Queues = []store.Queue{{Name: "support", Strategy: "leastrecent",
			Members: []store.GroupMember{{Destination: "ext:201"}, {Destination: "ext:202"}, {Destination: "ext:203"}}}}
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntRoundRobin}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b.close(t)
	b = openMemoryBox(t, path, false)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	q := b.x.distributor("queue:support", "leastrecent")
	q.Answered("ext:201", t0)
	q.Answered("ext:203", t0.Add(time.Minute))
	b.x.usedLine("city", 1)
	b.close(t)

	b = openMemoryBox(t, path, false)
	defer b.close(t)
	members := []string{"ext:201", "ext:202", "ext:203"}
	if got := b.x.distributor("queue:support", "leastrecent").Waves(members); len(got) != 3 || got[0][0] != "ext:202" || got[1][0] != "ext:201" || got[2][0] != "ext:203" {
		t.Errorf("queue order after the restart %v, want 202 (never), 201, 203", got)
	}
	cfg := b.x.config()
	if got := b.x.huntOrder(cfg.LineGroups[0]); len(got) != 2 || got[0] != 2 {
		t.Errorf("line group hunts %v after the restart, want line 2 first (1 was used last)", got)
	}
}
