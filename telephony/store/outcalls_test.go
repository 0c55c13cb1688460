package store

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckAccessPIN(t *testing.T) {
	for _, tc := range []struct {
		pin string
		ok  bool
	}{
		{"480715", true}, {"9071530042", true}, {"4807", false}, {"12345678901234567", false},
		{"48071a", false}, {"111111", false}, {"123456", false}, {"654321", false}, {"890123", false},
		{"", false}, {"48 0715", false},
	} {
		if msg := CheckAccessPIN(tc.pin); (msg == "") != tc.ok {
			t.Errorf("CheckAccessPIN(%q) = %q, want ok=%v", tc.pin, msg, tc.ok)
		}
	}
}

func TestOutcallsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(c *Config)
		fields []string
		msg    string
	}{
		{"valid", func(c *Config) {}, nil, ""},
		{"open DISA", func(c *Config) { c.DISA[0].Numbers, c.DISA[0].PIN, c.DISA[0].ListAndPIN = nil, "", false },
			[]string{"disa[0].numbers"}, "nobody may get in unchecked"},
		{"both without a PIN", func(c *Config) { c.DISA[0].PIN = "" }, []string{"disa[0].list_and_pin"}, "both"},
		{"weak PIN", func(c *Config) { c.DISA[0].PIN = "123456"; c.Callbacks[0].PIN = "4807" },
			[]string{"disa[0].pin", "callbacks[0].pin"}, "run of digits"},
		{"internal class", func(c *Config) { c.DISA[0].Class = "internal"; c.Callbacks[0].Class = "" },
			[]string{"disa[0].class", "callbacks[0].class"}, "local, national or international"},
		{"bad numbers", func(c *Config) { c.DISA[0].Numbers = []string{"8916[a]"} }, []string{"disa[0].numbers[0]"}, ""},
		{"caller id", func(c *Config) { c.DISA[0].CallerID = "495-111"; c.Callbacks[0].CallerName = "a\x07" },
			[]string{"disa[0].caller_id", "callbacks[0].caller_name"}, "digits"},
		{"max calls", func(c *Config) { c.DISA[0].MaxCalls = 101 }, []string{"disa[0].max_calls"}, "0 (no limit) to 100"},
		{"callback to nowhere", func(c *Config) { c.Callbacks[0].Destination = "" }, []string{"callbacks[0].destination"}, "required"},
		{"callback to a callback", func(c *Config) { c.Callbacks[0].Destination = "callback:boss" }, []string{"callbacks[0].destination"}, "somewhere the caller can talk"},
		{"callback to an unknown DISA", func(c *Config) { c.Callbacks[0].Destination = "disa:night" }, []string{"callbacks[0].destination"}, `DISA "night" does not exist`},
		{"callback times", func(c *Config) {
			c.Callbacks[0].DelayS, c.Callbacks[0].Attempts, c.Callbacks[0].RetryS, c.Callbacks[0].RingS = 1, 11, 5, 700
		}, []string{"callbacks[0].delay_s", "callbacks[0].attempts", "callbacks[0].retry_s", "callbacks[0].ring_s"}, "seconds"},
		{"route to an unknown callback", func(c *Config) { c.Trunks[0].DIDs[1].Destination = "callback:night" },
			[]string{"trunks[0].dids[1].destination"}, `callback "night" does not exist`},
		{"same name twice", func(c *Config) { c.DISA = append(c.DISA, c.DISA[0]) }, []string{"disa[1].name"}, "used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cloneConfig(dialPlanExample(t))
			tc.edit(&c)
			db, _ := openTemp(t)
			err := db.ValidateConfig(c)
			got := fieldsOf(t, err)
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tc.fields, err)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

// FuzzCheckAccessPIN: whatever is typed, the check neither panics nor
// accepts anything but 6-16 digits that are no repeated digit or run.
func FuzzCheckAccessPIN(f *testing.F) {
	for _, s := range []string{"480715", "111111", "123456", "", "12345a", "9876543210"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pin string) {
		if CheckAccessPIN(pin) != "" {
			return
		}
		if len(pin) < MinAccessPINLen || len(pin) > MaxAccessPINLen || !isDigits(pin) || weakPIN(pin) != "" {
			t.Fatalf("%q accepted", pin)
		}
	})
}
