package t30

// AnswerTone is the tone the receiver answers with.
type AnswerTone int

const (
	CED   AnswerTone = iota // 2100 Hz (T.30 §5.2.3)
	ANSam                   // 2100 Hz modulated at 15 Hz, phase reversals (V.8)
)

// Options configure a Receiver or a Sender. The zero value is usable:
// every modem and coding, ECM with 256-octet frames, -10 dBm0.
type Options struct {
	// LocalID is this terminal's identity (CSI when receiving, TSI when
	// sending): up to 20 printable characters, normally the number.
	LocalID string
	// NoECM turns error correction mode off; NoMR and NoMMR turn off
	// two-dimensional and T.6 coding.
	NoECM, NoMR, NoMMR bool
	// Frame64 asks for (receiver: prefers) 64-octet ECM frames.
	Frame64 bool
	// MaxBps caps the image modem's bit rate (0: 9600).
	MaxBps int
	// LevelDBm0 is the transmit level (0 means -10 dBm0).
	LevelDBm0 float64
	// AnswerTone is the receiver's answer tone (CED by default).
	AnswerTone AnswerTone
	// Receiver: a non-ECM page is answered RTN (retrain negative) when more
	// than BadLinePercent of its rows (default 10, and more than 16 rows)
	// or more than BadRunMax consecutive rows (default 20) did not decode.
	BadLinePercent int
	BadRunMax      int
	// OnEvent, when set, is called from Process at each step of the call.
	// It must not block.
	OnEvent func(Event)
}

func (o *Options) level() float64 {
	if o.LevelDBm0 == 0 {
		return -10
	}
	return o.LevelDBm0
}

func (o *Options) maxBps() int {
	if o.MaxBps <= 0 {
		return 9600
	}
	return o.MaxBps
}

// T.30 timers (§5.4.3.1 and Annex A), in samples.
const (
	timerT1 = 35 * sampleRate // phase B: time to find the other terminal
	timerT2 = 6 * sampleRate  // waiting for a command, or for image data
	timerT4 = 3 * sampleRate  // waiting for a response to a command
	// T3 (10 s, procedure interrupts to an operator) has no use in an
	// unattended terminal.
	// tcfLength is the training check's zeros (T.30 §5.3.6.1.2), and
	// tcfSlack how much sooner a check may seem to end here: its last
	// frames lost, or judged on a 20 ms frame boundary.
	tcfLength = 1500 * ms
	tcfSlack  = 100 * ms

	// crpQuiet is how long the line stays quiet after a broken command
	// before CRP asks for it again: longer than a lost packet's gap.
	crpQuiet = 200 * ms

	// lostImage is how long before a post-message command the image
	// modem must have heard a signal that never trained for it to be
	// taken for a lost page: longer than the command's own V.21 signal.
	lostImage = 3 * sampleRate

	maxTries = 3 // a command is sent at most this many times
	// maxPage bounds the image data of one page (or ECM block).
	maxPage = 10 * 60 * sampleRate
)
