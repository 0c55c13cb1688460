package proslic

// Direct registers of the Si3210 family (Si3210/Si3215 datasheet, "Direct
// Registers" summary). Names follow the datasheet where it has one.
const (
	drID          = 0  // part number [5:4] and revision [3:0]
	drPCMMode     = 1  // PCM enable and format; bit 7 reads 1 on the Si3215/16
	drPartID      = 6  // on the Si3215 family, bits 7:5 tell Si3215/16 and their M versions
	drTXStartLo   = 2  // PCM transmit start count, low byte
	drTXStartHi   = 3  // PCM transmit start count, bits 9:8
	drRXStartLo   = 4  // PCM receive start count, low byte
	drRXStartHi   = 5  // PCM receive start count, bits 9:8
	drLoopback    = 8  // loopback control (DLM bit 0, ALM1/ALM2 bits 1, 2); resets to 0x02, the driver writes 0
	drAudioGain   = 9  // analog TX [3:2] / RX [1:0] gain steps
	drHybrid      = 11 // hybrid control; resets to 0x33 and the driver leaves it
	drPowerDown   = 14 // power-down control; bit 4 turns the DC-DC converter off
	drIntStat1    = 18 // interrupt status 1 (oscillators, ring timers)
	drIntStat2    = 19 // interrupt status 2 (ring trip, loop closure, power alarms)
	drIntStat3    = 20 // interrupt status 3 (DTMF, indirect access, CM balance)
	drIntEn1      = 21
	drIntEn2      = 22
	drIntEn3      = 23
	drIDALo       = 28 // indirect data, low byte
	drIDAHi       = 29 // indirect data, high byte (writing it arms an indirect write)
	drIAA         = 30 // indirect address (writing it starts the access)
	drIAS         = 31 // indirect access status: bit 0 set while busy
	drRingCtl     = 34 // ringing oscillator control
	drRATLo       = 48 // ring active timer, 125 µs units
	drRATHi       = 49
	drRITLo       = 50 // ring inactive timer, 125 µs units
	drRITHi       = 51
	drLinefeed    = 64 // LF [2:0] requested state, LFS [6:4] actual state
	drBiasSquelch = 65 // external bipolar transistor settings
	drBatFeed     = 66 // battery feed control (bit 0 keeps Q7 off)
	drAutoCtl     = 67 // automatic/manual control
	drHookStat    = 68 // bit 0 loop closure (LCR), bit 1 ring trip (RTP)
	drLoopDeb     = 69 // loop closure debounce interval, 1.25 ms units
	drILim        = 71 // loop current limit: 20 mA + 3 mA × ILIM[2:0]
	drVOC         = 72 // on-hook (open circuit) voltage, 1.5 V units
	drVBATH       = 74 // high battery voltage, 1.5 V units
	drVBATL       = 75 // low battery voltage, 1.5 V units
	drLoopISens   = 79 // loop current sense
	drTipSense    = 80 // tip voltage sense, 376 mV units (magnitude, tip is negative)
	drRingSense   = 81 // ring voltage sense, 376 mV units
	drVBat1       = 82 // battery voltage sense 1, 376 mV units
	drIQ5         = 88 // transistor current sense, used by the gain-mismatch search
	drIQ6         = 89
	drDCDCPWM     = 92 // DC-DC converter PWM period
	drDCDC        = 93 // DC-DC switching delay; bit 7 starts the DC-DC calibration
	drCal1        = 96 // calibration control/status 1: bit 6 CAL starts, reads 0 when done
	drCal2        = 97 // calibration control/status 2
	drCalRing     = 98 // ring gain-mismatch calibration result
	drCalTip      = 99 // tip gain-mismatch calibration result
	drCalDCDC     = 107
	drEnhance     = 108 // enhancement enable (revision C and later)
)

// Bits and fixed values.
const (
	pcmEnable = 0x20 // DR1 PCME
	pcmULaw   = 0x08 // DR1 PCMF = 01
	pcmALaw   = 0x00 // DR1 PCMF = 00
	pcm3215ID = 0x80 // DR1 bit 7 reads 1 on an Si3215

	pdDCDC = 0x10 // DR14: DC-DC converter powered down

	lcrBit = 0x01 // DR68 loop closure
	rtpBit = 0x02 // DR68 ring trip
	// DR68 bits 7:3 are reserved and read 0.
	hookStatReserved = 0xF8

	// DR19 bits 7:2 are the power alarms of transistors Q1..Q6.
	powerAlarmMask = 0xFC

	dcdcCalStart = 0x80

	loopbackReset = 0x02 // DR8 after a reset
	hybridReset   = 0x33 // DR11 after a reset

	// Calibration commands (datasheet "Calibration" section and AN35):
	// DR97 selects the monitor-ADC calibrations, DR96 the DAC, common-mode
	// and current-limit calibrations, bit 6 starting the sequence.
	cal2Standard  = 0x1E // CALM1 | CALM2 | CALDAC | CALADC (not CALCM)
	cal1Start     = 0x47 // CAL | CALD | CALC | CALIL
	cal2LongBal   = 0x01 // CALCM: common-mode (longitudinal) balance
	cal1LongStart = 0x40 // CAL alone
	int3CMBal     = 0x04 // DR23: common-mode balance calibration interrupt

	// DR67: automatic linefeed control (power-alarm open, ring-trip to
	// active, loop-closure handling) with automatic battery switching off, so
	// that Q7 cannot be switched on by accident.
	autoCtlDefault = 0x07
	// DR108: enhancement enable value of AN35 step 10.
	enhanceDefault = 0xEB
	// DR65: external bipolar transistor settings of the reference design.
	biasSquelchDefault = 0x60
)

// Linefeed states (DR64 LF[2:0]).
const (
	lfOpen       = 0
	lfForward    = 1
	lfForwardOHT = 2 // forward on-hook transmission
	lfTipOpen    = 3
	lfRinging    = 4
	lfReverse    = 5
	lfReverseOHT = 6
	lfRingOpen   = 7
)

// Scale factors of the measurement registers (datasheet, "Measured real-time
// linefeed interface characteristics").
const (
	voltsPerLSB    = 0.376 // DR78..DR83
	batVoltsPerLSB = 1.5   // DR72..DR75 (programmed voltages)
	// DR79 holds the loop current magnitude in its six low bits at
	// 1.25 mA/LSB (the scale open-source drivers for the chip apply; the
	// hardware smoke test should confirm it against a meter).
	loopMilliampsPerLSB = 1.25
	loopSenseMask       = 0x3F
)

// Indirect registers, by their Si3210 address. The Si3215 has no DTMF
// decoder and no pulse-metering oscillator, so its indirect map is compacted;
// addr3215 gives the Si3215 address.
type indirect struct {
	name     string
	addr3210 uint8
	addr3215 uint8
}

var (
	irOsc1        = indirect{"OSC1", 13, 0}
	irOsc1X       = indirect{"OSC1X", 14, 1}
	irOsc1Y       = indirect{"OSC1Y", 15, 2}
	irOsc2        = indirect{"OSC2", 16, 3}
	irOsc2X       = indirect{"OSC2X", 17, 4}
	irOsc2Y       = indirect{"OSC2Y", 18, 5}
	irRingOff     = indirect{"RINGOF", 19, 6}
	irRingOsc     = indirect{"RINGOSC", 20, 7}
	irRingX       = indirect{"RINGX", 21, 8}
	irRingY       = indirect{"RINGY", 22, 9}
	irRxGain      = indirect{"RXGAIN", 26, 13}
	irTxGain      = indirect{"TXGAIN", 27, 14}
	irLCRT        = indirect{"LCRT", 28, 15}
	irRTPT        = indirect{"RPTP", 29, 16}
	irCMLT        = indirect{"CMLOTH", 30, 17}
	irCMHT        = indirect{"CMHITH", 31, 18}
	irPQ12        = indirect{"PQ1Q2", 32, 19}
	irPQ34        = indirect{"PQ3Q4", 33, 20}
	irPQ56        = indirect{"PQ5Q6", 34, 21}
	irLCF         = indirect{"LCF", 35, 22}
	irRTF         = indirect{"RTF", 36, 23}
	irTLP12       = indirect{"TLPQ1Q2", 37, 24}
	irTLP34       = indirect{"TLPQ3Q4", 38, 25}
	irTLP56       = indirect{"TLPQ5Q6", 39, 26}
	irCMBias      = indirect{"CMBIASRING", 40, 27}
	irDCDCMin     = indirect{"DCDCMINV", 41, 64}
	irLCRTLow     = indirect{"LCRTL", 43, 66}
	irScratch     = indirect{"SCRATCH", 97, 97}
	irFilterFlush = [5]indirect{irLCF, irRTF, irTLP12, irTLP34, irTLP56}
)

func (ir indirect) addr(si3215 bool) uint8 {
	if si3215 {
		return ir.addr3215
	}
	return ir.addr3210
}

// irInit is one entry of the indirect register initialisation table.
type irInit struct {
	reg indirect
	val uint16
}

// defaultIndirect holds the recommended initial values of the indirect
// registers the driver relies on (Si3210/Si3215 datasheets, "Indirect
// Registers" tables, and the initial values of Silicon Labs' reference
// ProSLIC API for the Si321x). The ring oscillator
// entries are overwritten by the ringer settings; the gains by Opts.
var defaultIndirect = []irInit{
	{irOsc1, 0x7B30}, {irOsc1X, 0x0063}, {irOsc1Y, 0x0000},
	{irOsc2, 0x7870}, {irOsc2X, 0x007D}, {irOsc2Y, 0x0000},
	{irRingOff, 0x0000}, {irRingOsc, 0x7EF0}, {irRingX, 0x0160}, {irRingY, 0x0000},
	{irRxGain, 0x4000}, {irTxGain, 0x4000},
	{irLCRT, 0x1000}, {irRTPT, 0x3600}, {irCMLT, 0x1000}, {irCMHT, 0x0080},
	{irPQ12, 0x07C0}, {irPQ34, 0x2600}, {irPQ56, 0x1B80},
	{irLCF, 0x8000}, {irRTF, 0x0320},
	{irTLP12, 0x008C}, {irTLP34, 0x0100}, {irTLP56, 0x0010},
	{irCMBias, 0x0200}, {irDCDCMin, 0x0C00}, {irLCRTLow, 0x0E00},
}
