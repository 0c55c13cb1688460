// Package store is the box's database: the configuration (system
// settings, extensions, FXO lines), the admin password's hash and the call
// records, in one bbolt file in the data directory (FileName).
//
// # Layout
//
// One bucket per kind of entity: meta (marker, schema version, creation
// time, the board's port counts), system, extensions (key: number),
// fxo_lines (key: zero-padded port), admin, cdr (key: big-endian record
// ID), and three created on first use: diag (diagnostic runs), fxs_ports
// (key: zero-padded port; the settings of FXS ports that differ from the
// defaults) and dialplan (one value per dial-plan section, key: the
// section's JSON name; a database without it has no dial plan, which
// routes as before the dial plan existed). When a later schema migrates values, migrateFile must
// cover the dialplan bucket's sections too. Every value is JSON in an envelope {"schema": N, "data": {...}}
// (envelope.go), so that each value can be read and migrated on its own
// and a value from a newer firmware is recognised rather than misread.
//
// # Changes
//
// Every change is one bbolt transaction that reads the stored
// configuration, applies the change to a copy, validates the whole result
// (validate.go) and writes only if it is valid. Validation failures are a
// *ValidationError listing every problem with its JSON path, and change
// nothing. A change to one entity reports that entity's problems relative
// to it ("number") and any problem it causes elsewhere with its full path;
// problems that predate it (an extension left on a port the board no
// longer has) do not block it.
//
// # Safety of the file
//
// Open never resets a configuration it cannot read. A new database is
// built beside the final name and linked into place, so an empty file is
// always damage. Before bbolt maps a file, preflight checks its meta page
// against the file size (bbolt would fault on a truncated file); then
// bbolt's consistency check runs, the minipbx marker and schema are
// checked, and every configuration value is decoded strictly. Any failure
// is an *OpenError naming the file and the problem, wrapping ErrCorrupt,
// ErrTooNew or ErrLocked (another process, a running pbxd, holds the
// file).
//
// # Versions
//
// SchemaVersion (model.go) is what this firmware writes. migrate.go holds
// a step from every earlier version; a read-write Open of an older file
// snapshots it beside itself and migrates it in one transaction; a
// read-only Open migrates values in memory as it reads them. JSON
// documents (DecodeConfig) are migrated the same way, so a backup from an
// older firmware restores on a newer one.
//
// The configuration document is described field by field, with units,
// defaults, constraints and an example, in config.md beside this file.
package store
