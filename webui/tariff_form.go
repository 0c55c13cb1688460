package webui

import (
	"strconv"

	"minipbx/telephony/store"
)

// The tariff fields of the outbound route form (store.Tariff): what the
// route's calls cost, priced when each call's record is stored.

func tariffFields(t store.Tariff) []*field {
	money := func(m store.Money) string {
		if m == 0 {
			return ""
		}
		return m.String()
	}
	unit, free := "", ""
	if t.UnitS != 0 {
		unit = strconv.Itoa(t.UnitS)
	}
	if t.FreeS != 0 {
		free = strconv.Itoa(t.FreeS)
	}
	return []*field{
		{ID: "tariff-per-minute", Name: "tariff.per_minute", Label: "Price per minute", Type: "text", Value: money(t.PerMinute), MaxLength: 16, InputMode: "decimal", Autocomplete: "off",
			Help: "What a minute of talk on this route costs, e.g. 0.035 (at most 4 decimals; the currency is set under Settings → Billing output). Empty: the route's calls cost nothing."},
		{ID: "tariff-connection", Name: "tariff.connection", Label: "Connection charge", Type: "text", Value: money(t.Connection), MaxLength: 16, InputMode: "decimal", Autocomplete: "off",
			Help: "Charged once per answered call, e.g. 0.10."},
		{ID: "tariff-unit", Name: "tariff.unit_s", Label: "Billed in steps of (seconds)", Type: "number", Value: unit, Min: "1", Max: "3600", InputMode: "numeric", Placeholder: "60",
			Help: "The talk time is rounded up to whole steps: 60 bills every started minute, 1 every second."},
		{ID: "tariff-free", Name: "tariff.free_s", Label: "Free calls up to (seconds)", Type: "number", Value: free, Min: "0", Max: "3600", InputMode: "numeric",
			Help: "A call this short or shorter costs nothing, not even the connection charge."},
	}
}

// parseTariff reads the tariff fields; an amount that is not one is
// shown beside its field.
func parseTariff(p *formParser) store.Tariff {
	money := func(name string) store.Money {
		s := p.str(name)
		if s == "" {
			return 0
		}
		m, err := store.ParseMoney(s)
		if err != nil {
			p.bad[name] = "Enter an amount such as 0.035 (a point for decimals, at most 4 of them), or leave it empty."
			p.raw[name] = s
		}
		return m
	}
	return store.Tariff{PerMinute: money("tariff.per_minute"), Connection: money("tariff.connection"),
		UnitS: p.num("tariff.unit_s", "tariff.unit_s", "the step in seconds"), FreeS: p.num("tariff.free_s", "tariff.free_s", "the seconds")}
}
