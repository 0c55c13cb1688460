package provision

import (
	"strings"

	"minipbx/telephony/store"
)

// Device is what a phone tells about itself in a plug-and-play SUBSCRIBE
// or a provisioning request: any field may be empty.
type Device struct {
	MAC      string // 12 lower-case hex digits
	Brand    string // the template it takes: a store.PhoneTemplates name
	Vendor   string // the maker as the phone writes it
	Model    string
	Firmware string
}

// merge fills the empty fields of d from o.
func (d Device) merge(o Device) Device {
	if d.MAC == "" {
		d.MAC = o.MAC
	}
	if d.Brand == "" {
		d.Brand = o.Brand
	}
	if d.Vendor == "" {
		d.Vendor = o.Vendor
	}
	if d.Model == "" {
		d.Model = o.Model
	}
	if d.Firmware == "" {
		d.Firmware = o.Firmware
	}
	return d
}

// maxField bounds what is kept of a phone's self-description: it comes
// from anyone on the network.
const maxField = 64

// ouiBrands are the IEEE OUI blocks of the brands' phones (the first
// six hex digits of the MAC): a phone that names neither its maker nor
// its model (snom and Fanvil firmware send vendor="OEM") is still known
// by its address.
var ouiBrands = map[string]string{
	"001565": "yealink", "805ec0": "yealink", "805e0c": "yealink", "249ad8": "yealink", "44dbd2": "yealink",
	"000b82": "grandstream", "c074ad": "grandstream", "ec74d7": "grandstream",
	"000413": "snom",
	"0c383e": "fanvil",
	"000e08": "spa", // Linksys (Sipura), the SPA phones' own block
}

// BrandOfMAC is the brand a MAC address's OUI block belongs to, or "".
func BrandOfMAC(mac string) string {
	if len(mac) < 6 {
		return ""
	}
	return ouiBrands[mac[:6]]
}

// brandWords name each brand in a User-Agent or a vendor parameter.
var brandWords = []struct{ word, brand string }{
	{"yealink", "yealink"}, {"grandstream", "grandstream"}, {"snom", "snom"}, {"fanvil", "fanvil"},
	{"cisco/spa", "spa"}, {"linksys/spa", "spa"}, {"sipura/spa", "spa"}, {"cisco spa", "spa"}, {"linksys", "spa"}, {"sipura", "spa"},
}

// brandOf is the brand a vendor name or User-Agent names, or "".
func brandOf(s string) string {
	l := asciiLower(s)
	for _, w := range brandWords {
		if strings.Contains(l, w.word) {
			return w.brand
		}
	}
	return ""
}

// ParseUserAgent reads a phone's User-Agent (SIP or HTTP), in the forms
// the brands use:
//
//	Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3
//	Grandstream GXP2170 1.0.11.3
//	Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82a1b2c3
//	snomD785/10.1.54.13
//	Mozilla/4.0 (compatible; snomD785-SIP 10.1.54.13 ...)
//	Fanvil X4 2.10.2.6887 0c383ea1b2c3
//	Cisco/SPA504G-7.6.2c (000e08a1b2c3)
//
// What it cannot read stays empty; it never fails.
func ParseUserAgent(ua string) Device {
	if len(ua) > 512 {
		ua = ua[:512]
	}
	d := Device{Brand: brandOf(ua), MAC: FindMAC(ua)}
	fields := strings.Fields(ua)
	switch d.Brand {
	case "yealink", "fanvil":
		// Maker, model, firmware, MAC: "Yealink SIP-T46S 66.86.0.15 ...".
		for i, f := range fields {
			if brandOf(f) == d.Brand && i+1 < len(fields) {
				d.Vendor = f
				rest := fields[i+1:]
				if strings.EqualFold(rest[0], "SIP") && len(rest) > 1 { // "Yealink SIP VP-T49G 51.80.0.100"
					rest = rest[1:]
				}
				d.Model = rest[0]
				if len(rest) > 1 && isVersion(rest[1]) {
					d.Firmware = rest[1]
				}
				break
			}
		}
	case "grandstream":
		for i, f := range fields {
			switch {
			case strings.EqualFold(f, "Grandstream"):
				d.Vendor = f
				if i+1 < len(fields) && !strings.EqualFold(fields[i+1], "Model") {
					d.Model = fields[i+1]
					if i+2 < len(fields) && isVersion(fields[i+2]) {
						d.Firmware = fields[i+2]
					}
				}
			case strings.EqualFold(f, "HW") && i+1 < len(fields):
				d.Model = fields[i+1]
			case strings.EqualFold(f, "SW") && i+1 < len(fields):
				d.Firmware = fields[i+1]
			}
		}
	case "snom":
		// "snomD785/10.1.54.13" (SIP) or "snomD785-SIP 10.1.54.13" (HTTP).
		at := strings.Index(asciiLower(ua), "snom")
		d.Vendor = "snom"
		rest := ua[at+len("snom"):]
		end := strings.IndexAny(rest, "/- ;)")
		if end < 0 {
			end = len(rest)
		}
		if m := strings.TrimSpace(rest[:end]); m != "" {
			d.Model = "snom" + m
		}
		rest = rest[end:]
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "-SIP"), "/")
		if f := strings.Fields(rest); len(f) > 0 && isVersion(strings.TrimRight(f[0], ";)")) {
			d.Firmware = strings.TrimRight(f[0], ";)")
		}
	case "spa":
		// "Cisco/SPA504G-7.6.2c": maker/model-firmware.
		for _, f := range fields {
			vendor, rest, ok := strings.Cut(f, "/")
			if !ok || brandOf(vendor+"/"+rest) != "spa" {
				continue
			}
			d.Vendor = vendor
			d.Model, d.Firmware, _ = strings.Cut(rest, "-")
			break
		}
	}
	return d.clean()
}

// clean bounds and sanitises every field (they are shown on a page and
// may be stored).
func (d Device) clean() Device {
	for _, p := range []*string{&d.Vendor, &d.Model, &d.Firmware} {
		*p = printable(*p, maxField)
	}
	return d
}

// printable keeps at most n bytes of s's printable characters.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\uFFFD' || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	for len(s) > n {
		_, size := lastRune(s)
		s = s[:len(s)-size]
	}
	return s
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0x80 || s[i] >= 0xc0 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// isVersion reports whether s looks like a firmware version: digits and
// dots, at least one dot, with maybe a letter suffix ("7.6.2c").
func isVersion(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' || !strings.Contains(s, ".") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '(' || c == ')' || c == '_') {
			return false
		}
	}
	return true
}

// FindMAC finds a MAC address in s: twelve hex digits standing alone
// (000b82a1b2c3), six pairs separated by ':' or '-', or either after the
// "MAC%3A" or "MAC:" prefix phones put in a plug-and-play SUBSCRIBE's
// URIs. It returns "" when there is none. Runs of hex longer than twelve
// digits (a Call-ID, a serial number), or joined to others by '-' or ':'
// (a UUID's last group), are not taken for one.
func FindMAC(s string) string {
	if len(s) > 1024 {
		s = s[:1024]
	}
	l := asciiLower(s)
	for _, prefix := range []string{"mac%3a", "mac:"} {
		if i := strings.Index(l, prefix); i >= 0 {
			if mac := macAt(l[i+len(prefix):]); mac != "" {
				return mac
			}
		}
	}
	for i := 0; i < len(l); i++ {
		if !isHex(l[i]) || (i > 0 && (isWordByte(l[i-1]) || l[i-1] == '-' || l[i-1] == ':')) {
			continue
		}
		if mac := macAt(l[i:]); mac != "" {
			return mac
		}
	}
	return ""
}

// macAt reads a MAC address at the start of s (lower case), which must
// end there: at the end of s or before a byte that is not part of a word.
func macAt(s string) string {
	end := func(n int) bool { return n == len(s) || !isWordByte(s[n]) && s[n] != ':' && s[n] != '-' }
	if len(s) >= 12 {
		plain := true
		for i := 0; i < 12; i++ {
			plain = plain && isHex(s[i])
		}
		if plain && end(12) {
			return s[:12]
		}
	}
	if len(s) >= 17 {
		sep := s[2]
		if sep != ':' && sep != '-' {
			return ""
		}
		var b strings.Builder
		for i := 0; i < 17; i++ {
			switch {
			case i%3 == 2:
				if s[i] != sep {
					return ""
				}
			case isHex(s[i]):
				b.WriteByte(s[i])
			default:
				return ""
			}
		}
		if end(17) {
			mac, _ := store.CanonicalMAC(b.String())
			return mac
		}
	}
	return ""
}

// asciiLower lower-cases the ASCII letters of s only, so that offsets in
// it are offsets in s whatever s holds.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
