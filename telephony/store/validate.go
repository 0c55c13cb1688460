package store

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"

	// The box's root file system may carry no zoneinfo: embed the IANA
	// database (~450 kB) so that time zones validate, and work, everywhere.
	_ "time/tzdata"
)

// Bounds of the configuration; see config.md for the reasons.
const (
	MaxNameLen             = 64
	MinExtensionLength     = 2
	MaxExtensionLength     = 8
	MaxOutsidePrefixLen    = 4
	MinInterDigitTimeoutMS = 1000
	MaxInterDigitTimeoutMS = 30000
	MinNoAnswerTimeoutS    = 5
	MaxNoAnswerTimeoutS    = 600
	// MaxCallRecordRetention keeps the file well inside a 32-bit ARM
	// address space (bbolt maps the whole file): ~300 bytes per record.
	MaxCallRecordRetention = 100000
	MinSecretLen           = 12
	MaxSecretLen           = 128
	MinAnswerAfterRings    = 1
	MaxAnswerAfterRings    = 10
	// MaxExtensions bounds a configuration document (hostile imports).
	MaxExtensions = 1000
	// MaxSystemCalls bounds System.MaxCalls: ten times the x86 goal of 500
	// relayed calls per core on a 2-core machine; more would only let a
	// box be configured into degrading every call.
	MaxSystemCalls = 10000
)

// issue is one validation problem, kept with the identity of the entity it
// is about (which survives re-sorting) so that a single-entity change can
// report only what it broke.
type issue struct {
	entity string // "system", "ext:101", "fxo:1"
	path   string // full JSON path in a Config document
	field  string // path relative to the entity ("number")
	msg    string
}

// validator checks a whole Config against the rules and the box's facts.
type validator struct {
	limits Limits
	// zones are the known tone-zone codes; nil checks the form only.
	zones []string
	// blameSystem attributes conflicts between the system settings and
	// the extensions to the system fields (the change being made).
	blameSystem bool
	// knownSecrets are secrets already stored: they were accepted before
	// and are not re-checked against the (possibly newer) policy.
	knownSecrets map[string]bool
}

func (v *validator) check(c *Config) []issue {
	var out []issue
	add := func(entity, prefix, field, format string, args ...any) {
		out = append(out, issue{entity: entity, path: prefix + field, field: field, msg: fmt.Sprintf(format, args...)})
	}
	s := c.System
	const sys = "system."
	add2 := func(field, format string, args ...any) { add("system", sys, field, format, args...) }

	if m := nameProblem(s.Name, true); m != "" {
		add2("name", "%s", m)
	} else if strings.ContainsAny(s.Name, "\"\\") {
		add2("name", "must not contain \" or \\ (it is the SIP realm)")
	}
	if s.ToneZone == "" {
		add2("tone_zone", "is required")
	} else if v.zones != nil && !slices.Contains(v.zones, s.ToneZone) {
		add2("tone_zone", "unknown tone zone %q (known: %s)", s.ToneZone, strings.Join(v.zones, ", "))
	} else if v.zones == nil && !isLowerAlpha(s.ToneZone) {
		add2("tone_zone", "must be a lower-case country code such as \"us\"")
	}
	if s.TimeZone == "" {
		add2("time_zone", "is required (an IANA name such as \"Europe/Paris\" or \"UTC\")")
	} else if s.TimeZone == "Local" {
		add2("time_zone", "must name a zone (an IANA name such as \"Europe/Paris\"), not Local")
	} else if _, err := time.LoadLocation(s.TimeZone); err != nil {
		add2("time_zone", "unknown time zone %q", s.TimeZone)
	}
	if err := prompts.CheckLanguage(s.Language); err != nil {
		add2("language", "%v", err)
	}
	lengthOK := s.ExtensionLength >= MinExtensionLength && s.ExtensionLength <= MaxExtensionLength
	if !lengthOK {
		add2("extension_length", "must be %d to %d digits", MinExtensionLength, MaxExtensionLength)
	}
	prefixOK := true
	if s.OutsidePrefix != "" && (!isDigits(s.OutsidePrefix) || len(s.OutsidePrefix) > MaxOutsidePrefixLen) {
		add2("outside_prefix", "must be empty (no outside calls) or 1 to %d digits", MaxOutsidePrefixLen)
		prefixOK = false
	}
	if s.InterDigitTimeoutMS < MinInterDigitTimeoutMS || s.InterDigitTimeoutMS > MaxInterDigitTimeoutMS {
		add2("inter_digit_timeout_ms", "must be %d to %d milliseconds", MinInterDigitTimeoutMS, MaxInterDigitTimeoutMS)
	}
	if s.NoAnswerTimeoutS < MinNoAnswerTimeoutS || s.NoAnswerTimeoutS > MaxNoAnswerTimeoutS {
		add2("no_answer_timeout_s", "must be %d to %d seconds", MinNoAnswerTimeoutS, MaxNoAnswerTimeoutS)
	}
	if s.CallRecordRetention < 1 || s.CallRecordRetention > MaxCallRecordRetention {
		add2("call_record_retention", "must be 1 to %d records", MaxCallRecordRetention)
	}
	if s.MaxCalls < 0 || s.MaxCalls > MaxSystemCalls {
		add2("max_calls", "must be 0 (the board's own figure) or 1 to %d calls", MaxSystemCalls)
	}
	checkDiagnostics(s.Diagnostics, add2)
	checkParameters(s, add2)
	checkText(c, add)

	// Extensions.
	if len(c.Extensions) > MaxExtensions {
		out = append(out, issue{entity: "extensions", path: "extensions", field: "extensions", msg: fmt.Sprintf("at most %d extensions", MaxExtensions)})
	}
	numbers := map[string]bool{}
	ports := map[int]string{}
	var wrongLength, prefixClash []string
	for i, e := range c.Extensions {
		ent := "ext:" + e.Number
		p := fmt.Sprintf("extensions[%d].", i)
		switch {
		case e.Number == "":
			add(ent, p, "number", "is required")
		case !isDigits(e.Number):
			add(ent, p, "number", "must be digits only")
		case lengthOK && len(e.Number) != s.ExtensionLength:
			if v.blameSystem {
				wrongLength = append(wrongLength, e.Number)
			} else {
				add(ent, p, "number", "must be exactly %d digits (the numbering plan's length)", s.ExtensionLength)
			}
		case numbers[e.Number]:
			add(ent, p, "number", "extension %s already exists", e.Number)
		case prefixOK && s.OutsidePrefix != "" && (strings.HasPrefix(e.Number, s.OutsidePrefix) || strings.HasPrefix(s.OutsidePrefix, e.Number)):
			if v.blameSystem {
				prefixClash = append(prefixClash, e.Number)
			} else {
				add(ent, p, "number", "conflicts with the outside prefix %q (a number could not be told from an outside call)", s.OutsidePrefix)
			}
		}
		numbers[e.Number] = true
		if m := nameProblem(e.Name, false); m != "" {
			add(ent, p, "name", "%s", m)
		}
		if e.Secret == "" {
			add(ent, p, "secret", "is required")
		} else if !v.knownSecrets[e.Secret] {
			if m := secretProblem(e.Secret); m != "" {
				add(ent, p, "secret", "%s", m)
			}
		}
		if err := prompts.CheckLanguage(e.Language); err != nil {
			add(ent, p, "language", "%v", err)
		}
		if e.FXSPort != 0 {
			if e.FXSPort < 0 || e.FXSPort > v.limits.FXSPorts {
				add(ent, p, "fxs_port", "no FXS port %d on this box (it has %s)", e.FXSPort, portRange(v.limits.FXSPorts))
			} else if other, dup := ports[e.FXSPort]; dup {
				add(ent, p, "fxs_port", "FXS port %d already belongs to extension %s", e.FXSPort, other)
			} else {
				ports[e.FXSPort] = e.Number
			}
		}
		if e.OutboundCallerID != "" && !dialplan.IsDialString(strings.TrimPrefix(e.OutboundCallerID, "+")) {
			add(ent, p, "outbound_caller_id", "must be digits (an optional leading +), the number outside parties see")
		}
		if m := nameProblem(e.OutboundCallerName, false); m != "" {
			add(ent, p, "outbound_caller_name", "%s", m)
		}
	}
	if len(wrongLength) > 0 {
		add2("extension_length", "cannot be %d while extensions of another length exist (%s); renumber or delete them first",
			s.ExtensionLength, strings.Join(firstN(wrongLength, 5), ", "))
	}

	if len(prefixClash) > 0 {
		add2("outside_prefix", "%q conflicts with extension %s (a number could not be told from an outside call)",
			s.OutsidePrefix, strings.Join(firstN(prefixClash, 5), ", "))
	}

	checkSettings(c, numbers, add)
	checkProvisioning(&c.Provisioning, numbers, add)
	// FXS ports' settings.
	fxsSeen := map[int]bool{}
	for i, fp := range c.FXSPorts {
		ent := fmt.Sprintf("fxs:%d", fp.Port)
		p := fmt.Sprintf("fxs_ports[%d].", i)
		portEntry("FXS", fp.Port, v.limits.FXSPorts, fxsSeen, func(format string, args ...any) { add(ent, p, "port", format, args...) })
		minOK := fp.FlashMinMS == 0 || fp.FlashMinMS >= MinFlashMinMS && fp.FlashMinMS <= MaxFlashMinMS
		maxOK := fp.FlashMaxMS == 0 || fp.FlashMaxMS >= MinFlashMaxMS && fp.FlashMaxMS <= MaxFlashMaxMS
		if !minOK {
			add(ent, p, "flash_min_ms", "must be 0 (default %d) or %d to %d milliseconds", DefaultFlashMinMS, MinFlashMinMS, MaxFlashMinMS)
		}
		if !maxOK {
			add(ent, p, "flash_max_ms", "must be 0 (default %d) or %d to %d milliseconds", DefaultFlashMaxMS, MinFlashMaxMS, MaxFlashMaxMS)
		}
		if lo, hi := fp.FlashWindow(); minOK && maxOK && hi-lo < MinFlashWindowMS {
			field := "flash_max_ms"
			if fp.FlashMaxMS == 0 {
				field = "flash_min_ms"
			}
			add(ent, p, field, "the flash window %d-%d ms is too narrow: the maximum must exceed the minimum by at least %d ms", lo, hi, MinFlashWindowMS)
		}
	}

	v.checkDialPlan(c, func(path, format string, args ...any) {
		out = append(out, issue{entity: entityDialPlan, path: path, field: path, msg: fmt.Sprintf(format, args...)})
	})

	// FXO lines.
	lines := map[int]bool{}
	for i, l := range c.FXOLines {
		ent := fmt.Sprintf("fxo:%d", l.Port)
		p := fmt.Sprintf("fxo_lines[%d].", i)
		portEntry("FXO", l.Port, v.limits.FXOPorts, lines, func(format string, args ...any) { add(ent, p, "port", format, args...) })
		if m := nameProblem(l.Name, false); m != "" {
			add(ent, p, "name", "%s", m)
		}
		if l.AnswerAfterRings < MinAnswerAfterRings || l.AnswerAfterRings > MaxAnswerAfterRings {
			add(ent, p, "answer_after_rings", "must be %d to %d rings", MinAnswerAfterRings, MaxAnswerAfterRings)
		}
		switch {
		case l.Destination == "" && l.Enabled:
			add(ent, p, "destination", "is required when the line is enabled")
		case l.Destination != "" && !numbers[l.Destination]:
			add(ent, p, "destination", "extension %q does not exist", l.Destination)
		}
	}
	return out
}

// portEntry checks the port of an entry of a per-port list (fxo_lines,
// fxs_ports): a port of kind the box has (ports of them), listed once.
func portEntry(kind string, port, ports int, seen map[int]bool, add func(format string, args ...any)) {
	if port < 1 || port > ports {
		add("no %s port %d on this box (it has %s)", kind, port, portRange(ports))
	} else if seen[port] {
		add("%s port %d is configured twice", kind, port)
	}
	seen[port] = true
}

// secretProblem says what is wrong with a user-chosen SIP secret, or "".
func secretProblem(s string) string {
	if len(s) < MinSecretLen || len(s) > MaxSecretLen {
		return fmt.Sprintf("must be %d to %d characters", MinSecretLen, MaxSecretLen)
	}
	var lower, upper, digit, other bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			return "must be printable ASCII without spaces (phones cannot type anything else)"
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			classes++
		}
	}
	if classes < 3 {
		return "must mix at least three of: lower case, upper case, digits, symbols (or leave it empty to generate one)"
	}
	return ""
}

// nameProblem checks a display name: at most MaxNameLen printable
// characters, no leading or trailing space.
func nameProblem(s string, required bool) string {
	if s == "" {
		if required {
			return "is required"
		}
		return ""
	}
	if n := utf8.RuneCountInString(s); n > MaxNameLen {
		return fmt.Sprintf("must be at most %d characters (got %d)", MaxNameLen, n)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "must contain printable characters only"
		}
	}
	if strings.TrimSpace(s) != s {
		return "must not start or end with a space"
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLowerAlpha(s string) bool {
	if len(s) < 2 || len(s) > 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func portRange(n int) string {
	switch n {
	case 0:
		return "none"
	case 1:
		return "port 1 only"
	}
	return fmt.Sprintf("ports 1 to %d", n)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}

// allIssues turns every issue into a ValidationError with full paths (a
// whole-document change).
func allIssues(is []issue) error {
	v := &ValidationError{}
	for _, i := range is {
		v.Fields = append(v.Fields, FieldError{Field: i.path, Message: i.msg})
	}
	return v.err()
}

// scopedIssues reports, for a change to one entity, every problem of that
// entity (with paths relative to it) and any problem elsewhere that the
// change introduced (with full paths). Problems that existed before the
// change (say, an extension left on a port the board no longer has) do not
// block an unrelated change.
func scopedIssues(before, after []issue, entity string) error {
	old := map[[3]string]bool{}
	for _, i := range before {
		old[[3]string{i.entity, i.field, i.msg}] = true
	}
	v := &ValidationError{}
	for _, i := range after {
		switch {
		case i.entity == entity:
			v.Fields = append(v.Fields, FieldError{Field: i.field, Message: i.msg})
		case !old[[3]string{i.entity, i.field, i.msg}]:
			v.Fields = append(v.Fields, FieldError{Field: i.path, Message: i.msg})
		}
	}
	return v.err()
}
