package t30_test

import (
	"math/rand/v2"
	"testing"

	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t30"
	"minipbx/dsp/fax/t4"
)

// TestLoopbackLoss: our sender and receiver with 0.5 % of frames lost
// both ways: ECM must deliver every page exactly (by PPR), non-ECM
// within the rows the receiver counted bad.
func TestLoopbackLoss(t *testing.T) {
	doc := []*t4.Image{
		faxtest.Page(faxtest.Text, t4.WidthA4, 1100, 1),
		faxtest.Page(faxtest.Dither, t4.WidthA4, 700, 2),
	}
	for _, ecm := range []bool{true, false} {
		name := "ECM"
		if !ecm {
			name = "noECM"
		}
		t.Run(name, func(t *testing.T) {
			s, _ := t30.NewSender(t30.Options{NoECM: !ecm, OnEvent: logEvents(t, "S")}, t30.Document{Pages: doc, Fine: true})
			r := t30.NewReceiver(t30.Options{OnEvent: logEvents(t, "R")})
			rnd := rand.New(rand.NewPCG(7, 7))
			lost := 0
			link(t, s, r, 1200, func(dir, f int, b []int16) {
				if rnd.Float64() < 0.005 {
					clear(b)
					lost++
				}
			})
			rr := r.Result()
			t.Logf("%d frames lost, %d pages, %d bad rows, %d PPRs, %d retrains", lost, len(rr.Pages), rr.BadLines, rr.Retransmissions, rr.Retrains)
			if rr.Outcome != t30.Success || s.Result().Outcome != t30.Success {
				t.Fatalf("receiver %v %q, sender %v %q", rr.Outcome, rr.Cause, s.Result().Outcome, s.Result().Cause)
			}
			if len(rr.Pages) != len(doc) {
				t.Fatalf("%d pages", len(rr.Pages))
			}
			for i, p := range rr.Pages {
				// Compared in order: a lost EOL merges two rows into one bad one.
				lost := t4.LostRows(doc[i], p.Image)
				if ecm && !p.Image.Equal(doc[i]) || lost > 2*p.BadLines {
					t.Errorf("page %d: %d rows not received as sent, %d bad", i+1, lost, p.BadLines)
				}
			}
		})
	}
}
