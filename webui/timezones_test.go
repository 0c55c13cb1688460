package webui

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTimeZoneList: every zone offered is one the firmware loads (it
// embeds Go's tz database); the settings offer them as a list with the
// box's own chosen, and a zone not in the list is refused by the store
// beside the field.
func TestTimeZoneList(t *testing.T) {
	if len(timeZoneNames) < 300 || timeZoneNames[0] != "UTC" {
		t.Fatalf("%d zones, first %q", len(timeZoneNames), timeZoneNames[0])
	}
	for _, n := range timeZoneNames {
		if _, err := time.LoadLocation(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	for _, want := range []string{"Europe/Moscow", "Asia/Yerevan", "Asia/Bishkek", "Asia/Almaty", "Europe/Rome", "America/New_York"} {
		if !strings.Contains(strings.Join(timeZoneNames, " "), want) {
			t.Errorf("%s is not offered", want)
		}
	}
	f, _, pw := newStoreFixture(t)
	c := f.client()
	c.login(pw)
	c.get("/password")
	c.post("/password", url.Values{"new_password": {"installer password"}, "confirm_password": {"installer password"}})
	page := c.get("/settings").Body.String()
	if !strings.Contains(page, `<select id="time_zone" name="time_zone"`) || !strings.Contains(page, `<option selected>UTC</option>`) ||
		!strings.Contains(page, `<option>Europe/Moscow</option>`) {
		t.Errorf("the settings do not offer a list of zones")
	}
	if len(page) > 32<<10 {
		t.Errorf("the settings page is %d bytes", len(page))
	}
}
