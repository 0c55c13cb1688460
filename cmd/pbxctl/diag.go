package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"minipbx/telephony/store"
)

const diagUsage = `Usage: pbxctl -url https://HOST:PORT diag run [-tests LIST] [-timeout D] [-json]

Runs the box's diagnostics now and prints every result with its measured
values; the exit status is 1 when a test failed.

  -tests LIST   comma-separated tests (default: the box's diagnostic mask):
                fxs, fxo, loopback, signals, trunks, storage, clock, resources
  -timeout D    how long to wait for the run (default 40m): a test on a port
                waits until the port's call ends, calls are never cut
  -json         print the run as JSON

Diagnostics need the running box: the line tests use its ports, audio clock
and call state, so there is no offline mode (-data is refused). The web UI's
Diagnostics page sets the schedule and shows the history and trends.
`

const pathDiagRun = "/api/v1/diagnostics/run"

func runDiag(e *env, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return &usageError{usage: diagUsage}
		}
		return usagef(diagUsage, "say what to do: diag run")
	}
	fs := e.flags("diag run")
	tests := fs.String("tests", "", "tests to run")
	timeout := fs.Duration("timeout", 40*time.Minute, "how long to wait")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, diagUsage, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(diagUsage, "unexpected %q", pos[0])
	}
	if *timeout <= 0 {
		return usagef(diagUsage, "-timeout must be positive")
	}
	if e.conn.data != "" {
		return usagef(diagUsage, "diagnostics run on the running box (its ports, audio clock and calls): use -url, not -data")
	}
	if e.conn.url == "" {
		return usagef(diagUsage, "say where the running box is: -url https://HOST:PORT")
	}
	a, err := openOnline(e.conn, e.getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	// The run can outlast the client's usual timeout: bound it by -timeout.
	long := *a
	hc := *a.http
	hc.Timeout = *timeout
	long.http = &hc
	req := struct {
		Tests []string `json:"tests,omitempty"`
		Wait  bool     `json:"wait"`
	}{Wait: true}
	for _, t := range strings.Split(*tests, ",") {
		if t = strings.TrimSpace(t); t != "" {
			req.Tests = append(req.Tests, t)
		}
	}
	body, _ := json.Marshal(req)
	data, err := long.do(e.ctx, http.MethodPost, pathDiagRun, body)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		return errors.New("a diagnostic run is already in progress on the box; try again when it is over")
	}
	if err != nil {
		return err
	}
	var run store.DiagRun
	if err := json.Unmarshal(data, &run); err != nil {
		return fmt.Errorf("the box's answer is not a diagnostic run: %w", err)
	}
	if *asJSON {
		out, _ := json.MarshalIndent(run, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", out)
	} else {
		printRun(e.stdout, run)
	}
	if run.Verdict == store.VerdictFail {
		return errors.New("diagnostics found faults (see above)")
	}
	return nil
}

// printRun writes a run for a terminal: one line per test and target,
// values indented below it.
func printRun(w io.Writer, r store.DiagRun) {
	fmt.Fprintf(w, "run %d (%s) %s, %s: %s\n", r.ID, r.Trigger, r.Started.Format(time.RFC3339),
		r.Finished.Sub(r.Started).Round(time.Second), strings.ToUpper(r.Verdict))
	for _, res := range r.Results {
		fmt.Fprintf(w, "  %-9s %-8s %-4s  %s\n", res.Test, res.Target, res.Verdict, res.Detail)
		for _, v := range res.Values {
			line := fmt.Sprintf("      %s = %g %s", v.Name, v.Value, v.Unit)
			if v.Limits != "" {
				line += fmt.Sprintf("  [%s: %s]", v.Verdict, v.Limits)
			}
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
	}
}
