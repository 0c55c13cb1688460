package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"minipbx/telephony/cdrcsv"
	"minipbx/telephony/store"
)

// pathCallsCSV is the API's export of the call records.
const pathCallsCSV = "/api/v1/calls.csv"

const callsUsage = `Usage:
  pbxctl [connection] calls export [-o FILE] [search flags]

export writes the call records as CSV, in the column order the README
documents (id, start, answer, end, caller, caller_name, callee, direction,
result, disposition, source, destination, talk_s, ring_s, route, cost,
currency, queue, queue_wait_s, voicemail, parties, path), newest first
(-order asc: oldest first), to FILE or standard output. Times are in the
box's time zone. Any range is streamed: nothing is held in memory.

Search flags (each optional, as the call history page's search):
  -from DAY|TIME -to DAY|TIME   2026-11-20 (to: the whole day) or 2026-11-20T09:30
  -number PART -caller PART -callee PART
  -extension EXT -line fxo:N|trunk:NAME -queue NAME
  -direction in|out|internal -result answered,missed,busy,abandoned,failed
  -origin api|callback|disa
  -min-duration S -max-duration S -order desc|asc

A bad value is refused with the flag named (exit status 1).
Connection: -data DIR (pbxd stopped) or -url https://HOST:PORT (running).
`

func runCalls(e *env, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return usagef(callsUsage, "calls: say export")
	}
	fs := e.flags("calls export")
	out := fs.String("o", "-", "the CSV file (- for standard output)")
	params := map[string]*string{}
	for _, p := range []struct{ flag, param string }{
		{"from", "from"}, {"to", "to"}, {"number", "number"}, {"caller", "caller"}, {"callee", "callee"},
		{"extension", "extension"}, {"line", "line"}, {"queue", "queue"}, {"direction", "direction"}, {"result", "result"},
		{"origin", "origin"}, {"min-duration", "min_duration"}, {"max-duration", "max_duration"}, {"order", "order"},
	} {
		params[p.param] = fs.String(p.flag, "", "search: "+p.param)
	}
	pos, err := parse(fs, callsUsage, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef(callsUsage, "calls export: unexpected %q", pos[0])
	}
	v := url.Values{}
	for k, p := range params {
		if *p != "" {
			v.Set(k, *p)
		}
	}
	b, err := e.open(callsUsage, true)
	if err != nil {
		return err
	}
	defer b.Close()
	var write func(w io.Writer) error
	switch c := b.(type) {
	case *offline:
		cfg, err := c.db.Config()
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(cfg.System.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		q, err := store.ParseCallQuery(v, loc)
		if err != nil {
			return flagNames(err)
		}
		write = func(w io.Writer) error {
			cw := cdrcsv.NewWriter(w, loc, cfg.Billing.Currency)
			if err := c.db.EachCallRecord(q, cw.Write); err != nil {
				return err
			}
			if err := cw.WriteHeader(); err != nil {
				return err
			}
			return cw.Flush()
		}
	case *apiClient:
		resp, err := c.stream(e.ctx, http.MethodGet, pathCallsCSV, v, nil, 0, "")
		if err != nil {
			return flagNames(err)
		}
		defer resp.Body.Close()
		write = func(w io.Writer) error {
			_, err := io.Copy(w, resp.Body)
			return err
		}
	default:
		return fmt.Errorf("calls: unknown connection")
	}
	return writeOut(e, *out, "calls", write)
}

// flagNames turns the search's parameter names into pbxctl's flags
// (min_duration → -min-duration).
func flagNames(err error) error {
	fix := func(fs []store.FieldError) {
		for i := range fs {
			fs[i].Field = "-" + strings.ReplaceAll(fs[i].Field, "_", "-")
		}
	}
	if v, ok := store.AsValidationError(err); ok {
		fix(v.Fields)
	}
	if ae, ok := err.(*apiError); ok {
		fix(ae.Fields)
	}
	return err
}
