package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dialPlanExample is the second JSON example of config.md: an office dial
// plan using every section.
func dialPlanExample(t *testing.T) Config {
	t.Helper()
	md, err := os.ReadFile("config.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(md, -1)
	if len(m) < 2 {
		t.Fatal("no dial-plan example in config.md")
	}
	c, err := DecodeConfig(bytes.NewReader(m[1][1]))
	if err != nil {
		t.Fatalf("the dial-plan example does not decode: %v", err)
	}
	return c
}

func TestDialPlanDocExampleRoundTrips(t *testing.T) {
	c := dialPlanExample(t)
	db, path := openTemp(t)
	if err := db.ImportConfig(c); err != nil {
		t.Fatalf("the dial-plan example is invalid: %v", err)
	}
	got, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("export differs from import:\n got %+v\nwant %+v", got, c)
	}
	// Through the JSON document and back.
	var buf bytes.Buffer
	if err := EncodeConfig(&buf, got); err != nil {
		t.Fatal(err)
	}
	again, err := DecodeConfig(&buf)
	if err != nil || !reflect.DeepEqual(again, c) {
		t.Errorf("document round trip: %v\n got %+v", err, again)
	}
	// And after reopening the file.
	db.Close()
	db2, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if re, err := db2.ExportConfig(); err != nil || !reflect.DeepEqual(re, c) {
		t.Errorf("after reopening: %v", err)
	}
	// Clearing the dial plan empties the bucket's values and reads back as none.
	plain := c
	plain.Numbering, plain.LineGroups, plain.OutboundRoutes, plain.CallerIDRules = Numbering{}, nil, nil, nil
	plain.Menus, plain.Queues, plain.Announcements = nil, nil, nil
	plain.TimeConditions, plain.Conditions = nil, nil
	plain.InboundRoutes, plain.RingGroups, plain.Schedules, plain.Classifiers, plain.ExtensionRules, plain.CallLimits = nil, nil, nil, nil, nil, CallLimits{}
	plain.Trunks = nil
	if err := db2.ImportConfig(plain); err != nil {
		t.Fatal(err)
	}
	if re, _ := db2.ExportConfig(); !reflect.DeepEqual(re, plain) {
		t.Errorf("cleared dial plan reads back as %+v", re)
	}
	var out bytes.Buffer
	_ = EncodeConfig(&out, plain)
	for _, k := range []string{"line_groups", "numbering", "limits", "ring_groups", "trunks"} {
		if strings.Contains(out.String(), `"`+k+`"`) {
			t.Errorf("an empty %s section is exported", k)
		}
	}
}

func TestDialPlanFieldsDocumented(t *testing.T) {
	md, err := os.ReadFile("config.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []any{Numbering{}, ShortNumber{}, LineGroup{}, OutboundRoute{}, CallerIDRule{}, InboundRoute{},
		RingGroup{}, GroupMember{}, Menu{}, Prompt{}, Queue{}, Announcement{}, TimeCondition{}, Condition{}, Schedule{}, Classifier{}, ExtensionRule{}, CallLimits{}, Trunk{}, TrunkDID{},
		CallFeatures{}, PickupGroup{}, ConferenceRoom{}, PagingGroup{}, MOHClass{}, CallRecording{}, DISA{}, Callback{}, FaxReceiver{}} {
		rt := reflect.TypeOf(typ)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if !strings.Contains(string(md), "`"+name+"`") && !strings.Contains(string(md), "."+name+"`") && !strings.Contains(string(md), "`"+name+"[]") {
				t.Errorf("config.md does not document %s.%s (%q)", rt.Name(), rt.Field(i).Name, name)
			}
		}
	}
}

func TestDialPlanValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(c *Config)
		fields []string
		msg    string
	}{
		{"valid", func(c *Config) {}, nil, ""},
		{"menu key", func(c *Config) { c.Menus[0].Keys["x"] = "ext:201" }, []string{"ivr_menus[0].keys.x"}, "keys are 0-9"},
		{"menu key destination", func(c *Config) { c.Menus[0].Keys["5"] = "ext:299" }, []string{"ivr_menus[0].keys.5"}, "extension 299 does not exist"},
		{"unknown menu", func(c *Config) { c.InboundRoutes[0].Destination = "menu:night" }, []string{"inbound_routes[0].destination"}, `voice menu "night" does not exist`},
		{"prompt path", func(c *Config) { c.Menus[0].Prompts[0].File = "../pbx.db.wav" }, []string{"ivr_menus[0].prompts[0].file"}, "lower-case letters"},
		{"prompt tone", func(c *Config) { c.Menus[0].Prompts[1].Tone = "loud" }, []string{"ivr_menus[0].prompts[1].tone"}, ""},
		{"prompt length", func(c *Config) { c.Menus[0].Prompts[1].MS = 0 }, []string{"ivr_menus[0].prompts[1].ms"}, "100 to 60000"},
		{"menu retries", func(c *Config) { c.Menus[0].Retries = 9 }, []string{"ivr_menus[0].retries"}, "0 to 5"},
		{"menu number clash", func(c *Config) { c.Menus[0].Number = "300" }, []string{"ivr_menus[0].number"}, "both match 300"},
		{"unknown line group", func(c *Config) { c.OutboundRoutes[0].Via = []string{"nope"} }, []string{"outbound_routes[0].via[0]"}, `no line group or trunk is named "nope"`},
		{"trunk fields", func(c *Config) {
			c.Trunks[0].Mode = "friend"
			c.Trunks[0].Host = "sip.example.net:0"
			c.Trunks[0].Transport = "sctp"
			c.Trunks[0].ExpiresS = 10
			c.Trunks[0].CallerID = "74-95"
			c.Trunks[0].DIDs[0].Destination = "ext:299"
		}, []string{"trunks[0].mode", "trunks[0].host", "trunks[0].transport", "trunks[0].expires_s", "trunks[0].caller_id", "trunks[0].dids[0].destination"}, "must be register or peer"},
		{"register trunk needs credentials", func(c *Config) { c.Trunks[0].Username = ""; c.Trunks[0].Password = ""; c.Trunks[0].CallerID = "" },
			[]string{"trunks[0].username", "trunks[0].password"}, "required for a register trunk"},
		{"peer trunk by name needs addresses", func(c *Config) { c.Trunks[0].Mode = "peer" },
			[]string{"trunks[0].allowed_ips"}, "needs the provider's IP addresses"},
		{"peer trunk bad address", func(c *Config) { c.Trunks[0].Mode = "peer"; c.Trunks[0].AllowedIPs = []string{"10.0.0.300"} },
			[]string{"trunks[0].allowed_ips[0]", "trunks[0].allowed_ips"}, "must be an IP address"},
		{"trunk named like a line group", func(c *Config) { c.Trunks[0].Name = "city" },
			[]string{"trunks[0].name", "outbound_routes[1].via[0]", "inbound_routes[1].trunks[0]"}, "also a line group's name"},
		{"inbound route for lines and trunks", func(c *Config) { c.InboundRoutes[1].Lines = []int{1}; c.InboundRoutes[1].DIDs = []string{"x1"} },
			[]string{"inbound_routes[1].lines", "inbound_routes[1].dids[0]"}, "FXO lines or trunks, not both"},
		{"trunk did twice", func(c *Config) { c.Trunks[0].DIDs = append(c.Trunks[0].DIDs, c.Trunks[0].DIDs[0]) },
			[]string{"trunks[0].dids[2].number"}, "listed twice"},
		{"bad pattern", func(c *Config) { c.OutboundRoutes[1].Pattern = "8X.X" }, []string{"outbound_routes[1].pattern"}, "may only end a pattern"},
		{"strip too long", func(c *Config) { c.OutboundRoutes[2].Strip = 8 }, []string{"outbound_routes[2].strip"}, "must be 0 to 7"},
		{"internal route", func(c *Config) { c.OutboundRoutes[2].Class = "internal" }, []string{"outbound_routes[2].class"}, "needs local"},
		{"unknown class", func(c *Config) { c.OutboundRoutes[2].Class = "galactic" }, []string{"outbound_routes[2].class"}, "unknown permission class"},
		{"duplicate name", func(c *Config) { c.LineGroups[1].Name = "city" }, []string{"line_groups[1].name", "outbound_routes[1].via[2]"}, "used twice"},
		{"bad name", func(c *Config) { c.Schedules[0].Name = "Office Hours" }, []string{"schedules[0].name", "inbound_routes[0].schedule", "time_conditions[0].schedule", "extension_rules[1].follow_me_schedule"}, "lower-case"},
		{"line not on the box", func(c *Config) { c.LineGroups[0].Lines = []int{1, 3, 1} }, []string{"line_groups[0].lines[1]", "line_groups[0].lines[2]"}, "no FXO port 3"},
		{"empty line group", func(c *Config) { c.LineGroups[0].Lines = nil; c.LineGroups[0].Hunt = "random" }, []string{"line_groups[0].lines", "line_groups[0].hunt"}, "at least one FXO line"},
		{"extension inside a route", func(c *Config) { c.OutboundRoutes[2].Pattern = "NXXXXXX"; c.OutboundRoutes[2].Strip = 0 },
			[]string{"outbound_routes[2].pattern"}, "extension 201 (201) is the beginning of outbound route local (2010000): dialling would stop at 201 (and 3 more such conflicts)"},
		{"short number clashes", func(c *Config) { c.Numbering.ShortNumbers[0].Number = "202" }, []string{"numbering.short_numbers[0].number"}, "extension 202 and short number 202 both match 202"},
		{"emergency prefix of extension", func(c *Config) { c.Numbering.EmergencyNumbers = append(c.Numbering.EmergencyNumbers, "20") },
			[]string{"numbering.emergency_numbers[4]"}, "emergency number 20 (20) is the beginning of extension 201 (201): dialling would stop at 20 (and 2 more"},
		{"emergency twice", func(c *Config) { c.Numbering.EmergencyNumbers[1] = "112" }, []string{"numbering.emergency_numbers[1]"}, "listed twice"},
		{"fax receiver", func(c *Config) {
			c.FaxReceivers = []FaxReceiver{{Name: "office", Number: "50", Email: "fax@example.com", StationID: "+1 555 0100"}}
			c.InboundRoutes[0].Destination = "fax:office"
			c.InboundRoutes[1].FaxDetect = "fax:office"
		}, nil, ""},
		{"unknown fax receiver", func(c *Config) { c.InboundRoutes[0].Destination = "fax:nope" }, []string{"inbound_routes[0].destination"}, `fax receiver "nope" does not exist`},
		{"fax receiver fields", func(c *Config) {
			c.FaxReceivers = []FaxReceiver{{Name: "office", Number: "201", Email: "not an address", StationID: "Office fax"}, {Name: "office"}}
		}, []string{"fax_receivers[1].name", "fax_receivers[0].email", "fax_receivers[0].station_id", "fax_receivers[0].number"}, "used twice"},
		{"fax detect names a fax receiver", func(c *Config) { c.InboundRoutes[0].FaxDetect = "ext:201" }, []string{"inbound_routes[0].fax_detect"}, "must be one of: fax"},
		{"unknown queue", func(c *Config) { c.InboundRoutes[0].Destination = "queue:nope" }, []string{"inbound_routes[0].destination"}, `queue "nope" does not exist`},
		{"queue fields", func(c *Config) {
			c.Queues[0].Strategy = "x"
			c.Queues[0].WrapUpS = -1
			c.Queues[0].MaxCallers = 1000
			c.Queues[0].AnnounceEveryS = 5
			c.Queues[0].MusicOnHold[0].MS = 10
		}, []string{"queues[0].strategy", "queues[0].wrap_up_s", "queues[0].max_callers", "queues[0].music_on_hold[0].ms", "queues[0].announce_every_s"}, "a file plays whole"},
		{"voicemail without a box", func(c *Config) { c.ExtensionRules[0].ForwardNoAnswer = "voicemail:202" }, []string{"extension_rules[0].forward_no_answer"}, "extension 202 has no mailbox"},
		{"mailbox of no extension", func(c *Config) { c.Voicemail.Boxes = []Mailbox{{Extension: "299", PIN: "4821"}} }, []string{"voicemail.boxes[0].extension"}, "extension \"299\" does not exist"},
		{"two mailboxes", func(c *Config) {
			c.Voicemail.Boxes = []Mailbox{{Extension: "202", PIN: "4821"}, {Extension: "202", PIN: "5930"}}
		}, []string{"voicemail.boxes[1].extension"}, "two mailboxes"},
		{"weak pin", func(c *Config) { c.Voicemail.Boxes = []Mailbox{{Extension: "202", PIN: "1234"}} }, []string{"voicemail.boxes[0].pin"}, "run of digits"},
		{"languages", func(c *Config) {
			c.Voicemail.Boxes = []Mailbox{{Extension: "202", PIN: "4821", Language: "ru"}, {Extension: "203", PIN: "4821", Language: "de"}}
			c.Queues[0].Language = "Russian"
			c.Menus[0].Language = "hyw"
		}, []string{"queues[0].language", "ivr_menus[0].language", "voicemail.boxes[1].language"}, `unknown language "de"; the box speaks en (English), ru (Русский)`},
		{"languages the box speaks", func(c *Config) {
			c.Voicemail.Boxes = []Mailbox{{Extension: "202", PIN: "4821", Language: "ru"}, {Extension: "203", PIN: "4821", Language: ""}}
			c.Queues[0].Language = "ky"
			c.Menus[0].Language = "en"
		}, nil, ""},
		{"message length", func(c *Config) {
			c.Voicemail = Voicemail{MaxMessageS: 5, Boxes: []Mailbox{{Extension: "202", PIN: "4821"}}}
		}, []string{"voicemail.max_message_s"}, "10 to 600"},
		{"missing extension", func(c *Config) { c.RingGroups[0].Members[1].Destination = "ext:299" }, []string{"ring_groups[0].members[1].destination"}, "extension 299 does not exist"},
		{"group member kind", func(c *Config) { c.RingGroups[0].Members[1].Destination = "group:sales" }, []string{"ring_groups[0].members[1].destination"}, "must be one of: ext:, fxs:, number:"},
		{"fxs port", func(c *Config) { c.RingGroups[0].Members[1].Destination = "fxs:3" }, []string{"ring_groups[0].members[1].destination"}, "no FXS port 3"},
		{"strategy", func(c *Config) { c.RingGroups[0].Strategy = "roundrobin" }, []string{"ring_groups[0].strategy"}, "unknown ring strategy"},
		{"ring time", func(c *Config) { c.RingGroups[0].Members[0].RingS = 2 }, []string{"ring_groups[0].members[0].ring_s"}, "5 to 600"},
		{"unknown group", func(c *Config) { c.Numbering.ShortNumbers[0].Destination = "group:support" }, []string{"numbering.short_numbers[0].destination"}, `ring group "support" does not exist`},
		{"hours", func(c *Config) { c.Schedules[0].Hours = []string{"mon-fri 18:00-09:00"} }, []string{"schedules[0].hours[0]"}, "end must be after the start"},
		{"holiday", func(c *Config) { c.Schedules[0].Holidays = []string{"2026-02-30"} }, []string{"schedules[0].holidays[0]"}, "no such date"},
		{"closed destination needs schedule", func(c *Config) { c.InboundRoutes[0].Schedule = "" }, []string{"inbound_routes[0].closed_destination"}, "needs a schedule"},
		{"classifier", func(c *Config) { c.Classifiers[0].Action = "route"; c.Classifiers[0].Numbers = []string{"8["} },
			[]string{"classifiers[0].destination", "classifiers[0].numbers[0]"}, "required for a route list"},
		{"first list with destination", func(c *Config) { c.Classifiers[0].Action = "first"; c.Classifiers[0].Destination = "ext:201" },
			[]string{"classifiers[0].destination"}, "must be empty for a first list"},
		{"classifier action", func(c *Config) { c.Classifiers[0].Action = "drop" }, []string{"classifiers[0].action"}, "reject, route or first"},
		{"classifier reject with destination", func(c *Config) { c.Classifiers[0].Destination = "ext:201" }, []string{"classifiers[0].destination"}, "must be empty"},
		{"route names an unknown list", func(c *Config) { c.InboundRoutes[1].Classifiers = []string{"key-clients", "vips"} },
			[]string{"inbound_routes[1].classifiers[1]"}, `caller list "vips" does not exist`},
		{"route names a list twice", func(c *Config) { c.InboundRoutes[0].Classifiers = []string{"blacklist", "blacklist"} },
			[]string{"inbound_routes[0].classifiers[1]"}, "listed twice"},
		{"unknown announcement", func(c *Config) { c.Menus[0].Keys["9"] = "announce:night" }, []string{"ivr_menus[0].keys.9"}, `announcement "night" does not exist`},
		{"announcement without prompts", func(c *Config) { c.Announcements[0].Prompts = nil }, []string{"announcements[0].prompts"}, "at least one prompt"},
		{"announcement prompt and next", func(c *Config) { c.Announcements[0].Prompts[1].MS = 10; c.Announcements[0].Then = "ext:299" },
			[]string{"announcements[0].prompts[1].ms", "announcements[0].then"}, "extension 299 does not exist"},
		{"announcements in a loop", func(c *Config) {
			c.Announcements[0].Then = "announce:b"
			c.Announcements = append(c.Announcements, Announcement{Name: "b", Prompts: []Prompt{{MS: 500}}, Then: "announce:closed"})
		}, []string{"announcements[0].then", "announcements[1].then"}, "loop (closed → b → closed)"},
		{"too many announcements in a row", func(c *Config) {
			c.Announcements[0].Then = "announce:a1"
			for i := 1; i <= MaxAnnouncementChain; i++ {
				next := fmt.Sprintf("announce:a%d", i+1)
				if i == MaxAnnouncementChain {
					next = "ext:201"
				}
				c.Announcements = append(c.Announcements, Announcement{Name: fmt.Sprintf("a%d", i), Prompts: []Prompt{{MS: 500}}, Then: next})
			}
		}, []string{"announcements[0].then"}, "more than 4 announcements in a row"},
		{"unknown time condition", func(c *Config) { c.Menus[0].Keys["9"] = "time:night" }, []string{"ivr_menus[0].keys.9"}, `time condition "night" does not exist`},
		{"unknown condition", func(c *Config) { c.Numbering.ShortNumbers[0].Destination = "cond:boss" }, []string{"numbering.short_numbers[0].destination"}, `condition "boss" does not exist`},
		{"time condition unknown schedule", func(c *Config) { c.TimeConditions[0].Schedule = "weekend" },
			[]string{"time_conditions[0].schedule"}, `schedule "weekend" does not exist`},
		{"time condition fields", func(c *Config) {
			c.TimeConditions[0].Schedule, c.TimeConditions[0].Open, c.TimeConditions[0].Closed = "", "", "ext:299"
		}, []string{"time_conditions[0].schedule", "time_conditions[0].open", "time_conditions[0].closed"}, "extension 299 does not exist"},
		{"condition fields", func(c *Config) {
			c.Conditions[0].Destination = "menu:main"
			c.Conditions[0].NoAnswerS = 3
			c.Conditions[0].NoAnswer = "group:nope"
			c.Conditions[0].Busy = "ext:299"
			c.Conditions[0].NoRoute = "fxs:9"
		}, []string{"conditions[0].destination", "conditions[0].no_answer_s", "conditions[0].no_answer", "conditions[0].busy", "conditions[0].no_route"},
			"must be one of: ext:, fxs:, group:, number:, queue:"},
		{"condition without destination", func(c *Config) { c.Conditions[0].Destination = "" }, []string{"conditions[0].destination"}, "required"},
		{"condition ring time on a queue", func(c *Config) { c.Conditions[0].Destination = "queue:support" },
			[]string{"conditions[0].no_answer_s"}, "a queue answers its callers"},
		{"condition named twice", func(c *Config) { c.Conditions = append(c.Conditions, c.Conditions[0]) }, []string{"conditions[1].name"}, "used twice"},
		{"time and condition in a loop", func(c *Config) {
			c.TimeConditions[0].Closed = "cond:boss-mobile"
			c.Conditions[0].Busy = "time:office-hours"
		}, []string{"time_conditions[0].closed", "conditions[0].busy"}, "loop (time:office-hours → cond:boss-mobile → time:office-hours)"},
		{"condition back to itself", func(c *Config) { c.Conditions[0].NoRoute = "cond:boss-mobile" },
			[]string{"conditions[0].no_route"}, "goes back to itself"},
		{"loop through an announcement", func(c *Config) {
			c.TimeConditions[0].Closed = "announce:closed"
			c.Announcements[0].Then = "time:office-hours"
		}, []string{"time_conditions[0].closed"}, "time:office-hours → announce:closed → time:office-hours"},
		{"conditions too long a chain", func(c *Config) {
			c.Conditions[0].NoAnswer = "cond:c1"
			for i := 1; i <= MaxConditionChain; i++ {
				c.Conditions = append(c.Conditions, Condition{Name: fmt.Sprintf("c%d", i), Destination: "ext:202", Busy: fmt.Sprintf("cond:c%d", i+1)})
			}
			c.Conditions[len(c.Conditions)-1].Busy = ""
		}, []string{"conditions[0].no_answer"}, "more than 6 time conditions, conditions and announcements in a row (cond:boss-mobile → cond:c1 → cond:c2 → cond:c3 → cond:c4 → cond:c5 → cond:c6…)"},
		{"rule for a missing extension", func(c *Config) { c.ExtensionRules[0].Extension = "299" }, []string{"extension_rules[0].extension"}, "does not exist"},
		{"rule twice", func(c *Config) { c.ExtensionRules[1].Extension = "202" }, []string{"extension_rules[1].extension"}, "two rules"},
		{"forward to itself", func(c *Config) { c.ExtensionRules[0].ForwardAlways = "ext:202" }, []string{"extension_rules[0].forward_always"}, "to itself"},
		{"follow-me too long", func(c *Config) {
			for range 10 {
				c.ExtensionRules[1].FollowMe = append(c.ExtensionRules[1].FollowMe, GroupMember{Destination: "ext:201"})
			}
		}, []string{"extension_rules[1].follow_me"}, "at most 10"},
		{"forward caller id", func(c *Config) { c.ExtensionRules[0].ForwardCallerID = "mine" }, []string{"extension_rules[0].forward_caller_id"}, "caller or box"},
		{"duration", func(c *Config) { c.CallLimits.MaxCallDurationS = 10 }, []string{"limits.max_call_duration_s"}, "60 to 86400"},
		{"max calls", func(c *Config) { c.InboundRoutes[0].MaxCalls = -1 }, []string{"inbound_routes[0].max_calls"}, "0 (no limit) to 100"},
		{"trunk identity headers", func(c *Config) { c.Trunks[0].CallerIDHeader = "p-asserted"; c.Trunks[0].DiversionHeader = "hi" },
			[]string{"trunks[0].caller_id_header", "trunks[0].diversion_header"}, "must be from, pai, rpid or trunk"},
		{"route caller id", func(c *Config) {
			c.OutboundRoutes[0].CallerID = "+7-495"
			c.OutboundRoutes[1].OverrideCallerID = true
		}, []string{"outbound_routes[0].caller_id", "outbound_routes[1].override_caller_id"}, "digits"},
		{"withhold prefix", func(c *Config) { c.LineGroups[0].WithholdPrefix = "67a" }, []string{"line_groups[0].withhold_prefix"}, "telco's code"},
		{"extension outbound caller id", func(c *Config) { c.Extensions[0].OutboundCallerID = "495 111" },
			[]string{"extensions[0].outbound_caller_id"}, "digits"},
		{"caller id rule", func(c *Config) { c.CallerIDRules[0].Prefix = "8a"; c.CallerIDRules[0].Number = "+7-495" },
			[]string{"caller_id_rules[0].prefix", "caller_id_rules[0].number"}, "digits"},
		{"outside prefix vs short number", func(c *Config) { c.System.OutsidePrefix = "3" },
			[]string{"numbering.short_numbers[0].number"}, "short number 300 and outside prefix 3 both match 300"},
		{"ring group number", func(c *Config) { c.RingGroups[0].Number = "300" }, []string{"ring_groups[0].number"}, "both match 300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialPlanExample(t)
			c = cloneConfig(c)
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

func TestDialPlanDecodePaths(t *testing.T) {
	for _, tc := range []struct{ doc, field string }{
		{`"ring_groups": [{"name": "a", "strategy": 5}]`, "ring_groups[0].strategy"},
		{`"line_groups": [{"name": "a", "lines": [1], "hunt": "ascending"}, {"name": "b", "linez": []}]`, "line_groups[1].linez"},
		{`"numbering": {"emergency_numbers": "112"}`, "numbering.emergency_numbers"},
		{`"limits": []`, "limits"},
		{`"dialplan": {}`, "dialplan"},
	} {
		doc := `{"version": 1, "system": {"name": "x", "tone_zone": "us", "time_zone": "UTC", "extension_length": 3, "outside_prefix": "9",
			"inter_digit_timeout_ms": 4000, "no_answer_timeout_s": 30, "call_record_retention": 10}, ` + tc.doc + `}`
		_, err := DecodeConfig(strings.NewReader(doc))
		if got := fieldsOf(t, err); len(got) != 1 || got[0] != tc.field {
			t.Errorf("%s: fields %v (%v), want %s", tc.doc, got, err, tc.field)
		}
	}
}

func TestUpdateDialPlanScoped(t *testing.T) {
	db, _ := openTemp(t)
	// Defaults: extensions 101, 102, outside prefix 9, emergency 112 and 911.
	c, err := db.UpdateDialPlan(func(c *Config) error {
		c.LineGroups = []LineGroup{{Name: "all", Lines: []int{1, 2}, Hunt: HuntRoundRobin}}
		c.OutboundRoutes = []OutboundRoute{{Name: "mobile", Pattern: "89XXXXXXXXX", Class: "national", Via: []string{"all"}}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.OutboundRoutes) != 1 || c.Numbering.EmergencyNumbers[1] != "911" {
		t.Fatalf("%+v", c)
	}
	_, err = db.UpdateDialPlan(func(c *Config) error {
		c.OutboundRoutes[0].Pattern = "10X"
		return nil
	})
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"outbound_routes[0].pattern"}) || !strings.Contains(err.Error(), "extension 101 and outbound route mobile both match 101 (and 1 more") {
		t.Errorf("fields %v (%v)", got, err)
	}
	// A line group in use cannot disappear; nothing changes.
	_, err = db.UpdateDialPlan(func(c *Config) error { c.LineGroups = nil; return nil })
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"outbound_routes[0].via[0]"}) {
		t.Errorf("fields %v (%v)", got, err)
	}
	if now, _ := db.Config(); len(now.LineGroups) != 1 || now.OutboundRoutes[0].Pattern != "89XXXXXXXXX" {
		t.Errorf("a refused change changed the store: %+v", now.OutboundRoutes)
	}
	// An extension another's rule forwards to cannot be deleted; the
	// refusal names the rule. Its own rule goes with it.
	if _, err := db.UpdateDialPlan(func(c *Config) error {
		c.ExtensionRules = []ExtensionRule{{Extension: "102", ForwardBusy: "ext:101"}, {Extension: "101", ForwardNoAnswer: "ext:102"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var inUse *InUseError
	if err := db.DeleteExtension("102"); !errors.As(err, &inUse) || len(inUse.Users) != 1 ||
		inUse.Users[0].Path != "extension_rules[1].forward_no_answer" || !strings.Contains(err.Error(), "extension rule 101 (forward no answer)") {
		t.Errorf("deleting an extension another's rule forwards to: %v", err)
	}
	if _, err := db.UpdateDialPlan(func(c *Config) error { c.ExtensionRules = c.ExtensionRules[:1]; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteExtension("102"); err != nil {
		t.Fatalf("deleting an extension with only its own rule: %v", err)
	}
	if now, _ := db.Config(); len(now.ExtensionRules) != 0 {
		t.Errorf("its rule stayed: %+v", now.ExtensionRules)
	}
}

func TestDecodeDialPlan(t *testing.T) {
	c := dialPlanExample(t)
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(c.DialPlan()); err != nil {
		t.Fatal(err)
	}
	d, err := DecodeDialPlan(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	back.SetDialPlan(d)
	if !reflect.DeepEqual(back.DialPlan(), c.DialPlan()) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back.DialPlan(), c.DialPlan())
	}
	// An empty object is an empty dial plan, with [] lists for clients.
	d, err = DecodeDialPlan(strings.NewReader(`{}`))
	if err != nil || d.LineGroups == nil || len(d.LineGroups) != 0 {
		t.Errorf("empty: %+v %v", d, err)
	}
	for _, tc := range []struct{ doc, field string }{
		{`{"ring_groups": [{"name": "a", "strategy": 1}]}`, "ring_groups[0].strategy"},
		{`{"extensions": []}`, "extensions"},
		{`{"limits": {"max_call_duration": 5}}`, "limits.max_call_duration"},
	} {
		_, err := DecodeDialPlan(strings.NewReader(tc.doc))
		if got := fieldsOf(t, err); len(got) != 1 || got[0] != tc.field {
			t.Errorf("%s: %v, want %s", tc.doc, err, tc.field)
		}
	}
	var se *SyntaxError
	if _, err := DecodeDialPlan(strings.NewReader("{\n\"line_groups\": [,]}")); !errors.As(err, &se) || se.Line != 2 {
		t.Errorf("syntax error: %v", err)
	}
	if got := DialPlanSections(); len(got) != 26 || got[0] != "numbering" || got[8] != "announcements" || got[9] != "time_conditions" || got[10] != "conditions" ||
		got[14] != "limits" || got[15] != "trunks" || got[16] != "voicemail" || got[17] != "features" || got[21] != "moh_classes" || got[22] != "fax_receivers" || got[24] != "disa" || got[25] != "callbacks" {
		t.Errorf("sections %v", got)
	}
}

// FuzzDecodeDialPlan: no panic; what decodes re-encodes and decodes the same.
func FuzzDecodeDialPlan(f *testing.F) {
	f.Add(`{"line_groups": [{"name": "a", "lines": [1], "hunt": "ascending"}], "limits": {"max_call_duration_s": 60}}`)
	f.Add(`{"ring_groups": [{"name": "s", "strategy": "linear", "members": [{"destination": "ext:101", "ring_s": 5}]}]}`)
	f.Add(`{"numbering": {"emergency_numbers": ["112"]}, "x": 1}`)
	f.Fuzz(func(t *testing.T, doc string) {
		d, err := DecodeDialPlan(strings.NewReader(doc))
		if err != nil {
			return
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := DecodeDialPlan(bytes.NewReader(b))
		if err != nil || !reflect.DeepEqual(d, d2) {
			t.Fatalf("re-decode: %v\n%+v\n%+v", err, d, d2)
		}
	})
}
