//go:build spandsp && cgo

package box

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	spandsp "minipbx/bench/spandsp/fax"
	"minipbx/dsp/fax/faxfile"
	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t4"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
)

// The proof of issue 17 through the whole box: spandsp's fax terminal (a
// real implementation, not ours) sends a multi-page fax to the box's fax
// receiver over the simulated FXO line and over G.711 SIP with 0.5 % of
// the packets lost each way; the TIFF the box keeps, read back by
// libtiff, holds the pages exactly as sent, and the call record says
// pages, speed and result.

// faxDocument is what spandsp sends: three pages of different content,
// small enough that a call takes well under a minute of real time.
func faxDocument() []*t4.Image {
	return []*t4.Image{
		faxtest.Page(faxtest.Text, t4.WidthA4, 240, 1),
		faxtest.Page(faxtest.Checker, t4.WidthA4, 120, 2),
		faxtest.Page(faxtest.Runs, t4.WidthA4, 200, 3),
	}
}

func writeFaxTIFF(t *testing.T, pages []*t4.Image) string {
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

// lockedPeer is spandsp's terminal, run on one clock and asked about
// from the test.
type lockedPeer struct {
	mu sync.Mutex
	p  *spandsp.Peer
}

func (l *lockedPeer) Process(in, out []int16) {
	l.mu.Lock()
	l.p.Process(in, out)
	l.mu.Unlock()
}

func (l *lockedPeer) Done() (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p.Done()
}

func (l *lockedPeer) Close() {
	l.mu.Lock()
	l.p.Close()
	l.mu.Unlock()
}

// faxBox is a box with the fax receiver "office" on number 50, which
// FXO line 1's calls reach.
func faxBox(t *testing.T) *testBox {
	t.Helper()
	b := startBox(t, "")
	ctx := context.Background()
	d, err := b.Service().ExportConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dp := d.DialPlan()
	dp.FaxReceivers = []store.FaxReceiver{{Name: "office", Number: "50", StationID: "+1 555 0199"}}
	dp.InboundRoutes = []store.InboundRoute{{Name: "fax-line", Lines: []int{1}, Destination: "fax:office"}}
	if _, err := b.Service().UpdateDialPlan(ctx, dp); err != nil {
		t.Fatal(err)
	}
	return b
}

// checkReceivedFax waits for the fax's call record and checks it and the
// fax kept: every page of doc, identical, in the TIFF that libtiff reads.
func checkReceivedFax(t *testing.T, b *testBox, doc []*t4.Image, ecm bool, bps int) {
	t.Helper()
	rec := b.waitRecord(t, func(r store.CallRecord) bool { return r.Fax != nil })
	fx := rec.Fax
	t.Logf("call record: %+v", *fx)
	if fx.Result != store.FaxReceived || fx.Pages != len(doc) || fx.ECM != ecm || fx.RemoteID != "+1 555 0100" || fx.ID == "" {
		t.Fatalf("the call record says %+v", *fx)
	}
	if bps > 0 && fx.Bps != bps {
		t.Errorf("speed %d (%s), want %d", fx.Bps, fx.Modem, bps)
	}
	got, err := b.Service().Faxes(context.Background())
	if err != nil || len(got) != 1 || got[0].ID != fx.ID || got[0].Pages != len(doc) || !got[0].Complete {
		t.Fatalf("faxes %+v %v", got, err)
	}
	pages, err := spandsp.ReadTIFF(filepath.Join(datadir.Of(b.dir).Faxes(), fx.ID+".tif"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != len(doc) {
		t.Fatalf("the TIFF holds %d pages, want %d", len(pages), len(doc))
	}
	for i := range doc {
		if !pages[i].Equal(doc[i]) {
			t.Errorf("page %d: %d rows differ from what was sent", i+1, pages[i].DiffRows(doc[i]))
		}
	}
	pdf, _, err := b.Service().FaxFile(context.Background(), fx.ID, faxstore.PDF)
	if err != nil {
		t.Fatal(err)
	}
	pdf.Close()
}

// TestFaxFromTheLine: spandsp sends over the simulated FXO line, at
// V.29 9600 with ECM and at V.27 ter 4800 without.
func TestFaxFromTheLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modems int
		bps    int
		ecm    bool
	}{
		{"V29_9600_ECM", spandsp.SupportV29 | spandsp.SupportV27ter, 9600, true},
		{"V27ter_4800", spandsp.SupportV27ter, 4800, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := faxBox(t)
			doc := faxDocument()
			peer := &lockedPeer{p: spandsp.NewPeer(true, writeFaxTIFF(t, doc), "", tc.ecm, tc.modems, "+1 555 0100")}
			defer peer.Close()
			line := b.Sim().Line(1)
			line.Plug(peer)
			defer line.Plug(nil)
			ringFromTelco(t, line, "5550100")
			// The box releases the line once the sender's DCN came.
			if err := line.WaitState(tctx(t, 3*time.Minute), "idle"); err != nil {
				t.Fatalf("the fax call did not end: %v", err)
			}
			checkReceivedFax(t, b, doc, tc.ecm, tc.bps)
		})
	}
}

// TestFaxOverSIPWithLoss: spandsp behind a SIP phone dials the fax
// number 50 over G.711 μ-law, with 0.5 % of the packets lost each way.
func TestFaxOverSIPWithLoss(t *testing.T) {
	b := faxBox(t)
	secret := b.addSIPExtension(t, "201", "Fax machine", false)
	ph := b.phone(t, "201", secret)
	doc := faxDocument()
	peer := &lockedPeer{p: spandsp.NewPeer(true, writeFaxTIFF(t, doc), "", true, spandsp.SupportV29|spandsp.SupportV27ter, "+1 555 0100")}
	defer peer.Close()
	ctx := tctx(t, 3*time.Minute)
	call, err := ph.Dial(ctx, "50", 0)
	if err != nil {
		t.Fatal(err)
	}
	up := rand.New(rand.NewPCG(faxSeed, 1))
	down := rand.New(rand.NewPCG(faxSeed, 2))
	var mu sync.Mutex
	lostUp, lostDown, underruns, trims := 0, 0, 0, 0
	call.Lose(func() bool {
		mu.Lock()
		defer mu.Unlock()
		if up.Float64() < faxLoss {
			lostUp++
			return true
		}
		return false
	})
	// What spandsp hears: the box's packets as they came, two frames of
	// fixed buffer, a lost packet as silence.
	var heard []int16
	started := false
	in := make([]int16, 160)
	call.Send(func(out []int16) {
		heard = append(heard, call.Recorded()...)
		if !started && len(heard) >= 320 {
			started = true
		}
		clear(in)
		if started && len(heard) < 160 {
			underruns++
		}
		if started && len(heard) >= 160 {
			copy(in, heard[:160])
			heard = heard[160:]
			mu.Lock()
			if down.Float64() < faxLoss {
				clear(in)
				lostDown++
			}
			mu.Unlock()
		}
		if len(heard) > 160*8 {
			heard = heard[len(heard)-160*4:] // drift: never fall behind
			trims++
		}
		peer.Process(in, out)
	})
	// The box hangs up once the sender's DCN came.
	select {
	case <-ctx.Done():
		t.Fatal("the fax call did not end in time")
	case <-call.Ended():
	}
	mu.Lock()
	t.Logf("packets lost: %d to the box, %d from it; the sender's buffer ran dry %d times, was trimmed %d times", lostUp, lostDown, underruns, trims)
	mu.Unlock()
	checkReceivedFax(t, b, doc, true, 0)
}

// faxLoss is the fraction of packets lost each way in TestFaxOverSIPWithLoss.
var faxLoss = 0.005

// faxSeed seeds the packet loss of TestFaxOverSIPWithLoss.
var faxSeed uint64 = 1
