package webui

import (
	"slices"
	"strings"
	"testing"
)

// The schedule form shows hours per weekday and stores them as ranges;
// going there and back must give the same week.
func TestScheduleRowsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		hours []string
		want  map[string]string
	}{
		{[]string{"mon-fri 09:00-18:00"}, map[string]string{"mon": "09:00-18:00", "fri": "09:00-18:00", "sat": ""}},
		{[]string{"fri-mon 10:00-12:00"}, map[string]string{"fri": "10:00-12:00", "sun": "10:00-12:00", "mon": "10:00-12:00", "wed": ""}},
		{[]string{"sat,sun 10:00-14:00", "mon 08:00-09:00"}, map[string]string{"sat": "10:00-14:00", "mon": "08:00-09:00", "tue": ""}},
		{[]string{"* 00:00-24:00"}, map[string]string{"mon": "00:00-24:00", "sun": "00:00-24:00"}},
		{[]string{"wed 9-18"}, map[string]string{"wed": "9-18", "mon": ""}},     // a bad time stays on its day, as typed
		{[]string{"xyz 9-18"}, map[string]string{"mon": "xyz 9-18", "wed": ""}}, // bad days: kept whole on Monday
	} {
		got := dayPeriods(tc.hours)
		for day, want := range tc.want {
			if g := strings.Join(got[day], ", "); g != want {
				t.Errorf("%v: %s = %q, want %q", tc.hours, day, g, want)
			}
		}
	}
	if got := hoursOf(map[string][]string{"mon": {"09:00-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"}, "fri": {"09:00-13:00", "14:00-16:00"}}); !slices.Equal(got,
		[]string{"mon-wed 09:00-18:00", "fri 09:00-13:00", "fri 14:00-16:00"}) {
		t.Errorf("hoursOf: %q", got)
	}
}

// FuzzScheduleRows: any week of valid periods survives hoursOf then
// dayPeriods unchanged.
func FuzzScheduleRows(f *testing.F) {
	f.Add([]byte{1, 1, 1, 1, 1, 0, 0})
	f.Add([]byte{3, 0, 3, 2, 2, 1, 1})
	spans := [][]string{nil, {"09:00-18:00"}, {"09:00-13:00", "14:00-18:00"}, {"00:00-24:00"}}
	f.Fuzz(func(t *testing.T, week []byte) {
		rows := map[string][]string{}
		for i, w := range weekdays {
			if i < len(week) {
				if s := spans[int(week[i])%len(spans)]; s != nil {
					rows[w.key] = s
				}
			}
		}
		got := dayPeriods(hoursOf(rows))
		for _, w := range weekdays {
			if !slices.Equal(got[w.key], rows[w.key]) {
				t.Fatalf("%v: %s came back as %v (hours %q)", rows, w.key, got[w.key], hoursOf(rows))
			}
		}
	})
}
