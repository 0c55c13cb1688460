package store

import (
	"bytes"
	"reflect"
	"testing"
)

func TestCheckPIN(t *testing.T) {
	for _, tc := range []struct {
		ext, pin string
		ok       bool
	}{
		{"101", "4821", true},
		{"101", "90210", true},
		{"101", "12345678", false}, // a run
		{"101", "8765", false},     // a run down
		{"101", "8901", false},     // a run through 9→0
		{"101", "0000", false},
		{"101", "123", false},       // too short
		{"101", "123456789", false}, // too long
		{"101", "12a4", false},
		{"3109", "3109", false}, // the extension itself
		{"3109", "553109", false},
		{"101", "5101", true}, // short extensions may end a PIN
	} {
		if msg := CheckPIN(tc.ext, tc.pin); (msg == "") != tc.ok {
			t.Errorf("CheckPIN(%s, %s) = %q, want ok=%v", tc.ext, tc.pin, msg, tc.ok)
		}
	}
}

func TestVoicemailDefaults(t *testing.T) {
	var v Voicemail
	if v.MessageLimit() != DefaultVoicemailMessageS || v.MessageCount() != DefaultVoicemailMessages {
		t.Errorf("defaults %d %d", v.MessageLimit(), v.MessageCount())
	}
	v = Voicemail{MaxMessageS: 30, MaxMessages: 5, Boxes: []Mailbox{{Extension: "101", PIN: "4821"}}}
	if v.MessageLimit() != 30 || v.MessageCount() != 5 {
		t.Errorf("set %d %d", v.MessageLimit(), v.MessageCount())
	}
	if b, ok := v.Box("101"); !ok || b.PIN != "4821" {
		t.Errorf("Box(101) = %+v %v", b, ok)
	}
	if _, ok := v.Box("102"); ok {
		t.Error("Box(102) found")
	}
}

// TestVoicemailSectionRoundTrip: the section decodes from a document,
// survives the database, and comes back in the export.
func TestVoicemailSectionRoundTrip(t *testing.T) {
	db, _ := openTemp(t)
	c, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	c.Extensions = append(c.Extensions, Extension{Number: "155", Name: "Anna", Secret: "s3cret-s3cret"})
	c.Voicemail = Voicemail{MaxMessageS: 60, Boxes: []Mailbox{{Extension: "155", PIN: "4821", SkipPIN: true}}}
	c.ExtensionRules = []ExtensionRule{{Extension: "155", ForwardNoAnswer: "voicemail:155"}}
	var buf bytes.Buffer
	if err := EncodeConfig(&buf, c); err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeConfig(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportConfig(dec); err != nil {
		t.Fatal(err)
	}
	got, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Voicemail, c.Voicemail) {
		t.Errorf("voicemail %+v, want %+v", got.Voicemail, c.Voicemail)
	}
}
