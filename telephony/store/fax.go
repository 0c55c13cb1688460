package store

import (
	"fmt"

	"minipbx/telephony/dialplan"
)

// MaxFaxReceivers bounds the fax receivers of a box.
const MaxFaxReceivers = 16

// FaxReceiver is the box's own fax machine (issue 17): a call sent to
// fax:NAME, or to its number, is answered and the fax it carries is
// received, kept as PDF and TIFF beside the call record and, with an
// address, mailed as a PDF attachment.
type FaxReceiver struct {
	Name string `json:"name"`
	// Number is the internal number that reaches it ("50"); optional.
	Number string `json:"number,omitempty"`
	// Email receives each fax as a PDF attachment (mail must be set up).
	Email string `json:"email,omitempty"`
	// StationID is the identity the box gives the sender (T.30 CSI, up to
	// 20 characters: digits, spaces and '+'); "" sends the number.
	StationID string `json:"station_id,omitempty"`
}

// FaxReceiver returns the fax receiver called name.
func (c *Config) FaxReceiver(name string) (FaxReceiver, bool) {
	for _, f := range c.FaxReceivers {
		if f.Name == name {
			return f, true
		}
	}
	return FaxReceiver{}, false
}

// maxStationID is the longest T.30 identity (CSI/TSI).
const maxStationID = 20

// faxReceivers validates the fax receivers (their names are checked
// with the dial plan's other names) and puts their numbers in the
// numbering plan; fax_detect of inbound routes is checked with the routes.
func (pc *planCheck) faxReceivers() {
	if len(pc.c.FaxReceivers) > MaxFaxReceivers {
		pc.add("fax_receivers", "at most %d fax receivers", MaxFaxReceivers)
	}
	for i, f := range pc.c.FaxReceivers {
		p := fmt.Sprintf("fax_receivers[%d].", i)
		pc.serviceNumber(p+"number", f.Number, "fax receiver "+f.Name, false)
		if f.Email != "" {
			if msg := AddressProblem(f.Email); msg != "" {
				pc.add(p+"email", "%s", msg)
			}
		}
		if len(f.StationID) > maxStationID {
			pc.add(p+"station_id", "at most %d characters", maxStationID)
		}
		for _, r := range f.StationID {
			if !(r >= '0' && r <= '9' || r == ' ' || r == '+') {
				pc.add(p+"station_id", "use digits, spaces and '+' (T.30 identities are numbers)")
				break
			}
		}
	}
}

// faxDetectKinds are what an inbound route's fax_detect may name.
var faxDetectKinds = []dialplan.DestKind{dialplan.DestFax}

// FaxOutcome is what a call record says of the fax the box received.
type FaxOutcome struct {
	// ID names the fax in the fax store ("" when nothing was kept:
	// no page came).
	ID string `json:"id,omitempty"`
	// Receiver is the fax receiver's name.
	Receiver string `json:"receiver"`
	// Result is "received" (every page, the call released in order),
	// "partial" (some pages, then the call failed) or "failed".
	Result string `json:"result"`
	// Cause says why it failed ("" on success).
	Cause string `json:"cause,omitempty"`
	Pages int    `json:"pages"`
	// Bps is the image modem's bit rate; Modem names it ("V.29 9600").
	Bps   int    `json:"bps,omitempty"`
	Modem string `json:"modem,omitempty"`
	ECM   bool   `json:"ecm,omitempty"`
	// RemoteID is the sender's identity (TSI).
	RemoteID string `json:"remote_id,omitempty"`
}

// Fax outcome results.
const (
	FaxReceived = "received"
	FaxPartial  = "partial"
	FaxFailed   = "failed"
)
