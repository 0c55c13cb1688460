package dsp

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Zone is one country's call-progress tones and FXS ring cadence.
type Zone struct {
	Code, Name string
	Dial       ToneSpec
	Ringback   ToneSpec
	Busy       ToneSpec
	Congestion ToneSpec
	// CallWaiting is the call-waiting tone (the subscriber alerting
	// signal) as the national plan gives it: its bursts, then the silence
	// until the exchange repeats it. An FXS port plays the bursts once per
	// alert, over the call, and the exchange repeats the alert.
	CallWaiting ToneSpec
	StutterDial ToneSpec        // dial tone announcing waiting messages
	Ring        []time.Duration // FXS ringing cadence: on, off, on, off…
	Source      string          // where the values come from
}

// zoneEntry is the table form of a Zone (specs as text, cadence in ms).
type zoneEntry struct {
	code, name                                         string
	dial, ringback, busy, congestion, waiting, stutter string
	ring                                               []int
	source                                             string
}

// The sources, cited per entry:
//   - E.180: ITU-T E.180 Supplement 2 ("Various tones used in national
//     networks"), the national notifications collected by the ITU
//     (tones-0203 edition), as also transcribed in Asterisk's
//     indications.conf;
//   - national documents named in the entry.
//
// Stutter dial tone is rarely in E.180; where the national document does
// not define it the entry says which convention is used.
const cisSource = "ex-USSR national plan shared by the CIS networks (GOST R 45.223 family): " +
	"425 Hz dial tone, busy 0.35/0.35 s, congestion 0.175/0.175 s, ringback 1/4 s, 25 Hz ringing 1/4 s, " +
	"call waiting 425 Hz 0.2 s repeated after 5 s; " +
	"as notified for the Russian Federation in ITU-T E.180 Suppl. 2. The national notification of this " +
	"country was not available to check; verify on site with pbxctl dsp learn"

func zoneTable() []zoneEntry {
	stutter425 := "!425/100,!0/100,!425/100,!0/100,!425/100,!0/100,!425/100,!0/100,!425/100,!0/100,!425/100,!0/100,425"
	cis := func(code, name string) zoneEntry {
		return zoneEntry{code, name, "425", "425/1000,0/4000", "425/350,0/350", "425/175,0/175",
			"425/200,0/5000", stutter425, []int{1000, 4000}, cisSource}
	}
	return []zoneEntry{
		cis("am", "Armenia"),
		cis("by", "Belarus"),
		{"de", "Germany", "425", "425/1000,0/4000", "425/480,0/480", "425/240,0/240",
			"425/200,0/200,425/200,0/5000", "425+400", []int{1000, 4000},
			"E.180 Suppl. 2 (Germany: busy I 0.48/0.48, congestion I 0.24/0.24, ringing I 1/4, " +
				"call waiting I 425 Hz 0.2/0.2/0.2 s repeated after 5 s; " +
				"special dial tone 425+400 Hz used as stutter)"},
		{"fr", "France", "440", "440/1500,0/3500", "440/500,0/500", "440/250,0/250",
			"440/300,0/10000",
			"!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,440",
			[]int{1500, 3500},
			"E.180 Suppl. 2 (France; call waiting 440 Hz 0.3 s repeated after 10 s); " +
				"congestion and stutter not notified: Asterisk indications convention"},
		{"it", "Italy", "425/200,0/200,425/600,0/1000", "425/1000,0/4000", "425/500,0/500", "425/200,0/200",
			"425/400,0/100,425/250,0/100,425/150,0/14000", "470/400,425/400", []int{1000, 4000},
			"E.180 Suppl. 2 (Italy: cadenced dial tone, call waiting 425 Hz 0.4/0.1/0.25/0.1/0.15 s repeated after 14 s, " +
				"special dial tone 470/425 Hz alternating as stutter)"},
		cis("kg", "Kyrgyzstan"),
		cis("kz", "Kazakhstan"),
		{"ru", "Russian Federation", "425", "425/1000,0/4000", "425/350,0/350", "425/175,0/175",
			"425/200,0/5000", stutter425, []int{1000, 4000},
			"E.180 Suppl. 2 (Russian Federation) and GOST R 45.223-2001 as cited by Asterisk indications [ru] " +
				"(call waiting 425 Hz 0.2 s repeated after 5 s); " +
				"stutter: six 100 ms bursts then steady (Asterisk convention)"},
		cis("ua", "Ukraine"),
		{"uk", "United Kingdom", "350+440", "400+450/400,0/200,400+450/400,0/2000", "400/375,0/375",
			"400/400,0/350,400/225,0/525", "400/100,0/4000", "350+440/750,440/750", []int{400, 200, 400, 2000},
			"BT SIN 350 (dial, ringing, engaged, congestion, call waiting 400 Hz 0.1 s repeated after 4 s, " +
				"special dial tone as stutter) and E.180 Suppl. 2"},
		{"us", "United States", "350+440", "440+480/2000,0/4000", "480+620/500,0/500", "480+620/250,0/250",
			"440/300,0/10000",
			"!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100," +
				"!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440",
			[]int{2000, 4000},
			"ANSI T1.401 / Telcordia GR-506 precise tones (E.180 Suppl. 2, United States); call waiting: the " +
				"subscriber alerting signal, 440 Hz 0.3 s repeated after 10 s (GR-506, GR-575); " +
				"stutter: ten 0.1/0.1 s bursts then steady"},
	}
}

// LookupZone returns the zone with the given two-letter code
// (case-insensitive; "gb" is accepted for "uk").
func LookupZone(code string) (Zone, error) {
	c := strings.ToLower(strings.TrimSpace(code))
	if c == "gb" {
		c = "uk"
	}
	for _, e := range zoneTable() {
		if e.code != c {
			continue
		}
		z := Zone{
			Code: e.code, Name: e.name,
			Dial: mustTone(e.dial), Ringback: mustTone(e.ringback), Busy: mustTone(e.busy),
			Congestion: mustTone(e.congestion), CallWaiting: mustTone(e.waiting),
			StutterDial: mustTone(e.stutter), Source: e.source,
		}
		for _, ms := range e.ring {
			z.Ring = append(z.Ring, time.Duration(ms)*time.Millisecond)
		}
		return z, nil
	}
	return Zone{}, fmt.Errorf("tone zone %q unknown (known: %s)", code, strings.Join(ZoneCodes(), ", "))
}

// ZoneCodes lists the known zone codes, sorted.
func ZoneCodes() []string {
	var c []string
	for _, e := range zoneTable() {
		c = append(c, e.code)
	}
	slices.Sort(c)
	return c
}
