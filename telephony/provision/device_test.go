package provision

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseUserAgent(t *testing.T) {
	for _, c := range []struct {
		ua   string
		want Device
	}{
		{"Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3", Device{MAC: "001565a1b2c3", Brand: "yealink", Vendor: "Yealink", Model: "SIP-T46S", Firmware: "66.86.0.15"}},
		{"Yealink SIP VP-T49G 51.80.0.100", Device{Brand: "yealink", Vendor: "Yealink", Model: "VP-T49G", Firmware: "51.80.0.100"}},
		{"Grandstream GXP2170 1.0.11.3", Device{Brand: "grandstream", Vendor: "Grandstream", Model: "GXP2170", Firmware: "1.0.11.3"}},
		{"Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82a1b2c3", Device{MAC: "000b82a1b2c3", Brand: "grandstream", Vendor: "Grandstream", Model: "GXP2170", Firmware: "1.0.11.3"}},
		{"snomD785/10.1.54.13", Device{Brand: "snom", Vendor: "snom", Model: "snomD785", Firmware: "10.1.54.13"}},
		{"snom320/8.7.3.25", Device{Brand: "snom", Vendor: "snom", Model: "snom320", Firmware: "8.7.3.25"}},
		{"Mozilla/4.0 (compatible; snomD785-SIP 10.1.54.13 1.1.5-IFX-05.01.12)", Device{Brand: "snom", Vendor: "snom", Model: "snomD785", Firmware: "10.1.54.13"}},
		{"Fanvil X4 2.10.2.6887 0c383ea1b2c3", Device{MAC: "0c383ea1b2c3", Brand: "fanvil", Vendor: "Fanvil", Model: "X4", Firmware: "2.10.2.6887"}},
		{"Cisco/SPA504G-7.6.2c (000E08A1B2C3)(CCQ1234567)", Device{MAC: "000e08a1b2c3", Brand: "spa", Vendor: "Cisco", Model: "SPA504G", Firmware: "7.6.2c"}},
		{"Linksys/SPA942-6.1.5(a)", Device{Brand: "spa", Vendor: "Linksys", Model: "SPA942", Firmware: "6.1.5(a)"}},
		{"curl/8.5.0", Device{}},
		{"", Device{}},
	} {
		if got := ParseUserAgent(c.ua); got != c.want {
			t.Errorf("%q:\n got %+v\nwant %+v", c.ua, got, c.want)
		}
	}
}

func TestFindMAC(t *testing.T) {
	for in, want := range map[string]string{
		"MAC%3A001565A1B2C3":                          "001565a1b2c3",
		"MAC:00:15:65:a1:b2:c3":                       "001565a1b2c3",
		"sip:MAC%3a0c383ea1b2c3@224.0.1.75":           "0c383ea1b2c3",
		"Fanvil X4 2.10 0c-38-3e-a1-b2-c3":            "0c383ea1b2c3",
		"abc 001565a1b2c3":                            "001565a1b2c3",
		"001565a1b2c3d4":                              "", // 14 hex digits: not a MAC
		"123e4567-e89b-12d3-a456-426614174000":        "", // a UUID's last group
		"00:15:65:a1:b2":                              "",
		"Call-ID 8884c8-25020d0a-13c4-50029-386d4398": "",
		"x001565a1b2c3":                               "",
	} {
		if got := FindMAC(in); got != want {
			t.Errorf("FindMAC(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSubscribeDevice(t *testing.T) {
	// snom and Fanvil name no vendor or model in the Event header: the
	// User-Agent and the MAC's OUI tell.
	d := Subscribe{Users: []string{"MAC%3A000413a1b2c3"}, UserAgent: "snomD785/10.1.54.13", Vendor: "OEM", Model: "OEM", Version: "10.1.54.13"}.device()
	if d.MAC != "000413a1b2c3" || d.Brand != "snom" || d.Model != "snomD785" {
		t.Errorf("snom: %+v", d)
	}
	d = Subscribe{Users: []string{"", "MAC%3A0c383ea1b2c3"}, Vendor: "Fanvil", Model: "VOIP PHONE", Version: "2.10.2"}.device()
	if d.MAC != "0c383ea1b2c3" || d.Brand != "fanvil" || d.Model != "" || d.Firmware != "2.10.2" {
		t.Errorf("fanvil: %+v", d)
	}
	d = Subscribe{Users: []string{"MAC%3A000b82a1b2c3"}}.device()
	if d.Brand != "grandstream" {
		t.Errorf("by OUI: %+v", d)
	}
}

func TestTimeZones(t *testing.T) {
	for _, c := range []struct {
		zone, posix, hours string
		dst                bool
		start, end         Rule
	}{
		{"Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3", "+1", true, Rule{3, 5, 0, 7, 2}, Rule{10, 5, 0, 7, 3}},
		{"America/New_York", "EST5EDT,M3.2.0,M11.1.0", "-5", true, Rule{3, 2, 0, 7, 2}, Rule{11, 1, 0, 7, 2}},
		{"Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3", "+10", true, Rule{10, 1, 0, 7, 2}, Rule{4, 1, 0, 7, 3}},
		{"Asia/Kolkata", "IST-5:30", "+5.5", false, Rule{}, Rule{}},
		{"Asia/Yerevan", "<+04>-4", "+4", false, Rule{}, Rule{}},
		{"UTC", "UTC0", "+0", false, Rule{}, Rule{}},
	} {
		tm, err := timeOf(c.zone, 2025)
		if err != nil {
			t.Fatal(err)
		}
		if tm.POSIX != c.posix || tm.OffsetHours != c.hours || tm.DST != c.dst || tm.DSTStart != c.start || tm.DSTEnd != c.end {
			t.Errorf("%s: %+v", c.zone, tm)
		}
	}
}

func TestFormatsRefuseBrokenFiles(t *testing.T) {
	for _, c := range []struct{ format, file string }{
		{"yealink", "account.1.user_name = 201\n"},
		{"yealink", "#!version:1.0.0.1\naccount.1.user_name 201\n"},
		{"yealink", "#!version:1.0.0.1\naccount.1.password = a\naccount.1.password = b\n"},
		{"yealink", "#!version:1.0.0.1\naccount.1.label = a\rb\n"},
		{"fanvil", "<<VOIP CONFIG FILE>>Version:2.0000000000\nSIP1 Phone Number :201\n<<END OF FILE>>\n"},
		{"fanvil", "<<VOIP CONFIG FILE>>Version:2.0000000000\n<SIP CONFIG MODULE>\nSIP1 Phone Number :201\n"},
		{"grandstream", "<gs_provision version=\"1\"><config version=\"1\"><P34>a</P34><P34>b</P34></config></gs_provision>"},
		{"grandstream", "<gs_provision version=\"1\"><config version=\"1\"><account>1</account></config></gs_provision>"},
		{"grandstream", "<gs_provision><config version=\"1\"><P34>a</config></gs_provision>"},
		{"snom", "<settings><phone-settings><user_name idx=\"1\">201</user_name></phone-settings></settings>"},
		{"snom", "<!DOCTYPE x [<!ENTITY a \"b\">]><settings/>"},
		{"spa", "<flat-profile><Proxy_1_ ua=\"xx\">a</Proxy_1_></flat-profile>"},
		{"spa", "<flat-profile><Proxy_1_><x/></Proxy_1_></flat-profile>"},
		{"spa", "<other/>"},
	} {
		if _, err := Parse(c.format, []byte(c.file)); err == nil {
			t.Errorf("%s accepted %q", c.format, c.file)
		}
	}
}

// FuzzParseUserAgent: any User-Agent (the network's to write) parses
// without a panic into bounded, printable fields and a MAC of the one form.
func FuzzParseUserAgent(f *testing.F) {
	for _, s := range []string{"Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3", "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82a1b2c3",
		"snomD785/10.1.54.13", "Mozilla/4.0 (compatible; snomD785-SIP 10.1.54.13", "Cisco/SPA504G-7.6.2c (000E08A1B2C3)",
		"Fanvil X4 2.10.2.6887 0c383ea1b2c3", "MAC%3A001565a1b2c3", "snom", "Yealink", "Linksys/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		d := ParseUserAgent(ua)
		for _, s := range []string{d.Vendor, d.Model, d.Firmware} {
			if len(s) > maxField || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
				t.Fatalf("field %q of %q", s, ua)
			}
		}
		if d.MAC != "" && FindMAC(d.MAC) != d.MAC {
			t.Fatalf("MAC %q of %q", d.MAC, ua)
		}
		if mac := FindMAC(ua); mac != "" && (len(mac) != 12 || strings.Trim(mac, "0123456789abcdef") != "") {
			t.Fatalf("FindMAC(%q) = %q", ua, mac)
		}
	})
}
