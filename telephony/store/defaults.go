package store

import "fmt"

// MaxPorts is the most FXS or FXO ports a box can have (the reference
// design allows up to 8 of each).
const MaxPorts = 8

// Limits are the box's hardware facts that validation depends on: how many
// analog ports of each kind exist. pbxd passes the board's counts; pbxctl,
// which does not know the board, opens with zero Limits and gets the ones
// the last pbxd stored in the database.
type Limits struct {
	FXSPorts int `json:"fxs_ports"`
	FXOPorts int `json:"fxo_ports"`
}

// DefaultLimits returns the port counts assumed when neither the caller
// nor the database knows the board: the reference box's 2 FXS + 2 FXO.
func DefaultLimits() Limits { return Limits{FXSPorts: 2, FXOPorts: 2} }

func (l Limits) validate() error {
	if l.FXSPorts < 0 || l.FXSPorts > MaxPorts || l.FXOPorts < 0 || l.FXOPorts > MaxPorts {
		return fmt.Errorf("store: limits %d FXS / %d FXO ports out of range 0..%d", l.FXSPorts, l.FXOPorts, MaxPorts)
	}
	return nil
}

// DefaultSystem returns the settings of a new box.
func DefaultSystem() System {
	return System{
		Name:                "minipbx",
		ToneZone:            "us",
		TimeZone:            "UTC",
		ExtensionLength:     3,
		OutsidePrefix:       "9",
		InterDigitTimeoutMS: 4000,
		NoAnswerTimeoutS:    30,
		CallRecordRetention: 10000,
	}
}

// DefaultEmergencyNumbers are the emergency numbers of a new box: the two
// that every GSM network routes (a phone user anywhere tries them), and
// that clash with no default extension. Installers add the country's own.
func DefaultEmergencyNumbers() []string { return []string{"112", "911"} }

// DefaultAnswerAfterRings is how many rings an FXO line lets pass by
// default: the caller ID arrives between the first and second ring, so
// answering after the second keeps it.
const DefaultAnswerAfterRings = 2

// DefaultConfig returns the configuration of a new box with the given
// ports: extension 100+n "FXS n" on each FXS port n (allowed outside
// calls; a SIP-only 101 "Reception" when the box has no FXS port), and each
// FXO line enabled, answering after 2 rings, to 101. Secrets are generated
// fresh on each call, so no two boxes share one.
func DefaultConfig(l Limits) Config {
	c := Config{Version: SchemaVersion, System: DefaultSystem()}
	for n := 1; n <= l.FXSPorts; n++ {
		c.Extensions = append(c.Extensions, Extension{
			Number:       fmt.Sprintf("%d", 100+n),
			Name:         fmt.Sprintf("FXS %d", n),
			Secret:       GenerateSecret(),
			FXSPort:      n,
			OutsideCalls: true,
		})
	}
	if len(c.Extensions) == 0 {
		c.Extensions = append(c.Extensions, Extension{Number: "101", Name: "Reception", Secret: GenerateSecret(), OutsideCalls: true})
	}
	for n := 1; n <= l.FXOPorts; n++ {
		c.FXOLines = append(c.FXOLines, defaultLine(n, "101"))
	}
	c.Numbering.EmergencyNumbers = DefaultEmergencyNumbers()
	c.Numbering.FeatureCodes = true
	c.Features = DefaultCallFeatures()
	return c
}

func defaultLine(port int, dest string) FXOLine {
	return FXOLine{
		Port:             port,
		Name:             fmt.Sprintf("Line %d", port),
		Enabled:          dest != "",
		AnswerAfterRings: DefaultAnswerAfterRings,
		Destination:      dest,
	}
}
