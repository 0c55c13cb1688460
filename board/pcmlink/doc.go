// Package pcmlink carries the voice path between the SoC and the small MCU
// that bridges the line chips' PCM highway, over a serial link. This file is
// the specification of the wire protocol (version 1): the MCU firmware can
// be written from it alone. The rest of the package is the SoC side.
//
// # Roles and clock
//
// The line chips (Si3215 FXS, Si3050 FXO) sit on one PCM highway: 8 kHz
// frame sync, one 8-bit G.711 timeslot per port. The MCU is the highway's
// master (it generates PCLK and FSYNC from its crystal) and therefore the
// board's audio clock. The SoC never sends audio on a timer of its own: it
// answers each audio frame from the MCU with exactly one audio frame back.
// Clock drift between the two crystals therefore cannot fill or drain any
// buffer; what the buffers absorb is jitter (the SoC's scheduling, USB
// serial latency), lost frames and late answers.
//
// # Physical layer
//
// UART, 8 data bits, no parity, 1 stop bit, no flow control, 3 000 000 baud
// by default (exact from the 48 MHz reference clock common to SoC UARTs and
// to MCUs; configurable on both sides). 3 Mbaud carries 300 000 bytes/s; the
// worst case, 16 timeslots in both directions, needs 654 bytes per 5 ms
// period = 130 800 bytes/s (44 %), and one such frame takes 2.2 ms on the
// wire, well inside a period. The reference box (4 ports) needs 34 800
// bytes/s, which 921 600 baud would also carry.
//
// # Frame period
//
// One audio frame carries 5 ms: 40 samples per timeslot. The SoC's audio
// interface (package board) works in 20 ms frames, so the SoC aggregates 4
// link frames into one board frame. 5 ms rather than 20 ms because:
//   - latency: a sample waits at most 5 ms in the MCU before it is sent,
//     and a frame's serialisation is 5 ms long at most instead of 20 ms
//     (the 20 ms aggregation happens anyway above; it must not be paid
//     twice);
//   - robustness: a corrupt frame costs 5 ms of audio, which is inaudible
//     with silence substitution, instead of 20 ms, which is a click;
//   - MCU memory: double buffers of 5 ms for 16 timeslots in each
//     direction need 2.5 KiB, not 10 KiB;
//   - the cost is 14 bytes of header and CRC per frame (8 % at 4 ports).
//
// # Latency
//
// A sample captured in period p reaches an AudioFunc at the end of the
// board frame containing p (at most 20 ms, the board's frame, plus one
// frame's wire time), and what the AudioFunc writes is played from period
// 4B+3+D on, where 4B+3 is the last period of that board frame. A sample
// looped straight back (tx = rx) therefore comes out exactly (3 + D)
// periods after it went in: 30 ms with the default D = 3, of which 20 ms
// is the board frame itself and 10 ms the round-trip allowance. The SoC
// adds no buffering of its own beyond the board frame (TestEndToEndLoopback
// measures it against an MCU simulated from this document).
//
// # Byte order and layout
//
// All multi-byte fields are big-endian (network order). Every frame is:
//
//	offset size field
//	0      1    sync0    0xA5
//	1      1    sync1    0x5A
//	2      1    version  0x01
//	3      1    type     0x01 AUDIO_UP, 0x02 AUDIO_DOWN, 0x03 STATUS, 0x04 CONTROL
//	4      2    seq      sequence number (per type and direction, +1 per frame, wraps)
//	6      2    ack      AUDIO_DOWN: the seq of the AUDIO_UP it answers; else 0
//	8      2    map      audio: bit i set = timeslot i present (bit 0 = LSB); else 0
//	10     2    length   payload length in bytes, 0..1024
//	12     len  payload
//	12+len 2    crc      CRC-16 of bytes 2 .. 11+len (version through payload)
//
// The CRC is CRC-16/CCITT-FALSE: polynomial 0x1021 (x¹⁶+x¹²+x⁵+1), initial
// value 0xFFFF, no input reflection, no output reflection, no final XOR,
// transmitted high byte first. Test vector: the ASCII bytes "123456789" give
// 0x29B1. The header of an AUDIO_UP frame with seq 1, ack 0, map 0x0001 and
// 40 bytes of 0xFF payload is A5 5A 01 01 00 01 00 00 00 01 00 28, and its
// CRC (over 01 01 00 01 00 00 00 01 00 28 FF×40) is D1 BB.
//
// A receiver rejects a header whose version is not 1, whose type is
// unknown, whose length exceeds 1024, whose audio length is not 40 ×
// popcount(map), or which has a map on a non-audio frame.
//
// # AUDIO_UP (MCU → SoC)
//
// Sent once per 5 ms period, as soon as the period's 40 frame syncs have
// been collected, with seq incremented by one each period (also for
// periods the MCU could not send: a gap in seq tells the SoC how much time
// passed). map is the set of timeslots configured by CONTROL/CONFIG (all 16
// until configured). The payload holds, for each timeslot present in
// increasing timeslot order, its 40 G.711 bytes in time order. The MCU
// never splits, delays or reorders audio frames; when the UART is still
// busy with the previous frame (which cannot happen at the configured rate
// unless it is misconfigured) it skips the frame and counts an overrun.
//
// # AUDIO_DOWN (SoC → MCU)
//
// The SoC answers each AUDIO_UP n with one AUDIO_DOWN whose ack = n; its
// own seq increments per frame sent. The MCU plays the payload in period
// n + D, where D is the playout delay (CONFIG; 3 by default, 2..8): period
// n ends when AUDIO_UP n is started on the wire, so the SoC has D−1 periods
// (10 ms by default) for the round trip. map lists the timeslots the SoC
// sends; the MCU plays the idle code (0xFF μ-law, 0xD5 A-law) on the
// others. The SoC aligns its 20 ms board frames on seq: the AUDIO_UP frames
// with seq ≡ 0, 1, 2, 3 (mod 4) form one board frame, so the first answer
// carrying audio from a given board frame is the one to seq ≡ 3.
//
// # STATUS (MCU → SoC)
//
// Sent once a second, and at once after a CONTROL/STATUS_REQUEST or a
// CONFIG. seq counts STATUS frames. The payload (32 bytes in version 1; a
// receiver ignores extra bytes a later version appends) is:
//
//	offset size field
//	0      2    firmware version (major << 8 | minor)
//	2      2    flags: bit 0 PCM clock lost, bit 1 configured since start,
//	            bit 2 UART receive overrun since the last STATUS
//	4      4    uptime in milliseconds (a decrease of less than 2³¹ tells the
//	            SoC the MCU restarted; a larger one is the 49-day wrap)
//	8      4    CRC errors on frames received from the SoC
//	12     4    bytes discarded while hunting for sync
//	16     4    late AUDIO_DOWN frames (arrived after the start of their period)
//	20     4    underruns (periods played as idle code for lack of an AUDIO_DOWN)
//	24     4    overruns (AUDIO_UP frames skipped)
//	28     4    PCM frame-sync slips
//
// Counters are free-running 32-bit values that wrap; CONTROL/RESET_COUNTERS
// zeroes them.
//
// # CONTROL (SoC → MCU)
//
// Sent between audio frames (never inside one). seq counts CONTROL frames.
// The first payload byte is the command:
//
//	0x01 CONFIG          law (1 byte: 0 μ-law, 1 A-law), playout delay D (1 byte,
//	                     2..8), reserved (1 byte, 0), timeslot map (2 bytes).
//	                     Applied at the next period boundary; answered with STATUS.
//	0x02 STATUS_REQUEST  no argument; answered with STATUS.
//	0x03 RESET_COUNTERS  no argument; zeroes the STATUS counters.
//
// The SoC sends CONFIG when it starts, when a STATUS says the MCU is not
// configured (flag bit 1 clear) and when the uptime shows the MCU restarted.
// The MCU ignores a CONTROL frame with an unknown command or a bad argument
// (it sends no STATUS for it, so the SoC sees no change of flags).
//
// # Errors: what each side does
//
// Receiving (both sides): hunt for 0xA5 0x5A; check the header; wait for
// length+2 more bytes; check the CRC. If the header is impossible or the
// CRC is wrong, discard only the first byte and hunt again from the next
// one, so a real frame that follows garbage, a truncated frame or a false
// sync inside a payload is found without losing it. Count bytes discarded
// and CRC errors.
//
// MCU: an AUDIO_DOWN whose period has already started is late: discard it
// and count it. A period with no AUDIO_DOWN plays idle code (count an
// underrun). The MCU keeps sending AUDIO_UP whatever the SoC does; it
// never stops the clock.
//
// SoC (this package):
//   - a gap of k ≤ 64 in AUDIO_UP seq: k periods were lost; they are
//     counted as dropped and replaced by silence, and the board clock runs
//     on (the 20 ms callbacks they complete are still made), so the audio
//     stays in step with the MCU's time; no answer is sent for them;
//   - a seq up to 64 behind the expected one: a stale or repeated frame,
//     counted and ignored; any larger jump, forward or back: the MCU
//     restarted, the stream restarts (counted);
//   - an answer that would reach the MCU after its playout period has
//     begun is not sent (counted late): the MCU would drop it, and sending
//     it would delay the next, timely one. Lateness is judged from the
//     arrival times of AUDIO_UP frames, whose lower envelope tracks the
//     MCU's clock including its drift against the SoC's;
//   - each timeslot's tx playout buffer holds two 20 ms frames; if it ever
//     runs dry or overflows, a 5 ms period of silence is slipped in or the
//     oldest one slipped out, and counted;
//   - no AUDIO_UP for 100 ms: the link is down (reported; the callbacks
//     stop, since the board clock stopped); the first valid AUDIO_UP brings
//     it back up with a fresh stream.
//
// # SoC API
//
// New (or Open, over go.bug.st/serial) builds a Link; Run is its only
// goroutine and the board's audio clock; Attach(slot, fn) connects a
// port's board.AudioFunc to a timeslot, so board/hw wires each line chip's
// port to the timeslot it programmed into the chip. Stats reports the
// counters of both sides.
package pcmlink
