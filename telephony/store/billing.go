package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Call cost (config.md, "Call cost"): each outbound route may carry a
// tariff; the store prices a call by its route's tariff when the record
// is stored, so a later change of tariff does not rewrite history.

// Money is an amount in ten-thousandths of the currency unit. Tariffs
// and costs are exact integers: a sum of ten thousand calls at 0.035 a
// minute comes out to the last digit, which float arithmetic does not
// promise. In JSON it is a plain number with at most four decimals
// (0.035).
type Money int64

// MoneyScale is how many Money make one currency unit.
const MoneyScale = 10000

// maxMoneyDigits bounds the whole part of an amount (9 digits: no sum of
// a box's records can overflow an int64).
const maxMoneyDigits = 9

// ParseMoney reads an amount written as a decimal number with at most
// four decimals: "12", "0.035", "-1.5". No exponent, no thousands
// separators, no currency sign.
func ParseMoney(s string) (Money, error) {
	orig := s
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case whole == "" || !isDigits(whole) || (dot && !isDigits(frac)):
		return 0, fmt.Errorf("%q is not a decimal amount such as 0.035", orig)
	case len(frac) > 4:
		return 0, fmt.Errorf("%q has more than 4 decimals", orig)
	case len(strings.TrimLeft(whole, "0")) > maxMoneyDigits:
		return 0, fmt.Errorf("%q is too large", orig)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "0000")[:4], 10, 64)
	m := Money(w*MoneyScale + f)
	if neg {
		m = -m
	}
	return m, nil
}

// String writes the amount with as few decimals as it needs ("0.035",
// "12", "-1.5").
func (m Money) String() string {
	s := m.Format(4)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Format writes the amount with exactly decimals decimals (0 to 4),
// rounding half away from zero: Format(2) of 0.035 is "0.04".
func (m Money) Format(decimals int) string {
	decimals = max(0, min(decimals, 4))
	neg := m < 0
	v := int64(m)
	if neg {
		v = -v
	}
	div := int64(1)
	for range 4 - decimals {
		div *= 10
	}
	v = (v + div/2) / div
	unit := MoneyScale / div
	s := strconv.FormatInt(v/unit, 10)
	if decimals > 0 {
		s += "." + fmt.Sprintf("%0*d", decimals, v%unit)
	}
	if neg && v != 0 {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes the amount as a JSON number.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON reads a JSON number of at most four decimals.
func (m *Money) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return errors.New("an amount must be a number, not a string")
	}
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

var _ json.Unmarshaler = (*Money)(nil)

// Tariff prices the calls of an outbound route. A call of at most FreeS
// seconds costs nothing (not even the connection charge: an engaged
// fax machine, a wrong number hung up at once); a longer one costs
// Connection plus PerMinute for its talk time rounded up to whole
// UnitS. Calls nobody answered cost nothing.
type Tariff struct {
	// PerMinute is the price of a minute of talk.
	PerMinute Money `json:"per_minute,omitzero"`
	// Connection is charged once per answered call.
	Connection Money `json:"connection,omitzero"`
	// UnitS is the rounding unit in seconds: 60 bills every started
	// minute, 1 every second (0: DefaultTariffUnitS).
	UnitS int `json:"unit_s,omitempty"`
	// FreeS: calls of at most this many seconds are free.
	FreeS int `json:"free_s,omitempty"`
}

// Tariff bounds and defaults.
const (
	DefaultTariffUnitS = 60
	MaxTariffUnitS     = 3600
	MaxTariffFreeS     = 3600
	// MaxTariffAmount bounds a rate or a connection charge (a million
	// units: far beyond any telephone tariff, and no sum overflows).
	MaxTariffAmount Money = 1_000_000 * MoneyScale
)

// Unit is the rounding unit with the default applied.
func (t Tariff) Unit() int {
	if t.UnitS <= 0 {
		return DefaultTariffUnitS
	}
	return t.UnitS
}

// Cost prices a call of durationS seconds of talk.
func (t Tariff) Cost(durationS int) Money {
	if t == (Tariff{}) || durationS <= 0 || durationS <= t.FreeS {
		return 0
	}
	unit := int64(t.Unit())
	billed := (int64(durationS) + unit - 1) / unit * unit
	// Rounded half up to the ten-thousandth.
	return t.Connection + Money((int64(t.PerMinute)*billed+30)/60)
}

// checkTariff checks one route's tariff; prefix is its path
// ("outbound_routes[0].tariff.").
func checkTariff(prefix string, t Tariff, add func(path, format string, args ...any)) {
	for _, f := range []struct {
		name string
		v    Money
	}{{"per_minute", t.PerMinute}, {"connection", t.Connection}} {
		if f.v < 0 || f.v > MaxTariffAmount {
			add(prefix+f.name, "must be 0 to %s", MaxTariffAmount)
		}
	}
	if t.UnitS < 0 || t.UnitS > MaxTariffUnitS {
		add(prefix+"unit_s", "must be 0 (default %d) or 1 to %d seconds", DefaultTariffUnitS, MaxTariffUnitS)
	}
	if t.FreeS < 0 || t.FreeS > MaxTariffFreeS {
		add(prefix+"free_s", "must be 0 to %d seconds", MaxTariffFreeS)
	}
}
