package diag

import (
	"context"

	"minipbx/telephony/store"
)

// Trunk is a SIP trunk the trunks test checks: its registration state and
// whether its proxy answers OPTIONS. Trunks arrive with issue 5; until
// then Options.Trunks is nil and the test reports "not applicable".
type Trunk interface {
	// Name is the trunk's target in results ("trunk:provider").
	Name() string
	// Check tests registration and reachability within ctx and returns
	// the result (Test "trunks", Target Name()).
	Check(ctx context.Context) store.DiagResult
}

func (r *Runner) testTrunks(ctx context.Context) []store.DiagResult {
	var trunks []Trunk
	if r.o.Trunks != nil {
		trunks = r.o.Trunks()
	}
	if len(trunks) == 0 {
		return []store.DiagResult{newResult(store.DiagTestTrunks, "trunks").skip("not applicable: no trunks configured").r}
	}
	var out []store.DiagResult
	for _, t := range trunks {
		res := t.Check(ctx)
		res.Test, res.Target = store.DiagTestTrunks, t.Name()
		if res.Verdict == "" {
			res.Verdict = store.VerdictFail
		}
		out = append(out, res)
	}
	return out
}
