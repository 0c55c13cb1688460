package store

import (
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// The settings of what the box tells the outside world about its calls
// (config.md, "Billing output" and "E-mail"): the billing section (the
// currency of call costs, the SMDR output), the mail section (the
// SMTP server and who is told what) and the webhooks (webhooks.go). They live in their own bucket, one
// value per section, beside the dial plan, and travel in the
// configuration document as its "billing" and "mail" objects.

// Billing is the billing section.
type Billing struct {
	// Currency names the currency of tariffs and costs ("EUR", "руб."),
	// shown beside amounts; the box does no conversion.
	Currency string `json:"currency,omitempty"`
	// SMDR is the call-detail output for call-accounting software.
	SMDR SMDR `json:"smdr,omitzero"`
}

// SMDR is the billing output: one line per finished call in the Avaya IP
// Office SMDR layout (telephony/smdr), to a serial port, to a TCP client,
// or both. Lines wait in a spool in the database while no port or client
// takes them.
type SMDR struct {
	// SerialPort is the serial device ("/dev/ttyS1", or a stable name
	// such as "/dev/serial/by-id/..."); "" off.
	SerialPort string `json:"serial_port,omitempty"`
	// Baud is the port's speed (0: DefaultSMDRBaud); 8 data bits, no
	// parity, 1 stop bit.
	Baud int `json:"baud,omitempty"`
	// TCPPort, when not 0, is a TCP port the box listens on for one
	// call-accounting client at a time.
	TCPPort int `json:"tcp_port,omitempty"`
	// TCPAllow are the addresses (IP or CIDR) allowed to connect to
	// TCPPort; empty: any.
	TCPAllow []string `json:"tcp_allow,omitempty"`
}

// SMDR defaults and bounds.
const (
	DefaultSMDRBaud = 9600
	maxPathLen      = 256
	maxCurrencyLen  = 8
)

// SMDRBauds are the speeds a serial SMDR port may run at.
func SMDRBauds() []int { return []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200} }

// Enabled reports whether any SMDR output is configured: only then are
// call records spooled for it.
func (s SMDR) Enabled() bool { return s.SerialPort != "" || s.TCPPort != 0 }

// Speed is the baud rate with the default applied.
func (s SMDR) Speed() int {
	if s.Baud == 0 {
		return DefaultSMDRBaud
	}
	return s.Baud
}

// Mail is the mail section: the SMTP server the box sends through and
// the notices it sends. Voicemail goes to each mailbox's own address
// (Mailbox.Email).
type Mail struct {
	// Server is the SMTP server's host name or address; "" sends no
	// e-mail.
	Server string `json:"server,omitempty"`
	// Port is the server's port (0: 587 for starttls, 465 for tls, 25
	// for none).
	Port int `json:"port,omitempty"`
	// Security is starttls (the default: a plain connection upgraded
	// with STARTTLS, refused if the server does not offer it), tls
	// (TLS from the first byte, "SMTPS") or none (only for a relay on
	// the office network; no password is ever sent over it).
	Security string `json:"security,omitempty"`
	// Username and Password log in to the server (AUTH PLAIN or
	// LOGIN); empty: no authentication.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// From is the sender address of every message ("PBX
	// <pbx@example.com>").
	From string `json:"from,omitempty"`
	// AlarmsTo receive diagnostics alarms and recording-quota
	// warnings.
	AlarmsTo []string `json:"alarms_to,omitempty"`
	// MissedCalls send a notice of each call an extension missed.
	MissedCalls []MissedCallNotice `json:"missed_calls,omitempty"`
}

// MissedCallNotice sends a notice of each call extension Extension
// missed to To.
type MissedCallNotice struct {
	Extension string `json:"extension"`
	To        string `json:"to"`
}

// Mail security modes.
const (
	MailStartTLS = "starttls"
	MailTLS      = "tls"
	MailNone     = "none"
)

// Mode is the security mode with the default applied.
func (m Mail) Mode() string {
	if m.Security == "" {
		return MailStartTLS
	}
	return m.Security
}

// Address is the server's host:port with the default port applied.
func (m Mail) Address() string {
	port := m.Port
	if port == 0 {
		switch m.Mode() {
		case MailTLS:
			port = 465
		case MailNone:
			port = 25
		default:
			port = 587
		}
	}
	return net.JoinHostPort(m.Server, fmt.Sprint(port))
}

// Enabled reports whether the box sends e-mail.
func (m Mail) Enabled() bool { return m.Server != "" }

// MissedCallsTo are the addresses told of calls extension ext missed.
func (m Mail) MissedCallsTo(ext string) []string {
	var out []string
	for _, n := range m.MissedCalls {
		if n.Extension == ext {
			out = append(out, n.To)
		}
	}
	return out
}

// Bounds of the mail section.
const (
	maxMailRecipients = 50
	maxMailField      = 254 // RFC 5321's longest address path
)

// storage: one bucket, one value per section.
const bucketSettings = "settings"

// settingsSections lists each section with its key, for read and write.
func settingsSections(c *Config) []section {
	return []section{{"billing", &c.Billing}, {"mail", &c.Mail}, {"webhooks", &c.Webhooks}, {"provisioning", &c.Provisioning}}
}

// section is one value of a sectioned bucket: its key and the field of
// Config it fills.
type section struct {
	key string
	ptr any
}

// SettingsSections are the JSON names of the settings sections.
func SettingsSections() []string {
	var c Config
	var out []string
	for _, s := range settingsSections(&c) {
		out = append(out, s.key)
	}
	return out
}

// readSections reads the values of a sectioned bucket into their fields;
// a missing bucket or value leaves the field zero.
func readSections(tx *bbolt.Tx, bucket string, schema int, secs []section) error {
	b := tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	for _, s := range secs {
		raw := b.Get([]byte(s.key))
		if raw == nil {
			continue
		}
		if err := decodeValue(bucket+"."+s.key, raw, schema, s.ptr); err != nil {
			return &valueError{bucket, s.key, err}
		}
	}
	return nil
}

// writeSections makes a sectioned bucket hold exactly the non-empty
// sections, leaving a database without the bucket untouched when all
// are empty.
func writeSections(tx *bbolt.Tx, bucket string, secs []section) error {
	want := map[string][]byte{}
	for _, s := range secs {
		if isEmptySection(s.ptr) {
			continue
		}
		b, err := encodeValue(s.ptr)
		if err != nil {
			return fmt.Errorf("encode %s: %w", s.key, err)
		}
		want[s.key] = b
	}
	b := tx.Bucket([]byte(bucket))
	if b == nil {
		if len(want) == 0 {
			return nil
		}
		var err error
		if b, err = tx.CreateBucket([]byte(bucket)); err != nil {
			return err
		}
	}
	return syncBucket(b, want)
}

// readSettings reads the settings sections into c.
func readSettings(tx *bbolt.Tx, schema int, c *Config) error {
	if err := readSections(tx, bucketSettings, schema, settingsSections(c)); err != nil {
		return err
	}
	normalizeSettings(c)
	return nil
}

// normalizeSettings gives empty lists the one form they have in memory.
func normalizeSettings(c *Config) {
	nilIfEmpty(&c.Billing.SMDR.TCPAllow)
	nilIfEmpty(&c.Mail.AlarmsTo)
	nilIfEmpty(&c.Mail.MissedCalls)
	nilIfEmpty(&c.Webhooks.Endpoints)
	for i := range c.Webhooks.Endpoints {
		nilIfEmpty(&c.Webhooks.Endpoints[i].Events)
	}
	normalizeProvisioning(&c.Provisioning)
}

// cloneSettings deep-copies the settings' lists.
func cloneSettings(c *Config) {
	c.Billing.SMDR.TCPAllow = slices.Clone(c.Billing.SMDR.TCPAllow)
	c.Mail.AlarmsTo = slices.Clone(c.Mail.AlarmsTo)
	c.Mail.MissedCalls = slices.Clone(c.Mail.MissedCalls)
	c.Webhooks.Endpoints = slices.Clone(c.Webhooks.Endpoints)
	for i := range c.Webhooks.Endpoints {
		c.Webhooks.Endpoints[i].Events = slices.Clone(c.Webhooks.Endpoints[i].Events)
	}
	cloneProvisioning(&c.Provisioning)
}

// decodeSettings strictly decodes the settings sections of a document.
func decodeSettings(top map[string]json.RawMessage, c *Config, v *ValidationError) {
	for _, s := range settingsSections(c) {
		if raw, ok := top[s.key]; ok && string(raw) != "null" {
			decodeField(raw, s.key, s.ptr, v)
		}
	}
	normalizeSettings(c)
}

// Entities of the settings sections, for validation scoping.
const (
	entityBilling = "billing"
	entityMail    = "mail"
)

// checkSettings validates the billing and mail sections; exts are the
// extension numbers.
func checkSettings(c *Config, exts map[string]bool, add func(entity, prefix, field, format string, args ...any)) {
	b := func(field, format string, args ...any) { add(entityBilling, "billing.", field, format, args...) }
	if cur := c.Billing.Currency; cur != "" {
		if m := nameProblem(cur, false); m != "" {
			b("currency", "%s", m)
		} else if len([]rune(cur)) > maxCurrencyLen {
			b("currency", "must be at most %d characters (a code such as EUR, or a sign)", maxCurrencyLen)
		}
	}
	s := c.Billing.SMDR
	if s.SerialPort != "" {
		if m := devicePathProblem(s.SerialPort); m != "" {
			b("smdr.serial_port", "%s", m)
		}
	}
	if s.Baud != 0 && !slices.Contains(SMDRBauds(), s.Baud) {
		b("smdr.baud", "must be 0 (default %d) or one of %v", DefaultSMDRBaud, SMDRBauds())
	}
	if s.TCPPort < 0 || s.TCPPort > 65535 {
		b("smdr.tcp_port", "must be 0 (off) or a TCP port, 1 to 65535")
	}
	if len(s.TCPAllow) > maxMailRecipients {
		b("smdr.tcp_allow", "at most %d entries", maxMailRecipients)
	}
	for i, a := range s.TCPAllow {
		if _, _, err := net.ParseCIDR(a); err != nil && net.ParseIP(a) == nil {
			b(fmt.Sprintf("smdr.tcp_allow[%d]", i), "%q is not an IP address or a CIDR block such as 192.168.1.0/24", a)
		}
	}

	m := c.Mail
	ml := func(field, format string, args ...any) { add(entityMail, "mail.", field, format, args...) }
	if m.Server != "" && !validHost(m.Server) {
		ml("server", "must be a host name or an IP address (no port: that is the port field)")
	}
	if m.Port < 0 || m.Port > 65535 {
		ml("port", "must be 0 (the security mode's default) or 1 to 65535")
	}
	switch m.Security {
	case "", MailStartTLS, MailTLS, MailNone:
	default:
		ml("security", "must be starttls, tls or none")
	}
	if len(m.Username) > maxMailField || strings.ContainsFunc(m.Username, isControl) {
		ml("username", "must be at most %d characters, no control characters", maxMailField)
	}
	if len(m.Password) > maxMailField || strings.ContainsFunc(m.Password, isControl) {
		ml("password", "must be at most %d characters, no control characters", maxMailField)
	}
	if m.Username != "" && m.Mode() == MailNone {
		ml("security", "must be starttls or tls to log in: a password is never sent unencrypted")
	}
	if m.Password != "" && m.Username == "" {
		ml("username", "is required with a password")
	}
	if m.From != "" {
		if msg := AddressProblem(m.From); msg != "" {
			ml("from", "%s", msg)
		}
	} else if m.Server != "" {
		ml("from", "is required to send e-mail (the sender address, e.g. pbx@example.com)")
	}
	if len(m.AlarmsTo) > maxMailRecipients {
		ml("alarms_to", "at most %d addresses", maxMailRecipients)
	}
	for i, a := range m.AlarmsTo {
		if msg := AddressProblem(a); msg != "" {
			ml(fmt.Sprintf("alarms_to[%d]", i), "%s", msg)
		}
	}
	if len(m.MissedCalls) > MaxExtensions {
		ml("missed_calls", "at most %d entries", MaxExtensions)
	}
	for i, n := range m.MissedCalls {
		p := fmt.Sprintf("missed_calls[%d].", i)
		if !exts[n.Extension] {
			ml(p+"extension", "extension %q does not exist", n.Extension)
		}
		if msg := AddressProblem(n.To); msg != "" {
			ml(p+"to", "%s", msg)
		}
	}
	checkWebhooks(c.Webhooks, add)
}

// AddressProblem says what is wrong with an e-mail address ("" when it is
// one): one address, "user@example.com" or "Name <user@example.com>".
func AddressProblem(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > maxMailField || strings.ContainsFunc(s, isControl) {
		return fmt.Sprintf("must be one e-mail address of at most %d characters", maxMailField)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || !strings.Contains(a.Address, "@") {
		return fmt.Sprintf("%q is not an e-mail address such as office@example.com", s)
	}
	return ""
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// validHost accepts a DNS name or an IP address (no port).
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// devicePathProblem checks a serial device's path: absolute and clean.
func devicePathProblem(p string) string {
	switch {
	case len(p) > maxPathLen || strings.ContainsFunc(p, isControl):
		return fmt.Sprintf("must be a device path of at most %d characters", maxPathLen)
	case !filepath.IsAbs(p) || filepath.Clean(p) != p:
		return "must be an absolute device path such as /dev/ttyS1"
	}
	return ""
}

// Billing returns the billing section.
func (db *DB) Billing() (Billing, error) {
	c, err := db.Config()
	return c.Billing, err
}

// UpdateBilling replaces the billing section (errors relative to it:
// "smdr.baud").
func (db *DB) UpdateBilling(b Billing) (Billing, error) {
	c, err := db.change(entityBilling, func(c *Config) error {
		c.Billing = b
		return nil
	})
	return c.Billing, err
}

// Mail returns the mail section.
func (db *DB) Mail() (Mail, error) {
	c, err := db.Config()
	return c.Mail, err
}

// UpdateMail replaces the mail section (errors relative to it:
// "missed_calls[0].to").
func (db *DB) UpdateMail(m Mail) (Mail, error) {
	c, err := db.change(entityMail, func(c *Config) error {
		c.Mail = m
		return nil
	})
	return c.Mail, err
}
