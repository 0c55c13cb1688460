package diag

import (
	"fmt"
	"math"
	"strings"

	"minipbx/telephony/store"
)

// Limits judge one measured value: inside [PassMin, PassMax] passes,
// inside [WarnMin, WarnMax] warns, anything else fails. NaN bounds are
// open ("no lower limit").
type Limits struct {
	PassMin, PassMax float64
	WarnMin, WarnMax float64
}

var open = math.NaN()

// atLeast passes from pass up and warns from warn up.
func atLeast(pass, warn float64) Limits { return Limits{pass, open, warn, open} }

// atMost passes up to pass and warns up to warn.
func atMost(pass, warn float64) Limits { return Limits{open, pass, open, warn} }

// within passes in [pmin, pmax] and warns in [wmin, wmax].
func within(pmin, pmax, wmin, wmax float64) Limits { return Limits{pmin, pmax, wmin, wmax} }

func inside(v, lo, hi float64) bool {
	return (math.IsNaN(lo) || v >= lo) && (math.IsNaN(hi) || v <= hi)
}

// Judge gives v's verdict.
func (l Limits) Judge(v float64) string {
	switch {
	case math.IsNaN(v):
		return store.VerdictFail
	case inside(v, l.PassMin, l.PassMax):
		return store.VerdictPass
	case inside(v, l.WarnMin, l.WarnMax):
		return store.VerdictWarn
	}
	return store.VerdictFail
}

func (l Limits) String() string {
	rng := func(lo, hi float64) string {
		switch {
		case math.IsNaN(lo) && math.IsNaN(hi):
			return "any"
		case math.IsNaN(lo):
			return "≤ " + num(hi)
		case math.IsNaN(hi):
			return "≥ " + num(lo)
		}
		return num(lo) + " to " + num(hi)
	}
	return "pass " + rng(l.PassMin, l.PassMax) + "; warn " + rng(l.WarnMin, l.WarnMax)
}

func num(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// result collects one test's values.
type result struct {
	r store.DiagResult
}

func newResult(test, target string) *result {
	return &result{r: store.DiagResult{Test: test, Target: target, Verdict: store.VerdictPass}}
}

// value records a measured value judged against l.
func (r *result) value(name string, v float64, unit string, l Limits) string {
	vd := l.Judge(v)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		v = math.Copysign(999, v) // JSON has no infinities; -999 dBm0 is silence
	}
	r.r.Values = append(r.r.Values, store.DiagValue{Name: name, Value: math.Round(v*100) / 100, Unit: unit, Verdict: vd, Limits: l.String()})
	r.r.Verdict = store.WorstVerdict(r.r.Verdict, vd)
	return vd
}

// info records a value that is shown but not judged.
func (r *result) info(name string, v float64, unit string) {
	r.r.Values = append(r.r.Values, store.DiagValue{Name: name, Value: math.Round(v*100) / 100, Unit: unit, Verdict: store.VerdictPass})
}

// note adds to the detail text.
func (r *result) note(format string, args ...any) {
	if r.r.Detail != "" {
		r.r.Detail += "; "
	}
	r.r.Detail += fmt.Sprintf(format, args...)
}

// fail marks the result failed with a reason.
func (r *result) fail(format string, args ...any) {
	r.r.Verdict = store.VerdictFail
	r.note(format, args...)
}

// warn marks the result (at least) warned with a reason.
func (r *result) warn(format string, args ...any) {
	r.r.Verdict = store.WorstVerdict(r.r.Verdict, store.VerdictWarn)
	r.note(format, args...)
}

// skip marks the result not applicable, with the reason.
func (r *result) skip(format string, args ...any) *result {
	r.r.Verdict = store.VerdictSkip
	r.r.Values = nil
	r.note(format, args...)
	return r
}
