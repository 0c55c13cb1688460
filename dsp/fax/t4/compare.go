package t4

import "hash/maphash"

// LostRows compares a received page with the page that was sent, the way
// a person would: rows are matched in order (a longest common
// subsequence of identical rows), so a row lost or added on the way
// counts once rather than shifting every row after it. It returns how
// many rows of sent have no identical row in place in got. Pages of
// different widths share no row.
func LostRows(sent, got *Image) int {
	if sent.Width != got.Width {
		return sent.Height
	}
	seed := maphash.MakeSeed()
	hash := func(m *Image) []uint64 {
		h := make([]uint64, m.Height)
		for y := range h {
			h[y] = maphash.Bytes(seed, m.Row(y))
		}
		return h
	}
	a, b := hash(sent), hash(got)
	// Classic O(n·m) dynamic programme, one row of the table at a time.
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j] && sent.rowEqual(i, got, j):
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return len(a) - prev[len(b)]
}

func (m *Image) rowEqual(y int, o *Image, oy int) bool {
	a, b := m.Row(y), o.Row(oy)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
