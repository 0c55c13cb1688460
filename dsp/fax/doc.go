// Package fax is the root of minipbx's fax engine: a G3 fax terminal in
// pure Go on 8 kHz audio, held to the same rules as package dsp (no I/O,
// no goroutines, no allocation per 20 ms frame), so the box receives
// faxes itself. It has no code of its own; its sub-packages are:
//
//   - modem: the modems of ITU-T V.21 channel 2 (300 bit/s FSK, with the
//     HDLC framing of T.30's control messages), V.27 ter (2400, 4800
//     bit/s) and V.29 (4800, 7200, 9600 bit/s), transmitters and
//     receivers.
//   - t4: ITU-T T.4 (MH, MR) and T.6 (MMR) coding of bilevel pages, both
//     ways, tolerant of line errors as T.4 asks.
//   - t30: the ITU-T T.30 procedure: Receiver (the called terminal) and
//     Sender (the calling terminal), with error correction mode (T.30
//     Annex A).
//   - faxfile: received pages as PDF and multi-page TIFF.
//   - faxtest: test pages.
//
// V.17 (TCM, 7200–14400 bit/s) is not implemented: a receiver offers
// V.27 ter and V.29 in its DIS, which every G3 fax machine sends.
//
// # Receiving a fax on a call
//
// The integrator feeds the call's audio to a t30.Receiver in 20 ms
// frames and sends what it produces back, until Done; then the result
// holds the pages:
//
//	rx := t30.NewReceiver(t30.Options{LocalID: "+1 555 0100", OnEvent: logEvent})
//	for !rx.Done() {
//		in := <-callAudio            // 160 samples from the line
//		rx.Process(in, out)           // 160 samples to the line
//		sendAudio(out)
//	}
//	res := rx.Result()                // Outcome, Cause, Pages, Rate, ECM, BadLines...
//	pages := make([]faxfile.Page, len(res.Pages))
//	for i, p := range res.Pages {
//		pages[i] = faxfile.Page{Image: p.Image, XRes: p.XRes, YRes: p.YRes}
//	}
//	err := faxfile.WritePDF(f, pages) // or WriteTIFF
//
// If the call ends first, call rx.Hangup(): the result says Failed with
// the pages received so far. Over SIP the audio must be G.711 with a
// fixed jitter buffer and no packet-loss concealment, echo canceller or
// comfort noise (issue 17's voice-band-data mode); a lost packet should
// arrive as 160 zero samples.
//
// # Proof
//
// bench/spandsp/fax runs spandsp's fax terminal (a real implementation,
// not ours) against these packages: see its documentation.
package fax
