package dsp

import (
	"fmt"
	"testing"
	"time"
)

const ms = time.Millisecond

// hookScript drives a decoder with (state, duration) steps, polling every
// 10 ms, and returns the events as text.
func hookScript(c HookConfig, steps []hookStep) []string {
	h := NewHookDecoder(c)
	var out []string
	add := func(ev []HookEvent) {
		for _, e := range ev {
			s := e.Type.String()
			if e.Type == HookDigit {
				s = "digit " + string(e.Digit)
			}
			out = append(out, s)
		}
	}
	now := time.Duration(0)
	for _, st := range steps {
		add(h.Hook(st.off, now))
		end := now + st.d
		for now+10*ms <= end {
			now += 10 * ms
			add(h.Poll(now))
		}
		now = end
	}
	add(h.Poll(now + 2*time.Second))
	return out
}

type hookStep struct {
	off bool
	d   time.Duration
}

// dial returns the steps of n pulses with the given break and make.
func dial(n int, brk, mk time.Duration) []hookStep {
	var s []hookStep
	for i := range n {
		s = append(s, hookStep{false, brk})
		m := mk
		if i == n-1 {
			m = 400 * ms
		}
		s = append(s, hookStep{true, m})
	}
	return s
}

func TestHookDecoder(t *testing.T) {
	offHook := []hookStep{{true, 500 * ms}}
	cases := []struct {
		name  string
		steps []hookStep
		want  string
	}{
		{"10pps 60/40 digit 3", append(offHook, dial(3, 60*ms, 40*ms)...), "[off-hook digit 3]"},
		{"10 pulses = 0", append(offHook, dial(10, 60*ms, 40*ms)...), "[off-hook digit 0]"},
		{"7pps 66/34", append(offHook, dial(5, 95*ms, 48*ms)...), "[off-hook digit 5]"},
		{"13pps 55/45", append(offHook, dial(8, 42*ms, 35*ms)...), "[off-hook digit 8]"},
		{"break 22ms (just above min)", append(offHook, dial(2, 22*ms, 40*ms)...), "[off-hook digit 2]"},
		{"break 15ms (bounce)", append(offHook, dial(2, 15*ms, 40*ms)...), "[off-hook]"},
		{"break 118ms (pulse)", append(offHook, dial(1, 118*ms, 40*ms)...), "[off-hook digit 1]"},
		{"break 130ms (flash)", append(offHook, hookStep{false, 130 * ms}, hookStep{true, 500 * ms}), "[off-hook flash]"},
		{"flash 600ms", append(offHook, hookStep{false, 600 * ms}, hookStep{true, 500 * ms}), "[off-hook flash]"},
		{"on hook 790ms (flash)", append(offHook, hookStep{false, 790 * ms}, hookStep{true, 500 * ms}), "[off-hook flash]"},
		{"on hook 820ms (hang-up)", append(offHook, hookStep{false, 820 * ms}, hookStep{true, 500 * ms}), "[off-hook on-hook off-hook]"},
		{"make 90ms keeps digit", append(offHook, dial(2, 60*ms, 90*ms)...), "[off-hook digit 2]"},
		{"make 110ms splits digit", append(offHook, dial(2, 60*ms, 110*ms)...), "[off-hook digit 1 digit 1]"},
		{"two digits 300ms apart", append(append(offHook, dial(4, 60*ms, 40*ms)...), dial(2, 60*ms, 40*ms)...), "[off-hook digit 4 digit 2]"},
		{"eleven pulses dropped", append(offHook, dial(11, 60*ms, 40*ms)...), "[off-hook]"},
		{"hang-up mid digit", append(offHook, hookStep{false, 60 * ms}, hookStep{true, 40 * ms}, hookStep{false, 3 * time.Second}), "[off-hook on-hook]"},
	}
	for _, c := range cases {
		got := fmt.Sprint(hookScript(HookConfig{}, c.steps))
		if got != c.want {
			t.Errorf("%s: got %s want %s", c.name, got, c.want)
		}
	}
}

func TestHookDecoderTimes(t *testing.T) {
	h := NewHookDecoder(HookConfig{})
	ev := h.Hook(true, 1*time.Second)
	if len(ev) != 1 || ev[0].Type != HookOff || ev[0].At != time.Second {
		t.Fatalf("off-hook: %+v", ev)
	}
	h.Hook(false, 2*time.Second)
	h.Hook(true, 2*time.Second+60*ms)
	h.Hook(false, 2*time.Second+100*ms)
	h.Hook(true, 2*time.Second+160*ms)
	ev = h.Poll(2*time.Second + 300*ms)
	if len(ev) != 1 || ev[0].Digit != '2' || ev[0].At != 2*time.Second {
		t.Fatalf("digit: %+v", ev)
	}
	h.Hook(false, 3*time.Second)
	ev = h.Poll(4 * time.Second)
	if len(ev) != 1 || ev[0].Type != HookOn || ev[0].At != 3*time.Second {
		t.Fatalf("hang-up: %+v", ev)
	}
}
