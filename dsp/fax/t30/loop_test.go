package t30_test

import (
	"testing"

	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t30"
	"minipbx/dsp/fax/t4"
)

// link runs a sender and a receiver against each other, frame by frame,
// for at most seconds of audio; impair (may be nil) acts on each frame
// in each direction.
func link(t *testing.T, s *t30.Sender, r *t30.Receiver, seconds int, impair func(dir, frame int, b []int16)) {
	t.Helper()
	sOut := make([]int16, 160)
	rOut := make([]int16, 160)
	sIn := make([]int16, 160)
	rIn := make([]int16, 160)
	for f := 0; f < seconds*50; f++ {
		copy(sIn, rOut)
		if impair != nil {
			impair(0, f, sIn)
		}
		s.Process(sIn, sOut)
		copy(rIn, sOut)
		if impair != nil {
			impair(1, f, rIn)
		}
		r.Process(rIn, rOut)
		if s.Done() && r.Done() {
			return
		}
	}
	t.Fatalf("not done after %d s: sender %+v, receiver %+v", seconds, *s.Result(), *r.Result())
}

func logEvents(t *testing.T, who string) func(t30.Event) {
	return func(e t30.Event) {
		if testing.Verbose() {
			t.Logf("%s %+v", who, e)
		}
	}
}

func TestLoopback(t *testing.T) {
	doc := faxtest.Document(3, t4.WidthA4, 400, 1)
	for _, tc := range []struct {
		name   string
		sopt   t30.Options
		ropt   t30.Options
		rate   int
		ecm    bool
		coding t4.Coding
	}{
		{"V29_9600_ECM_MMR", t30.Options{}, t30.Options{}, 9600, true, t4.MMR},
		{"V29_9600_MR_ANSam", t30.Options{NoECM: true}, t30.Options{AnswerTone: t30.ANSam}, 9600, false, t4.MR},
		{"V27_4800_MH", t30.Options{NoECM: true, NoMR: true, MaxBps: 4800}, t30.Options{}, 4800, false, t4.MH},
		{"V29_9600_MH", t30.Options{NoECM: true, NoMR: true}, t30.Options{}, 9600, false, t4.MH},
		{"V27_4800_MR", t30.Options{NoECM: true, MaxBps: 4800}, t30.Options{}, 4800, false, t4.MR},
		{"V29_7200_ECM64_MR", t30.Options{NoMMR: true, Frame64: true, MaxBps: 7200}, t30.Options{}, 7200, true, t4.MR},
		{"V27_2400_ECM", t30.Options{MaxBps: 2400}, t30.Options{}, 2400, true, t4.MMR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.sopt.LocalID, tc.ropt.LocalID = "+1 555 0100", "+1 555 0199"
			tc.sopt.OnEvent, tc.ropt.OnEvent = logEvents(t, "S"), logEvents(t, "R")
			s, err := t30.NewSender(tc.sopt, t30.Document{Pages: doc, Fine: true})
			if err != nil {
				t.Fatal(err)
			}
			r := t30.NewReceiver(tc.ropt)
			link(t, s, r, 600, nil)
			sr, rr := s.Result(), r.Result()
			if sr.Outcome != t30.Success || rr.Outcome != t30.Success {
				t.Fatalf("sender %v %q, receiver %v %q", sr.Outcome, sr.Cause, rr.Outcome, rr.Cause)
			}
			if rr.Rate.Bps != tc.rate || rr.ECM != tc.ecm || rr.Coding != tc.coding {
				t.Errorf("receiver: %v ECM %v %v, want %d ECM %v %v", rr.Rate, rr.ECM, rr.Coding, tc.rate, tc.ecm, tc.coding)
			}
			if rr.RemoteID != "+1 555 0100" || sr.RemoteID != "+1 555 0199" {
				t.Errorf("ids: receiver saw %q, sender %q", rr.RemoteID, sr.RemoteID)
			}
			if len(rr.Pages) != len(doc) {
				t.Fatalf("%d pages received, %d sent", len(rr.Pages), len(doc))
			}
			for i, p := range rr.Pages {
				if !p.Image.Equal(doc[i]) {
					t.Errorf("page %d: %d rows differ (%d×%d vs %d×%d)", i+1, p.Image.DiffRows(doc[i]), p.Image.Width, p.Image.Height, doc[i].Width, doc[i].Height)
				}
				if p.YRes != 196 {
					t.Errorf("page %d: %d lpi", i+1, p.YRes)
				}
			}
		})
	}
}
