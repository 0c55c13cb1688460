package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// fieldErrors returns the validation problems of err by field.
func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("want a validation error, got %v", err)
	}
	out := map[string]string{}
	for _, f := range v.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func TestSetPhoneTokenAndUpdates(t *testing.T) {
	db, _ := openTemp(t)
	p, err := db.SetPhone(Phone{MAC: "00:15:65:A1:B2:C3", Extension: "101", Template: "yealink", Model: "SIP-T46S"})
	if err != nil {
		t.Fatal(err)
	}
	if p.MAC != "001565a1b2c3" || len(p.Token) != PhoneTokenLen || p.Issued.IsZero() || !p.Fetched.IsZero() {
		t.Fatalf("new phone: %+v", p)
	}
	// A change keeps the token, whatever the caller sends.
	q, err := db.SetPhone(Phone{MAC: "001565a1b2c3", Extension: "102", Template: "yealink", Token: strings.Repeat("a", 32)})
	if err != nil {
		t.Fatal(err)
	}
	if q.Token != p.Token || q.Extension != "102" {
		t.Fatalf("changed phone: %+v (token was %s)", q, p.Token)
	}
	if err := db.MarkPhoneFetched(p.MAC, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := db.ReissuePhoneToken(p.MAC)
	if err != nil {
		t.Fatal(err)
	}
	if r.Token == p.Token || !r.Fetched.IsZero() {
		t.Fatalf("reissued: %+v", r)
	}
	if _, err := db.ReissuePhoneToken("0004130a0b0c"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("reissue of an unknown phone: %v", err)
	}
	if err := db.DeletePhone(p.MAC); err != nil {
		t.Fatal(err)
	}
	if pr, _ := db.Provisioning(); len(pr.Phones) != 0 {
		t.Fatalf("after delete: %+v", pr)
	}
}

func TestPhoneValidation(t *testing.T) {
	db, _ := openTemp(t)
	_, err := db.SetPhone(Phone{MAC: "zz", Extension: "999", Template: "nokia", Keys: []string{"101", "101", "x"}, Model: "bad\x00"})
	got := fieldErrors(t, err)
	for _, f := range []string{"mac", "extension", "template", "keys[1]", "keys[2]", "model"} {
		if got[f] == "" {
			t.Errorf("no error on %s: %v", f, got)
		}
	}
	if pr, _ := db.Provisioning(); len(pr.Phones) != 0 {
		t.Fatalf("an invalid phone was stored: %+v", pr)
	}
}

func TestPhoneFollowsItsExtension(t *testing.T) {
	db, _ := openTemp(t)
	if _, err := db.CreateExtension(Extension{Number: "105", Name: "Reception"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetPhone(Phone{MAC: "000b82010203", Extension: "105", Template: "grandstream", Keys: []string{"102"}}); err != nil {
		t.Fatal(err)
	}
	// Deleting the phone's extension is refused, naming the phone.
	err := db.DeleteExtension("105")
	if got := fieldErrors(t, err); !strings.Contains(got["number"], "in use by phone 000b82010203") {
		t.Fatalf("delete of a provisioned extension: %v", got)
	}
	// Renumbering moves the phone and its keys along.
	e, _ := db.Extension("102")
	e.Number = "122"
	if _, err := db.UpdateExtension("102", e); err != nil {
		t.Fatal(err)
	}
	e, _ = db.Extension("105")
	e.Number = "115"
	if _, err := db.UpdateExtension("105", e); err != nil {
		t.Fatal(err)
	}
	pr, _ := db.Provisioning()
	if pr.Phones[0].Extension != "115" || pr.Phones[0].Keys[0] != "122" {
		t.Fatalf("after renumbering: %+v", pr.Phones[0])
	}
}

func TestPhonesExportImport(t *testing.T) {
	db, _ := openTemp(t)
	p, err := db.SetPhone(Phone{MAC: "0004130a0b0c", Extension: "101", Template: "snom"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetProvisioningPlainHTTP(true); err != nil {
		t.Fatal(err)
	}
	c, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodeConfig(&buf, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"allow_plain_http": true`) || !strings.Contains(buf.String(), p.Token) {
		t.Fatalf("export lacks the provisioning section:\n%s", buf.String())
	}
	// A document naming a new phone without a token: one is generated;
	// the known phone without one keeps its own.
	doc := strings.Replace(buf.String(), `"token": "`+p.Token+`"`, `"token": ""`, 1)
	doc = strings.Replace(doc, `"phones": [`, `"phones": [{"mac": "0c383e010203", "extension": "102", "template": "fanvil", "token": ""},`, 1)
	in, err := DecodeConfig(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportConfig(in); err != nil {
		t.Fatal(err)
	}
	pr, _ := db.Provisioning()
	if len(pr.Phones) != 2 || pr.Phones[0].MAC != "0004130a0b0c" || pr.Phones[0].Token != p.Token ||
		len(pr.Phones[1].Token) != PhoneTokenLen || !pr.AllowPlainHTTP {
		t.Fatalf("after import: %+v", pr)
	}
	// Two phones with one token are refused.
	bad := strings.Replace(doc, `"token": ""`, `"token": "`+p.Token+`"`, -1)
	in, err = DecodeConfig(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if got := fieldErrors(t, db.ImportConfig(in)); got["provisioning.phones[1].token"] == "" && got["provisioning.phones[0].token"] == "" {
		t.Fatalf("a shared token was accepted: %v", got)
	}
}
