package webui

import (
	"fmt"
	"strconv"
	"strings"
)

// maxNumberLen is the longest extension number (store: 2..8 digits).
const maxNumberLen = 8

// rangeError is a problem with the numbers typed for the extensions to
// create, said as a whole sentence for beside the field.
type rangeError struct{ msg string }

func (e *rangeError) Error() string { return e.msg }

func rangeErrorf(format string, args ...any) error {
	return &rangeError{fmt.Sprintf(format, args...)}
}

// parseNumberRange reads the extension numbers an installer types in bulk:
// numbers and ranges separated by commas, semicolons or spaces, such as
// "201-208" or "201, 205, 210-212". Each number is 1 to 8 digits (leading
// zeros are kept: "001-010" gives 001 to 010); a range's ends have the
// same number of digits and ascend. The numbers come back in the order
// typed, none twice, at most max of them. Whether they suit the box's
// numbering plan (length, clashes) is for the caller to say.
func parseNumberRange(s string, max int) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(n string) error {
		if seen[n] {
			return rangeErrorf("%s is listed twice.", n)
		}
		if len(out) == max {
			return rangeErrorf("At most %d extensions at a time.", max)
		}
		seen[n] = true
		out = append(out, n)
		return nil
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	for _, f := range fields {
		lo, hi, isRange := strings.Cut(f, "-")
		if !isRange {
			if err := checkNumber(f); err != nil {
				return nil, err
			}
			if err := add(f); err != nil {
				return nil, err
			}
			continue
		}
		if err := checkNumber(lo); err != nil {
			return nil, err
		}
		if err := checkNumber(hi); err != nil {
			return nil, err
		}
		if len(lo) != len(hi) {
			return nil, rangeErrorf("The range %s has ends of different lengths; write both with the same number of digits.", f)
		}
		a, _ := strconv.ParseUint(lo, 10, 64)
		b, _ := strconv.ParseUint(hi, 10, 64)
		if a > b {
			return nil, rangeErrorf("The range %s goes down; write the smaller number first.", f)
		}
		if b-a >= uint64(max) {
			return nil, rangeErrorf("At most %d extensions at a time.", max)
		}
		for n := a; n <= b; n++ {
			if err := add(fmt.Sprintf("%0*d", len(lo), n)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// checkNumber accepts 1 to maxNumberLen digits.
func checkNumber(n string) error {
	switch {
	case n == "":
		return rangeErrorf("A range needs a number on each side of the dash, such as 201-208.")
	case len(n) > maxNumberLen:
		return rangeErrorf("%s is too long: extension numbers have at most %d digits.", clip(n, 12), maxNumberLen)
	case strings.Trim(n, "0123456789") != "":
		return rangeErrorf("%s is not a number: use digits, and a dash for a range (201-208).", clip(n, 12))
	}
	return nil
}

// clip shortens what an installer typed for quoting in a message.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// formatNumberRange writes numbers compactly, runs of consecutive numbers
// of one length as ranges: the inverse of parseNumberRange.
func formatNumberRange(nums []string) string {
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && consecutive(nums[j], nums[j+1]) {
			j++
		}
		if j > i {
			parts = append(parts, nums[i]+"-"+nums[j])
		} else {
			parts = append(parts, nums[i])
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

func consecutive(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	return err1 == nil && err2 == nil && y == x+1
}
