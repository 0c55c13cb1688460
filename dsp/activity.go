package dsp

import "math"

// ActivityDetector tells a talker from the line's own background, one
// 20 ms frame at a time: a frame is active when its level is above an
// absolute minimum and also MarginDB above the background the detector
// has learnt. A fixed threshold alone takes a humming or hissing line
// (mains hum on a long loop, a noisy FXO line, a far end that hung up
// without a signal) for a caller who never stops talking, so a voicemail
// recording would run to its limit; the learnt background lets the hum
// count as silence after a few seconds.
//
// The background (noise floor) is tracked in dB: it falls quickly (1 dB a
// frame) towards quieter frames, so the pauses between words pull it back
// down, and rises slowly (3 dB a second) towards louder ones — fast (12 dB
// a second) once the level has held steady within ±3 dB for half a second,
// which hum and hiss do and speech, whose level swings by more than that
// from one syllable to the next, does not. So a steady sound is learnt
// within a second or two and a talker never is. The background is never
// learnt above −35 dBm0: a steady signal louder than −23 dBm0 is
// somebody's voice, music or a test tone, not line noise, and stays
// active however long it lasts.
//
// An ActivityDetector is not safe for concurrent use; it does not
// allocate.
type ActivityDetector struct {
	minDB  float64 // absolute minimum for an active frame, dBm0
	floor  float64 // learnt background, dBm0
	avg    float64 // smoothed level, dBm0
	steady int     // frames in a row within activitySteadyDB of avg
}

// Activity detector tuning (levels in dBm0 of the frame's RMS, where a
// 0 dBm0 sine has an RMS of Dbm0Peak/√2).
const (
	activityMarginDB     = 12.0      // speech stands this far above the background
	activityFallDB       = 1.0       // per frame towards a quieter background
	activityRiseDB       = 3.0 / 50  // per frame (3 dB/s) towards a louder one
	activitySteadyRiseDB = 12.0 / 50 // per frame (12 dB/s) once the level is steady
	activitySteadyDB     = 3.0       // a steady level stays this close to its average
	activitySteadyFrames = 25        // for this long (0.5 s)
	activityAvgWeight    = 0.2       // of each frame in the smoothed level (~100 ms)
	activityMaxFloor     = -35.0     // the background is never learnt above this
	activityInitFloor    = -60.0     // a quiet line, before anything is heard
	activityLowest       = -90.0     // below any line's noise: digital silence
	activityRMS0dBm0     = Dbm0Peak / math.Sqrt2
)

// NewActivityDetector returns a detector for which no frame under
// minDBm0 is ever active (the voicemail recorder uses −45 dBm0).
func NewActivityDetector(minDBm0 float64) *ActivityDetector {
	d := &ActivityDetector{minDB: minDBm0}
	d.Reset()
	return d
}

// Reset forgets the learnt background.
func (d *ActivityDetector) Reset() {
	d.floor, d.avg, d.steady = activityInitFloor, activityLowest, 0
}

// NoiseFloor is the learnt background level in dBm0.
func (d *ActivityDetector) NoiseFloor() float64 { return d.floor }

// Active feeds one frame and reports whether it carries a talker.
func (d *ActivityDetector) Active(frame []int16) bool {
	level := FrameLevel(frame)
	active := level >= d.minDB && level >= d.floor+activityMarginDB
	if math.Abs(level-d.avg) <= activitySteadyDB {
		d.steady++
	} else {
		d.steady = 0
	}
	d.avg += activityAvgWeight * (level - d.avg)
	if level < d.floor {
		d.floor = max(level, d.floor-activityFallDB)
	} else {
		rise := activityRiseDB
		if d.steady >= activitySteadyFrames {
			rise = activitySteadyRiseDB
		}
		d.floor = min(level, d.floor+rise, activityMaxFloor)
	}
	return active
}

// FrameLevel is the RMS level of samples in dBm0 (−90 for digital
// silence or an empty frame).
func FrameLevel(samples []int16) float64 {
	if len(samples) == 0 {
		return activityLowest
	}
	var sum float64
	for _, v := range samples {
		sum += float64(v) * float64(v)
	}
	rms := math.Sqrt(sum / float64(len(samples)))
	if rms == 0 {
		return activityLowest
	}
	return max(activityLowest, 20*math.Log10(rms/activityRMS0dBm0))
}
