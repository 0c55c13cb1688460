// Package t30 is the ITU-T T.30 fax procedure over the modems of package
// modem: a Receiver (the called terminal) and a Sender (the calling
// terminal), each consuming and producing 8 kHz 16-bit audio in frames
// (Process(in, out), normally 160 samples: 20 ms) without allocating per
// frame.
//
// The Receiver answers with CED (2100 Hz, or ANSam by option) after
// 200 ms of silence, sends CSI and DIS offering V.27 ter and V.29, fine
// resolution, MR, A3 width, unlimited length, 0 ms scan time, ECM with
// T.6. It judges the training check (TCF: 1.5 s of zeros) into CFR or
// FTT, receives the pages, answers each post-message command (MPS, EOM,
// EOP) with MCF, or with RTN when too many rows failed (Options), and
// ends at DCN. In error correction mode (Annex A) it collects 64- or
// 256-octet FCD frames into blocks of up to 256, answers PPS with MCF or
// with PPR listing the frames to send again, answers CTC and EOR, and
// decodes a page block by block. Timers T1 (35 s), T2 (6 s) and T4 (3 s)
// apply; a command repeated because its answer was lost is answered
// again.
//
// The Sender sends CNG, reads DIS, chooses the fastest common modem
// (stepping down on FTT), MMR with ECM where offered, else MR, else MH,
// sends TSI, DCS and TCF, then each page (pages answered RTN are not
// sent again: it trains again and goes on, as spandsp does), PPR's frames
// again in ECM, and DCN at the end.
//
// Progress is reported through Options.OnEvent (frames sent and received,
// training checks, pages and ECM blocks, the end), synchronously from
// Process; Result gives the outcome, its cause, the pages (t4.Image
// bitmaps with their resolution), the modem and rate, ECM, coding, bad
// rows and the far end's identity.
package t30
