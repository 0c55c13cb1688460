package webui

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"minipbx/telephony/store"
)

// FuzzParseBearer: any Authorization header is read without panicking;
// a token comes only from the Bearer scheme, and is what followed it.
func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer mpx_" + strings.Repeat("A", 43), "bearer  x", "Basic YWRtaW46cHc=", "Bearer", "Bearer ", " Bearer x", "BEARER\tx", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := parseBearer(h)
		if !ok {
			if tok != "" {
				t.Fatalf("parseBearer(%q): a token without the scheme", h)
			}
			return
		}
		if !strings.EqualFold(h[:6], "bearer") || !strings.HasSuffix(h, tok) || strings.HasPrefix(tok, " ") {
			t.Fatalf("parseBearer(%q) = %q", h, tok)
		}
		// The store's syntax check stands between the header and a hash.
		if store.ValidTokenSyntax(tok) && (len(tok) != store.TokenLen || !strings.HasPrefix(tok, store.TokenPrefix)) {
			t.Fatalf("%q passed the token syntax", tok)
		}
	})
}

// FuzzDecodeRole: any body of PUT /api/v1/roles/{role} is either refused
// with a reason or a valid permission set: known permissions, each once,
// the administrator's floor kept.
func FuzzDecodeRole(f *testing.F) {
	for _, s := range []string{`{"permissions":["status","users","roles"]}`, `{"permissions":[]}`, `{"permissions":null}`, `{}`,
		`{"permissions":["status","status"]}`, `{"permissions":["own.calls"],"x":1}`, `{"permissions":"status"}`, `[`, ``} {
		for _, role := range []string{store.RoleAdministrator, store.RoleUser} {
			f.Add(role, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, role string, data []byte) {
		r, herr := decodeRole(role, data)
		if herr != nil {
			if herr.msg == "" || herr.status < 400 {
				t.Fatalf("refusal without a reason: %+v", herr)
			}
			return
		}
		if !json.Valid(data) || !slices.Contains(store.RoleNames(), r.Name) {
			t.Fatalf("accepted %q for %q", data, role)
		}
		seen := map[string]bool{}
		for _, p := range r.Permissions {
			if !store.IsPermission(p) || seen[p] {
				t.Fatalf("accepted permission %q in %q", p, data)
			}
			seen[p] = true
		}
		if r.Name == store.RoleAdministrator {
			for _, p := range store.AdminFloor() {
				if !seen[p] {
					t.Fatalf("the administrator lost %s: %q", p, data)
				}
			}
		}
	})
}

// FuzzAuditCSV: any audit entry exports as CSV that reads back as the
// same cells, none of which a spreadsheet would take for a formula.
func FuzzAuditCSV(f *testing.F) {
	for _, s := range []string{"=1+1", "-2", "+cmd|' /C calc'!A0", "@SUM(1)", "a,b", "say \"hi\"", "line\nbreak", "\r=x", "\t=x", "é", ""} {
		f.Add(s, s, uint64(7))
	}
	f.Fuzz(func(t *testing.T, target, change string, id uint64) {
		if !utf8.ValidString(target) || !utf8.ValidString(change) {
			t.Skip("the log holds text")
		}
		e := store.AuditEntry{ID: id, Time: time.Unix(1700000000, 0), Actor: target, Action: store.AuditChange, Target: target, Changes: []string{change, target}}
		var b bytes.Buffer
		if err := writeAuditCSV(&b, []store.AuditEntry{e}, time.UTC); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil || len(rows) != 2 || len(rows[1]) != len(auditCSVColumns) {
			t.Fatalf("%q: %v %q", b.String(), err, rows)
		}
		for i, cell := range rows[1] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("column %s starts a formula: %q", auditCSVColumns[i], cell)
			}
		}
		// csv.Reader turns \r\n inside a quoted field into \n.
		norm := func(s string) string { return strings.ReplaceAll(csvCell(s), "\r\n", "\n") }
		if rows[1][8] != norm(target) || rows[1][10] != norm(change+"\n"+target) {
			t.Fatalf("cells %q, want %q and %q", rows[1], norm(target), norm(change+"\n"+target))
		}
	})
}

// FuzzAuditQuery: any query string gives a filter or errors beside its
// fields, never a panic; a filter never asks for more than the log holds.
func FuzzAuditQuery(f *testing.F) {
	for _, s := range []string{"actor=admin&action=refused", "from=2026-01-01&to=2025-01-01", "before=0", "limit=99999", "from=x", "q=%ff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, in, fs := parseAuditQuery(q, time.UTC)
		if fs != nil {
			for _, fe := range fs {
				if fe.Field == "" || fe.Message == "" {
					t.Fatalf("%q: an error without a field: %+v", raw, fe)
				}
			}
			return
		}
		if flt.Limit < 1 || flt.Limit > store.MaxAuditEntries || (!flt.From.IsZero() && !flt.To.IsZero() && !flt.From.Before(flt.To)) {
			t.Fatalf("%q: filter %+v", raw, flt)
		}
		if _, err := url.ParseQuery(in.encode().Encode()); err != nil {
			t.Fatalf("%q: the filter does not encode: %v", raw, err)
		}
	})
}
