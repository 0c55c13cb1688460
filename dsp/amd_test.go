package dsp_test

import (
	"testing"

	"minipbx/dsp"
	"minipbx/internal/testutil"
)

// amdOn feeds s to a new AMD frame by frame and returns its decision and
// the time it took (ms).
func amdOn(s []int16) (dsp.AMDResult, int, string) {
	a := dsp.NewAMD()
	for i := 0; i+160 <= len(s); i += 160 {
		if r := a.Frame(s[i : i+160]); r != dsp.AMDUndecided {
			_, why := a.Result()
			return r, (i + 160) / 8, why
		}
	}
	return dsp.AMDUndecided, len(s) / 8, ""
}

func TestAMD(t *testing.T) {
	for _, tc := range []struct {
		name   string
		audio  []int16
		want   dsp.AMDResult
		within int // ms
	}{
		{"hello?", testutil.Talk([2]int{600, 3000}), dsp.AMDHuman, 1600},
		{"smith speaking", testutil.Talk([2]int{500, 250}, [2]int{700, 3000}), dsp.AMDHuman, 2500},
		{"machine greeting", testutil.Talk([2]int{4000, 1000}), dsp.AMDMachine, 1700},
		{"machine after a pause", append(make([]int16, 8000), testutil.Talk([2]int{3500, 500})...), dsp.AMDMachine, 2700},
		{"silence", make([]int16, 8*4000), dsp.AMDMachine, 2600},
		{"many short words", testutil.Talk([2]int{400, 400}, [2]int{400, 400}, [2]int{400, 400}, [2]int{400, 400}, [2]int{400, 2000}), dsp.AMDMachine, 3000},
	} {
		got, at, why := amdOn(tc.audio)
		if got != tc.want || at > tc.within {
			t.Errorf("%s: %v after %d ms (%s), want %v within %d ms", tc.name, got, at, why, tc.want, tc.within)
		}
	}
}

// TestAMDOnANoisyLine: line hiss under the greeting changes nothing.
func TestAMDOnANoisyLine(t *testing.T) {
	noise := func(s []int16) []int16 {
		x := uint32(1)
		out := make([]int16, len(s))
		for i, v := range s {
			x = x*1664525 + 1013904223
			out[i] = v + int16(int32(x>>16)%60-30)
		}
		return out
	}
	if got, _, why := amdOn(noise(testutil.Talk([2]int{600, 3000}))); got != dsp.AMDHuman {
		t.Errorf("person on a noisy line: %v (%s)", got, why)
	}
	if got, _, why := amdOn(noise(testutil.Talk([2]int{4000, 500}))); got != dsp.AMDMachine {
		t.Errorf("machine on a noisy line: %v (%s)", got, why)
	}
}

// BenchmarkAMD: the detector's cost per 20 ms frame, over a person's
// "Hello?" and the pause that decides it.
func BenchmarkAMD(b *testing.B) {
	s := testutil.Talk([2]int{600, 4400})
	frames := 0
	b.ReportAllocs()
	for b.Loop() {
		a := dsp.NewAMD()
		for i := 0; i+160 <= len(s); i += 160 {
			frames++
			if a.Frame(s[i:i+160]) != dsp.AMDUndecided {
				break
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
}
