package dsp

// AMD tells an answering machine from a person by the cadence of what
// the called party says in the first seconds after answering — the
// method of the classic auto-dialers, which needs no speech recognition:
// a person picks up and says a short greeting ("Hello?", "Smith
// speaking") and waits for an answer; a machine plays a long greeting
// ("Hello, you have reached the Smiths, we cannot take your call...")
// without pausing for anyone, or says nothing at all while it starts.
//
// Per 20 ms frame an ActivityDetector says whether someone talks. Pauses
// shorter than AMDWordGap join syllables into one utterance. Then:
//
//   - nothing heard for AMDInitialSilence: a machine (or a line that
//     answered by itself);
//   - an utterance longer than AMDGreeting, or more than AMDMaxWords
//     utterances before a decision: a machine;
//   - after a short utterance, AMDAfterGreeting of silence: a person
//     (waiting for the caller to speak);
//   - undecided after AMDTotal: a person (the safer mistake: a person
//     hung up on is worse than a message played to a machine).
//
// An AMD is not safe for concurrent use; it does not allocate.
type AMD struct {
	talker *ActivityDetector
	// frames counts the frames fed; lastActive is the last active frame
	// (-1 before any), uttStart the first frame of the current
	// utterance.
	frames, lastActive, uttStart int
	words                        int
	speaking                     bool
	result                       AMDResult
	reason                       string
}

// AMDResult is what an AMD decided.
type AMDResult int

const (
	AMDUndecided AMDResult = iota // listening still
	AMDHuman                      // a person answered
	AMDMachine                    // an answering machine answered
)

func (r AMDResult) String() string {
	switch r {
	case AMDHuman:
		return "human"
	case AMDMachine:
		return "machine"
	}
	return "undecided"
}

// AMD timing, in 20 ms frames.
const (
	AMDInitialSilence = 125 // 2.5 s of silence after the answer
	AMDGreeting       = 75  // 1.5 s: a person's greeting is shorter
	AMDAfterGreeting  = 40  // 0.8 s of silence after a greeting
	AMDWordGap        = 15  // 300 ms: a shorter pause is within a word
	AMDMaxWords       = 3   // utterances a person says before waiting
	AMDTotal          = 250 // 5 s: undecided after this is a person
	amdMinDBm0        = -45.0
)

// NewAMD returns a detector for a call that has just been answered.
func NewAMD() *AMD {
	return &AMD{talker: NewActivityDetector(amdMinDBm0), lastActive: -1}
}

// Result is the decision so far, and why it was made ("": undecided).
func (a *AMD) Result() (AMDResult, string) { return a.result, a.reason }

// Frame feeds one 20 ms frame of what the called party sends and
// returns the decision so far; once decided it no longer changes.
func (a *AMD) Frame(frame []int16) AMDResult {
	if a.result != AMDUndecided {
		return a.result
	}
	n := a.frames
	a.frames++
	if a.talker.Active(frame) {
		if !a.speaking {
			a.speaking, a.uttStart = true, n
			a.words++
			if a.words > AMDMaxWords {
				return a.decide(AMDMachine, "more words than a person's greeting")
			}
		}
		a.lastActive = n
		if n-a.uttStart+1 > AMDGreeting {
			return a.decide(AMDMachine, "a greeting longer than a person's")
		}
	} else {
		quiet := n - a.lastActive
		if a.speaking && quiet >= AMDWordGap {
			a.speaking = false
		}
		switch {
		case a.lastActive < 0 && a.frames >= AMDInitialSilence:
			return a.decide(AMDMachine, "silence after the answer")
		case a.lastActive >= 0 && quiet >= AMDAfterGreeting:
			return a.decide(AMDHuman, "a short greeting, then waiting")
		}
	}
	if a.frames >= AMDTotal {
		return a.decide(AMDHuman, "undecided: taken for a person")
	}
	return AMDUndecided
}

func (a *AMD) decide(r AMDResult, why string) AMDResult {
	a.result, a.reason = r, why
	return r
}
