package voicedaa

import (
	"fmt"
	"sort"
	"strings"
)

// Country holds the line-interface settings a national network requires.
type Country struct {
	Code, Name string
	// OHS and OHS2: on-hook speed (how fast the loop current falls when
	// going on hook; TBR21 countries need the slower, shaped release).
	OHS, OHS2 bool
	// RZ: ringer impedance (synthesised high-impedance ringer); RT: ring
	// detect threshold (the higher threshold of the datasheet's table).
	RZ, RT bool
	// ILIM: limit the DC loop current to 60 mA (TBR21).
	ILIM bool
	// DCV: tip-ring voltage adjust (0..3); MINI: minimum operational loop
	// current (0..3). Together the DC termination.
	DCV, MINI uint8
	// ACIM: AC termination impedance selector (0 = 600 Ω real; 2 = the
	// TBR21 complex impedance; 3 and 5: the German and British complex
	// impedances).
	ACIM uint8
	// Source says where the entry comes from.
	Source string
}

const (
	srcSi3050 = "Si3050 datasheet, country-specific register settings table (the same values DAHDI's fxo_modes carries)"
	srcCIS    = "not listed by Silicon Labs; follows the Russian entry, because these networks keep the Soviet-era line standard (600 Ω real termination, 60 V battery, GOST 7153) — check with the operator"
)

// countries is the table; codes are ISO 3166-1 alpha-2, lower case.
var countries = map[string]Country{
	"us": {Code: "us", Name: "United States", DCV: 3, Source: srcSi3050},
	"uk": {Code: "uk", Name: "United Kingdom", OHS2: true, ILIM: true, DCV: 3, ACIM: 5, Source: srcSi3050},
	"de": {Code: "de", Name: "Germany", OHS2: true, ILIM: true, DCV: 3, ACIM: 3, Source: srcSi3050},
	"fr": {Code: "fr", Name: "France", OHS2: true, ILIM: true, DCV: 3, ACIM: 2, Source: srcSi3050},
	"it": {Code: "it", Name: "Italy", OHS2: true, ILIM: true, DCV: 3, ACIM: 2, Source: srcSi3050},
	"ru": {Code: "ru", Name: "Russia", DCV: 0, MINI: 3, Source: srcSi3050},
	"kz": {Code: "kz", Name: "Kazakhstan", DCV: 3, Source: srcSi3050},
	"am": {Code: "am", Name: "Armenia", DCV: 0, MINI: 3, Source: srcCIS},
	"kg": {Code: "kg", Name: "Kyrgyzstan", DCV: 0, MINI: 3, Source: srcCIS},
	"ua": {Code: "ua", Name: "Ukraine", DCV: 0, MINI: 3, Source: srcCIS},
}

// LookupCountry returns the settings for an ISO 3166-1 alpha-2 code
// ("gb" is accepted for the United Kingdom).
func LookupCountry(code string) (Country, error) {
	c := strings.ToLower(strings.TrimSpace(code))
	if c == "gb" {
		c = "uk"
	}
	if e, ok := countries[c]; ok {
		return e, nil
	}
	return Country{}, fmt.Errorf("voicedaa: unknown country %q (known: %s)", code, strings.Join(CountryCodes(), ", "))
}

// CountryCodes lists the known codes, sorted.
func CountryCodes() []string {
	s := make([]string, 0, len(countries))
	for k := range countries {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// registers returns the (mask, value) pairs of the country's fields in
// registers 16, 26, 30 and 31.
func (c Country) registers() (r16, r26, r30, r31 byte) {
	if c.OHS {
		r16 |= 0x40
	}
	if c.RZ {
		r16 |= 0x02
	}
	if c.RT {
		r16 |= 0x01
	}
	r26 = c.DCV&3<<6 | c.MINI&3<<4
	if c.ILIM {
		r26 |= 0x02
	}
	r30 = c.ACIM & 0x0F
	if c.OHS2 {
		r31 |= 0x08
	}
	return
}

// Masks of the country fields in registers 16, 26, 30 and 31.
const (
	mask16 = 0x43
	mask26 = 0xF2
	mask30 = 0x0F
	mask31 = 0x08
)
