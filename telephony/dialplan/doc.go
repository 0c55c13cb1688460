// Package dialplan is the office dial plan as pure decisions: what a
// dialled number means (numbering plan), which outbound route and which
// trunks or line groups carry it, whether the caller may dial it
// (permission classes), what caller ID the far end sees, in what order a
// ring group or queue rings its members, whether a schedule is open, and
// which caller-number lists a caller is on.
//
// Nothing here does I/O, starts goroutines or reads the wall clock: the
// exchange (package telephony) feeds in the configuration, the digits and
// the time, and acts on the answers. Every choice is therefore testable
// in a table, and every notation (route patterns, times of day, dates) has
// a parser with a fuzz target.
//
// Pattern notation follows the common PBX convention (Asterisk, FreePBX):
//
//	0-9 * #   that character
//	X         any digit 0-9
//	Z         any digit 1-9
//	N         any digit 2-9
//	[1-5]     one digit from the set (ranges and single digits, e.g. [13-5])
//	.         one or more further characters (only at the end)
//	!         zero or more further characters (only at the end)
//
// A leading '_' (Asterisk's marker for a pattern) is accepted and ignored.
package dialplan
