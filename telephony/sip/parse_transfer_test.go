package sip

import (
	"encoding/xml"
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// The parsers of what phones send to transfer and take over calls
// (Refer-To, Replaces) and the busy-lamp document the box writes.

func TestParseReplaces(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want dialogID
		ok   bool
	}{
		{"425928@bobster.example.org;to-tag=7743;from-tag=6472", dialogID{"425928@bobster.example.org", "7743", "6472", false}, true},
		{" abc ; FROM-TAG = 1 ; to-tag=2 ; early-only", dialogID{"abc", "2", "1", true}, true},
		{"abc;to-tag=2;from-tag=1;x-vendor=7", dialogID{"abc", "2", "1", false}, true},
		{"abc;to-tag=2", dialogID{}, false},                           // both tags are required
		{"abc;to-tag=;from-tag=1", dialogID{}, false},                 // empty tag
		{";to-tag=2;from-tag=1", dialogID{}, false},                   // no Call-ID
		{"a@b@c;to-tag=2;from-tag=1", dialogID{}, false},              // word@word only
		{"abc;to-tag=2;to-tag=3;from-tag=1", dialogID{}, false},       // twice
		{"abc;to-tag=2;from-tag=1;early-only=yes", dialogID{}, false}, // a flag has no value
		{"abc;to-tag=2;from-tag=1;;", dialogID{}, false},
		{"abc;to-tag=a\"b;from-tag=1", dialogID{}, false},
		{"ab c;to-tag=2;from-tag=1", dialogID{}, false},
		{strings.Repeat("x", 300) + ";to-tag=2;from-tag=1", dialogID{}, false},
	} {
		got, err := parseReplaces(tc.in)
		if (err == nil) != tc.ok || tc.ok && got != tc.want {
			t.Errorf("parseReplaces(%q) = %+v, %v; want %+v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, errBadReplaces) {
			t.Errorf("parseReplaces(%q): error %v is not errBadReplaces", tc.in, err)
		}
	}
}

func TestParseReferTo(t *testing.T) {
	rep := &dialogID{"x@h", "7", "6", false}
	for _, tc := range []struct {
		in   string
		want referTo
		err  error
	}{
		{"<sip:202@192.0.2.10>", referTo{scheme: "sip", user: "202", host: "192.0.2.10"}, nil},
		{`"Boss" <SIPS:202@PBX.Example.COM:5061;transport=tls>;foo=bar`, referTo{scheme: "sips", user: "202", host: "pbx.example.com"}, nil},
		{"sip:202@[2001:db8::1]:5060", referTo{scheme: "sip", user: "202", host: "2001:db8::1"}, nil},
		{"sip:%2A72@box;user=phone", referTo{scheme: "sip", user: "*72", host: "box"}, nil},
		{"sip:202:secret@box", referTo{scheme: "sip", user: "202", host: "box"}, nil},
		{"<sip:202@box?Replaces=x%40h%3Bto-tag%3D7%3Bfrom-tag%3D6>", referTo{scheme: "sip", user: "202", host: "box", replaces: rep}, nil},
		// As baresip sends it: a bare URI, header unescaped but for ';'.
		{"sip:202@box?Require=replaces&Replaces=x@h%3Bto-tag%3D7%3Bfrom-tag%3D6", referTo{scheme: "sip", user: "202", host: "box", replaces: rep}, nil},
		{"<sip:box?Replaces=x%40h%3Bto-tag%3D7%3Bfrom-tag%3D6>", referTo{scheme: "sip", host: "box", replaces: rep}, nil},
		{`"a <b>" <sip:202@box>`, referTo{scheme: "sip", user: "202", host: "box"}, nil},
		{"<tel:+15551234>", referTo{}, errReferScheme},
		{"<http://example.com>", referTo{}, errReferScheme},
		{"<sip:202@box", referTo{}, errBadReferTo},
		{"202@box", referTo{}, errBadReferTo},
		{"<sip:202@>", referTo{}, errBadReferTo},
		{"<sip:202@box:99999>", referTo{}, errBadReferTo},
		{"<sip:202@[::1>", referTo{}, errBadReferTo},
		{"<sip:202@bad/host>", referTo{}, errBadReferTo},
		{"<sip:%zz@box>", referTo{}, errBadReferTo},
		{"<sip:%0a@box>", referTo{}, errBadReferTo},
		{"<sip:202@box?Replaces=x%3Bto-tag%3D7>", referTo{}, errBadReferTo},
		{"<sip:202@box?Replaces=a%3Bto-tag%3D7%3Bfrom-tag%3D6&Replaces=b%3Bto-tag%3D7%3Bfrom-tag%3D6>", referTo{}, errBadReferTo},
	} {
		got, err := parseReferTo(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("parseReferTo(%q) = %+v, %v; want %v", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.scheme != tc.want.scheme || got.user != tc.want.user || got.host != tc.want.host ||
			(got.replaces == nil) != (tc.want.replaces == nil) || got.replaces != nil && *got.replaces != *tc.want.replaces {
			t.Errorf("parseReferTo(%q) = %+v (replaces %+v), %v; want %+v", tc.in, got, got.replaces, err, tc.want)
		}
	}
}

// parsedDialogInfo is what a phone reads of a dialog-info document.
type parsedDialogInfo struct {
	XMLName xml.Name `xml:"urn:ietf:params:xml:ns:dialog-info dialog-info"`
	Version string   `xml:"version,attr"`
	State   string   `xml:"state,attr"`
	Entity  string   `xml:"entity,attr"`
	Dialogs []struct {
		ID        string `xml:"id,attr"`
		CallID    string `xml:"call-id,attr"`
		LocalTag  string `xml:"local-tag,attr"`
		RemoteTag string `xml:"remote-tag,attr"`
		Direction string `xml:"direction,attr"`
		State     string `xml:"state"`
		Local     struct {
			Identity string `xml:"identity"`
			Target   struct {
				URI string `xml:"uri,attr"`
			} `xml:"target"`
		} `xml:"local"`
		Remote struct {
			Identity struct {
				Display string `xml:"display,attr"`
				URI     string `xml:",chardata"`
			} `xml:"identity"`
		} `xml:"remote"`
	} `xml:"dialog"`
}

func TestDialogInfoDocument(t *testing.T) {
	doc := dialogDoc{Entity: "sip:201@192.0.2.10", Version: 7, Dialogs: []dialogElem{{
		ID: "sip-1", CallID: "c@h", LocalTag: "l<", RemoteTag: `r"`, Direction: "recipient", State: "early",
		Local:  party{URI: "sip:201@192.0.2.10"},
		Remote: party{URI: "sip:" + escapeUser("Bob & <Co>") + "@192.0.2.10", Display: "Bob & <Co>"},
	}}}
	b := doc.marshal()
	var p parsedDialogInfo
	if err := xml.Unmarshal(b, &p); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	if p.Version != "7" || p.State != "full" || p.Entity != doc.Entity || len(p.Dialogs) != 1 {
		t.Fatalf("document %+v\n%s", p, b)
	}
	d := p.Dialogs[0]
	if d.ID != "sip-1" || d.CallID != "c@h" || d.LocalTag != "l<" || d.RemoteTag != `r"` || d.Direction != "recipient" || d.State != "early" {
		t.Errorf("dialog %+v", d)
	}
	if d.Local.Identity != "sip:201@192.0.2.10" || d.Local.Target.URI != "sip:201@192.0.2.10" {
		t.Errorf("local %+v", d.Local)
	}
	if d.Remote.Identity.Display != "Bob & <Co>" || d.Remote.Identity.URI != "sip:Bob%20&%20%3CCo%3E@192.0.2.10" {
		t.Errorf("remote %+v", d.Remote)
	}
}

// FuzzParseReplaces: any header value is refused with errBadReplaces or
// gives a dialog whose parts are usable tokens.
func FuzzParseReplaces(f *testing.F) {
	for _, s := range []string{"a@b;to-tag=1;from-tag=2", "a;from-tag=1;to-tag=2;early-only", "x;to-tag=1", ";;", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseReplaces(s)
		if err != nil {
			if !errors.Is(err, errBadReplaces) {
				t.Fatalf("error %v is not errBadReplaces", err)
			}
			return
		}
		if !isDialogToken(d.callID, true) || !isDialogToken(d.toTag, false) || !isDialogToken(d.fromTag, false) {
			t.Fatalf("accepted %q as %+v", s, d)
		}
	})
}

// FuzzParseReferTo: any Refer-To is refused with one of the parser's
// errors or gives a sip/sips target with a clean host and number.
func FuzzParseReferTo(f *testing.F) {
	for _, s := range []string{"<sip:202@box>", `"X" <sips:202@[::1]:5061;a=b>;c=d`, "sip:202@box?Replaces=a%40b%3Bto-tag%3D1%3Bfrom-tag%3D2",
		"<tel:1>", "<sip:%41@h?x=y&Replaces=q%3Bto-tag%3D1%3Bfrom-tag%3D2>", "<", "sip:@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseReferTo(s)
		if err != nil {
			if !errors.Is(err, errBadReferTo) && !errors.Is(err, errReferScheme) {
				t.Fatalf("error %v is neither errBadReferTo nor errReferScheme", err)
			}
			return
		}
		if r.scheme != "sip" && r.scheme != "sips" {
			t.Fatalf("scheme %q accepted", r.scheme)
		}
		if r.host == "" || r.host != strings.ToLower(r.host) || strings.ContainsAny(r.host, "[]/@?;<> ") {
			t.Fatalf("host %q accepted from %q", r.host, s)
		}
		if len(r.user) > maxReferUser || strings.ContainsFunc(r.user, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			t.Fatalf("user %q accepted from %q", r.user, s)
		}
	})
}

// FuzzDialogInfo: whatever the exchange names (numbers, callers, channel
// IDs, tags), the document phones get is well-formed XML that carries the
// values back unchanged (where they are valid UTF-8 without control
// characters, which XML cannot carry).
func FuzzDialogInfo(f *testing.F) {
	f.Add("201", "sip-1a2b", "5551234", "c@h", "tag1", "tag2")
	f.Add("701", "", "\"Bob\" <x>", "", "", "")
	f.Add("2&1", "a]]>b", "\x00\xff", "<", ">", "'")
	f.Fuzz(func(t *testing.T, number, id, caller, callID, localTag, remoteTag string) {
		uri := "sip:" + escapeUser(number) + "@192.0.2.10"
		doc := dialogDoc{Entity: uri, Version: 3, Dialogs: []dialogElem{{ID: id, CallID: callID, LocalTag: localTag, RemoteTag: remoteTag,
			Direction: "recipient", State: "confirmed", Local: party{URI: uri},
			Remote: party{URI: "sip:" + escapeUser(caller) + "@192.0.2.10", Display: caller}}}}
		b := doc.marshal()
		var p parsedDialogInfo
		if err := xml.Unmarshal(b, &p); err != nil {
			t.Fatalf("not XML: %v\n%s", err, b)
		}
		if len(p.Dialogs) != 1 || p.Entity != uri {
			t.Fatalf("document %+v", p)
		}
		if _, err := url.PathUnescape(strings.TrimPrefix(strings.TrimSuffix(p.Entity, "@192.0.2.10"), "sip:")); err != nil {
			t.Fatalf("entity %q: %v", p.Entity, err)
		}
		clean := func(s string) bool {
			return utf8.ValidString(s) && !strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0xfffd })
		}
		d := p.Dialogs[0]
		for _, v := range [][2]string{{id, d.ID}, {callID, d.CallID}, {localTag, d.LocalTag}, {remoteTag, d.RemoteTag}, {caller, d.Remote.Identity.Display}} {
			if clean(v[0]) && v[0] != v[1] {
				t.Fatalf("%q came back as %q", v[0], v[1])
			}
		}
	})
}
