package dialplan

import (
	"strings"
	"testing"
)

func TestParseDestination(t *testing.T) {
	for _, tc := range []struct {
		in  string
		err string
	}{
		{"ext:101", ""}, {"fxs:2", ""}, {"group:sales", ""}, {"number:89161234567", ""}, {"hangup", ""},
		{"queue:support", ""}, {"menu:main", ""}, {"voicemail:101", ""}, {"announce:closed", ""}, {"announce:Closed", "lower-case"},
		{"time:office", ""}, {"cond:boss-mobile", ""}, {"disa:road", ""}, {"callback:boss", ""}, {"disa:", "empty"}, {"callback:Boss", "lower-case"}, {"time:", "empty"}, {"cond:Boss", "lower-case"},
		{"101", "want kind:value"}, {"ext:", "not a number"}, {"ext:10a", "not a number"},
		{"fxs:0", "not a port"}, {"fxs:01", "not a port"}, {"fxs:x", "not a port"},
		{"group:Sales", "lower-case"}, {"group:", "empty"}, {"group:-a", "lower-case"},
		{"group:" + strings.Repeat("a", 33), "longer than"}, {"pager:1", "unknown kind"}, {"hangup:1", "unknown kind"},
	} {
		d, err := ParseDestination(tc.in)
		if tc.err == "" {
			if err != nil || d.String() != tc.in {
				t.Errorf("ParseDestination(%q) = %v, %v", tc.in, d, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseDestination(%q) err = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{"ext:101", "fxs:2", "group:sales", "number:8916", "announce:closed", "time:office", "cond:boss", "disa:road", "callback:boss", "hangup", "x:y:z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDestination(s)
		if err != nil {
			return
		}
		back, err := ParseDestination(d.String())
		if err != nil || back != d || d.String() != s {
			t.Fatalf("%q round-trips to %q (%v)", s, d.String(), err)
		}
	})
}
