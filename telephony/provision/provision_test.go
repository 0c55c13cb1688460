package provision

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// office is a box with extensions 201 Anna (with a mailbox), 202 Bob and
// 203 "Ann "Lee" <&>" (a name that tries to break out of its field),
// park slots 701-709, in Berlin, speaking Russian.
type office struct {
	db   *store.DB
	svc  *Service
	now  time.Time
	tls  *httptest.Server
	http *httptest.Server
	dir  string
}

func newOffice(t testing.TB) *office {
	t.Helper()
	dir := t.TempDir()
	o := &office{now: time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC), dir: filepath.Join(dir, "provisioning", "templates")}
	db, err := store.Open(filepath.Join(dir, "pbx.db"), store.Options{Limits: &store.Limits{FXSPorts: 2, FXOPorts: 2},
		Now: func() time.Time { return o.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := db.Config()
	if err != nil {
		t.Fatal(err)
	}
	c.System.TimeZone = "Europe/Berlin"
	c.System.Language = "ru"
	c.System.Name = "Office"
	c.Extensions = append(c.Extensions,
		store.Extension{Number: "201", Name: "Anna", Secret: "Anna-Secret-0123"},
		store.Extension{Number: "202", Name: "Bob"},
		store.Extension{Number: "203", Name: `Ann "Lee" <&> = #1`})
	c.Voicemail.Boxes = []store.Mailbox{{Extension: "201", PIN: "7391"}}
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	o.db = db
	o.svc, err = New(Config{Store: db, TemplateDir: o.dir, Now: func() time.Time { return o.now },
		Addresses: func() Addresses {
			return Addresses{Host: "192.0.2.10", SIPPort: 5060, SIPTLSPort: 5061, HTTPSPort: 8443, HTTPPort: 8080}
		}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+PathPrefix, o.svc)
	o.tls = httptest.NewTLSServer(mux)
	o.http = httptest.NewServer(mux)
	t.Cleanup(o.tls.Close)
	t.Cleanup(o.http.Close)
	return o
}

// get fetches path from the box over HTTPS (or plain HTTP).
func (o *office) get(t testing.TB, path string, plain bool) (int, string, http.Header) {
	t.Helper()
	base, cl := o.tls.URL, o.tls.Client()
	if plain {
		base, cl = o.http.URL, o.http.Client()
	}
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("User-Agent", "Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3")
	res, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// provision assigns a phone of brand as extension 201 and returns it.
func (o *office) provision(t *testing.T, mac, brand string) store.Phone {
	t.Helper()
	p, err := o.svc.Assign(Assignment{MAC: mac, Extension: "201", Template: brand})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fetch gets phone p's file and reads it back with its brand's rules.
func (o *office) fetch(t *testing.T, p store.Phone) Settings {
	t.Helper()
	b, _ := brandByKey(p.Template)
	code, body, h := o.get(t, PathPrefix+p.Token+"/"+b.fileName(p.MAC), false)
	if code != 200 {
		t.Fatalf("%s: %d %s", b.Key, code, body)
	}
	if ct := h.Get("Content-Type"); ct != b.ContentType {
		t.Errorf("%s: Content-Type %q", b.Key, ct)
	}
	s, err := Parse(b.Format, []byte(body))
	if err != nil {
		t.Fatalf("%s: the file breaks its format: %v\n%s", b.Key, err, body)
	}
	if testing.Verbose() {
		t.Logf("%s file:\n%s", b.Key, body)
	}
	return s
}

// want checks settings against expected values.
func want(t *testing.T, brand string, s Settings, kv map[string]string) {
	t.Helper()
	for k, v := range kv {
		if got, ok := s[k]; !ok || got != v {
			t.Errorf("%s: %s = %q (set: %v), want %q", brand, k, got, ok, v)
		}
	}
}

// TestFilesReadBack fetches each brand's file as its phone would and
// reads it back with the brand's format rules: account, box, busy lamps
// for the extensions and the park slots, time zone with summer time,
// language, voicemail number, and where to fetch it again.
func TestFilesReadBack(t *testing.T) {
	o := newOffice(t)
	host := strings.TrimPrefix(o.tls.URL, "https://")

	p := o.provision(t, "00:15:65:a1:b2:c3", "yealink")
	dir := "https://" + host + "/provision/" + p.Token
	s := o.fetch(t, p)
	want(t, "yealink", s, map[string]string{
		"account.1.enable": "1", "account.1.user_name": "201", "account.1.auth_name": "201",
		"account.1.password": "Anna-Secret-0123", "account.1.display_name": "Anna", "account.1.label": "201 Anna",
		"account.1.sip_server.1.address": "192.0.2.10", "account.1.sip_server.1.port": "5060",
		"account.1.sip_server.1.transport_type": "0", "voice_mail.number.1": "*97",
		"local_time.time_zone": "+1", "local_time.summer_time": "1", "local_time.start_time": "3/5/7/2",
		"local_time.end_time": "10/5/7/3", "local_time.offset_time": "60", "local_time.ntp_server1": "pool.ntp.org",
		"lang.gui": "Russian", "static.auto_provision.server.url": dir + "/",
		// Key 1 is the account; the lamps: 101, 102 (the analog phones), 202, 203, then the park slots.
		"linekey.2.type": "16", "linekey.2.value": "101", "linekey.4.value": "202", "linekey.4.label": "Bob",
		"linekey.5.value": "203", "linekey.5.label": `Ann "Lee" <&> = #1`,
		"linekey.6.value": "701", "linekey.6.label": "Park 701", "linekey.14.value": "709",
	})
	if _, ok := s["linekey.15.value"]; ok {
		t.Error("yealink: a key beyond the last park slot")
	}
	for k, v := range s {
		if strings.HasPrefix(k, "linekey.") && strings.HasSuffix(k, ".value") && v == "201" {
			t.Errorf("yealink: the phone watches its own extension on %s", k)
		}
	}

	p = o.provision(t, "000b82a1b2c3", "grandstream")
	s = o.fetch(t, p)
	want(t, "grandstream", s, map[string]string{
		"mac": "000b82a1b2c3", "P271": "1", "P47": "192.0.2.10:5060", "P35": "201", "P36": "201", "P34": "Anna-Secret-0123",
		"P3": "Anna", "P130": "0", "P33": "*97", "P30": "pool.ntp.org", "P64": "customize",
		"P246": "CET-1CEST,M3.5.0,M10.5.0/3", "P1362": "ru", "P212": "2", "P237": host + "/provision/" + p.Token,
		// Multi-purpose keys 1-7: mode 1 (BLF), name, value.
		"P323": "1", "P301": "0", "P302": "FXS 1", "P303": "101", "P325": "1", "P308": "Bob", "P309": "202",
		"P311": `Ann "Lee" <&> = #1`, "P312": "203", "P314": "Park 701", "P329": "1", "P320": "Park 703", "P321": "703",
	})
	if _, ok := s["P330"]; ok {
		t.Error("grandstream: an eighth multi-purpose key")
	}

	p = o.provision(t, "000413a1b2c3", "snom")
	s = o.fetch(t, p)
	want(t, "snom", s, map[string]string{
		"user_active[1]": "on", "user_name[1]": "201", "user_pname[1]": "201", "user_pass[1]": "Anna-Secret-0123",
		"user_realname[1]": "Anna", "user_host[1]": "192.0.2.10:5060;transport=udp", "user_mailbox[1]": "*97",
		"language": "Russian", "utc_offset": "3600", "dst": "3600 03.05.7 02:00:00 10.05.7 03:00:00",
		"ntp_server": "pool.ntp.org", "setting_server": "https://" + host + "/provision/" + p.Token + "/000413a1b2c3.xml",
		"pnp_config": "off",
		"fkey[0]":    "blf <sip:101@192.0.2.10>|**", "fkey[2]": "blf <sip:202@192.0.2.10>|**", "fkey[2]@label": "Bob",
		"fkey[3]@label": `Ann "Lee" <&> = #1`, "fkey[4]": "blf <sip:701@192.0.2.10>|**",
	})

	p = o.provision(t, "0c383ea1b2c3", "fanvil")
	dir = "https://" + host + "/provision/" + p.Token
	s = o.fetch(t, p)
	want(t, "fanvil", s, map[string]string{
		"SIP CONFIG MODULE/SIP1 Phone Number": "201", "SIP CONFIG MODULE/SIP1 Register User": "201",
		"SIP CONFIG MODULE/SIP1 Register Pswd": "Anna-Secret-0123", "SIP CONFIG MODULE/SIP1 Register Addr": "192.0.2.10",
		"SIP CONFIG MODULE/SIP1 Register Port": "5060", "SIP CONFIG MODULE/SIP1 Display Name": "Anna",
		"SIP CONFIG MODULE/SIP1 MWI Num": "*97", "PHONE FEATURE MODULE/Language": "ru",
		"GLOBAL CONFIG MODULE/SNTP Server": "pool.ntp.org", "GLOBAL CONFIG MODULE/Time Zone": "60",
		"GLOBAL CONFIG MODULE/DST Start Mon": "3", "GLOBAL CONFIG MODULE/DST End Mon": "10",
		"DSS KEY MODULE/Fkey1 Value": "101@1/b", "DSS KEY MODULE/Fkey3 Value": "202@1/b", "DSS KEY MODULE/Fkey3 Title": "Bob",
		"DSS KEY MODULE/Fkey4 Title": `Ann "Lee" <&> = #1`, "DSS KEY MODULE/Fkey5 Value": "701@1/b",
		"AUTOUPDATE CONFIG MODULE/Flash Server IP": dir + "/", "AUTOUPDATE CONFIG MODULE/PNP Enable": "0",
	})

	p = o.provision(t, "000e08a1b2c3", "spa")
	dir = "https://" + host + "/provision/" + p.Token
	s = o.fetch(t, p)
	want(t, "spa", s, map[string]string{
		"Line_Enable_1_": "Yes", "User_ID_1_": "201", "Auth_ID_1_": "201", "Password_1_": "Anna-Secret-0123",
		"Display_Name_1_": "Anna", "Proxy_1_": "192.0.2.10:5060", "SIP_Transport_1_": "UDP", "Voice_Mail_Number": "*97",
		"Time_Zone": "GMT+01:00", "Daylight_Saving_Time_Rule": "start=3/-1/7/2;end=10/-1/7/3;save=1",
		"Primary_NTP_Server": "pool.ntp.org", "Profile_Rule": dir + "/spa$MA.xml", "Language_Selection": "English",
		"Extended_Function_2_": "fnc=blf+sd+cp;sub=101@192.0.2.10", "Short_Name_4_": "Bob", "Short_Name_5_": `Ann "Lee" <&> = #1`,
		"Extended_Function_6_": "fnc=blf+sd;sub=701@192.0.2.10", "Short_Name_12_": "Park 707",
	})
	if _, ok := s["Short_Name_13_"]; ok {
		t.Error("spa: a key beyond line key 12")
	}
}

// TestEncryptedExtensionGetsTLS: an extension that requires encryption
// is provisioned with SIP over TLS on the TLS port and SRTP.
func TestEncryptedExtensionGetsTLS(t *testing.T) {
	o := newOffice(t)
	e, _ := o.db.Extension("201")
	e.RequireEncryption = true
	if _, err := o.db.UpdateExtension("201", e); err != nil {
		t.Fatal(err)
	}
	s := o.fetch(t, o.provision(t, "001565a1b2c3", "yealink"))
	want(t, "yealink", s, map[string]string{"account.1.sip_server.1.transport_type": "2", "account.1.sip_server.1.port": "5061",
		"account.1.srtp_encryption": "2"})
	s = o.fetch(t, o.provision(t, "000413a1b2c3", "snom"))
	want(t, "snom", s, map[string]string{"user_host[1]": "192.0.2.10:5061;transport=tls", "user_srtp[1]": "on"})
}

// TestOwnKeys: a phone's own key list, with a number that no longer
// exists left out.
func TestOwnKeys(t *testing.T) {
	o := newOffice(t)
	p, err := o.svc.Assign(Assignment{MAC: "001565a1b2c3", Extension: "201", Template: "yealink", Keys: []string{"705", "999", "202"}})
	if err != nil {
		t.Fatal(err)
	}
	s := o.fetch(t, p)
	want(t, "yealink", s, map[string]string{"linekey.2.value": "705", "linekey.2.label": "Park 705", "linekey.3.value": "202"})
	if _, ok := s["linekey.4.type"]; ok {
		t.Error("a key for a number that does not exist")
	}
}

// TestNothingRevealed: a request for an unknown phone, with a wrong
// token, for another phone's file, for a common file or without a token
// all get the same 404; wrong tokens lock the address out (429), and
// the right one still works from another address.
func TestNothingRevealed(t *testing.T) {
	o := newOffice(t)
	a := o.provision(t, "001565a1b2c3", "yealink")
	b := o.provision(t, "001565d4e5f6", "yealink")
	_, notFoundBody, _ := o.get(t, "/provision/"+strings.Repeat("0", 32)+"/001565000000.cfg", false)
	for _, path := range []string{
		"/provision/001565a1b2c3.cfg",                       // no token
		"/provision/" + a.Token + "/y000000000028.cfg",      // a common file
		"/provision/" + a.Token + "/001565d4e5f6.cfg",       // b's file with a's token
		"/provision/" + a.Token + "/cfg001565d4e5f6.xml",    // b's, named the Grandstream way
		"/provision/" + b.Token[:31] + "0/001565d4e5f6.cfg", // a wrong token
		"/provision/" + strings.ToUpper(a.Token) + "/001565a1b2c3.cfg",
	} {
		code, body, _ := o.get(t, path, false)
		if code != http.StatusNotFound || body != notFoundBody {
			t.Errorf("%s: %d %q, want the one 404", path, code, body)
		}
	}
	// That made four failures (the first request, b's file twice, the wrong token... five with the upper-case token).
	code, _, h := o.get(t, "/provision/"+a.Token+"/001565a1b2c3.cfg", false)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("after five wrong tokens: %d %v, want 429 with Retry-After", code, h)
	}
	// The lock is the address's: another phone elsewhere is served.
	req := httptest.NewRequest("GET", "/provision/"+a.Token+"/001565a1b2c3.cfg", nil)
	req.RemoteAddr = "192.0.2.77:4000"
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	o.svc.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("from another address: %d %s", rec.Code, rec.Body)
	}
	// After the lock, the address may try again.
	o.now = o.now.Add(lockFor + time.Second)
	if code, _, _ := o.get(t, "/provision/"+a.Token+"/001565a1b2c3.cfg", false); code != 200 {
		t.Fatalf("after the lock: %d", code)
	}
}

// TestPlainHTTP: plain HTTP serves nothing until the installer allows
// it; then the file points the phone back at plain HTTP.
func TestPlainHTTP(t *testing.T) {
	o := newOffice(t)
	p := o.provision(t, "001565a1b2c3", "yealink")
	path := "/provision/" + p.Token + "/001565a1b2c3.cfg"
	if code, body, _ := o.get(t, path, true); code != http.StatusForbidden || strings.Contains(body, "Secret") {
		t.Fatalf("plain HTTP while off: %d %s", code, body)
	}
	seen, _ := o.svc.seen.get("001565a1b2c3")
	if !strings.Contains(seen.Result, "plain HTTP") {
		t.Errorf("the page does not say why: %+v", seen)
	}
	if err := o.svc.SetAllowPlainHTTP(true); err != nil {
		t.Fatal(err)
	}
	code, body, _ := o.get(t, path, true)
	if code != 200 {
		t.Fatalf("plain HTTP allowed: %d %s", code, body)
	}
	s, err := Parse("yealink", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if u := s["static.auto_provision.server.url"]; !strings.HasPrefix(u, "http://") {
		t.Errorf("fetched over plain HTTP, the file points at %q", u)
	}
}

// TestDiscovery: plug-and-play answers a provisioned phone with its URL
// until it has fetched its file, and nothing else.
func TestDiscovery(t *testing.T) {
	o := newOffice(t)
	sub := Subscribe{Source: netip.MustParseAddr("127.0.0.1"), Users: []string{"MAC%3A001565a1b2c3", ""},
		UserAgent: "Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3", Vendor: "Yealink", Model: "T46S", Version: "66.86.0.15"}
	if url, ok := o.svc.Discovered(sub); ok {
		t.Fatalf("an unprovisioned phone was answered: %s", url)
	}
	seen, ok := o.svc.seen.get("001565a1b2c3")
	if !ok || seen.Brand != "yealink" || seen.Model != "SIP-T46S" || seen.Firmware != "66.86.0.15" || seen.How != HowPlugAndPlay {
		t.Fatalf("seen: %+v", seen)
	}
	p, err := o.svc.Assign(Assignment{MAC: "001565a1b2c3", Extension: "201"}) // the brand as seen
	if err != nil {
		t.Fatal(err)
	}
	if p.Template != "yealink" || p.Model != "SIP-T46S" {
		t.Fatalf("assigned: %+v", p)
	}
	url, ok := o.svc.Discovered(sub)
	if !ok || url != "https://192.0.2.10:8443/provision/"+p.Token+"/" {
		t.Fatalf("provisioned phone: %q %v", url, ok)
	}
	// Not from another network.
	far := sub
	far.Source = netip.MustParseAddr("203.0.113.9")
	if _, ok := o.svc.Discovered(far); ok {
		t.Fatal("answered a SUBSCRIBE from another network")
	}
	// Once fetched, no more.
	o.fetch(t, p)
	if _, ok := o.svc.Discovered(sub); ok {
		t.Fatal("answered after the phone fetched its file")
	}
	// Re-issued: the old URL is dead, the new one handed out.
	q, err := o.svc.Reissue(p.MAC)
	if err != nil {
		t.Fatal(err)
	}
	if url, ok := o.svc.Discovered(sub); !ok || !strings.Contains(url, q.Token) {
		t.Fatalf("after re-issue: %q %v", url, ok)
	}
	if code, _, _ := o.get(t, "/provision/"+p.Token+"/001565a1b2c3.cfg", false); code != 404 {
		t.Fatalf("the old URL: %d", code)
	}
	// A day later, no more either.
	o.now = o.now.Add(pnpWindow + time.Minute)
	if _, ok := o.svc.Discovered(sub); ok {
		t.Fatal("answered with a day-old link")
	}
	// snom is given its file's URL, Grandstream the directory without a slash.
	for _, c := range []struct{ mac, brand, suffix string }{{"000413a1b2c3", "snom", "/000413a1b2c3.xml"}, {"000b82a1b2c3", "grandstream", ""}} {
		p, err := o.svc.Assign(Assignment{MAC: c.mac, Extension: "202", Template: c.brand})
		if err != nil {
			t.Fatal(err)
		}
		url, ok := o.svc.Discovered(Subscribe{Source: sub.Source, Users: []string{"MAC%3A" + c.mac}})
		if !ok || url != "https://192.0.2.10:8443/provision/"+p.Token+c.suffix {
			t.Errorf("%s: %q %v", c.brand, url, ok)
		}
	}
}

// TestOverride: an installer's template in the data directory is in
// force; a broken one is not (the built-in stays), and the page says why.
func TestOverride(t *testing.T) {
	o := newOffice(t)
	p := o.provision(t, "001565a1b2c3", "yealink")
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(o.dir, "yealink.cfg")
	good := "#!version:1.0.0.1\naccount.1.user_name = {{.Account.Extension}}\naccount.1.password = {{.Account.Secret}}\ncustom.office.greeting = {{.Account.DisplayName}}\n"
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	s := o.fetch(t, p)
	want(t, "yealink", s, map[string]string{"custom.office.greeting": "Anna", "account.1.password": "Anna-Secret-0123"})
	if src := o.svc.Templates()[0]; !src.InForce || src.Override != path || src.Error != "" {
		t.Fatalf("source: %+v", src)
	}
	for _, bad := range []string{
		"account.1.password = {{.Account.Secret}}\n",                      // no version line
		"#!version:1.0.0.1\naccount.1.password = {{.Account.Secrt}}\n",    // a field that does not exist
		"#!version:1.0.0.1\naccount.1.user_name = {{.Account.Extension\n", // does not parse
		"#!version:1.0.0.1\naccount.1.user_name = {{.Account.Extension}}\n",
	} {
		time.Sleep(10 * time.Millisecond) // a new modification time
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		src := o.svc.Templates()[0]
		if src.InForce || src.Error == "" {
			t.Errorf("broken override %q in force: %+v", bad, src)
		}
		s := o.fetch(t, p)
		if s["linekey.2.type"] != "16" {
			t.Errorf("with a broken override the built-in is not in force: %v", s)
		}
	}
}
