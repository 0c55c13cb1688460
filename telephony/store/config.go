package store

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// fxoKey is an FXO line's (and an FXS port's) key: zero-padded so keys
// sort by port.
func fxoKey(port int) string { return fmt.Sprintf("%02d", port) }

// readConfig reads the whole configuration inside tx.
func readConfig(tx *bbolt.Tx, schema int) (Config, error) {
	c := Config{Version: SchemaVersion, Extensions: []Extension{}, FXOLines: []FXOLine{}}
	raw := tx.Bucket([]byte(bucketSystem)).Get([]byte(keySystem))
	if raw == nil {
		return c, &valueError{bucketSystem, keySystem, errors.New("the system settings are missing")}
	}
	if err := decodeValue("system", raw, schema, &c.System); err != nil {
		return c, &valueError{bucketSystem, keySystem, err}
	}
	err := tx.Bucket([]byte(bucketExtensions)).ForEach(func(k, v []byte) error {
		var e Extension
		if err := decodeValue("extension", v, schema, &e); err != nil {
			return &valueError{bucketExtensions, string(k), err}
		}
		if e.Number != string(k) {
			return &valueError{bucketExtensions, string(k), fmt.Errorf("holds extension %q", e.Number)}
		}
		c.Extensions = append(c.Extensions, e)
		return nil
	})
	if err != nil {
		return c, err
	}
	if b := tx.Bucket([]byte(bucketFXSPorts)); b != nil {
		err = b.ForEach(func(k, v []byte) error {
			var p FXSPort
			if err := decodeValue("fxs_port", v, schema, &p); err != nil {
				return &valueError{bucketFXSPorts, string(k), err}
			}
			if fxoKey(p.Port) != string(k) {
				return &valueError{bucketFXSPorts, string(k), fmt.Errorf("holds port %d", p.Port)}
			}
			c.FXSPorts = append(c.FXSPorts, p)
			return nil
		})
		if err != nil {
			return c, err
		}
	}
	err = tx.Bucket([]byte(bucketFXOLines)).ForEach(func(k, v []byte) error {
		var l FXOLine
		if err := decodeValue("fxo_line", v, schema, &l); err != nil {
			return &valueError{bucketFXOLines, string(k), err}
		}
		if fxoKey(l.Port) != string(k) {
			return &valueError{bucketFXOLines, string(k), fmt.Errorf("holds port %d", l.Port)}
		}
		c.FXOLines = append(c.FXOLines, l)
		return nil
	})
	if err != nil {
		return c, err
	}
	if err := readDialPlan(tx, schema, &c); err != nil {
		return c, err
	}
	return c, readSettings(tx, schema, &c)
}

// writeConfig makes the configuration buckets hold exactly c, writing only
// the values that changed.
func writeConfig(tx *bbolt.Tx, c Config) error {
	enc := func(v any) []byte {
		b, err := encodeValue(v)
		if err != nil {
			panic(err) // our own plain structs always encode
		}
		return b
	}
	sys := map[string][]byte{keySystem: enc(c.System)}
	exts := map[string][]byte{}
	for _, e := range c.Extensions {
		exts[e.Number] = enc(e)
	}
	lines := map[string][]byte{}
	for _, l := range c.FXOLines {
		lines[fxoKey(l.Port)] = enc(l)
	}
	for name, want := range map[string]map[string][]byte{bucketSystem: sys, bucketExtensions: exts, bucketFXOLines: lines} {
		if err := syncBucket(tx.Bucket([]byte(name)), want); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	ports := map[string][]byte{}
	for _, p := range c.FXSPorts {
		ports[fxoKey(p.Port)] = enc(p)
	}
	if b := tx.Bucket([]byte(bucketFXSPorts)); b != nil || len(ports) > 0 {
		var err error
		if b == nil {
			if b, err = tx.CreateBucket([]byte(bucketFXSPorts)); err != nil {
				return fmt.Errorf("write %s: %w", bucketFXSPorts, err)
			}
		}
		if err := syncBucket(b, ports); err != nil {
			return fmt.Errorf("write %s: %w", bucketFXSPorts, err)
		}
	}
	if err := writeDialPlan(tx, &c); err != nil {
		return fmt.Errorf("write %s: %w", bucketDialPlan, err)
	}
	if err := writeSections(tx, bucketSettings, settingsSections(&c)); err != nil {
		return fmt.Errorf("write %s: %w", bucketSettings, err)
	}
	return nil
}

// syncBucket deletes the keys of b not in want and puts those that differ.
func syncBucket(b *bbolt.Bucket, want map[string][]byte) error {
	var stale [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if _, ok := want[string(k)]; !ok {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	for k, v := range want {
		if bytes.Equal(b.Get([]byte(k)), v) {
			continue
		}
		if err := b.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// sortConfig orders extensions by number and lines by port, the order
// they are stored and exported in.
func sortConfig(c *Config) {
	slices.SortStableFunc(c.Extensions, func(a, b Extension) int {
		if len(a.Number) != len(b.Number) {
			return len(a.Number) - len(b.Number)
		}
		return strings.Compare(a.Number, b.Number)
	})
	slices.SortStableFunc(c.FXOLines, func(a, b FXOLine) int { return a.Port - b.Port })
	slices.SortStableFunc(c.FXSPorts, func(a, b FXSPort) int { return a.Port - b.Port })
	sortPhones(&c.Provisioning)
}

// validator returns the checker for a change to c (whose stored secrets
// are exempt from re-checking).
func (db *DB) validator(blameSystem bool, stored Config) *validator {
	known := map[string]bool{}
	for _, e := range stored.Extensions {
		known[e.Secret] = true
	}
	return &validator{limits: db.limits, zones: db.zones, blameSystem: blameSystem, knownSecrets: known}
}

// change runs one read-validate-write transaction: fn edits a copy of the
// stored configuration; the result is validated and, only if valid,
// written. entity names what fn changes ("system", "ext:101", "fxo:1") so
// that errors are reported relative to it; "" validates the whole
// document (import). Nothing is written when fn or validation fails.
func (db *DB) change(entity string, fn func(c *Config) error) (Config, error) {
	return db.changeTx(entity, func(_ *bbolt.Tx, c *Config) error { return fn(c) })
}

// changeTx is change for a fn that also reads what the configuration
// does not hold (the accounts) in the same transaction.
func (db *DB) changeTx(entity string, fn func(tx *bbolt.Tx, c *Config) error) (Config, error) {
	if db.readOnly {
		return Config{}, ErrReadOnly
	}
	var out Config
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		before, after, err := db.edit(tx, entity, func(c *Config) error { return fn(tx, c) })
		if err != nil {
			return err
		}
		if err := writeConfig(tx, after); err != nil {
			return fmt.Errorf("store: write configuration: %w", err)
		}
		if err := db.auditConfig(tx, entity, &before, &after); err != nil {
			return fmt.Errorf("store: audit log: %w", err)
		}
		out = after
		return nil
	})
	return out, err
}

// edit is change without the write: it reads the configuration in tx,
// runs fn on a copy, and returns the configuration as it was and the
// validated, sorted result.
func (db *DB) edit(tx *bbolt.Tx, entity string, fn func(c *Config) error) (before, after Config, err error) {
	before, err = readConfig(tx, db.schema)
	if err != nil {
		return Config{}, Config{}, fmt.Errorf("store: read configuration: %w", err)
	}
	after = cloneConfig(before)
	if err := fn(&after); err != nil {
		return Config{}, Config{}, err
	}
	v := db.validator(entity == "system", before)
	issues := v.check(&after)
	if entity == "" {
		if err := allIssues(issues); err != nil {
			return Config{}, Config{}, err
		}
	} else if err := scopedIssues(v.check(&before), issues, entity); err != nil {
		return Config{}, Config{}, err
	}
	sortConfig(&after)
	return before, after, nil
}

func cloneConfig(c Config) Config {
	c.Extensions = slices.Clone(c.Extensions)
	c.FXOLines = slices.Clone(c.FXOLines)
	c.FXSPorts = slices.Clone(c.FXSPorts)
	cloneDialPlan(&c)
	cloneSettings(&c)
	return c
}

// Config returns the whole configuration (secrets included).
func (db *DB) Config() (Config, error) {
	var c Config
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		c, err = readConfig(tx, db.schema)
		return err
	})
	if err != nil {
		return Config{}, fmt.Errorf("store: read configuration: %w", err)
	}
	return c, nil
}

// ExportConfig returns the configuration as the JSON document's value:
// what a backup holds. It includes the SIP secrets (so a restore brings
// phones back without re-provisioning) but never the admin password.
func (db *DB) ExportConfig() (Config, error) { return db.Config() }

// ImportConfig replaces the whole configuration with c after validating
// it as one document (errors carry paths such as "extensions[2].number").
// An extension whose secret is empty keeps the secret stored for its
// number, or gets a generated one if it is new. c.Version must be 0 (a
// Config built in Go) or SchemaVersion; older JSON documents are migrated
// by DecodeConfig before they become a Config.
func (db *DB) ImportConfig(c Config) error {
	if c.Version != 0 && c.Version != SchemaVersion {
		return fieldErr("version", "must be %d (decode older documents with DecodeConfig, which migrates them)", SchemaVersion)
	}
	_, err := db.change("", func(cur *Config) error {
		old := map[string]string{}
		for _, e := range cur.Extensions {
			old[e.Number] = e.Secret
		}
		next := cloneConfig(c)
		next.Version = SchemaVersion
		if next.Extensions == nil {
			next.Extensions = []Extension{}
		}
		if next.FXOLines == nil {
			next.FXOLines = []FXOLine{}
		}
		for i := range next.Extensions {
			e := &next.Extensions[i]
			if e.Secret == "" {
				if s, ok := old[e.Number]; ok {
					e.Secret = s
				} else {
					e.Secret = GenerateSecret()
				}
			}
		}
		fillPhoneTokens(&next.Provisioning, cur.Provisioning.Phones, db.now().UTC())
		// Ports the box has but the document leaves out get a line
		// that is disabled: no call is routed anywhere unasked.
		have := map[int]bool{}
		for _, l := range next.FXOLines {
			have[l.Port] = true
		}
		for n := 1; n <= db.limits.FXOPorts; n++ {
			if !have[n] {
				next.FXOLines = append(next.FXOLines, defaultLine(n, ""))
			}
		}
		*cur = next
		return nil
	})
	return err
}

// ValidateConfig checks c as ImportConfig would, without writing.
func (db *DB) ValidateConfig(c Config) error {
	cur, err := db.Config()
	if err != nil {
		return err
	}
	next := cloneConfig(c)
	for i := range next.Extensions {
		if next.Extensions[i].Secret == "" {
			next.Extensions[i].Secret = GenerateSecret()
		}
	}
	fillPhoneTokens(&next.Provisioning, cur.Provisioning.Phones, db.now().UTC())
	return allIssues(db.validator(false, cur).check(&next))
}

// System returns the box-wide settings.
func (db *DB) System() (System, error) {
	c, err := db.Config()
	return c.System, err
}

// UpdateSystem replaces the box-wide settings. Errors are relative to the
// System object ("outside_prefix"); a change of ExtensionLength while
// extensions of another length exist is refused on "extension_length".
func (db *DB) UpdateSystem(s System) (System, error) {
	c, err := db.change("system", func(c *Config) error {
		c.System = s
		return nil
	})
	return c.System, err
}

// Extensions returns every extension, ordered by number.
func (db *DB) Extensions() ([]Extension, error) {
	c, err := db.Config()
	return c.Extensions, err
}

// Extension returns one extension, or ErrNotFound.
func (db *DB) Extension(number string) (Extension, error) {
	c, err := db.Config()
	if err != nil {
		return Extension{}, err
	}
	for _, e := range c.Extensions {
		if e.Number == number {
			return e, nil
		}
	}
	return Extension{}, fmt.Errorf("store: extension %q: %w", number, ErrNotFound)
}

// CreateExtension adds an extension; an empty secret is generated
// strong. It returns the stored extension (with its secret).
func (db *DB) CreateExtension(e Extension) (Extension, error) {
	if e.Secret == "" {
		e.Secret = GenerateSecret()
	}
	_, err := db.change("ext:"+e.Number, func(c *Config) error {
		for _, x := range c.Extensions {
			if x.Number == e.Number {
				return fieldErr("number", "extension %s already exists", e.Number)
			}
		}
		c.Extensions = append(c.Extensions, e)
		return nil
	})
	if err != nil {
		return Extension{}, err
	}
	return e, nil
}

// UpdateExtension replaces extension number with e (which may renumber
// it: FXO lines routed to the old number, and phones provisioned as it
// or watching it on a key, follow). An empty secret keeps
// the stored one.
func (db *DB) UpdateExtension(number string, e Extension) (Extension, error) {
	_, err := db.change("ext:"+e.Number, func(c *Config) error {
		i := slices.IndexFunc(c.Extensions, func(x Extension) bool { return x.Number == number })
		if i < 0 {
			return fmt.Errorf("store: extension %q: %w", number, ErrNotFound)
		}
		if e.Secret == "" {
			e.Secret = c.Extensions[i].Secret
		}
		// Move it last so that a clash (duplicate number or port) is
		// reported on the extension being changed, not on the other one.
		c.Extensions = append(slices.Delete(c.Extensions, i, i+1), e)
		if e.Number != number {
			for j := range c.FXOLines {
				if c.FXOLines[j].Destination == number {
					c.FXOLines[j].Destination = e.Number
				}
			}
			renumberPhones(&c.Provisioning, number, e.Number)
		}
		return nil
	})
	if err != nil {
		return Extension{}, err
	}
	return e, nil
}

// DeleteExtension removes an extension with what belongs to it (its
// extension rule and its mailbox's settings; the mailbox's messages stay
// on disk). Deleting one that anything else still names — an FXO line
// routed to it, a ring group, a menu key, a forwarding, its mailbox as a
// destination, a phone provisioned as it, a web account whose extension
// it is — is refused with an *InUseError naming each of them: a call
// must never be sent to an extension that is gone, nor a user left
// managing one.
func (db *DB) DeleteExtension(number string) error {
	_, err := db.changeTx("ext:"+number, func(tx *bbolt.Tx, c *Config) error {
		i := slices.IndexFunc(c.Extensions, func(x Extension) bool { return x.Number == number })
		if i < 0 {
			return fmt.Errorf("store: extension %q: %w", number, ErrNotFound)
		}
		accounts, err := allAccounts(tx, db.schema)
		if err != nil {
			return err
		}
		if users := append(c.ExtensionUsers(number), AccountUsers(accounts, number)...); len(users) > 0 {
			return inUse(c, "extension", number, users)
		}
		c.Extensions = slices.Delete(c.Extensions, i, i+1)
		// What belongs to the extension goes with it.
		c.ExtensionRules = slices.DeleteFunc(c.ExtensionRules, func(r ExtensionRule) bool { return r.Extension == number })
		c.Voicemail.Boxes = slices.DeleteFunc(c.Voicemail.Boxes, func(b Mailbox) bool { return b.Extension == number })
		normalizeDialPlan(c)
		return nil
	})
	return err
}

// FXOLines returns the configuration of every FXO port, ordered by port.
func (db *DB) FXOLines() ([]FXOLine, error) {
	c, err := db.Config()
	return c.FXOLines, err
}

// FXSPorts returns the settings of the FXS ports that have any, ordered
// by port.
func (db *DB) FXSPorts() ([]FXSPort, error) {
	c, err := db.Config()
	return c.FXSPorts, err
}

// UpdateFXSPort sets the settings of FXS port p.Port (all defaults removes
// its entry). Errors name the fields of p ("flash_min_ms").
func (db *DB) UpdateFXSPort(p FXSPort) (FXSPort, error) {
	_, err := db.change(fmt.Sprintf("fxs:%d", p.Port), func(c *Config) error {
		if p.Port < 1 || p.Port > db.limits.FXSPorts {
			return fieldErr("port", "no FXS port %d on this box (it has %s)", p.Port, portRange(db.limits.FXSPorts))
		}
		c.FXSPorts = slices.DeleteFunc(c.FXSPorts, func(x FXSPort) bool { return x.Port == p.Port })
		if p != (FXSPort{Port: p.Port}) {
			c.FXSPorts = append(c.FXSPorts, p)
		}
		return nil
	})
	if err != nil {
		return FXSPort{}, err
	}
	return p, nil
}

// UpdateFXOLine replaces the configuration of FXO port l.Port.
func (db *DB) UpdateFXOLine(l FXOLine) (FXOLine, error) {
	_, err := db.change(fmt.Sprintf("fxo:%d", l.Port), func(c *Config) error {
		i := slices.IndexFunc(c.FXOLines, func(x FXOLine) bool { return x.Port == l.Port })
		if i < 0 {
			return fieldErr("port", "no FXO port %d on this box (it has %s)", l.Port, portRange(db.limits.FXOPorts))
		}
		c.FXOLines[i] = l
		return nil
	})
	if err != nil {
		return FXOLine{}, err
	}
	return l, nil
}

// ExtensionUsers lists what refers to extension number or its mailbox,
// leaving out what belongs to the extension itself (its own rule and
// mailbox, which go with it).
func (c *Config) ExtensionUsers(number string) []Ref {
	var out []Ref
	for _, r := range c.References() {
		if r.Name != number || (r.Target != SectionExtensions && r.Target != "voicemail") {
			continue
		}
		key, i, _ := ObjectOf(r.Path)
		switch {
		case key == "extension_rules" && i >= 0 && i < len(c.ExtensionRules) && c.ExtensionRules[i].Extension == number:
			continue
		case key == "voicemail" && r.Path == fmt.Sprintf("voicemail.boxes[%d].extension", boxIndex(c, number)):
			continue
		}
		out = append(out, r)
	}
	return out
}

// boxIndex is the index of number's mailbox, or -1.
func boxIndex(c *Config, number string) int {
	return slices.IndexFunc(c.Voicemail.Boxes, func(b Mailbox) bool { return b.Extension == number })
}

// ExtensionProfile is everything the configuration holds about one
// extension: its settings, its extension rule (forwarding, follow-me,
// permission class, call handling) and its mailbox. Rule and Mailbox are
// nil when it has none.
type ExtensionProfile struct {
	Extension Extension      `json:"extension"`
	Rule      *ExtensionRule `json:"rule,omitempty"`
	Mailbox   *Mailbox       `json:"mailbox,omitempty"`
}

// Profile returns extension number's profile; false when there is no
// such extension.
func (c *Config) Profile(number string) (ExtensionProfile, bool) {
	i := slices.IndexFunc(c.Extensions, func(x Extension) bool { return x.Number == number })
	if i < 0 {
		return ExtensionProfile{}, false
	}
	p := ExtensionProfile{Extension: c.Extensions[i]}
	if j := slices.IndexFunc(c.ExtensionRules, func(r ExtensionRule) bool { return r.Extension == number }); j >= 0 {
		r := c.ExtensionRules[j]
		r.FollowMe = slices.Clone(r.FollowMe)
		p.Rule = &r
	}
	if j := boxIndex(c, number); j >= 0 {
		b := c.Voicemail.Boxes[j]
		p.Mailbox = &b
	}
	return p, true
}

// UpdateExtensionProfile replaces extension number's settings, rule and
// mailbox in one validated transaction: either all of it is saved or,
// with every problem reported, nothing. The number itself is not changed
// here (UpdateExtension renumbers). A rule that sets nothing is removed,
// as is the mailbox when p.Mailbox is nil; an empty secret or mailbox
// PIN keeps the stored one. Problems of the extension come back by field
// ("fxs_port"), those of the rule and mailbox by their document paths
// ("extension_rules[2].forward_busy", "voicemail.boxes[0].pin").
func (db *DB) UpdateExtensionProfile(number string, p ExtensionProfile) (ExtensionProfile, error) {
	c, err := db.change("ext:"+number, func(c *Config) error {
		i := slices.IndexFunc(c.Extensions, func(x Extension) bool { return x.Number == number })
		if i < 0 {
			return fmt.Errorf("store: extension %q: %w", number, ErrNotFound)
		}
		e := p.Extension
		e.Number = number
		if e.Secret == "" {
			e.Secret = c.Extensions[i].Secret
		}
		c.Extensions[i] = e
		j := slices.IndexFunc(c.ExtensionRules, func(r ExtensionRule) bool { return r.Extension == number })
		switch {
		case p.Rule == nil || reflect.DeepEqual(*p.Rule, ExtensionRule{Extension: p.Rule.Extension}):
			if j >= 0 {
				c.ExtensionRules = slices.Delete(c.ExtensionRules, j, j+1)
			}
		case j >= 0:
			c.ExtensionRules[j] = *p.Rule
			c.ExtensionRules[j].Extension = number
		default:
			r := *p.Rule
			r.Extension = number
			c.ExtensionRules = append(c.ExtensionRules, r)
		}
		k := boxIndex(c, number)
		switch {
		case p.Mailbox == nil:
			if k >= 0 {
				c.Voicemail.Boxes = slices.Delete(c.Voicemail.Boxes, k, k+1)
			}
		case k >= 0:
			b := *p.Mailbox
			b.Extension = number
			if b.PIN == "" {
				b.PIN = c.Voicemail.Boxes[k].PIN
			}
			c.Voicemail.Boxes[k] = b
		default:
			b := *p.Mailbox
			b.Extension = number
			c.Voicemail.Boxes = append(c.Voicemail.Boxes, b)
		}
		normalizeDialPlan(c)
		return nil
	})
	if err != nil {
		return ExtensionProfile{}, err
	}
	out, _ := c.Profile(number)
	return out, nil
}
