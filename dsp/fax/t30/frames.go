package t30

import (
	"errors"
	"fmt"
	"strings"

	"minipbx/dsp/fax/modem"
)

// Facsimile control fields (T.30 §5.3.6), as the octet reads when its
// first transmitted bit is taken as the least significant (HDLC order).
// The least significant bit is T.30's "X" bit: the station that received
// DIS sets it in what it sends; receivers ignore it.
const (
	fcfDIS = 0x80
	fcfCSI = 0x40
	fcfNSF = 0x20
	fcfDTC = 0x81
	fcfCIG = 0x41
	fcfDCS = 0x82
	fcfTSI = 0x42
	fcfNSS = 0x22
	fcfSUB = 0xC2
	fcfSID = 0xA2
	fcfPWD = 0xC1
	fcfCFR = 0x84
	fcfFTT = 0x44
	fcfEOM = 0x8E
	fcfMPS = 0x4E
	fcfEOP = 0x2E
	fcfPRI = 0x10 // added to EOM, MPS, EOP: procedure interrupt
	fcfMCF = 0x8C
	fcfRTP = 0xCC
	fcfRTN = 0x4C
	fcfPIP = 0xAC
	fcfPIN = 0x2C
	fcfDCN = 0xFA
	fcfCRP = 0x1A
	fcfPPS = 0xBE
	fcfPPR = 0xBC
	fcfEOR = 0xCE
	fcfERR = 0x1C
	fcfCTC = 0x12
	fcfCTR = 0xC4
	fcfRR  = 0x6E
	fcfRNR = 0xEC
	fcfFCD = 0x06 // ECM facsimile coded data (image modem)
	fcfRCP = 0x86 // ECM return to control for partial page (image modem)
)

// Post-message values carried in the first octet of PPS's information
// field: 0 for a partial page with more to follow.
const ppsNull = 0x00

// fcfName names a control field for logs and events.
func fcfName(fcf byte) string {
	switch fcf &^ 1 {
	case fcfDIS:
		if fcf&1 != 0 {
			return "DTC"
		}
		return "DIS"
	case fcfCSI:
		if fcf&1 != 0 {
			return "CIG"
		}
		return "CSI"
	case fcfNSF:
		if fcf&1 != 0 {
			return "NSC"
		}
		return "NSF"
	case fcfDCS:
		return "DCS"
	case fcfTSI:
		return "TSI"
	case fcfNSS:
		return "NSS"
	case fcfSUB:
		return "SUB"
	case fcfSID:
		return "SID"
	case fcfPWD &^ 1:
		return "PWD"
	case fcfCFR:
		return "CFR"
	case fcfFTT:
		return "FTT"
	case fcfEOM:
		return "EOM"
	case fcfMPS:
		return "MPS"
	case fcfEOP:
		return "EOP"
	case fcfEOM | fcfPRI:
		return "PRI-EOM"
	case fcfMPS | fcfPRI:
		return "PRI-MPS"
	case fcfEOP | fcfPRI:
		return "PRI-EOP"
	case fcfMCF:
		return "MCF"
	case fcfRTP:
		return "RTP"
	case fcfRTN:
		return "RTN"
	case fcfPIP:
		return "PIP"
	case fcfPIN:
		return "PIN"
	case fcfDCN:
		return "DCN"
	case fcfCRP:
		return "CRP"
	case fcfPPS:
		return "PPS"
	case fcfPPR:
		return "PPR"
	case fcfEOR:
		return "EOR"
	case fcfERR:
		return "ERR"
	case fcfCTC:
		return "CTC"
	case fcfCTR:
		return "CTR"
	case fcfRR:
		return "RR"
	case fcfRNR:
		return "RNR"
	case fcfFCD:
		return "FCD"
	case fcfRCP:
		return "RCP"
	}
	return "FCF(?)"
}

// Frame is a T.30 control frame as received: address 0xFF, control 0x03
// (0x13 for the last frame of a message), the control field and the
// information field.
type Frame struct {
	FCF   byte
	Final bool
	Info  []byte
}

// ErrFrame is wrapped by every frame parsing error.
var ErrFrame = errors.New("t30: bad frame")

// ParseFrame checks a frame from the HDLC deframer (FCS already checked
// and removed). The returned Info aliases b.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) < 3 {
		return Frame{}, fmt.Errorf("%w: %d octets", ErrFrame, len(b))
	}
	if b[0] != 0xFF {
		return Frame{}, fmt.Errorf("%w: address %#02x", ErrFrame, b[0])
	}
	if b[1] != 0x03 && b[1] != 0x13 {
		return Frame{}, fmt.Errorf("%w: control %#02x", ErrFrame, b[1])
	}
	return Frame{FCF: b[2], Final: b[1] == 0x13, Info: b[3:]}, nil
}

// appendFrame builds a frame.
func appendFrame(dst []byte, fcf byte, final bool, info ...byte) []byte {
	ctl := byte(0x03)
	if final {
		ctl = 0x13
	}
	dst = append(dst, 0xFF, ctl, fcf)
	return append(dst, info...)
}

// Identities (CSI, TSI, CIG) are 20 characters, sent last character
// first, padded with spaces (T.30 §5.3.6.2.4).
const idLen = 20

// encodeID lays out id for CSI or TSI.
func encodeID(dst []byte, id string) []byte {
	var b [idLen]byte
	for i := range b {
		b[i] = ' '
	}
	n := min(len(id), idLen)
	for i := range n {
		c := id[i]
		if c < 0x20 || c > 0x7E {
			c = ' '
		}
		b[idLen-1-i] = c
	}
	return append(dst, b[:]...)
}

// decodeID reads an identity, stripping the padding and anything that
// is not printable ASCII.
func decodeID(info []byte) string {
	var sb strings.Builder
	for i := len(info) - 1; i >= 0; i-- {
		c := info[i]
		if c >= 0x20 && c <= 0x7E {
			sb.WriteByte(c)
		}
	}
	return strings.TrimSpace(sb.String())
}

// Modems and rates as DIS offers and DCS chooses them.
type Modem int

const (
	V27ter Modem = iota
	V29
	V17
)

func (m Modem) String() string {
	switch m {
	case V27ter:
		return "V.27ter"
	case V29:
		return "V.29"
	case V17:
		return "V.17"
	}
	return "Modem(?)"
}

// Rate is a modem and its bit rate.
type Rate struct {
	Modem Modem
	Bps   int
}

func (r Rate) String() string { return fmt.Sprintf("%s %d", r.Modem, r.Bps) }

// dcsRates maps DCS bits 11–14 (FIF octet 2, mask 0x3C) to the rate.
var dcsRates = []struct {
	bits byte
	rate Rate
}{
	{0x20, Rate{V17, 14400}},
	{0x28, Rate{V17, 12000}},
	{0x24, Rate{V17, 9600}},
	{0x04, Rate{V29, 9600}},
	{0x2C, Rate{V17, 7200}},
	{0x0C, Rate{V29, 7200}},
	{0x08, Rate{V27ter, 4800}},
	{0x00, Rate{V27ter, 2400}},
}

// Image widths by DCS bits 17–18.
var dcsWidths = [4]int{1728, 2048, 2432, 1728}

// Capabilities is what DIS offers, or (as a single choice) what DCS sets.
type Capabilities struct {
	V27ter, V29, V17 bool // DIS: modems offered
	Rate             Rate // DCS: the modem and rate chosen
	Fine             bool // 7.7 lines/mm (196 dpi) rather than 3.85
	MR               bool // two-dimensional coding
	MMR              bool // T.6 (needs ECM)
	ECM              bool
	Frame64          bool // DCS: 64-octet ECM frames rather than 256; DIS: 64 preferred
	Width            int  // DCS: image width in pixels; DIS: widest accepted
	ScanTimeMs       int  // minimum scan line time (DCS: at the chosen resolution)
	Receive          bool // DIS: ready to receive; DCS: receiving a fax
}

// scanTimes maps bits 21–23 (bit 21 the least significant of the index)
// to the minimum scan line time in milliseconds at standard resolution
// (T.30 Table 2; 1 1 1 is 0 ms).
var scanTimes = [8]int{20, 40, 10, 20, 5, 40, 10, 0}

func scanCode(ms int) byte {
	switch {
	case ms <= 0:
		return 7
	case ms <= 5:
		return 4
	case ms <= 10:
		return 2
	case ms <= 20:
		return 0
	}
	return 1
}

// bit tests T.30 bit n (1-based) of a FIF.
func bit(fif []byte, n int) bool {
	i := (n - 1) / 8
	return i < len(fif) && fif[i]>>((n-1)%8)&1 != 0
}

func setBit(fif []byte, n int) { fif[(n-1)/8] |= 1 << ((n - 1) % 8) }

// encodeDIS builds a DIS information field.
func encodeDIS(c Capabilities) []byte {
	fif := make([]byte, 5)
	if c.Frame64 {
		setBit(fif, 7)
	}
	setBit(fif, 10)
	switch {
	case c.V17:
		fif[1] |= 0x2C
	case c.V29 && c.V27ter:
		fif[1] |= 0x0C
	case c.V29:
		fif[1] |= 0x04
	case c.V27ter:
		fif[1] |= 0x08
	}
	if c.Fine {
		setBit(fif, 15)
	}
	if c.MR {
		setBit(fif, 16)
	}
	switch {
	case c.Width >= 2432:
		setBit(fif, 18)
	case c.Width >= 2048:
		setBit(fif, 17)
	}
	setBit(fif, 20) // unlimited length
	fif[2] |= scanCode(c.ScanTimeMs) << 4
	setBit(fif, 24) // extend
	if c.ECM {
		setBit(fif, 27)
		if c.MMR {
			setBit(fif, 31)
		}
	}
	return fif[:4]
}

// parseDIS reads a DIS (or DTC) information field.
func parseDIS(fif []byte) (Capabilities, error) {
	if len(fif) < 3 {
		return Capabilities{}, fmt.Errorf("%w: DIS of %d octets", ErrFrame, len(fif))
	}
	var c Capabilities
	c.Receive = bit(fif, 10)
	switch fif[1] & 0x3C {
	case 0x00, 0x08:
		c.V27ter = true
	case 0x04:
		c.V29 = true
	case 0x0C:
		c.V27ter, c.V29 = true, true
	case 0x2C:
		c.V27ter, c.V29, c.V17 = true, true, true
	default:
		c.V27ter = true // reserved combinations: the fall-back
	}
	c.Fine = bit(fif, 15)
	c.MR = bit(fif, 16)
	c.Width = 1728
	if bit(fif, 17) {
		c.Width = 2048
	}
	if bit(fif, 18) {
		c.Width = 2432
	}
	c.ScanTimeMs = scanTimes[fif[2]>>4&7]
	if bit(fif, 24) && len(fif) >= 4 {
		c.ECM = bit(fif, 27)
		c.Frame64 = bit(fif, 7)
		c.MMR = c.ECM && bit(fif, 31)
	}
	return c, nil
}

// encodeDCS builds a DCS information field.
func encodeDCS(c Capabilities) []byte {
	fif := make([]byte, 4)
	setBit(fif, 10)
	for _, r := range dcsRates {
		if r.rate == c.Rate {
			fif[1] |= r.bits
		}
	}
	if c.Fine {
		setBit(fif, 15)
	}
	if c.MR && !c.MMR {
		setBit(fif, 16)
	}
	switch c.Width {
	case 2048:
		setBit(fif, 17)
	case 2432:
		setBit(fif, 18)
	}
	setBit(fif, 20)
	fif[2] |= scanCode(c.ScanTimeMs) << 4
	setBit(fif, 24)
	if c.ECM {
		setBit(fif, 27)
		if c.Frame64 {
			setBit(fif, 28)
		}
		if c.MMR {
			setBit(fif, 31)
		}
	}
	return fif
}

// parseDCS reads a DCS information field.
func parseDCS(fif []byte) (Capabilities, error) {
	if len(fif) < 3 {
		return Capabilities{}, fmt.Errorf("%w: DCS of %d octets", ErrFrame, len(fif))
	}
	var c Capabilities
	c.Receive = bit(fif, 10)
	found := false
	for _, r := range dcsRates {
		if fif[1]&0x3C == r.bits {
			c.Rate, found = r.rate, true
		}
	}
	if !found {
		return Capabilities{}, fmt.Errorf("%w: DCS rate bits %#02x", ErrFrame, fif[1]&0x3C)
	}
	c.Fine = bit(fif, 15)
	c.MR = bit(fif, 16)
	w := 0
	if bit(fif, 17) {
		w |= 1
	}
	if bit(fif, 18) {
		w |= 2
	}
	c.Width = dcsWidths[w]
	c.ScanTimeMs = scanTimes[fif[2]>>4&7]
	if bit(fif, 24) && len(fif) >= 4 {
		c.ECM = bit(fif, 27)
		c.Frame64 = bit(fif, 28)
		c.MMR = bit(fif, 31)
		if c.MMR && !c.ECM {
			return Capabilities{}, fmt.Errorf("%w: DCS asks for T.6 without ECM", ErrFrame)
		}
	}
	if bit(fif, 41) || bit(fif, 42) || bit(fif, 43) {
		return Capabilities{}, fmt.Errorf("%w: DCS asks for a resolution not offered", ErrFrame)
	}
	return c, nil
}

// message collects the frames of one V.21 message (a command or a
// response: optional frames, then the final one).
type message struct {
	buf [8][modem.MaxFrame]byte
	len [8]int
	n   int
}

// add keeps a received frame; at the final frame it returns the whole
// message's frame count (use frame to read them) and resets for the next.
func (m *message) add(b []byte) (f Frame, complete int, err error) {
	if f, err = ParseFrame(b); err != nil {
		return f, 0, err
	}
	if m.n < len(m.buf) {
		m.len[m.n] = copy(m.buf[m.n][:], b)
		m.n++
	}
	if !f.Final {
		return f, 0, nil
	}
	complete, m.n = m.n, 0
	return f, complete, nil
}

// frame returns frame i of the last complete message.
func (m *message) frame(i int) Frame {
	f, _ := ParseFrame(m.buf[i][:m.len[i]])
	return f
}
