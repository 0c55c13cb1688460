package cdrcsv

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// records are stored in a real database (which derives the direction and
// result and prices the calls), exported as CSV through the store's
// streaming export, read back and compared field by field.
func TestRoundTripThroughTheStore(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, _ := db.Config()
	c.LineGroups = []store.LineGroup{{Name: "lines", Lines: []int{1}, Hunt: "ascending"}}
	c.OutboundRoutes = []store.OutboundRoute{{Name: "mobile", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"lines"},
		Tariff: store.Tariff{PerMinute: 350, Connection: 1000}}}
	c.Billing.Currency = "EUR"
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Bishkek")
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, loc)
	hostile := []string{`=HYPERLINK("http://x","y")`, "+SUM(A1)", "-2+3", "@cmd", "a,b", `quote "q"`, "line\nbreak", "Иван Петров", "\tTab", ""}
	var want []store.CallRecord
	for i, name := range hostile {
		st := base.Add(time.Duration(i) * time.Hour)
		r := store.CallRecord{Start: st, End: st.Add(20 * time.Second), Caller: "+74951234567", CallerName: name, Callee: "89161234567",
			Source: "sip:101", Destination: "fxo:1", Route: "mobile", Disposition: store.DispositionNoAnswer,
			Legs: []store.CallLeg{{Name: "sip:101", Number: "101", Start: st, End: st.Add(20 * time.Second)}, {Name: "fxo:1", Start: st, End: st.Add(20 * time.Second)}}}
		if i%2 == 0 {
			r.Disposition, r.Answer, r.DurationS = store.DispositionAnswered, st.Add(5*time.Second), 15
			r.Path = []store.CallStep{{Time: st.Add(5 * time.Second), Event: "answered", Party: "fxo:1"}}
		}
		if i == 3 {
			r.Source, r.Caller, r.Route = "trunk:prov", "-1", ""
			r.Queues = []store.QueueVisit{{Queue: "sales", Enter: st, Leave: st.Add(12 * time.Second), Outcome: store.QueueAnswered}}
			r.Voicemail = "101/20261120T100000Z"
			r.Recording = "20261120T120000-c7"
		}
		got, err := db.AppendCallRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, got)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, loc, "EUR")
	if err := db.EachCallRecord(store.CallQuery{Ascending: true}, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\n=HYPERLINK", ",=HYPERLINK", ",+SUM", ",@cmd", ",-2+3"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("a formula reaches the CSV as %q:\n%s", bad, buf.String())
		}
	}
	if !strings.Contains(buf.String(), ",+74951234567,") {
		t.Error("a telephone number with + was defused")
	}
	rd := NewReader(&buf, loc)
	for i, r := range want {
		got, err := rd.Read()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		r.Start, r.Answer, r.End = r.Start.In(loc), r.Answer.In(loc), r.End.In(loc)
		if r.Answer.IsZero() || r.Answer.Equal(time.Time{}.In(loc)) {
			r.Answer = time.Time{}
		}
		if !got.Start.Equal(r.Start) || !got.Answer.Equal(r.Answer) || !got.End.Equal(r.End) {
			t.Errorf("record %d: times %v %v %v, want %v %v %v", i, got.Start, got.Answer, got.End, r.Start, r.Answer, r.End)
		}
		var legs []store.CallLeg
		for _, l := range r.Legs {
			legs = append(legs, store.CallLeg{Name: l.Name})
		}
		var queues []store.QueueVisit
		for _, q := range r.Queues {
			queues = append(queues, store.QueueVisit{Queue: q.Queue})
		}
		exp := store.CallRecord{ID: r.ID, Caller: r.Caller, CallerName: r.CallerName, Callee: r.Callee, Direction: r.Direction, Result: r.Result,
			Disposition: r.Disposition, Source: r.Source, Destination: r.Destination, Route: r.Route, DurationS: r.DurationS, Cost: r.Cost,
			Voicemail: r.Voicemail, Recording: r.Recording, Legs: legs, Queues: queues}
		got.Start, got.Answer, got.End = time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, exp)
		}
		if r.Cost == 0 && r.Result == store.ResultAnswered && r.Route != "" {
			t.Errorf("record %d: an answered call by a priced route cost nothing", i)
		}
	}
	if _, err := rd.Read(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last record: %v", err)
	}
}

func TestHeaderAlone(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, nil, "")
	w.WriteHeader()
	w.Flush()
	if buf.String() != strings.Join(Columns(), ",")+"\n" {
		t.Errorf("%q", buf.String())
	}
	if _, err := NewReader(&buf, nil).Read(); !errors.Is(err, io.EOF) {
		t.Errorf("an empty export reads as %v", err)
	}
}

func TestReaderRefusesBadInput(t *testing.T) {
	head := strings.Join(Columns(), ",") + "\n"
	row := func(edit func([]string)) string {
		f := []string{"1", "2026-11-20 09:00:00", "", "2026-11-20 09:00:10", "101", "", "102", "internal", "missed", "no-answer",
			"sip:101", "", "0", "", "", "0", "", "", "", "", "", "sip:101", ""}
		edit(f)
		return head + strings.Join(f, ",") + "\n"
	}
	for name, in := range map[string]string{
		"no header":   "",
		"missing col": "id,start\n1,2\n",
		"bad id":      row(func(f []string) { f[0] = "x" }),
		"bad time":    row(func(f []string) { f[1] = "yesterday" }),
		"bad cost":    row(func(f []string) { f[15] = "1e3" }),
		"bad result":  row(func(f []string) { f[8] = "lost" }),
		"bad talk":    row(func(f []string) { f[12] = "-4" }),
		"short row":   head + "1,2\n",
	} {
		if _, err := NewReader(strings.NewReader(in), nil).Read(); err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewReader(strings.NewReader(row(func([]string) {})), nil).Read(); err != nil {
		t.Errorf("a good row: %v", err)
	}
}

// FuzzReader: any input is read or refused, never a panic.
func FuzzReader(f *testing.F) {
	head := strings.Join(Columns(), ",") + "\n"
	f.Add(head + "1,2026-11-20 09:00:00,,2026-11-20 09:00:10,101,,102,internal,missed,no-answer,sip:101,,0,,,0,,,,,sip:101,\n")
	f.Add(head + `1,"a""b",,,,,,,,,,,,,,,,,,,,` + "\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		rd := NewReader(strings.NewReader(in), nil)
		for range 100 {
			if _, err := rd.Read(); err != nil {
				return
			}
		}
	})
}
