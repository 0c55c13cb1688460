package media

import "time"

// relayTiming maps the sequence numbers and timestamps of a stream being
// relayed (frames with a Frame.Stream) onto the session's own: each is the
// source's plus a fixed offset, set by the frame the mapping started
// with. So a relayed stream reaches the peer as it reached us: a lost
// packet leaves a gap in the sequence, a silence a jump in the timestamps,
// and a packet that came late (after a later one) goes out at once with
// the number and timestamp it would have had, for the peer's jitter buffer
// to put back in place. The relay itself holds nothing back: it adds no
// delay, on a clean network or any other.
type relayTiming struct {
	stream uint32 // Frame.Stream followed; 0: none (the next frame starts a mapping)
	seqOff uint16
	tsOff  uint32
	newest uint16 // source Seq of the newest frame sent
	first  uint16 // source Seq of the frame the mapping started with
}

// follow starts (or keeps) the mapping with frame f, just sent as seq, ts;
// an untimed frame ends it.
func (r *relayTiming) follow(f *Frame, seq uint16, ts uint32) {
	if f.Stream == 0 {
		r.stream = 0
		return
	}
	*r = relayTiming{stream: f.Stream, seqOff: seq - f.Seq, tsOff: ts - f.TS, newest: f.Seq, first: f.Seq}
}

// relayLocked sends f by the mapping of its stream, when it has one. It
// returns false when f must take the ordinary path (generated audio, a new
// stream, a stream whose timestamps jumped back, the first frame after an
// event or a codec change), which then starts a new mapping. s.mu is held.
func (s *Session) relayLocked(f *Frame, now time.Time) bool {
	r := &s.relay
	if f.Stream == 0 || f.Stream != r.stream || !s.started || s.inEvent || s.newSpurt {
		return false
	}
	pt := uint8(s.codec.PayloadType())
	seq, ts := f.Seq+r.seqOff, f.TS+r.tsOff
	d := int32(int16(f.Seq - r.newest))
	switch {
	case d > 0 && d < maxDropout:
		step := int32(ts - s.ts)
		if step <= 0 {
			return false
		}
		// Timestamps that ran ahead of the sequence mean the source was
		// silent: a new talkspurt.
		marker := step > d*FrameSamples
		s.seq, s.ts, s.lastSend, r.newest = seq, ts, now, f.Seq
		s.sendPacketLocked(pt, marker, seq, ts, f.Encoded(s.codec))
	case d <= 0 && -d < reorderWindow && int16(f.Seq-r.first) >= 0:
		// Late: in its own place, leaving the newest where it is.
		s.sendPacketLocked(pt, false, seq, ts, f.Encoded(s.codec))
	case d <= 0:
		// Older than the mapping or the window: nothing to do with it.
	default:
		return false
	}
	return true
}
