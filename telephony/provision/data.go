package provision

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// Data is what a template is executed with. Every string comes escaped
// for the file's format (format.go): XML-escaped for the XML formats,
// stripped of line breaks for the line formats, so a template (an
// installer's override too) writes {{.Account.DisplayName}} as it is and
// an extension named `Ann" <x>` or "Bob\nadmin = 1" cannot break out of
// its field.
type Data struct {
	// MAC is the phone's, 12 lower-case hex digits; MACUpper in capitals.
	MAC, MACUpper string
	// Model is the model the phone reported, if any.
	Model   string
	Account Account
	Box     Box
	Time    Time
	// Language is the phone's name for the box's language; LanguageCode
	// the box's own (en, ru, hy, ky, it).
	Language, LanguageCode string
	// Voicemail is the number that reaches the extension's mailbox
	// ("" when it has none or feature codes are off).
	Voicemail string
	// PickupCode precedes an extension to pick up its ringing call ("").
	PickupCode string
	// Keys are the busy-lamp keys, in key order.
	Keys []Key
	// Provision is where the phone fetches this file again.
	Provision Provision
}

// Account is the phone's SIP account: its extension.
type Account struct {
	Extension   string
	DisplayName string // the extension's name, or its number
	Label       string // "201 Anna": the account key's label
	AuthUser    string
	Secret      string
	// Transport is "udp", or "tls" for an extension that requires
	// encryption (then SRTP is true).
	Transport string
	SRTP      bool
}

// Box is how the phone reaches the box.
type Box struct {
	Name string
	Host string // an IP address (or name) the phones reach
	// Port is the SIP port for the account's transport; UDPPort and
	// TLSPort both.
	Port, UDPPort, TLSPort int
}

// Time is the box's time zone in the forms phones take.
type Time struct {
	Zone string // IANA name, "Europe/Berlin"
	// Offset is the standard offset from UTC: "+01:00"; OffsetHours
	// "+1" ("+5.5" for half hours); OffsetSeconds 3600; OffsetMinutes 60.
	Offset, OffsetHours          string
	OffsetSeconds, OffsetMinutes int
	// DST: the zone has summer time, from DSTStart to DSTEnd (local
	// time), DSTMinutes ahead.
	DST              bool
	DSTStart, DSTEnd Rule
	DSTMinutes       int
	// POSIX is the POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3").
	POSIX string
	// NTP is the time server.
	NTP string
}

// Rule is a summer-time change: in Month, on the Week'th (5: last)
// Weekday (0 Sunday … 6 Saturday; ISOWeekday 1 Monday … 7 Sunday), at
// Hour local time.
type Rule struct {
	Month, Week, Weekday, ISOWeekday, Hour int
}

// Key is one busy-lamp key.
type Key struct {
	Index  int    // 1-based, in key order
	Number string // the extension or park slot
	Label  string
	Park   bool // a park slot
}

// Provision is where the phone fetches its file: URL is the file's own
// URL; Dir the directory the phone appends its file name to (no trailing
// slash); Scheme, Host (host:port) and Path (Dir's path) its parts, for
// phones that take them apart (Grandstream). Periodic is how often the
// phone checks for changes, in minutes.
type Provision struct {
	URL, Dir, Scheme, Host, Path string
	Periodic                     int
}

// Addresses are how phones reach the box.
type Addresses struct {
	// Host is the address phones use for SIP and provisioning.
	Host string
	// SIPPort (UDP and TCP) and SIPTLSPort (0: none).
	SIPPort, SIPTLSPort int
	// HTTPSPort serves the files; HTTPPort is the plain-HTTP port (0:
	// none).
	HTTPSPort, HTTPPort int
}

// defaultNTP is the time server phones use.
const defaultNTP = "pool.ntp.org"

// checkMinutes is how often phones check for a changed file.
const checkMinutes = 1440

// buildData makes the data of phone p's file from the configuration c.
func buildData(b Brand, p store.Phone, c *store.Config, a Addresses, fileURL, dirURL string, now time.Time) (Data, error) {
	var ext *store.Extension
	for i := range c.Extensions {
		if c.Extensions[i].Number == p.Extension {
			ext = &c.Extensions[i]
		}
	}
	if ext == nil {
		return Data{}, fmt.Errorf("provision: phone %s: extension %s does not exist", p.MAC, p.Extension)
	}
	name := ext.Name
	if strings.TrimSpace(name) == "" {
		name = ext.Number
	}
	d := Data{
		MAC: p.MAC, MACUpper: strings.ToUpper(p.MAC), Model: p.Model,
		Account: Account{Extension: ext.Number, DisplayName: name, Label: ext.Number + " " + name, AuthUser: ext.Number,
			Secret: ext.Secret, Transport: "udp"},
		Box:          Box{Name: c.System.Name, Host: a.Host, Port: a.SIPPort, UDPPort: a.SIPPort, TLSPort: a.SIPTLSPort},
		LanguageCode: c.System.Language,
		Language:     b.language(c.System.Language),
		Keys:         keys(p, c, b.MaxKeys),
	}
	if d.LanguageCode == "" {
		d.LanguageCode = "en"
	}
	if name == ext.Number {
		d.Account.Label = ext.Number
	}
	if ext.RequireEncryption && a.SIPTLSPort != 0 {
		d.Account.Transport, d.Account.SRTP, d.Box.Port = "tls", true, a.SIPTLSPort
	}
	if c.Numbering.FeatureCodes {
		if _, ok := c.Voicemail.Box(ext.Number); ok {
			d.Voicemail = featureCode(dialplan.MailboxOwn)
		}
	}
	d.PickupCode = c.Features.DirectedPickupCode
	t, err := timeOf(c.System.TimeZone, now.Year())
	if err != nil {
		return Data{}, err
	}
	d.Time = t
	d.Provision = provisionOf(fileURL, dirURL)
	return d, nil
}

// featureCode is the code of a feature kind.
func featureCode(k dialplan.FeatureKind) string {
	for _, f := range dialplan.FeatureCodes() {
		if f.Kind == k {
			return f.Code
		}
	}
	return ""
}

func provisionOf(fileURL, dirURL string) Provision {
	p := Provision{URL: fileURL, Dir: strings.TrimSuffix(dirURL, "/"), Periodic: checkMinutes}
	scheme, rest, _ := strings.Cut(p.Dir, "://")
	host, path, _ := strings.Cut(rest, "/")
	p.Scheme, p.Host, p.Path = scheme, host, "/"+path
	return p
}

// keys are phone p's busy-lamp keys: its own list, or every other
// extension and then the park slots; numbers that no longer exist are
// left out.
func keys(p store.Phone, c *store.Config, limit int) []Key {
	names := map[string]string{}
	var exts []string
	for _, e := range c.Extensions {
		names[e.Number] = e.Name
		if e.Number != p.Extension {
			exts = append(exts, e.Number)
		}
	}
	var slots []string
	if c.Features.ParkCode != "" {
		slots = store.ParkSlotNumbers(c.Features.ParkSlots)
	}
	park := map[string]bool{}
	for _, s := range slots {
		park[s] = true
	}
	want := p.Keys
	if len(want) == 0 {
		want = append(exts, slots...)
	}
	var out []Key
	for _, n := range want {
		if len(out) == limit {
			break
		}
		k := Key{Index: len(out) + 1, Number: n}
		switch name, isExt := names[n]; {
		case park[n]:
			k.Label, k.Park = "Park "+n, true
		case !isExt:
			continue
		case strings.TrimSpace(name) != "":
			k.Label = name
		default:
			k.Label = n
		}
		out = append(out, k)
	}
	return out
}

// timeOf describes zone in year.
func timeOf(zone string, year int) (Time, error) {
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Time{}, fmt.Errorf("provision: time zone %q: %w", zone, err)
	}
	t := Time{Zone: zone, NTP: defaultNTP}
	jan := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	jul := time.Date(year, 7, 1, 0, 0, 0, 0, loc)
	_, offJan := jan.Zone()
	_, offJul := jul.Zone()
	std := min(offJan, offJul)
	t.OffsetSeconds, t.OffsetMinutes = std, std/60
	t.Offset = offsetText(std, ":")
	t.OffsetHours = hoursText(std)
	stdName, dstName := zoneName(jan), zoneName(jul)
	if offJan > offJul {
		stdName, dstName = dstName, stdName
	}
	t.POSIX = posixName(stdName) + posixOffset(-std)
	if offJan == offJul {
		return t, nil
	}
	// The two changes of the year: into the larger offset, and back.
	var on, off time.Time
	for _, span := range [][2]time.Time{{jan, jul}, {jul, time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)}} {
		at := findChange(span[0], span[1])
		if _, o := at.Zone(); o > std {
			on = at
		} else {
			off = at
		}
	}
	if on.IsZero() || off.IsZero() {
		return t, nil
	}
	t.DST = true
	t.DSTMinutes = (max(offJan, offJul) - std) / 60
	t.DSTStart = ruleOf(on.In(time.FixedZone("", std)))
	t.DSTEnd = ruleOf(off.In(time.FixedZone("", std+t.DSTMinutes*60)))
	t.POSIX += posixName(dstName)
	if t.DSTMinutes != 60 {
		t.POSIX += posixOffset(-(std + t.DSTMinutes*60))
	}
	t.POSIX += "," + t.DSTStart.posix() + "," + t.DSTEnd.posix()
	return t, nil
}

// findChange is the first instant in (from, to] whose offset differs
// from from's (to's offset differs from from's).
func findChange(from, to time.Time) time.Time {
	_, want := from.Zone()
	lo, hi := from, to
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if _, o := mid.Zone(); o == want {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// ruleOf is the rule of a change at local time t.
func ruleOf(t time.Time) Rule {
	r := Rule{Month: int(t.Month()), Week: (t.Day()-1)/7 + 1, Weekday: int(t.Weekday()), Hour: t.Hour()}
	if t.Day()+7 > daysIn(t.Month(), t.Year()) {
		r.Week = 5
	}
	r.ISOWeekday = r.Weekday
	if r.ISOWeekday == 0 {
		r.ISOWeekday = 7
	}
	return r
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (r Rule) posix() string {
	s := fmt.Sprintf("M%d.%d.%d", r.Month, r.Week, r.Weekday)
	if r.Hour != 2 {
		s += "/" + strconv.Itoa(r.Hour)
	}
	return s
}

func zoneName(t time.Time) string {
	n, _ := t.Zone()
	return n
}

// posixName is a zone abbreviation as POSIX TZ writes it: letters as
// they are, anything else (+04) in <>.
func posixName(n string) string {
	ok := len(n) >= 3
	for _, r := range n {
		ok = ok && unicode.IsLetter(r) && r < 0x80
	}
	if ok {
		return n
	}
	return "<" + strings.Map(func(r rune) rune {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' || r == '-') {
			return r
		}
		return -1
	}, n) + ">"
}

// posixOffset writes seconds as POSIX TZ's offset: "-1", "5:30".
func posixOffset(sec int) string {
	sign := ""
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := sign + strconv.Itoa(sec/3600)
	if m := sec % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

// offsetText writes seconds as "+01:00".
func offsetText(sec int, sep string) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("%s%02d%s%02d", sign, sec/3600, sep, sec%3600/60)
}

// hoursText writes seconds as hours: "+1", "-3.5", "+5.75".
func hoursText(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return sign + strconv.FormatFloat(float64(sec)/3600, 'f', -1, 64)
}
