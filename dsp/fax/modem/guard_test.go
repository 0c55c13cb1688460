package modem

import "testing"

// TestV27terGuard sends repetitive data, which triggers the scrambler's
// guard against repetitive patterns: the descrambler must undo it.
func TestV27terGuard(t *testing.T) {
	for _, rate := range []int{4800, 2400} {
		var b []byte
		for i := range 6000 {
			switch {
			case i < 1500:
				b = append(b, 0)
			case i < 3000:
				b = append(b, 1)
			case i < 4500:
				b = append(b, byte(i/4%2)) // period 8
			default:
				b = append(b, byte((i%12)/11)) // period 12
			}
		}
		tx, _ := NewV27terTx(rate, -13)
		rx, _ := NewV27terRx(rate)
		src := &randBits{b: b}
		tx.Start(src)
		got := runLink(t, tx, rx, nil, 2)
		compareBits(t, b, got)
	}
}
