package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Provisioning is the phones the box configures itself (package
// telephony/provision): each phone, known by its MAC address, fetches a
// configuration file for one extension over HTTPS from a URL holding its
// own random token. It is one settings section ("provisioning").
type Provisioning struct {
	// AllowPlainHTTP lets phones fetch their files over plain HTTP (the
	// web UI's redirect port), for old phones without HTTPS. Off by
	// default: the file holds the extension's SIP secret, and plain HTTP
	// shows it (and the token) to anyone on the network path.
	AllowPlainHTTP bool `json:"allow_plain_http,omitempty"`
	// Phones are the provisioned phones, ordered by MAC address.
	Phones []Phone `json:"phones,omitempty"`
}

// Phone is one provisioned phone.
type Phone struct {
	// MAC is the phone's Ethernet address: 12 lower-case hex digits,
	// no separators ("001565a1b2c3").
	MAC string `json:"mac"`
	// Extension is the extension the phone's first account registers as.
	Extension string `json:"extension"`
	// Template names the brand's configuration template: one of
	// PhoneTemplates.
	Template string `json:"template"`
	// Model is the model the phone reported (informational).
	Model string `json:"model,omitempty"`
	// Keys are the numbers on the phone's line keys as busy lamps
	// (extensions and park slots), in key order; empty: every other
	// extension, then the park slots. A number that no longer exists is
	// left out of the file.
	Keys []string `json:"keys,omitempty"`
	// Token is the phone's credential: the secret part of its
	// provisioning URL (PhoneTokenLen lower-case hex digits, 128 bits).
	// Empty on a change: kept, or generated for a new phone.
	Token string `json:"token"`
	// Issued is when the token was made. Until the phone first fetches
	// its file (Fetched), plug-and-play discovery hands the phone its URL;
	// after that only the installer re-issuing the token opens it again.
	Issued  time.Time `json:"issued,omitzero"`
	Fetched time.Time `json:"fetched,omitzero"`
}

// Bounds of the provisioning section.
const (
	// PhoneTokenLen is the length of a phone's token in hex digits.
	PhoneTokenLen = 32
	// MaxPhoneKeys bounds a phone's busy-lamp keys (a receptionist's
	// phone with expansion modules has about a hundred).
	MaxPhoneKeys = 120
	// maxPhoneModel bounds the reported model kept.
	maxPhoneModel = 64
)

// PhoneTemplates are the template names a phone may use: the brands
// package provision has built-in templates for.
func PhoneTemplates() []string { return []string{"yealink", "grandstream", "snom", "fanvil", "spa"} }

// entityProvisioning scopes the validation of the section's own fields;
// each phone is "phone:MAC".
const entityProvisioning = "provisioning"

func phoneEntity(mac string) string { return "phone:" + mac }

// GeneratePhoneToken returns a new random phone token.
func GeneratePhoneToken() string {
	b := make([]byte, PhoneTokenLen/2)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}

// CanonicalMAC reads a MAC address written with or without separators
// (":", "-", "."), in either case, into its stored form; ok is false when
// s is not one.
func CanonicalMAC(s string) (mac string, ok bool) {
	if len(s) > 17 {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			b.WriteByte(c)
		case c >= 'A' && c <= 'F':
			b.WriteByte(c + 'a' - 'A')
		case c == ':' || c == '-' || c == '.':
		default:
			return "", false
		}
	}
	if b.Len() != 12 {
		return "", false
	}
	return b.String(), true
}

// normalizeProvisioning gives empty lists the one form they have in memory.
func normalizeProvisioning(p *Provisioning) {
	nilIfEmpty(&p.Phones)
	for i := range p.Phones {
		nilIfEmpty(&p.Phones[i].Keys)
	}
}

// cloneProvisioning deep-copies the section's lists.
func cloneProvisioning(p *Provisioning) {
	p.Phones = slices.Clone(p.Phones)
	for i := range p.Phones {
		p.Phones[i].Keys = slices.Clone(p.Phones[i].Keys)
	}
}

// sortPhones orders the phones by MAC, the order they are stored in.
func sortPhones(p *Provisioning) {
	slices.SortStableFunc(p.Phones, func(a, b Phone) int { return strings.Compare(a.MAC, b.MAC) })
}

// fillPhoneTokens gives each phone without a token the one stored for its
// MAC in cur, or a new one (an imported document may leave them out).
func fillPhoneTokens(p *Provisioning, cur []Phone, now time.Time) {
	for i := range p.Phones {
		ph := &p.Phones[i]
		if ph.Token != "" {
			continue
		}
		if j := slices.IndexFunc(cur, func(o Phone) bool { return o.MAC == ph.MAC }); j >= 0 {
			ph.Token, ph.Issued, ph.Fetched = cur[j].Token, cur[j].Issued, cur[j].Fetched
			continue
		}
		ph.Token, ph.Issued, ph.Fetched = GeneratePhoneToken(), now, time.Time{}
	}
}

// checkProvisioning validates the section; exts are the extension numbers.
func checkProvisioning(p *Provisioning, exts map[string]bool, add func(entity, prefix, field, format string, args ...any)) {
	if len(p.Phones) > MaxExtensions {
		add(entityProvisioning, "provisioning.", "phones", "at most %d phones", MaxExtensions)
	}
	macs := map[string]bool{}
	tokens := map[string]bool{}
	for i, ph := range p.Phones {
		ent := phoneEntity(ph.MAC)
		pre := fmt.Sprintf("provisioning.phones[%d].", i)
		pa := func(field, format string, args ...any) { add(ent, pre, field, format, args...) }
		switch mac, ok := CanonicalMAC(ph.MAC); {
		case !ok || mac != ph.MAC:
			pa("mac", "must be a MAC address written as 12 lower-case hex digits, e.g. 001565a1b2c3")
		case macs[mac]:
			pa("mac", "phone %s is listed twice", mac)
		}
		macs[ph.MAC] = true
		switch {
		case ph.Extension == "":
			pa("extension", "is required: the extension the phone registers as")
		case !exts[ph.Extension]:
			pa("extension", "extension %q does not exist (provision the phone as another extension, or remove it)", ph.Extension)
		}
		if !slices.Contains(PhoneTemplates(), ph.Template) {
			pa("template", "must be one of %s", strings.Join(PhoneTemplates(), ", "))
		}
		if m := nameProblem(ph.Model, false); m != "" || len(ph.Model) > maxPhoneModel {
			pa("model", "must be at most %d printable characters", maxPhoneModel)
		}
		if len(ph.Token) != PhoneTokenLen || !isLowerHex(ph.Token) {
			pa("token", "must be %d lower-case hex digits (empty: generated)", PhoneTokenLen)
		} else if tokens[ph.Token] {
			pa("token", "is another phone's token")
		}
		tokens[ph.Token] = true
		if len(ph.Keys) > MaxPhoneKeys {
			pa("keys", "at most %d keys", MaxPhoneKeys)
		}
		seen := map[string]bool{}
		for j, k := range ph.Keys {
			f := fmt.Sprintf("keys[%d]", j)
			switch {
			case k == "" || !isDigits(k) || len(k) > MaxExtensionLength:
				pa(f, "must be an extension or park slot number (digits)")
			case seen[k]:
				pa(f, "%s is on two keys", k)
			}
			seen[k] = true
		}
	}
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// renumberPhones makes the phones provisioned as extension from, and the
// keys watching it, follow its new number to.
func renumberPhones(p *Provisioning, from, to string) {
	for i := range p.Phones {
		ph := &p.Phones[i]
		if ph.Extension == from {
			ph.Extension = to
		}
		for j, k := range ph.Keys {
			if k == from {
				ph.Keys[j] = to
			}
		}
	}
}

// Provisioning returns the provisioning section.
func (db *DB) Provisioning() (Provisioning, error) {
	c, err := db.Config()
	return c.Provisioning, err
}

// SetPhone provisions phone p (by MAC): a new phone gets a new token; a
// known one keeps its token, issue and fetch times whatever p says.
// Errors are relative to the phone ("extension").
func (db *DB) SetPhone(p Phone) (Phone, error) {
	if mac, ok := CanonicalMAC(p.MAC); ok {
		p.MAC = mac
	}
	var out Phone
	_, err := db.change(phoneEntity(p.MAC), func(c *Config) error {
		phones := c.Provisioning.Phones
		if i := slices.IndexFunc(phones, func(o Phone) bool { return o.MAC == p.MAC }); i >= 0 {
			p.Token, p.Issued, p.Fetched = phones[i].Token, phones[i].Issued, phones[i].Fetched
			phones[i] = p
		} else {
			p.Token, p.Issued, p.Fetched = GeneratePhoneToken(), db.now().UTC(), time.Time{}
			c.Provisioning.Phones = append(phones, p)
		}
		sortPhones(&c.Provisioning)
		out = p
		return nil
	})
	if err != nil {
		return Phone{}, err
	}
	return out, nil
}

// ReissuePhoneToken gives phone mac a new token (its old URL stops
// working) and opens plug-and-play discovery for it again.
func (db *DB) ReissuePhoneToken(mac string) (Phone, error) {
	return db.editPhone(mac, func(p *Phone) {
		p.Token, p.Issued, p.Fetched = GeneratePhoneToken(), db.now().UTC(), time.Time{}
	})
}

// MarkPhoneFetched records the first fetch of phone mac's file since its
// token was issued (later fetches change nothing and write nothing).
func (db *DB) MarkPhoneFetched(mac string, at time.Time) error {
	c, err := db.Config()
	if err != nil {
		return err
	}
	for _, p := range c.Provisioning.Phones {
		if p.MAC == mac && !p.Fetched.IsZero() {
			return nil
		}
	}
	_, err = db.editPhone(mac, func(p *Phone) {
		if p.Fetched.IsZero() {
			p.Fetched = at.UTC()
		}
	})
	return err
}

// editPhone changes the stored phone mac in place (ErrNotFound when
// there is none).
func (db *DB) editPhone(mac string, fn func(*Phone)) (Phone, error) {
	var out Phone
	_, err := db.change(phoneEntity(mac), func(c *Config) error {
		i := slices.IndexFunc(c.Provisioning.Phones, func(o Phone) bool { return o.MAC == mac })
		if i < 0 {
			return fmt.Errorf("store: phone %q: %w", mac, ErrNotFound)
		}
		fn(&c.Provisioning.Phones[i])
		out = c.Provisioning.Phones[i]
		return nil
	})
	return out, err
}

// DeletePhone stops provisioning phone mac: its URL stops working.
func (db *DB) DeletePhone(mac string) error {
	_, err := db.change(phoneEntity(mac), func(c *Config) error {
		i := slices.IndexFunc(c.Provisioning.Phones, func(o Phone) bool { return o.MAC == mac })
		if i < 0 {
			return fmt.Errorf("store: phone %q: %w", mac, ErrNotFound)
		}
		c.Provisioning.Phones = slices.Delete(c.Provisioning.Phones, i, i+1)
		return nil
	})
	return err
}

// SetProvisioningPlainHTTP allows or forbids phones to fetch their files
// over plain HTTP.
func (db *DB) SetProvisioningPlainHTTP(allow bool) error {
	_, err := db.change(entityProvisioning, func(c *Config) error {
		c.Provisioning.AllowPlainHTTP = allow
		return nil
	})
	return err
}
