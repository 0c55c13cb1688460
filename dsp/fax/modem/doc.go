// Package modem holds the fax modems at 8 kHz: ITU-T V.21 channel 2
// (300 bit/s FSK) with the HDLC framing T.30 puts on it (ISO/IEC 13239:
// flags, zero-bit insertion, the CRC-16 frame check sequence), and the
// image modems V.27 ter (ITU-T V.27 ter: 2400, 4800 bit/s DPSK) and V.29
// (ITU-T V.29: 4800, 7200, 9600 bit/s QAM), each a transmitter and a
// receiver with the standard's training sequence and scrambler.
//
// The receivers take audio in any chunks (normally 160-sample frames) and
// write the bits they recover to a caller's slice; they allocate nothing
// after construction. The high-speed receivers report their state
// (idle, training, data, failed): T.30 needs to know when a carrier
// starts, trains and stops. Transmitters pull their bits from a
// BitSource (an HDLCFramer, or the T.30 engine's data).
//
// Receiver design (V.27 ter, V.29): fixed mixer to baseband, polyphase
// root-raised-cosine matched filter producing samples at twice the
// symbol rate at instants set by a Gardner timing loop, a fractionally
// spaced (T/2) NLMS equalizer trained on the known parts of the training
// sequence, and a second-order decision-directed carrier loop. The V.27
// ter receiver finds its place in the training sequence by matching the
// phase changes it sees against the known sequence, so it knows exactly
// where the data begins and what state the transmitter's scrambler is in.
package modem
