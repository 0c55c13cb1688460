package t30

import (
	"fmt"
	"time"

	"minipbx/dsp/fax/t4"
)

// Page is one received (or sent) page.
type Page struct {
	Image *t4.Image
	// Resolution in pixels per inch: 204 across; 98 (standard) or 196
	// (fine) down.
	XRes, YRes int
	Coding     t4.Coding // how it was sent
	BadLines   int       // rows that did not decode (non-ECM only)
}

// Outcome is how a fax call ended.
type Outcome int

const (
	InProgress Outcome = iota
	Success            // every page sent or received, and the call released (EOP, MCF, DCN)
	Failed             // the call ended early: see Result.Cause
)

func (o Outcome) String() string {
	switch o {
	case InProgress:
		return "in progress"
	case Success:
		return "success"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Result describes a fax call, during it or once it is done.
type Result struct {
	Outcome  Outcome
	Cause    string // why it failed, or "" on success
	Pages    []*Page
	Rate     Rate // last modem and bit rate used for the image
	ECM      bool
	Coding   t4.Coding
	Fine     bool
	Width    int
	BadLines int    // over all pages
	RemoteID string // the far end's CSI or TSI
	// Retrains counts FTT (failed training checks) and RTN answers.
	Retrains int
	// Retransmissions counts PPR answers in ECM.
	Retransmissions int
}

// EventKind says what an Event reports.
type EventKind int

const (
	EvFrameRx   EventKind = iota // a control frame received (Name)
	EvFrameTx                    // a control frame sent (Name)
	EvTraining                   // a training check (TCF) judged: OK
	EvPageStart                  // image data began (Page, Rate)
	EvPage                       // a page completed (Page, BadLines, OK)
	EvBlock                      // an ECM partial page completed or not (Page, Block, Missing)
	EvDone                       // the call is over (Result().Outcome)
)

// Event is a step of the call, for logs and progress displays. Events are
// delivered synchronously from Process by the Options.OnEvent callback;
// Name is a static string, so reporting allocates nothing.
type Event struct {
	Kind     EventKind
	At       time.Duration // since the start of the call
	Name     string        // frame name: "DIS", "DCS", "MCF", ...
	Page     int           // 1-based page number
	Block    int           // ECM block of the page, 0-based
	Missing  int           // ECM: frames missing from the block
	Rate     Rate
	OK       bool
	BadLines int
}
