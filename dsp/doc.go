// Package dsp is the telephony signal processing of minipbx: pure Go on
// 8 kHz linear 16-bit audio, streaming over 20 ms frames with state kept
// across frames; no I/O, no goroutines and no allocation per frame.
//
// It holds the DTMF receiver and generator, call-progress tones by zone and
// their detection (with a learning mode for unknown busy tones), fax tone
// detection, caller ID (FSK Bell 202 and V.23, SDMF and MDMF, DTMF caller
// ID), pulse-dial decoding from hook timing, the line echo canceller,
// G.711 frame helpers with packet-loss concealment, and prompt import.
//
// Levels are in dBm0: a sine of 0 dBm0 has a peak of Dbm0Peak in 16-bit
// linear samples (3.14 dB below the G.711 digital milliwatt's full scale).
package dsp
