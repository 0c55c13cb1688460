package webui

//go:generate go run gen_timezones.go

// timeZoneOptions are the time zones a box may be set to (the tz
// database's canonical zones Go knows, timezones_list.go), value
// selected; a value set otherwise (another name of a zone, through the
// API) is kept, marked.
func timeZoneOptions(value string) []option {
	opts := make([]option, len(timeZoneNames))
	for i, n := range timeZoneNames {
		opts[i] = option{Value: n, Label: n}
	}
	return selectOptions(opts, value, "as set")
}
