package store

import (
	"fmt"
	"slices"
	"strings"
)

// The PBX parameters the small-office manual lists on one page (config.md,
// "PBX parameters"): the box's name and ID, the extension length, the
// music port and the voice modem's initialisation string and timeout.
// The name and extension length are System fields of old; the others are
// new ones, and the music port is a music-on-hold class.

// VoiceModem is what the box tells its voice modems (board/modem), if the
// board has any: they take it when the box starts.
type VoiceModem struct {
	// InitString is one extra AT command line sent after the driver's
	// reset (ATZ, ATE0) and before it selects voice mode, e.g. a
	// modem's country or gain settings ("AT+GCI=59"); "" none.
	InitString string `json:"init_string,omitempty"`
	// TimeoutMS is how long the modem may take to answer a command
	// before it is taken for dead (0: 2000).
	TimeoutMS int `json:"timeout_ms,omitempty"`
}

// Bounds of the PBX parameters.
const (
	MaxPBXIDLen           = 16
	MaxModemInitLen       = 60
	MinModemTimeoutMS     = 200
	MaxModemTimeoutMS     = 30000
	DefaultModemTimeoutMS = 2000
	// MusicPortClass is the music-on-hold class the PBX parameters page
	// makes for the music port.
	MusicPortClass = "music-port"
)

// checkParameters checks the System fields of the PBX parameters.
func checkParameters(s System, add func(field, format string, args ...any)) {
	if len(s.PBXID) > MaxPBXIDLen {
		add("pbx_id", "must be at most %d characters", MaxPBXIDLen)
	} else {
		for _, r := range s.PBXID {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				add("pbx_id", "may hold letters a-z, digits, '-' and '_' only")
				break
			}
		}
	}
	if m := modemInitProblem(s.VoiceModem.InitString); m != "" {
		add("voice_modem.init_string", "%s", m)
	}
	if t := s.VoiceModem.TimeoutMS; t != 0 && (t < MinModemTimeoutMS || t > MaxModemTimeoutMS) {
		add("voice_modem.timeout_ms", "must be 0 (the default, %d) or %d to %d milliseconds", DefaultModemTimeoutMS, MinModemTimeoutMS, MaxModemTimeoutMS)
	}
}

// modemInitProblem says what is wrong with an initialisation string: it
// must be one AT command line of printable ASCII (the driver adds the
// carriage return), and must not switch off what the driver relies on.
func modemInitProblem(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > MaxModemInitLen {
		return fmt.Sprintf("must be at most %d characters", MaxModemInitLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "must be one line of printable ASCII characters (no line breaks)"
		}
	}
	if !strings.HasPrefix(strings.ToUpper(s), "AT") {
		return "must be an AT command line (start with AT)"
	}
	up := strings.ToUpper(s)
	for _, bad := range []string{"E1", "Q1", "V0", "+FCLASS", "Z"} {
		if strings.Contains(up[2:], bad) {
			return fmt.Sprintf("must not contain %s: the driver sets echo, result codes, voice mode and resets itself", bad)
		}
	}
	return ""
}

// PBXParameters are the small-office manual's PBX parameters, on one page
// (the board's timeslot map is the board's description, not here).
type PBXParameters struct {
	Name            string `json:"name"`
	PBXID           string `json:"pbx_id"`
	ExtensionLength int    `json:"extension_length"`
	// MusicPort is the analog port whose live audio callers on hold
	// hear ("fxo:N" or "fxs:N"): the box-wide music on hold is then
	// the class MusicPortClass playing it. "" none.
	MusicPort  string     `json:"music_port"`
	VoiceModem VoiceModem `json:"voice_modem"`
}

// PBXParameters returns c's PBX parameters.
func (c *Config) PBXParameters() PBXParameters {
	p := PBXParameters{Name: c.System.Name, PBXID: c.System.PBXID, ExtensionLength: c.System.ExtensionLength, VoiceModem: c.System.VoiceModem}
	if i := slices.IndexFunc(c.MOHClasses, func(m MOHClass) bool { return m.Name == c.Features.MusicOnHold }); i >= 0 {
		p.MusicPort = c.MOHClasses[i].Port
	}
	return p
}

// UpdatePBXParameters changes the PBX parameters in one transaction.
// Problems are a *ValidationError on the PBXParameters fields ("name",
// "extension_length", "music_port", "voice_modem.init_string").
func (db *DB) UpdatePBXParameters(p PBXParameters) (PBXParameters, error) {
	c, err := db.change("system", func(c *Config) error {
		c.System.Name, c.System.PBXID, c.System.ExtensionLength, c.System.VoiceModem = p.Name, p.PBXID, p.ExtensionLength, p.VoiceModem
		setMusicPort(c, p.MusicPort)
		return nil
	})
	if v, ok := AsValidationError(err); ok {
		for i, f := range v.Fields {
			if strings.HasPrefix(f.Field, "moh_classes") || strings.HasPrefix(f.Field, "features.music_on_hold") {
				v.Fields[i].Field = "music_port"
			}
		}
		return PBXParameters{}, v
	}
	if err != nil {
		return PBXParameters{}, err
	}
	return c.PBXParameters(), nil
}

// setMusicPort makes port the box-wide music on hold through the class
// MusicPortClass; "" takes a port off the box-wide music on hold (the
// class goes when nothing else names it).
func setMusicPort(c *Config, port string) {
	i := slices.IndexFunc(c.MOHClasses, func(m MOHClass) bool { return m.Name == MusicPortClass })
	if port != "" {
		if i < 0 {
			c.MOHClasses = append(c.MOHClasses, MOHClass{Name: MusicPortClass})
			i = len(c.MOHClasses) - 1
		}
		c.MOHClasses[i] = MOHClass{Name: MusicPortClass, Port: port}
		c.Features.MusicOnHold = MusicPortClass
		return
	}
	if j := slices.IndexFunc(c.MOHClasses, func(m MOHClass) bool { return m.Name == c.Features.MusicOnHold }); j >= 0 && c.MOHClasses[j].Port != "" {
		c.Features.MusicOnHold = ""
	}
	if i >= 0 && !mohNamed(c, MusicPortClass) {
		c.MOHClasses = slices.Delete(c.MOHClasses, i, i+1)
	}
}

// mohNamed reports whether anything names the music-on-hold class.
func mohNamed(c *Config, name string) bool {
	if c.Features.MusicOnHold == name {
		return true
	}
	for _, q := range c.Queues {
		if q.MOHClass == name {
			return true
		}
	}
	for _, r := range c.InboundRoutes {
		if r.MOHClass == name {
			return true
		}
	}
	for _, r := range c.ExtensionRules {
		if r.MOHClass == name {
			return true
		}
	}
	return false
}
