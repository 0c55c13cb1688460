//go:build spandsp && cgo

package box

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	spandsp "minipbx/bench/spandsp/fax"
	"minipbx/dsp"
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

// faxFromLine has spandsp send doc to the box from the telco line and
// waits for the box to release the line (once the sender's DCN came).
func faxFromLine(t *testing.T, b *testBox, doc []*t4.Image, modems int, ecm bool) {
	t.Helper()
	peer := &lockedPeer{p: spandsp.NewPeer(true, writeFaxTIFF(t, doc), "", ecm, modems, "+1 555 0100")}
	defer peer.Close()
	line := b.Sim().Line(1)
	line.Plug(peer)
	defer line.Plug(nil)
	ringFromTelco(t, line, "5550100")
	if err := line.WaitState(tctx(t, 3*time.Minute), "idle"); err != nil {
		t.Fatalf("the fax call did not end: %v", err)
	}
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
			faxFromLine(t, b, doc, tc.modems, tc.ecm)
			checkReceivedFax(t, b, doc, tc.ecm, tc.bps)
		})
	}
}

// TestFaxOverSIP: spandsp behind a SIP phone dials the fax number 50
// over G.711 μ-law, on a clean network and with 0.5 % of the packets
// lost each way (loss0.5%: ECM repairs the pages by PPR, T.30's repeat
// rules the lost control frames).
func TestFaxOverSIP(t *testing.T) {
	t.Run("clean", func(t *testing.T) { faxOverSIP(t, 0) })
	t.Run("loss0.5%", func(t *testing.T) { faxOverSIP(t, 0.005) })
}

func faxOverSIP(t *testing.T, loss float64) {
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
	up := rand.New(rand.NewPCG(17, 1))
	down := rand.New(rand.NewPCG(17, 2))
	var mu sync.Mutex
	lostUp, lostDown, underruns, trims := 0, 0, 0, 0
	call.Lose(func() bool {
		mu.Lock()
		defer mu.Unlock()
		if up.Float64() < loss {
			lostUp++
			return true
		}
		return false
	})
	// spandsp runs on the box's clock: each 20 ms of what the box sent
	// (a lost packet as silence) goes through it as it arrives, and what
	// it answers waits in a queue for the phone's packets (two frames
	// first, a frame of silence when the queue ran dry).
	var outQ []int16
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		var heard []int16
		out := make([]int16, 160)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			heard = append(heard, call.Recorded()...)
			for len(heard) >= 160 {
				in := heard[:160]
				mu.Lock()
				if down.Float64() < loss {
					clear(in)
					lostDown++
				}
				mu.Unlock()
				peer.Process(in, out)
				heard = heard[160:]
				mu.Lock()
				outQ = append(outQ, out...)
				mu.Unlock()
			}
		}
	}()
	started := false
	call.Send(func(out []int16) {
		mu.Lock()
		defer mu.Unlock()
		if !started && len(outQ) >= 320 {
			started = true
		}
		if !started {
			return
		}
		if len(outQ) < 160 {
			underruns++
			return
		}
		copy(out, outQ[:160])
		outQ = outQ[160:]
		if len(outQ) > 160*8 {
			outQ = outQ[len(outQ)-160*3:] // drift: never fall behind
			trims++
		}
	})
	// The box hangs up once the sender's DCN came.
	select {
	case <-ctx.Done():
		t.Fatal("the fax call did not end in time")
	case <-call.Ended():
	}
	mu.Lock()
	t.Logf("packets lost: %d to the box, %d from it; the phone's queue ran dry %d times, was trimmed %d times", lostUp, lostDown, underruns, trims)
	mu.Unlock()
	checkReceivedFax(t, b, doc, true, 0)
}

// logBuffer keeps what the box logs, for a test to read.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFaxPassesFromFXSToTheLine: a fax machine on FXS port 1 (spandsp,
// calling) dials out through the FXO line to a fax machine at the telco
// (spandsp, answering); the CNG the FXS port hears switches both ports to
// voice-band data — the FXO echo canceller off, as the log says — and
// the pages arrive as sent.
func TestFaxPassesFromFXSToTheLine(t *testing.T) {
	var logs logBuffer
	b := startBox(t, "", func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, &logs), &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	doc := faxDocument()
	rxFile := filepath.Join(t.TempDir(), "rx.tif")
	sender := &lockedPeer{p: spandsp.NewPeer(true, writeFaxTIFF(t, doc), "", true, spandsp.SupportV29|spandsp.SupportV27ter, "+1 555 0101")}
	defer sender.Close()
	receiver := &lockedPeer{p: spandsp.NewPeer(false, "", rxFile, true, spandsp.SupportV29|spandsp.SupportV27ter, "+1 555 1234")}
	defer receiver.Close()
	ctx := tctx(t, 3*time.Minute)
	ph := b.Sim().Phone(1) // extension 101, which may call outside
	line := b.Sim().Line(1)
	line.Plug(receiver)
	defer line.Plug(nil)
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF("95551234"); err != nil {
		t.Fatal(err)
	}
	if err := ph.WaitDialled(ctx); err != nil {
		t.Fatal(err)
	}
	ph.Plug(sender) // the fax machine takes the line once dialled
	defer ph.Plug(nil)
	for {
		sd, sc := sender.Done()
		rd, rc := receiver.Done()
		if sd && rd {
			if sc != 0 || rc != 0 {
				t.Fatalf("spandsp results: sender %d, receiver %d", sc, rc)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the fax did not finish: sender done %v, receiver done %v", sd, rd)
		case <-time.After(100 * time.Millisecond):
		}
	}
	ph.OnHook()
	pages, err := spandsp.ReadTIFF(rxFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != len(doc) {
		t.Fatalf("the telco's fax machine received %d pages, want %d", len(pages), len(doc))
	}
	for i := range doc {
		if !pages[i].Equal(doc[i]) {
			t.Errorf("page %d: %d rows differ from what was sent", i+1, pages[i].DiffRows(doc[i]))
		}
	}
	log := logs.String()
	if !strings.Contains(log, "voice-band data: echo canceller disabled") || !strings.Contains(log, `port="FXO 1"`) {
		t.Errorf("the log does not say the FXO echo canceller was disabled:\n%s", log)
	}
	if !strings.Contains(log, `why="fax-cng from the phone"`) {
		t.Errorf("the FXS port did not hear the fax machine's CNG")
	}
	// The FXO port switched when the FXS port heard CNG, before the far
	// fax machine's CED came back: both legs of the call carry the fax.
	if !slices.ContainsFunc(strings.Split(log, "\n"), func(l string) bool {
		return strings.Contains(l, `port="FXO 1"`) && strings.Contains(l, `why="fax tones heard by`)
	}) {
		t.Errorf("the FXO port was not switched by the FXS port's CNG")
	}
}

// TestBrowserFaxPage: a fax received from the line shows on the Fax page
// in headless Chromium (from the navigation), its page opens with the
// PDF inline, and the installer deletes it there.
func TestBrowserFaxPage(t *testing.T) {
	b := faxBox(t)
	doc := faxDocument()
	faxFromLine(t, b, doc, spandsp.SupportV29|spandsp.SupportV27ter, true)
	rec := b.waitRecord(t, func(r store.CallRecord) bool { return r.Fax != nil && r.Fax.ID != "" })
	id := rec.Fax.ID
	ctx := tctx(t, 60*time.Second)
	if err := b.Service().SetAdminPassword(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	br := loggedIn(t, "https://"+b.WebAddr(), 50*time.Second)
	br.follow("fax-"+id, chromedp.Click(byID("nav-fax")))
	row := br.text("fax-" + id)
	if !strings.Contains(row, "5550100") || !strings.Contains(row, "+1 555 0100") || !strings.Contains(row, "V.29 9600, ECM") || !strings.Contains(row, "complete") {
		t.Errorf("the Fax page's row: %q", row)
	}
	br.follow("fax-view", chromedp.Click(byID("show-"+id)))
	if s := br.text("fax-summary"); !strings.Contains(s, "3 pages at V.29 9600") {
		t.Errorf("the fax's page says %q", s)
	}
	// The page's PDF is the fax's: fetched as the browser opens it
	// (inline), it is a PDF of the box's making.
	if _, err := chromedp.Run(br.ctx, chromedp.Evaluate[bool](`(function() {
		fetch(document.getElementById('fax-view').href)
			.then(r => r.headers.get('Content-Type') === 'application/pdf' && r.headers.get('Content-Disposition').startsWith('inline') ? r.text() : '')
			.then(t => { window.faxPDF = t.startsWith('%PDF-') });
		return true })()`)); err != nil {
		t.Fatal(err)
	}
	br.waitJS("the fax's PDF", `window.faxPDF === true`, 10*time.Second)
	br.follow("delete-form", chromedp.Click(byID("fax-delete")))
	br.follow("fax-empty", chromedp.Click(byID("confirm-delete")))
	if faxes, err := b.Service().Faxes(ctx); err != nil || len(faxes) != 0 {
		t.Errorf("after delete: %+v %v", faxes, err)
	}
}

// TestFaxDetectedByTheMenu: the line's calls go to a voice menu whose
// route detects faxes; spandsp calls with CNG, the menu hands the call
// to the fax receiver, and the pages arrive as sent.
func TestFaxDetectedByTheMenu(t *testing.T) {
	b := faxBox(t)
	ctx := context.Background()
	d, err := b.Service().ExportConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dp := d.DialPlan()
	dp.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{Tone: "440", MS: 20000}}}}
	dp.InboundRoutes = []store.InboundRoute{{Name: "main-line", Lines: []int{1}, Destination: "menu:main", FaxDetect: "fax:office"}}
	if _, err := b.Service().UpdateDialPlan(ctx, dp); err != nil {
		t.Fatal(err)
	}
	doc := faxDocument()
	faxFromLine(t, b, doc, spandsp.SupportV29|spandsp.SupportV27ter, true)
	rec := b.waitRecord(t, func(r store.CallRecord) bool { return r.Fax != nil })
	var detected bool
	for _, s := range rec.Path {
		detected = detected || s.Event == "fax-detected" && s.To == "fax:office"
	}
	if !detected {
		t.Errorf("the call's path does not say the fax was detected: %+v", rec.Path)
	}
	checkReceivedFax(t, b, doc, true, 9600)
}
