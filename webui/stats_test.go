package webui

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

func TestStatisticsPage(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	w := c.get("/statistics?from=2026-11-20&to=2026-11-20&compare=previous&service_level=30")
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("%d", w.Code)
	}
	for _, id := range []string{"per-hour", "per-day", "per-week", "results", "compare", "busiest-hours", "weekday-hours", "extensions", "lines", "queues"} {
		if !strings.Contains(body, `id="`+id+`-svg"`) || !strings.Contains(body, `id="chart-`+id+`-csv"`) {
			t.Errorf("no %s chart", id)
		}
	}
	if strings.Contains(body, " style=") || strings.Contains(body, "<script>") {
		t.Error("inline style or script (the CSP forbids them)")
	}
	q := f.svc.callsQ.lastStats // the comparison, asked last
	if q.ServiceLevelS != 30 || !q.To.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) || !q.From.Equal(time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the period before was asked as %v – %v (%d s)", q.From, q.To, q.ServiceLevelS)
	}
	if !strings.Contains(body, `<td class="num">120</td>`) {
		t.Error("the totals do not show the 120 calls")
	}
	// Each chart's CSV adds up to the totals.
	for _, chart := range []string{"per-day", "per-hour", "busiest-hours", "per-week"} {
		w := c.get("/statistics/" + chart + ".csv?from=2026-11-20&to=2026-11-20")
		rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
		if err != nil || w.Code != 200 || rows[0][1] != "calls" {
			t.Fatalf("%s: %d %v", chart, w.Code, err)
		}
		sum, talk := 0, 0
		for _, r := range rows[1:] {
			n, _ := strconv.Atoi(r[1])
			s, _ := strconv.Atoi(r[10])
			sum, talk = sum+n, talk+s
		}
		if sum != 120 || talk != 120*60 {
			t.Errorf("%s: %d calls, %d s in the CSV", chart, sum, talk)
		}
	}
	if w := c.get("/statistics/nothing.csv"); w.Code != 404 {
		t.Errorf("an unknown chart: %d", w.Code)
	}
	w = c.get("/statistics?from=2026-11-21&to=2026-11-20&compare=yes&service_level=0")
	body = w.Body.String()
	if w.Code != 400 || !strings.Contains(body, `id="q-to-error"`) || !strings.Contains(body, `id="q-compare-error"`) || !strings.Contains(body, `id="q-service-level-error"`) {
		t.Errorf("bad parameters: %d", w.Code)
	}
	// Without a range: the last 7 days up to today.
	c.get("/statistics")
	if q := f.svc.callsQ.lastStats; !q.To.Equal(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)) || q.To.Sub(q.From) != 7*24*time.Hour {
		t.Errorf("default period %v – %v", q.From, q.To)
	}
}

func TestStatisticsAPI(t *testing.T) {
	f := newFixture(t)
	f.svc.mustChange = false
	w := f.api("GET", "/api/v1/statistics?from=2026-11-20&to=2026-11-20&compare=previous", "")
	var st struct {
		store.CallStats
		Previous *store.CallStats `json:"previous"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || w.Code != 200 || st.Totals.Calls != 120 || st.Previous == nil {
		t.Fatalf("%d %v %+v", w.Code, err, st.Totals)
	}
	w = f.api("GET", "/api/v1/statistics?service_level=99999&extension=", "")
	if w.Code != 400 {
		t.Fatalf("%d", w.Code)
	}
	wantField("service_level")(t, w)
	if w := f.api("GET", "/api/v1/statistics/queues.csv", ""); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "queue,offered") {
		t.Errorf("queue CSV: %d %q", w.Code, w.Body.String())
	}
}

func TestNiceMax(t *testing.T) {
	for _, tc := range []struct{ in, top, step float64 }{{0, 4, 1}, {3, 4, 1}, {7, 8, 2}, {9, 10, 2.5}, {120, 200, 50}, {0.5, 0.8, 0.2}} {
		if top, step := niceMax(tc.in); top != tc.top || step != tc.step {
			t.Errorf("niceMax(%v) = %v, %v; want %v, %v", tc.in, top, step, tc.top, tc.step)
		}
	}
}
