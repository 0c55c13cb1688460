package webui

// country is one market of the box as the setup wizard offers it: the
// settings that follow from the country. Caller ID's modulation is not
// a setting of its own: the analog ports derive it from the tone zone
// (telephony/analog.CallerIDStandard), and CallerID says which one that
// is in words (a test holds the two together).
type country struct {
	Code string // ISO 3166 alpha-2, lower case
	Name string
	// ToneZone is the dsp tone zone: dial, ringback and busy tones, ring
	// cadence, and with them the caller ID standard.
	ToneZone string
	// CallerID names the caller ID the analog ports send and expect.
	CallerID string
	// Language is the box's voice in the country, among the languages
	// the box speaks (en, ru, hy, ky, it): the official language where
	// the box speaks it, else the one the office most likely uses; the
	// setup makes it System.Language.
	Language string
	// TimeZones are the country's IANA time zones, the capital's first.
	TimeZones []string
}

// Caller ID standards, as the country step shows them.
const (
	callerIDBell202 = "Bell 202 FSK (Telcordia GR-30)"
	callerIDV23     = "ITU-T V.23 FSK (ETSI EN 300 659)"
)

// countries are the markets the wizard knows, by name: every tone zone
// of the firmware has its country.
func countries() []country {
	return []country{
		{"am", "Armenia", "am", callerIDV23, "hy", []string{"Asia/Yerevan"}},
		{"by", "Belarus", "by", callerIDV23, "ru", []string{"Europe/Minsk"}},
		{"fr", "France", "fr", callerIDV23, "en", []string{"Europe/Paris"}},
		{"de", "Germany", "de", callerIDV23, "en", []string{"Europe/Berlin"}},
		{"it", "Italy", "it", callerIDV23, "it", []string{"Europe/Rome"}},
		{"kz", "Kazakhstan", "kz", callerIDV23, "ru", []string{"Asia/Almaty", "Asia/Qostanay", "Asia/Qyzylorda", "Asia/Aqtobe",
			"Asia/Aqtau", "Asia/Atyrau", "Asia/Oral"}},
		{"kg", "Kyrgyzstan", "kg", callerIDV23, "ky", []string{"Asia/Bishkek"}},
		{"ru", "Russia", "ru", callerIDV23, "ru", []string{"Europe/Moscow", "Europe/Kaliningrad", "Europe/Samara", "Europe/Volgograd",
			"Asia/Yekaterinburg", "Asia/Omsk", "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk",
			"Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka"}},
		{"ua", "Ukraine", "ua", callerIDV23, "en", []string{"Europe/Kyiv"}},
		{"gb", "United Kingdom", "uk", callerIDV23, "en", []string{"Europe/London"}},
		{"us", "United States", "us", callerIDBell202, "en", []string{"America/New_York", "America/Chicago", "America/Denver",
			"America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"}},
	}
}

// countryByCode finds a country of the table.
func countryByCode(code string) (country, bool) {
	for _, c := range countries() {
		if c.Code == code {
			return c, true
		}
	}
	return country{}, false
}

// countryOfZone is the country whose tones the box plays now, the
// wizard's first guess.
func countryOfZone(zone string) (country, bool) {
	for _, c := range countries() {
		if c.ToneZone == zone {
			return c, true
		}
	}
	return country{}, false
}
