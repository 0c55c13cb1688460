// Package sim is the simulated box: a board.Board whose FXS ports have a
// virtual analog phone plugged in and whose FXO ports have a virtual telco
// line, all with real audio. It is what `pbxd -board sim` runs on and what
// every whole-box test drives.
//
// # Clock and audio
//
// One goroutine, owned by the Board and stopped by Close, ticks every 20 ms.
// Each tick it asks every device what it sends (the phone's voice, DTMF
// keypad and switch hook; the telco line's tones, caller ID, far party's
// voice, noise and echo), passes that through G.711 (Config.Law) as the PCM
// highway would, calls the port's AudioFunc, passes the port's output
// through G.711 again and gives it to the device (the phone's earpiece or
// on-hook caller ID receiver; the line's DTMF receiver and recorder).
// Timing inside the simulation counts these frames (Board.Now), so pulse
// dialling, ring cadences and timeouts are exact even on a loaded host.
//
// # Signalling
//
// The FXS ports decode the phone's switch hook with dsp.HookDecoder, exactly
// as the ProSLIC driver does, so pulse dialling and flash reach the Events
// channel as EventPulseDigit and EventFlash; SetHookTiming changes a
// port's flash window live. The FXO ports validate the
// line's ring (100 ms of ring voltage) before EventRingStart, and report
// line-voltage loss and polarity reversal. Events never block the clock:
// when nobody reads them they are dropped, counted and logged.
//
// # Devices
//
// Phone: OffHook, OnHook, Flash, DialDTMF, DialPulse, Talk, Play, Record,
// Hears (call-progress tones), HearsStutterDial, Ringing, WaitRing,
// RingCadence, the decoded CallerID, and the message-waiting lamp
// (MessageWaiting, WaitMessageWaiting) that on-hook VMWI messages set; a
// V.23 phone takes those only after the ETSI alerting signal (mwi.go).
// Off hook it is a type II phone (callwait.go): it counts the zone's
// call-waiting tone (CallWaitingTones, WaitCallWaitingTone), acknowledges
// the CPE alerting signal with DTMF 'D' and decodes the caller ID that
// follows (CallWaitingCallerID, WaitCallWaitingCallerID), unless told not
// to (SetCallWaitingCallerID). Line: Ring (with caller ID), StopRinging, Digits,
// WaitDigits, Answer, Talk, Play, Record, Hears, Hangup (busy tone, loop
// drop or reversal), and the faults SetBattery, SetNoise, SetEcho and
// SetFarEndBusy. MeasureTone and Sine make audio-path tests one-liners.
package sim
