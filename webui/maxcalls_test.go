package webui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSettingsMaxCalls: the settings page offers the limit of calls,
// showing the board's own figure for an empty field; saving a number sets
// it, saving it empty goes back to the board's figure; an API update that
// leaves max_calls out keeps it.
func TestSettingsMaxCalls(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.DefaultMaxCalls = 137 })
	c := f.client()
	c.ready()
	body := c.get("/settings").Body.String()
	if !strings.Contains(body, `name="max_calls"`) || !strings.Contains(body, `placeholder="137"`) || !strings.Contains(body, "137 calls") {
		t.Fatal("the settings page does not offer max_calls with the board's figure")
	}
	form := url.Values{"name": {"office"}, "tone_zone": {"us"}, "time_zone": {"UTC"}, "extension_length": {"3"},
		"outside_prefix": {"9"}, "inter_digit_timeout_ms": {"3000"}, "no_answer_timeout_s": {"25"}, "call_record_retention": {"5000"}}
	for _, c2 := range []struct {
		value string
		code  int
		want  int
	}{
		{"40", http.StatusSeeOther, 40},
		{"forty", http.StatusUnprocessableEntity, 40},
		{"", http.StatusSeeOther, 0},
		{"25", http.StatusSeeOther, 25},
	} {
		form.Set("max_calls", c2.value)
		if w := c.post("/settings", form); w.Code != c2.code {
			t.Fatalf("max_calls %q: %d, want %d", c2.value, w.Code, c2.code)
		}
		if f.svc.sys.MaxCalls != c2.want {
			t.Fatalf("max_calls %q: stored %d, want %d", c2.value, f.svc.sys.MaxCalls, c2.want)
		}
	}
	f.readyAPI()
	if w := f.api("PUT", "/api/v1/settings", `{"name":"x","tone_zone":"us","time_zone":"UTC","extension_length":3,"outside_prefix":"9","inter_digit_timeout_ms":3000,"no_answer_timeout_s":20,"call_record_retention":100}`); w.Code != 200 {
		t.Fatalf("API update: %d %s", w.Code, w.Body)
	}
	if f.svc.sys.MaxCalls != 25 {
		t.Fatalf("an API update without max_calls changed it to %d", f.svc.sys.MaxCalls)
	}
	if w := f.api("PUT", "/api/v1/settings", `{"name":"x","tone_zone":"us","time_zone":"UTC","extension_length":3,"outside_prefix":"9","inter_digit_timeout_ms":3000,"no_answer_timeout_s":20,"call_record_retention":100,"max_calls":60}`); w.Code != 200 || f.svc.sys.MaxCalls != 60 {
		t.Fatalf("API update with max_calls 60: %d, stored %d", w.Code, f.svc.sys.MaxCalls)
	}
}
