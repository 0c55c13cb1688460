package webui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/telephony/store"
)

// TestBrowserCallSearchExportStatistics: against the real store, an
// installer narrows the call history to a caller's number, reads the
// totals, downloads the selection as CSV (fetched by the page's own
// link, with the session), opens a call's detail, and looks at the
// statistics of the period against the one before; no page throws a
// script error or breaks its CSP.
func TestBrowserCallSearchExportStatistics(t *testing.T) {
	base, db := serveStoreForBrowser(t, func(c *store.Config) error {
		c.LineGroups = []store.LineGroup{{Name: "lines", Lines: []int{1, 2}, Hunt: "ascending"}}
		c.OutboundRoutes = []store.OutboundRoute{{Name: "mobile", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"lines"},
			Tariff: store.Tariff{PerMinute: 350, Connection: 1000}}}
		return nil
	})
	if _, err := db.UpdateBilling(store.Billing{Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := 59; i >= 0; i-- { // oldest first, as calls end
		st := now.Add(-time.Duration(i) * 2 * time.Hour)
		r := store.CallRecord{Start: st, End: st.Add(20 * time.Second), Disposition: store.DispositionNoAnswer}
		switch i % 3 {
		case 0:
			r.Caller, r.Callee, r.Source = "5550"+strconv.Itoa(100+i%2), "101", "fxo:1"
		case 1:
			r.Caller, r.Callee, r.Source, r.Route, r.Destination = "101", "89161234567", "sip:101", "mobile", "fxo:2"
		default:
			r.Caller, r.Callee, r.Source = "102", "101", "sip:102"
		}
		if i%2 == 0 {
			r.Disposition, r.Answer, r.DurationS, r.End = store.DispositionAnswered, st.Add(5*time.Second), 75, st.Add(80*time.Second)
		}
		if _, err := db.AppendCallRecord(r); err != nil {
			t.Fatal(err)
		}
	}
	want, err := db.SearchCallRecords(store.CallQuery{Number: "5550"})
	if err != nil || want.Total != 20 {
		t.Fatalf("%d calls of 5550…: %v", want.Total, err)
	}
	ctx := newBrowser(t)
	loginTo(t, ctx, base, "/calls", "call-search")
	screenshot(t, ctx, "calls-search")
	follow(t, ctx, "call-total", fill("q-number", "5550"), chromedp.Click(chromedp.ID("call-search-submit")))
	if got := text(t, ctx, "call-total"); got != "20" {
		t.Errorf("%s calls shown, want 20", got)
	}
	rows := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#call-records tbody tr[id^="cdr-"]').length`))
	if rows != 20 {
		t.Errorf("%d rows", rows)
	}
	// The export: the page's link, fetched with the page's session.
	csvText := run(t, ctx, chromedp.Evaluate[string](`fetch(document.getElementById('call-export').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	lines := strings.Split(strings.TrimSpace(csvText), "\n")
	if len(lines) != 21 || !strings.HasPrefix(lines[0], "id,start,answer,end,caller") || !strings.Contains(lines[1], ",5550") {
		t.Errorf("export: %d lines, %q", len(lines), lines[0])
	}
	// A call's detail.
	id := want.Records[0].ID
	follow(t, ctx, "call-detail", chromedp.Click(chromedp.ID("cdr-"+strconv.FormatUint(id, 10)+"-detail")))
	if got := text(t, ctx, "call-caller"); !strings.HasPrefix(got, "5550") {
		t.Errorf("detail caller %q", got)
	}
	screenshot(t, ctx, "call-detail")
	// The statistics, this week against the one before.
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	do(t, ctx, chromedp.Navigate(base+"/statistics?from="+day(now.AddDate(0, 0, -6))+"&to="+day(now)+"&compare=previous"),
		chromedp.WaitVisible(chromedp.ID("per-day-svg")))
	svgs := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.chart-svg').length`))
	bars := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#per-day-svg rect').length`))
	if svgs < 9 || bars == 0 {
		t.Errorf("%d charts, %d bars per day", svgs, bars)
	}
	screenshot(t, ctx, "statistics")
}
