package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// genRecords makes n varied call records starting at base, a few
// minutes apart: calls in on the two lines and a trunk, out by two
// routes, internal, every disposition, queue waits, hostile caller names.
func genRecords(n int, seed uint64, base time.Time) []CallRecord {
	rng := rand.New(rand.NewPCG(seed, 7))
	exts := []string{"101", "102", "103", "201"}
	disps := Dispositions()
	out := make([]CallRecord, 0, n)
	t := base
	for i := range n {
		t = t.Add(time.Duration(30+rng.IntN(600)) * time.Second)
		start := t
		if i%7 == 3 {
			start = t.Add(-2 * time.Hour) // a long call: stored after later ones began
		}
		r := CallRecord{Start: start, Disposition: disps[rng.IntN(len(disps))]}
		if rng.IntN(3) == 0 {
			r.Disposition = DispositionAnswered
		}
		ext := exts[rng.IntN(len(exts))]
		other := exts[rng.IntN(len(exts))]
		outside := fmt.Sprintf("8916%07d", rng.IntN(1000))
		switch rng.IntN(3) {
		case 0: // in
			line := []string{"fxo:1", "fxo:2", "trunk:provider"}[rng.IntN(3)]
			if i%50 == 0 {
				line = "trunk:backup" // rare: the party index is worth following
			}
			r.Caller, r.Callee, r.Source = outside, ext, line
			if i%9 == 4 {
				r.DISA = "road" // a caller who dialled out through a DISA
			}
			r.Legs = []CallLeg{{Name: line, Number: outside, Start: t}, {Name: "sip:" + ext, Number: ext, Extension: ext, Start: t}}
			if rng.IntN(4) == 0 {
				r.Callee = "400"
				r.Queues = []QueueVisit{{Queue: []string{"sales", "support"}[rng.IntN(2)], Enter: t, Leave: t.Add(time.Duration(rng.IntN(90)) * time.Second),
					Outcome: []string{QueueAnswered, QueueAbandoned, QueueTimeout}[rng.IntN(3)]}}
			}
		case 1: // out
			route := []string{"city", "mobile"}[rng.IntN(2)]
			line := []string{"fxo:1", "trunk:provider"}[rng.IntN(2)]
			r.Caller, r.Callee, r.Source, r.Route = ext, outside, "sip:"+ext, route
			switch i % 11 {
			case 2:
				r.Origin = OriginAPI // click-to-call
			case 5:
				r.Origin = OriginCallback
			}
			r.Legs = []CallLeg{{Name: "sip:" + ext, Number: ext, Extension: ext, Start: t}, {Name: line, Number: outside, Start: t}}
		default: // internal
			r.Caller, r.Callee, r.Source = ext, other, "fxs:1"
			r.CallerName = "Ivan \x00Petrov"
			r.Legs = []CallLeg{{Name: "fxs:1", Number: ext, Start: t}, {Name: "sip:" + other, Number: other, Extension: other, Start: t}}
		}
		r.End = t.Add(time.Duration(rng.IntN(20)) * time.Second)
		if r.Disposition == DispositionAnswered {
			r.Answer = r.End
			r.End = r.Answer.Add(time.Duration(rng.IntN(900)) * time.Second)
			r.DurationS = int(r.End.Sub(r.Answer) / time.Second)
			if len(r.Legs) > 1 {
				r.Destination = r.Legs[1].Name
			}
		}
		for j := range r.Legs {
			r.Legs[j].End = r.End
		}
		out = append(out, r)
	}
	return out
}

// fillDB appends recs (with the extensions they use and two routes with
// tariffs) and returns them as stored.
func fillDB(t testing.TB, db *DB, recs []CallRecord) []CallRecord {
	t.Helper()
	s := DefaultSystem()
	s.CallRecordRetention = MaxCallRecordRetention
	if _, err := db.UpdateSystem(s); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"103", "201"} {
		if _, err := db.CreateExtension(Extension{Number: n, Name: "x"}); err != nil && !strings.Contains(err.Error(), "exists") {
			t.Fatal(err)
		}
	}
	out := make([]CallRecord, 0, len(recs))
	for _, r := range recs {
		got, err := db.AppendCallRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

// model is the search written the slow, obvious way.
func model(recs []CallRecord, q CallQuery) []CallRecord {
	var out []CallRecord
	has := func(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
	for _, r := range recs {
		exts, lines := recordParties(&r, func(n string) bool { return slices.Contains([]string{"101", "102", "103", "201"}, n) })
		queues := []string{}
		for _, v := range r.Queues {
			queues = append(queues, v.Queue)
		}
		switch {
		case q.Before != 0 && r.ID >= q.Before,
			!q.From.IsZero() && r.Start.Before(q.From),
			!q.To.IsZero() && !r.Start.Before(q.To),
			q.Direction != "" && r.Direction != q.Direction,
			len(q.Results) > 0 && !slices.Contains(q.Results, r.Result),
			r.DurationS < q.MinDurationS,
			q.MaxDurationS > 0 && r.DurationS > q.MaxDurationS,
			q.Caller != "" && !has(r.Caller, q.Caller),
			q.Callee != "" && !has(r.Callee, q.Callee),
			q.Number != "" && !has(r.Caller, q.Number) && !has(r.Callee, q.Number),
			q.Extension != "" && !slices.Contains(exts, q.Extension),
			q.Line != "" && !slices.Contains(lines, q.Line),
			q.Queue != "" && !slices.Contains(queues, q.Queue),
			q.Origin == OriginDISA && r.DISA == "",
			q.Origin != "" && q.Origin != OriginDISA && r.Origin != q.Origin:
			continue
		}
		out = append(out, r)
	}
	return out
}

func ids(recs []CallRecord) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func TestSearchCallRecordsMatchesModel(t *testing.T) {
	db, _ := openTemp(t)
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	recs := fillDB(t, db, genRecords(600, 1, base))
	mid := recs[200].Start
	queries := []CallQuery{
		{},
		{Extension: "101"},
		{Extension: "201", Direction: DirectionIn},
		{Line: "trunk:provider"},
		{Line: "fxo:2", Results: []string{ResultMissed, ResultBusy}},
		{From: mid, To: mid.Add(24 * time.Hour)},
		{From: mid},
		{To: mid},
		{Number: "89160000"},
		{Caller: "8916", Direction: DirectionIn},
		{Callee: "10"},
		{Results: []string{ResultAnswered}, MinDurationS: 300},
		{MaxDurationS: 60, Results: []string{ResultAnswered}},
		{Queue: "sales"},
		{Direction: DirectionInternal, Extension: "102", From: mid},
		{Before: recs[300].ID},
		{Before: recs[300].ID, Extension: "103"},
		{Line: "trunk:backup"},
		{From: mid, To: mid.Add(2 * time.Hour)},
		{From: mid, To: mid.Add(6 * time.Hour), Extension: "102", Ascending: true},
		{Origin: OriginAPI},
		{Origin: OriginCallback, Extension: "101"},
		{Origin: OriginDISA, Direction: DirectionIn},
		{Number: "no such number"},
	}
	for i, q := range queries {
		want := model(recs, q)
		if len(want) == 0 && i != len(queries)-1 {
			t.Errorf("%+v selects nothing: a weak test", q)
		}
		q.Limit = MaxCallRecordsPage
		page, err := db.SearchCallRecords(q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		var talk int64
		var cost Money
		for _, r := range want {
			talk += int64(r.DurationS)
			cost += r.Cost
		}
		if page.Total != len(want) || page.TalkS != talk || page.Cost != cost {
			t.Errorf("%+v: total %d talk %d cost %v, want %d %d %v", q, page.Total, page.TalkS, page.Cost, len(want), talk, cost)
		}
		// Newest (by ID) first unless ascending.
		slices.SortFunc(want, func(a, b CallRecord) int {
			c := int(b.ID) - int(a.ID)
			if q.Ascending {
				c = -c
			}
			return c
		})
		if !slices.Equal(ids(page.Records), ids(want)) {
			t.Errorf("%+v: got %v, want %v", q, ids(page.Records), ids(want))
		}
	}
}

func TestSearchSortAndPage(t *testing.T) {
	db, _ := openTemp(t)
	recs := fillDB(t, db, genRecords(300, 2, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)))
	for _, sortKey := range CallSorts() {
		for _, asc := range []bool{false, true} {
			var got []CallRecord
			total := -1
			for off := 0; ; off += 7 {
				p, err := db.SearchCallRecords(CallQuery{Sort: sortKey, Ascending: asc, Offset: off, Limit: 7})
				if err != nil {
					t.Fatal(err)
				}
				total = p.Total
				if len(p.Records) == 0 {
					break
				}
				got = append(got, p.Records...)
			}
			if total != len(recs) || len(got) != len(recs) {
				t.Fatalf("%s: %d of %d records paged", sortKey, len(got), total)
			}
			key := func(r CallRecord) string {
				switch sortKey {
				case "duration":
					return fmt.Sprintf("%09d", r.DurationS)
				case "caller":
					return r.Caller
				case "callee":
					return r.Callee
				case "cost":
					return fmt.Sprintf("%015d", r.Cost)
				case "id":
					return fmt.Sprintf("%015d", r.ID)
				}
				return r.Start.Format(time.RFC3339Nano)
			}
			ok := slices.IsSortedFunc(got, func(a, b CallRecord) int {
				c := strings.Compare(key(a), key(b))
				if c == 0 {
					c = int(a.ID) - int(b.ID)
				}
				if !asc {
					c = -c
				}
				return c
			})
			if !ok {
				t.Errorf("sort %s asc=%v: pages out of order", sortKey, asc)
			}
		}
	}
}

func TestDerivedFieldsAndCost(t *testing.T) {
	db, _ := openTemp(t)
	c, _ := db.Config()
	c.LineGroups = []LineGroup{{Name: "lines", Lines: []int{1}, Hunt: "ascending"}}
	c.OutboundRoutes = []OutboundRoute{{Name: "mobile", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"lines"},
		Tariff: Tariff{PerMinute: 350, Connection: 1000, UnitS: 60, FreeS: 5}}}
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	r := CallRecord{Start: start, Answer: start.Add(5 * time.Second), End: start.Add(66 * time.Second), DurationS: 61,
		Caller: "101", Callee: "89161234567", Source: "sip:101", Destination: "trunk:provider", Route: "mobile",
		Disposition: DispositionAnswered, Cost: 999999}
	got, err := db.AppendCallRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	// 0.1 + 0.035 × 2 minutes.
	if got.Cost != 1700 || got.Direction != DirectionOut || got.Result != ResultAnswered {
		t.Errorf("cost %v direction %q result %q", got.Cost, got.Direction, got.Result)
	}
	r.DurationS, r.End = 5, r.Answer.Add(5*time.Second)
	if got, _ := db.AppendCallRecord(r); got.Cost != 0 {
		t.Errorf("a call within the free seconds costs %v", got.Cost)
	}
	r.Route = "gone"
	r.DurationS, r.End = 61, start.Add(66*time.Second)
	if got, _ := db.AppendCallRecord(r); got.Cost != 0 {
		t.Errorf("a call by a deleted route costs %v", got.Cost)
	}
	in := CallRecord{Start: start, End: start.Add(time.Second), Caller: "5551234", Callee: "101", Source: "fxo:1", Disposition: DispositionVoicemail}
	if got, _ := db.AppendCallRecord(in); got.Direction != DirectionIn || got.Result != ResultMissed {
		t.Errorf("inbound: direction %q result %q", got.Direction, got.Result)
	}
	p, err := db.SearchCallRecords(CallQuery{Extension: "101", Line: "trunk:provider"})
	if err != nil || p.Total != 3 || p.Cost != 1700 {
		t.Errorf("101 on the trunk: %d records costing %v (%v)", p.Total, p.Cost, err)
	}
}

func TestTariffCost(t *testing.T) {
	for _, tc := range []struct {
		t    Tariff
		dur  int
		want Money
	}{
		{Tariff{}, 600, 0},
		{Tariff{PerMinute: 600}, 0, 0},
		{Tariff{PerMinute: 600}, 1, 600},                       // a started minute
		{Tariff{PerMinute: 600}, 60, 600},                      // exactly one
		{Tariff{PerMinute: 600}, 61, 1200},                     // two
		{Tariff{PerMinute: 600, UnitS: 1}, 61, 610},            // by the second
		{Tariff{PerMinute: 350, UnitS: 30}, 31, 350},           // two half minutes
		{Tariff{PerMinute: 1, UnitS: 1}, 29, 0},                // 0.48 ten-thousandths round down
		{Tariff{PerMinute: 1, UnitS: 1}, 30, 1},                // 0.5 rounds up
		{Tariff{Connection: 500, FreeS: 10}, 10, 0},            // free: no connection charge
		{Tariff{Connection: 500, FreeS: 10}, 11, 500},          // billed
		{Tariff{PerMinute: 600, FreeS: 10, UnitS: 1}, 11, 110}, // from the first second
	} {
		if got := tc.t.Cost(tc.dur); got != tc.want {
			t.Errorf("%+v over %d s: %v, want %v", tc.t, tc.dur, got, tc.want)
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Money
		str  string
	}{{"0", 0, "0"}, {"0.035", 350, "0.035"}, {"12", 120000, "12"}, {"-1.5", -15000, "-1.5"}, {"0.0001", 1, "0.0001"}, {"007.10", 71000, "7.1"}} {
		m, err := ParseMoney(tc.in)
		if err != nil || m != tc.want || m.String() != tc.str {
			t.Errorf("%q: %v %q %v", tc.in, int64(m), m.String(), err)
		}
	}
	for _, bad := range []string{"", "-", ".5", "1.", "1e3", "0.00001", "1,5", "1234567890", " 1", "0x10", "--1"} {
		if _, err := ParseMoney(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if s := Money(350).Format(2); s != "0.04" {
		t.Errorf("Format(2) of 0.035: %q", s)
	}
	if s := Money(-5).Format(2); s != "0.00" {
		t.Errorf("Format(2) of -0.0005: %q", s)
	}
	var tr Tariff
	if err := strictUnmarshal([]byte(`{"per_minute":"0.1"}`), &tr); err == nil {
		t.Error("an amount as a string was accepted")
	}
	if err := strictUnmarshal([]byte(`{"per_minute":0.035,"connection":1}`), &tr); err != nil || tr.PerMinute != 350 || tr.Connection != 10000 {
		t.Errorf("decode: %+v %v", tr, err)
	}
}

func TestTariffValidation(t *testing.T) {
	db, _ := openTemp(t)
	c, _ := db.Config()
	c.LineGroups = []LineGroup{{Name: "lines", Lines: []int{1}, Hunt: "ascending"}}
	c.OutboundRoutes = []OutboundRoute{{Name: "mobile", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"lines"},
		Tariff: Tariff{PerMinute: -1, Connection: MaxTariffAmount + 1, UnitS: 3601, FreeS: -1}}}
	err := db.ImportConfig(c)
	v, ok := AsValidationError(err)
	if !ok {
		t.Fatalf("not a validation error: %v", err)
	}
	for _, f := range []string{"per_minute", "connection", "unit_s", "free_s"} {
		if !slices.ContainsFunc(v.Fields, func(e FieldError) bool { return e.Field == "outbound_routes[0].tariff."+f }) {
			t.Errorf("no error on %s: %v", f, v)
		}
	}
}

func TestIndexBuiltForExistingRecords(t *testing.T) {
	db, path := openTemp(t)
	recs := fillDB(t, db, genRecords(300, 3, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)))
	want, _ := db.SearchCallRecords(CallQuery{Extension: "102", Limit: 1000})
	// A firmware from before the indexes: no index buckets, and records
	// it appended that no index knows.
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, b := range []string{bucketCDRSummary, bucketCDRStart, bucketCDRParty} {
			if err := tx.DeleteBucket([]byte(b)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte(bucketMeta)).Delete([]byte(metaCDRIndex))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ro.SearchCallRecords(CallQuery{Extension: "102", Limit: 1000})
	ro.Close()
	if err != nil || !slices.Equal(ids(got.Records), ids(want.Records)) || got.Total == 0 {
		t.Fatalf("read-only search without indexes: %d records (%v), want %d", got.Total, err, want.Total)
	}
	db2, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got, err = db2.SearchCallRecords(CallQuery{Extension: "102", Limit: 1000})
	if err != nil || !slices.Equal(ids(got.Records), ids(want.Records)) {
		t.Fatalf("after the rebuild: %v %v", ids(got.Records), err)
	}
	// An older firmware appends a record of its own (no index entries);
	// the next open notices and rebuilds.
	extra := recs[0]
	extra.ID = 0
	err = db2.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketCDR))
		id, _ := b.NextSequence()
		return putValue(b, string(cdrKey(id)), extra)
	})
	if err != nil {
		t.Fatal(err)
	}
	db2.Close()
	db3, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db3.Close()
	if p, _ := db3.SearchCallRecords(CallQuery{}); p.Total != len(recs)+1 {
		t.Errorf("after an unindexed append: %d records found, want %d", p.Total, len(recs)+1)
	}
}

func TestRetentionDropsIndexEntries(t *testing.T) {
	db, _ := openTemp(t)
	recs := fillDB(t, db, genRecords(50, 4, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)))
	s, _ := db.System()
	s.CallRecordRetention = 10
	if _, err := db.UpdateSystem(s); err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	r.ID = 0
	if _, err := db.AppendCallRecord(r); err != nil {
		t.Fatal(err)
	}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		n := func(b string) int { return tx.Bucket([]byte(b)).Stats().KeyN }
		if n(bucketCDR) != 10 || n(bucketCDRSummary) != 10 || n(bucketCDRStart) != 10 {
			t.Errorf("records %d, summaries %d, start keys %d", n(bucketCDR), n(bucketCDRSummary), n(bucketCDRStart))
		}
		// Every party key belongs to a kept record.
		return tx.Bucket([]byte(bucketCDRParty)).ForEach(func(k, _ []byte) error {
			if id := k[len(k)-8:]; tx.Bucket([]byte(bucketCDR)).Get(id) == nil {
				t.Errorf("party key %q of a trimmed record", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !db.indexed {
		t.Error("index not whole")
	}
}

func TestEachCallRecordStreamsInOrder(t *testing.T) {
	db, _ := openTemp(t)
	recs := fillDB(t, db, genRecords(3*exportChunk+17, 5, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)))
	for _, q := range []CallQuery{{}, {Ascending: true}, {From: recs[100].Start, To: recs[700].Start}, {From: recs[100].Start, Ascending: true, Extension: "101"}} {
		want := model(recs, q)
		slices.SortFunc(want, func(a, b CallRecord) int {
			c := a.Start.Compare(b.Start)
			if c == 0 {
				c = int(a.ID) - int(b.ID)
			}
			if !q.Ascending {
				c = -c
			}
			return c
		})
		var got []CallRecord
		if err := db.EachCallRecord(q, func(r CallRecord) error { got = append(got, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("%+v: %d records, want %d", q, len(got), len(want))
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := db.EachCallRecord(CallQuery{}, func(CallRecord) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("fn's error: %v after %d", err, n)
	}
}

func TestParseCallQuery(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Moscow")
	q, err := ParseCallQuery(url.Values{"from": {"2026-11-20"}, "to": {"2026-11-21"}, "result": {"missed,busy", "answered"},
		"direction": {"in"}, "extension": {"101"}, "min_duration": {"10"}, "sort": {"duration"}, "order": {"asc"}, "limit": {"20"}, "offset": {"40"}}, loc)
	if err != nil {
		t.Fatal(err)
	}
	if !q.From.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, loc)) || !q.To.Equal(time.Date(2026, 11, 22, 0, 0, 0, 0, loc)) {
		t.Errorf("range %v – %v", q.From, q.To)
	}
	if !slices.Equal(q.Results, []string{"missed", "busy", "answered"}) || !q.Ascending || q.Limit != 20 || q.Offset != 40 || q.Sort != "duration" {
		t.Errorf("%+v", q)
	}
	if q, _ := ParseCallQuery(url.Values{"from": {"2026-11-20T09:30"}, "to": {"2026-11-20T10:00:00Z"}}, loc); !q.From.Equal(time.Date(2026, 11, 20, 9, 30, 0, 0, loc)) || q.To.Hour() != 10 {
		t.Errorf("times: %v %v", q.From, q.To)
	}
	for _, tc := range []struct {
		v     url.Values
		field string
	}{
		{url.Values{"from": {"yesterday"}}, "from"},
		{url.Values{"from": {"2026-11-21"}, "to": {"2026-11-20"}}, "to"},
		{url.Values{"direction": {"sideways"}}, "direction"},
		{url.Values{"origin": {"fax"}}, "origin"},
		{url.Values{"result": {"answered,lost"}}, "result"},
		{url.Values{"min_duration": {"-1"}}, "min_duration"},
		{url.Values{"min_duration": {"60"}, "max_duration": {"30"}}, "max_duration"},
		{url.Values{"limit": {"0"}}, "limit"},
		{url.Values{"limit": {"5000"}}, "limit"},
		{url.Values{"offset": {"x"}}, "offset"},
		{url.Values{"sort": {"colour"}}, "sort"},
		{url.Values{"order": {"up"}}, "order"},
		{url.Values{"before": {"0"}}, "before"},
		{url.Values{"number": {strings.Repeat("1", 65)}}, "number"},
		{url.Values{"caller": {"a\nb"}}, "caller"},
		{url.Values{"colour": {"red"}}, "colour"},
		{url.Values{"limit": {"1", "2"}}, "limit"},
	} {
		_, err := ParseCallQuery(tc.v, loc)
		v, ok := AsValidationError(err)
		if !ok || len(v.Fields) == 0 || v.Fields[0].Field != tc.field {
			t.Errorf("%v: %v, want an error on %s", tc.v, err, tc.field)
		}
	}
	if q, err := ParseCallQuery(url.Values{"origin": {"disa"}}, loc); err != nil || q.Origin != OriginDISA {
		t.Errorf("origin=disa: %+v %v", q, err)
	}
	if _, err := ParseCallQuery(url.Values{"format": {"csv"}}, loc, "format"); err != nil {
		t.Errorf("an extra parameter: %v", err)
	}
}

func TestSummaryRoundTrip(t *testing.T) {
	for _, r := range genRecords(200, 6, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)) {
		deriveRecord(&r)
		r.Cost = Money(r.DurationS * 7)
		exts, lines := recordParties(&r, func(n string) bool { return n == "101" || n == "102" })
		var s summary
		if err := decodeSummary(9, encodeSummary(&r, exts, lines), &s); err != nil {
			t.Fatal(err)
		}
		if err := s.decodeTail(); err != nil {
			t.Fatal(err)
		}
		var gotExts, gotLines []string
		for _, e := range s.exts {
			gotExts = append(gotExts, string(e))
		}
		for _, l := range s.lines {
			gotLines = append(gotLines, string(l))
		}
		if s.id != 9 || s.start != r.Start.UnixMilli() || s.dur != int64(r.DurationS) || s.cost != int64(r.Cost) ||
			string(s.caller) != r.Caller || string(s.callee) != r.Callee || string(s.disp) != r.Disposition ||
			Results()[s.result-1] != r.Result || Directions()[s.dir-1] != r.Direction ||
			enumIndex(Origins(), r.Origin) != s.origin || s.disa != (r.DISA != "") ||
			!slices.Equal(gotExts, exts) || !slices.Equal(gotLines, lines) || len(s.queues) != len(r.Queues) {
			t.Fatalf("%+v\n-> %+v", r, s)
		}
	}
}
