// Package analog runs the FXS and FXO ports of a board as channels
// (channel.Channel) of the exchange.
//
// # Structure
//
// Every port has two halves. Its signalling goroutine (one per port, owned
// by Manager.Run) holds all of the port's call state and handles, one at a
// time, the board's events for the port, what its audio path noticed
// (digits, tones, caller ID), its channels' requests and its timers; channel
// methods send it a request and wait for the answer. Its audio path runs in
// the board's AudioFunc on the board's clock: it never waits for anything
// but a short mutex the signalling goroutine holds only to reconfigure it,
// and allocates nothing per frame.
//
// # Audio
//
// Received audio goes (FXO: through dsp.EchoCanceller with the port's own
// output as reference) to the detectors (DTMF always during a call; call
// progress on FXO; FSK and DTMF caller ID on an idle FXO line) and is pushed
// to the channel's Sink once per frame, from the board clock. Audio written
// to the channel's media.Endpoint goes into a media.JitterBuffer (one frame
// of target depth, dsp.PLC for losses) that the AudioFunc pops once per
// frame. Tones (dial, ringback, busy, congestion of the configured zone)
// replace the call's audio while they play; FSK caller ID and DTMF sent by
// the port are added on top. DTMF received is delivered as EventDigit but
// not removed from the audio: during dialling nobody listens, and after it
// the far end may want it in band.
//
// # FXS ports
//
// Off hook creates an inbound channel handed to Config.OnCall at once; the
// phone hears dial tone until the first digit. DTMF (from the audio) and
// pulse digits (from the board's hook decoder) arrive as EventDigit as soon
// as they are recognised: the exchange, which knows the numbering plan,
// decides when the number is complete and runs the inter-digit timeout
// itself. Progress plays ringback, Answer stops it, flash is EventFlash, on
// hook is EventHangup(CauseNormal). Hangup(cause) ends the channel at once
// and leaves the phone hearing busy tone (normal, busy, cancelled) or
// congestion (everything else) until it hangs up, for at most 40 s; the
// port refuses calls (busy) until then.
//
// Dial("fxs:N") rings the phone with the zone's cadence, sending the
// caller's number and name as FSK caller ID (MDMF with date and time; Bell
// 202 or V.23 per CallerIDStandard) in the first silence long enough for
// it, with on-hook transmission on. EventProgress comes at once, EventAnswer
// when the phone goes off hook.
//
// SetMessageWaiting(port, on) gives a port message-waiting indication
// (mwi.go): the zone's stutter dial tone instead of dial tone, and an
// on-hook FSK VMWI message for the phone's lamp (Bell 202 straight away per
// Telcordia GR-30-CORE; in V.23 zones line reversal, the DT-AS alerting
// tone, the FSK and the polarity back, per ETSI EN 300 659-1), sent once
// per change when the port is idle on hook, and again after a restart or a
// port recovery.
//
// A phone in a call keeps delivering EventFlash (the exchange holds,
// transfers and swaps calls with it) and keeps its media endpoint while
// the exchange moves the leg from bridge to bridge. The window that tells
// a flash from a dial pulse and from a hang-up is per port
// (Config.FXS, FXSConfig), applied live where the board's driver can
// (HookTiming). AlertCallWaiting (callwait.go, channel.CallWaiting) plays
// the zone's call-waiting tone over the call and, where the zone has it,
// sends the waiting caller's ID off hook (the CPE alerting signal, the
// phone's DTMF acknowledgement, then FSK without channel seizure).
// SetDoNotDisturb (dnd.go) gives the stutter dial tone while do-not-disturb
// is on.
//
// LiveAudio (live.go) opens an idle FXS or FXO port as a live music
// source for music on hold, out of call service while anyone listens.
//
// # FXO ports
//
// An idle line listens for caller ID: DTMF before the first ring, FSK in the
// silences. Validated rings are counted and the line is seized after
// LineConfig.AnswerAfterRings; then the inbound channel (Caller = the caller
// ID, Endpoint = the line's name) goes to OnCall, already answered.
//
// Dial("fxo:DIGITS") or Dial("fxo@N:DIGITS") seizes a free line (hunting
// from line 1; a line without battery is skipped), waits for dial tone
// (Config.DialToneTimeout, then CauseCongestion) and dials the digits as
// DTMF. Most analog lines give no answer supervision, so EventAnswer comes
// as soon as the last digit is out and the call is billed from then. A line
// whose provider signals the answer by reversing the polarity
// (LineConfig.AnswerOnReversal) waits for that reversal instead; until it,
// busy tone ends the attempt with CauseBusy and congestion or returning
// dial tone with CauseCongestion, and without it the request's Timeout
// (three minutes when none) ends it with CauseNoAnswer — which is what lets
// the exchange's busy and no-answer fallbacks work over such a line.
//
// The far end hanging up is recognised by busy, congestion or dial tone
// returning (dsp.ProgressDetector), by a loop-current drop
// (EventLineVoltageLost) or by a polarity reversal once connected (on a
// line with answer supervision: the reversal back): the
// channel ends with CauseNormal and the line is released (and kept out of
// the hunt for 600 ms so the central office sees a disconnect, not a flash).
package analog
