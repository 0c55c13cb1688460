package sim

import "minipbx/dsp"

// CallerIDStandard is the FSK modulation of on-hook caller ID in a tone
// zone: Bell 202 (1200/2200 Hz) in North America, where it was born (Telcordia
// GR-30-CORE), and in the countries that adopted it (China's YDN 069, Taiwan,
// Hong Kong...); ITU-T V.23 (1300/2100 Hz, ETSI EN 300 659 and BT SIN 227)
// everywhere else. Both use 1200 baud and the same message format. The
// telephony/analog package makes the same choice, so the virtual phone
// decodes what the FXS channel sends.
func CallerIDStandard(zone string) dsp.FSKStandard {
	switch zone {
	case "us", "ca", "cn", "tw", "hk", "mx", "ph", "kr":
		return dsp.Bell202
	}
	return dsp.V23
}
