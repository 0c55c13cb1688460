package box

import (
	"syscall"
	"testing"
)

func TestRaiseFileLimit(t *testing.T) {
	got, err := raiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if got != lim.Cur || (lim.Cur < wantFiles && lim.Cur < lim.Max) {
		t.Fatalf("limit %d (soft %d, hard %d): not raised as far as allowed", got, lim.Cur, lim.Max)
	}
}

func TestSIPConnLimits(t *testing.T) {
	for _, tc := range []struct {
		files   uint64
		max, pa int
	}{
		{0, 16, 16}, {256, 16, 16}, {1024, 384, 64}, {20000, 512, 64}, {1 << 20, 512, 64},
	} {
		l := sipConnLimits(tc.files)
		if l.Max != tc.max || l.PerAddress != tc.pa {
			t.Errorf("%d files: %+v, want max %d per address %d", tc.files, l, tc.max, tc.pa)
		}
		if tc.files > 256 && uint64(l.Max) > tc.files/2 {
			t.Errorf("%d files: %d connections leave too few descriptors", tc.files, l.Max)
		}
	}
}
