package store

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeConfig: any input is either refused with an error or gives a
// Config that encodes and decodes back to itself. Never a panic.
func FuzzDecodeConfig(f *testing.F) {
	var buf bytes.Buffer
	EncodeConfig(&buf, DefaultConfig(DefaultLimits()))
	f.Add(buf.String())
	f.Add(v0Document)
	f.Add(`{"version":1,"system":{},"extensions":[{"number":"1"}],"fxo_lines":null}`)
	f.Add(`{"version":1,"system":{"name":"a","name":"b"}}`)
	f.Add(`{"version":0,"system":{"inter_digit_timeout_s":1e300}}`)
	f.Add(`[{"version":1}]`)
	f.Add(`{"version":1,"system":{},"fxs_ports":[{"port":1,"flash_min_ms":90},{"port":-1,"flash_max_ms":1e9}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := DecodeConfig(strings.NewReader(doc))
		if err != nil {
			if v, ok := AsValidationError(err); ok && len(v.Fields) == 0 {
				t.Fatal("empty ValidationError")
			}
			return
		}
		var out bytes.Buffer
		if err := EncodeConfig(&out, c); err != nil {
			t.Fatal(err)
		}
		c2, err := DecodeConfig(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("re-decoding an encoded config: %v\n%s", err, out.String())
		}
		var again bytes.Buffer
		EncodeConfig(&again, c2)
		if again.String() != out.String() {
			t.Fatalf("not stable:\n%s\n%s", out.String(), again.String())
		}
	})
}

// FuzzDecodeValue: the envelope decoder refuses or decodes, never panics,
// for every kind and both file schemas.
func FuzzDecodeValue(f *testing.F) {
	e, _ := encodeValue(Extension{Number: "101", Secret: "x"})
	f.Add(e, uint8(0))
	f.Add([]byte(`{"number":"21","password":"p","fxs":1}`), uint8(0))
	f.Add([]byte(`{"schema":1,"data":{"port":1}}`), uint8(1))
	f.Add([]byte(`{"schema":9,"data":{}}`), uint8(2))
	f.Add([]byte(`{"schema":1,"data":null}`), uint8(3))
	kinds := []struct {
		kind string
		new  func() any
	}{
		{"system", func() any { return new(System) }},
		{"extension", func() any { return new(Extension) }},
		{"fxo_line", func() any { return new(FXOLine) }},
		{"fxs_port", func() any { return new(FXSPort) }},
		{"cdr", func() any { return new(CallRecord) }},
		{"admin", func() any { return new(adminRecord) }},
		{"limits", func() any { return new(Limits) }},
	}
	f.Fuzz(func(t *testing.T, raw []byte, sel uint8) {
		k := kinds[int(sel)%len(kinds)]
		for _, schema := range []int{0, 1} {
			v := k.new()
			err := decodeValue(k.kind, raw, schema, v)
			if err != nil {
				continue
			}
			// A decoded value re-encodes and decodes to the same thing.
			enc, err := encodeValue(v)
			if err != nil {
				t.Fatal(err)
			}
			w := k.new()
			if err := decodeValue(k.kind, enc, 1, w); err != nil && !errors.Is(err, ErrTooNew) {
				t.Fatalf("re-decoding %s: %v", enc, err)
			}
		}
	})
}

// FuzzOpen: any file content is refused with an *OpenError or opens and
// reads; never a crash (bbolt itself faults on damaged pointers, which
// preflight must catch first). Inputs are whole database files: run with
// a short -fuzzminimizetime (e.g. 3s) or minimizing one takes a minute.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.db")
	db, err := Open(path, testOptions())
	if err != nil {
		f.Fatal(err)
	}
	db.CreateExtension(Extension{Number: "150"})
	db.AppendCallRecord(rec(1))
	db.Close()
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(seed[:8192])
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "pbx.db")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(p, testOptions())
		if err != nil {
			var oe *OpenError
			if !errors.As(err, &oe) {
				t.Fatalf("not an OpenError: %v", err)
			}
			return
		}
		defer db.Close()
		if _, err := db.Config(); err != nil {
			t.Fatalf("opened but unreadable: %v", err)
		}
		db.CallRecords(0, MaxCallRecordsPage)
	})
}

// FuzzParseCallQuery: any parameters are either refused with the
// parameter named or give a query the store accepts. Never a panic.
func FuzzParseCallQuery(f *testing.F) {
	f.Add("from=2026-11-20&to=2026-11-21&number=555&result=missed,busy&sort=duration&order=asc&limit=20&offset=40")
	f.Add("from=2026-11-20T09:30&min_duration=10&max_duration=5")
	f.Add("before=0&limit=5000&direction=up&colour=red")
	f.Add("to=2026-13-45&result=&extension=%00")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseCallQuery(v, time.UTC)
		if err != nil {
			ve, ok := AsValidationError(err)
			if !ok || len(ve.Fields) == 0 {
				t.Fatalf("not a field error: %v", err)
			}
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("parsed %+v but it does not validate: %v", q, err)
		}
	})
}

// FuzzDecodeSummary: a damaged summary is refused, never a panic or a
// read past its end.
func FuzzDecodeSummary(f *testing.F) {
	r := rec(1)
	deriveRecord(&r)
	r.Queues = []QueueVisit{{Queue: "sales", Enter: r.Start, Leave: r.End, Outcome: QueueAnswered}}
	f.Add(encodeSummary(&r, []string{"101"}, []string{"fxo:1"}))
	f.Add([]byte{summaryFormat})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var s summary
		if decodeSummary(1, raw, &s) == nil {
			_ = s.decodeTail()
		}
	})
}

// FuzzParseMoney: an amount parses to what it says or is refused.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"0", "0.035", "-1.5", "999999999.9999", "1e3", "", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			return
		}
		back, err := ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("%q → %v → %q → %v (%v)", s, int64(m), m.String(), int64(back), err)
		}
	})
}
