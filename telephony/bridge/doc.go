// Package bridge owns the media between the legs of a call.
//
// A Bridge holds zero or more members, each a media.Endpoint (the audio
// face of a SIP dialog or an analog port) under an id. Legs move between
// bridges — a held caller to a bridge of its own with music on hold, a
// parked call to the park lot, a transferred caller to the new party, a
// third party into a conference — by leaving one and joining another; the
// parties who stay hear no gap longer than one frame.
//
// # Two modes
//
// Two members that simply talk are joined directly: what one endpoint
// receives is written to the other from the receiving clock's own
// goroutine, with no buffering and no copy, so a same-codec SIP-to-SIP call
// relays G.711 payloads without decoding them and a SIP-to-analog call adds
// no delay of its own. This is the common case and costs no goroutine.
//
// Everything else — three or more talkers, a member that hears a prompt or
// music instead of the others (Play), a muted or held member (Mute), an
// announcement to everyone (Announce) — is mixed: every member's received
// frames go into a small queue of its own, and a mixer clocked every 20 ms
// takes one frame from each talker, sums them in 32 bits and gives every
// member the sum less its own voice, saturated to 16 bits (never wrapped).
// Where a member hears exactly one talker and no announcement, the
// talker's frame is passed on whole, payload included, so a held third
// party does not make the other two transcode. The queue absorbs the drift
// between the talkers' clocks and the mixer's: it holds at most
// maxQueued frames and drops the oldest beyond them, so a fast clock
// cannot build up delay. The mixer allocates nothing per frame.
//
// A bridge with one member and nothing to play, or none, is idle: nothing
// runs. The mode is chosen again after every change.
//
// # Ownership
//
// A bridge sets the sink of every member's endpoint when it joins and
// clears it when it leaves: while a leg is in a bridge, only the bridge
// writes to it and reads from it. Listen adds a tap of what one member says
// (a voicemail recording); it is called on that member's receiving clock
// and must not block.
package bridge
