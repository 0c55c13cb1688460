package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"minipbx/dsp"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names: one per kind of entity.
const (
	bucketMeta       = "meta"
	bucketSystem     = "system"
	bucketExtensions = "extensions"
	bucketFXOLines   = "fxo_lines"
	// bucketFXSPorts is made on the first write of a port's settings (a
	// database from before them has none, which reads as no settings).
	bucketFXSPorts = "fxs_ports"
	bucketAdmin    = "admin"
	bucketCDR      = "cdr"

	metaApp     = "app"     // always "minipbx": tells our file from any other bbolt file
	metaSchema  = "schema"  // decimal schema version of every value in the file
	metaCreated = "created" // RFC 3339 time of the first start
	metaLimits  = "limits"  // the board's port counts, as the last pbxd saw them
	appName     = "minipbx"

	keySystem = "system"
	keyAdmin  = "admin"
)

// allBuckets are the buckets every database has, in creation order.
func allBuckets() []string {
	return []string{bucketMeta, bucketSystem, bucketExtensions, bucketFXOLines, bucketAdmin, bucketCDR}
}

// FileName is the database's name in the box's data directory (pbxd and
// pbxctl -data DIR both open DIR/FileName).
const FileName = "pbx.db"

// DefaultLockTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultLockTimeout = time.Second

// DefaultKDFIterations is the PBKDF2-SHA256 work factor for the admin
// password. Measured (BenchmarkCheckAdminPassword): ~80 ms on a shared
// x86 server core, ~1 s for the armv7 build under qemu-arm on the same
// host, so of the order of a second on a Cortex-A7 (which has no SHA-256
// instructions). Lower than OWASP's 600000 because the box is small and
// logins are rate-limited by the web UI; the count is stored with each
// hash, so a later firmware can raise it (the hash is upgraded at the
// next successful login).
const DefaultKDFIterations = 100_000

// Options configure Open.
type Options struct {
	// Timeout is how long to wait for the file lock held by another
	// process; 0 means DefaultLockTimeout. On timeout Open fails with
	// ErrLocked.
	Timeout time.Duration
	// ReadOnly opens without writing anything: no creation, no
	// migration (older values are migrated in memory as they are read).
	ReadOnly bool
	// Logger receives what the store decides on its own (creation,
	// migration, problems found in the stored configuration). Nil: silent.
	Logger *slog.Logger
	// Limits are the board's port counts (pbxd passes the real board's).
	// Nil means use the counts stored by the last pbxd, or DefaultLimits.
	Limits *Limits
	// ToneZones are the valid tone-zone codes; nil means dsp.ZoneCodes(),
	// the zones the firmware has tones for.
	ToneZones []string
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time

	// kdfIterations overrides DefaultKDFIterations (tests only).
	kdfIterations int
	// noSync skips fsync (tests only: speed, not durability, is tested).
	noSync bool
	// spoolRetry overrides SpoolRetry (tests only).
	spoolRetry time.Duration
	// auditMax overrides MaxAuditEntries (tests only).
	auditMax int
}

// DB is the box's database: configuration, admin password hash and call
// records in one bbolt file. Safe for concurrent use.
type DB struct {
	bolt     *bbolt.DB
	path     string
	log      *slog.Logger
	limits   Limits
	zones    []string
	readOnly bool
	kdfIter  int
	now      func() time.Time
	// schema is the file's schema: SchemaVersion after a read-write
	// open (which migrates); possibly older when read-only.
	schema int
	// spool keeps call records the full disk had no room for, retried
	// every spoolRetry. A pointer: views made by As share it.
	spool      *cdrSpool
	spoolRetry time.Duration
	// indexed: the call records' indexes are whole (always after a
	// read-write open; a file opened read-only may predate them).
	indexed bool
	// actor is who the changes made through this handle are by (As); the
	// zero Actor is the box itself.
	actor Actor
	// auditMax is how many audit entries are kept (MaxAuditEntries).
	auditMax uint64
	// tokens remembers checked API tokens (tokens.go); shared by views.
	tokens *tokenCache
}

// Open opens (creating on first use, with the default configuration for
// the box's ports) the database file at path. A file that cannot be read
// as a minipbx database is never reset: Open fails with an *OpenError
// naming the file and the problem (wrapping ErrCorrupt, ErrTooNew or
// ErrLocked), and leaves the file as it was.
func Open(path string, o Options) (*DB, error) {
	if o.Limits != nil {
		if err := o.Limits.validate(); err != nil {
			return nil, err
		}
	}
	db := &DB{
		path:     path,
		log:      o.Logger,
		zones:    o.ToneZones,
		readOnly: o.ReadOnly,
		kdfIter:  o.kdfIterations,
		now:      o.Now,
		spool:    &cdrSpool{},
		auditMax: MaxAuditEntries,
		tokens:   &tokenCache{},
	}
	if o.auditMax > 0 {
		db.auditMax = uint64(o.auditMax)
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.kdfIter <= 0 {
		db.kdfIter = DefaultKDFIterations
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.spoolRetry = o.spoolRetry; db.spoolRetry <= 0 {
		db.spoolRetry = SpoolRetry
	}
	if db.zones == nil {
		db.zones = dsp.ZoneCodes()
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}

	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if o.ReadOnly {
			return nil, &OpenError{Path: path, Reason: "no database here", Err: err}
		}
		l := DefaultLimits()
		if o.Limits != nil {
			l = *o.Limits
		}
		if err := db.create(path, l, timeout); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, &OpenError{Path: path, Err: err}
	case !info.Mode().IsRegular():
		return nil, &OpenError{Path: path, Reason: "not a regular file", Err: ErrCorrupt}
	case info.Size() == 0:
		// bbolt would silently initialise an empty file; for us an empty
		// file is a truncated database (new ones are created complete
		// and then linked into place, see create).
		return nil, &OpenError{Path: path, Reason: "the file is empty (truncated?)", Err: ErrCorrupt}
	}

	if err := preflight(path); err != nil {
		return nil, err
	}
	b, err := openBolt(path, timeout, o.ReadOnly)
	if err != nil {
		return nil, err
	}
	b.NoSync = o.noSync
	db.bolt = b
	if err := db.verify(); err != nil {
		_ = b.Close()
		return nil, err
	}
	if db.schema < SchemaVersion && !o.ReadOnly {
		if err := db.migrateFile(); err != nil {
			_ = b.Close()
			return nil, &OpenError{Path: path, Reason: fmt.Sprintf("migrating from schema %d", db.schema), Err: err}
		}
	}
	if !o.ReadOnly {
		if err := db.ensureIndex(); err != nil {
			_ = b.Close()
			return nil, &OpenError{Path: path, Reason: "indexing the call records", Err: err}
		}
	}
	_ = db.bolt.View(func(tx *bbolt.Tx) error {
		db.indexed = indexWhole(tx)
		return nil
	})
	if err := db.setupLimits(o.Limits); err != nil {
		_ = b.Close()
		return nil, &OpenError{Path: path, Reason: "saving the board's port counts", Err: err}
	}
	db.reportProblems()
	if !o.ReadOnly {
		db.openSpool()
	}
	return db, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Limits returns the port counts validation uses.
func (db *DB) Limits() Limits { return db.limits }

// Close closes the file. Every change was already committed (and synced)
// by its own transaction, so nothing is lost; call records still waiting
// for space stay in the spool file for the next Open.
func (db *DB) Close() error {
	db.closeSpool()
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// openBolt opens the file with bbolt, turning its failures (and any panic
// or memory fault while it reads a damaged file) into OpenErrors.
func openBolt(path string, timeout time.Duration, readOnly bool) (b *bbolt.DB, err error) {
	// Keep the file bbolt opens: if it panics half-way, closing the file
	// releases the lock it took.
	var file *os.File
	openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if file != nil {
				_ = file.Close()
			}
			b, err = nil, &OpenError{Path: path, Reason: fmt.Sprintf("bbolt could not read the file (%v)", r), Err: ErrCorrupt}
		}
	}()
	b, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, ReadOnly: readOnly, OpenFile: openFile})
	if err == nil {
		return b, nil
	}
	var pe *fs.PathError
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &OpenError{Path: path, Err: ErrLocked}
	case errors.As(err, &pe):
		return nil, &OpenError{Path: path, Err: err}
	case errors.Is(err, berrors.ErrInvalid):
		return nil, &OpenError{Path: path, Reason: "not a bbolt database (bad magic number or page header)", Err: ErrCorrupt}
	case errors.Is(err, berrors.ErrVersionMismatch):
		return nil, &OpenError{Path: path, Reason: "unsupported bbolt file format version", Err: ErrCorrupt}
	case errors.Is(err, berrors.ErrChecksum):
		return nil, &OpenError{Path: path, Reason: "meta page checksum mismatch", Err: ErrCorrupt}
	}
	return nil, &OpenError{Path: path, Reason: err.Error(), Err: ErrCorrupt}
}

// create builds a complete new database beside path, then links it into
// place: a crash leaves either no file or a whole one, never an empty
// file that could be mistaken for a truncated database.
func (db *DB) create(path string, l Limits, timeout time.Duration) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &OpenError{Path: path, Reason: "creating the data directory", Err: err}
	}
	f, err := os.CreateTemp(dir, base+".new-*")
	if err != nil {
		return &OpenError{Path: path, Reason: "creating a new database", Err: err}
	}
	tmp := f.Name()
	_ = f.Close()
	defer os.Remove(tmp)
	b, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: timeout})
	if err != nil {
		return &OpenError{Path: path, Reason: "creating a new database", Err: err}
	}
	cfg := DefaultConfig(l)
	err = b.Update(func(tx *bbolt.Tx) error {
		for _, name := range allBuckets() {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		meta := tx.Bucket([]byte(bucketMeta))
		if err := meta.Put([]byte(metaApp), []byte(appName)); err != nil {
			return err
		}
		if err := meta.Put([]byte(metaSchema), []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
		if err := meta.Put([]byte(metaCreated), []byte(db.now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		if err := putValue(meta, metaLimits, l); err != nil {
			return err
		}
		return writeConfig(tx, cfg)
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &OpenError{Path: path, Reason: "creating a new database", Err: err}
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return &OpenError{Path: path, Reason: "creating a new database", Err: err}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new name durable
		_ = d.Close()
	}
	db.log.Info("created a new database with the default configuration", "path", path,
		"fxs_ports", l.FXSPorts, "fxo_ports", l.FXOPorts)
	return nil
}

// verify checks the whole file before anything trusts it: size, bbolt's
// own consistency check, our marker and schema, and that every value
// decodes. It runs once per Open; on a box's database (a few MB at most)
// it takes milliseconds.
func (db *DB) verify() (err error) {
	corrupt := func(format string, args ...any) error {
		return &OpenError{Path: db.path, Reason: fmt.Sprintf(format, args...), Err: ErrCorrupt}
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = corrupt("damaged pages (%v)", r)
		}
	}()
	fi, err := os.Stat(db.path)
	if err != nil {
		return &OpenError{Path: db.path, Err: err}
	}
	// A transaction begun by hand so that a panic (recovered above) still
	// ends it: a read transaction left open would block Close forever.
	tx, err := db.bolt.Begin(false)
	if err != nil {
		return corrupt("%v", err)
	}
	defer tx.Rollback()
	return func(tx *bbolt.Tx) error {
		if need := tx.Size(); need > fi.Size() {
			return corrupt("the file is truncated (%d bytes, the database needs %d)", fi.Size(), need)
		}
		var problems []error
		for e := range tx.Check() {
			if len(problems) < 3 {
				problems = append(problems, e)
			}
		}
		if len(problems) > 0 {
			return corrupt("consistency check failed: %v", errors.Join(problems...))
		}
		meta := tx.Bucket([]byte(bucketMeta))
		if meta == nil || string(meta.Get([]byte(metaApp))) != appName {
			return corrupt("not a minipbx database (no minipbx marker in a %q bucket)", bucketMeta)
		}
		db.schema = 0
		if s := meta.Get([]byte(metaSchema)); s != nil {
			n, err := strconv.Atoi(string(s))
			if err != nil || n < 1 {
				return corrupt("schema version %q is not a number", s)
			}
			db.schema = n
		}
		if db.schema > SchemaVersion {
			return &OpenError{Path: db.path, Reason: fmt.Sprintf("written by a newer firmware (schema %d; this firmware reads up to %d); upgrade the firmware or restore a backup made by this one", db.schema, SchemaVersion), Err: ErrTooNew}
		}
		for _, name := range allBuckets() {
			if tx.Bucket([]byte(name)) == nil {
				return corrupt("bucket %q is missing", name)
			}
		}
		valueErr := func(err error) error {
			reason := fmt.Sprintf("a stored value does not decode: %v", err)
			if errors.Is(err, ErrTooNew) {
				return &OpenError{Path: db.path, Reason: reason, Err: ErrTooNew}
			}
			return corrupt("%s", reason)
		}
		if _, err := readConfig(tx, db.schema); err != nil {
			return valueErr(err)
		}
		if raw := meta.Get([]byte(metaLimits)); raw != nil {
			var l Limits
			if err := decodeValue("limits", raw, db.schema, &l); err != nil {
				return valueErr(&valueError{bucketMeta, metaLimits, err})
			}
			if err := l.validate(); err != nil {
				return valueErr(&valueError{bucketMeta, metaLimits, err})
			}
		}
		if raw := tx.Bucket([]byte(bucketAdmin)).Get([]byte(keyAdmin)); raw != nil {
			var a adminRecord
			if err := decodeValue("admin", raw, db.schema, &a); err != nil {
				return valueErr(&valueError{bucketAdmin, keyAdmin, err})
			}
			if err := a.check(); err != nil {
				return valueErr(&valueError{bucketAdmin, keyAdmin, err})
			}
		}
		// Call records are many (up to MaxCallRecordRetention) and
		// append-only: a full decode of each would cost seconds at start
		// on a Cortex-A7, so they are checked for well-formed JSON in a
		// known envelope here and decoded strictly when read.
		return tx.Bucket([]byte(bucketCDR)).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return valueErr(&valueError{bucketCDR, fmt.Sprintf("%x", k), errors.New("key is not a record ID")})
			}
			if err := quickCheckValue(v, db.schema); err != nil {
				return valueErr(&valueError{bucketCDR, strconv.FormatUint(binary.BigEndian.Uint64(k), 10), err})
			}
			return nil
		})
	}(tx)
}

// migrateFile rewrites every value at the current schema in one
// transaction, after copying the file aside so that a firmware rollback
// still finds a database it can read.
func (db *DB) migrateFile() error {
	from := db.schema
	snap := fmt.Sprintf("%s.schema-v%d-%s.bak", db.path, from, db.now().UTC().Format("20060102T150405Z"))
	if err := db.bolt.View(func(tx *bbolt.Tx) error { return tx.CopyFile(snap, 0o600) }); err != nil {
		return fmt.Errorf("snapshot before migrating: %w", err)
	}
	kinds := []struct {
		bucket string
		kind   string
		new    func() any
	}{
		{bucketSystem, "system", func() any { return new(System) }},
		{bucketExtensions, "extension", func() any { return new(Extension) }},
		{bucketFXOLines, "fxo_line", func() any { return new(FXOLine) }},
		{bucketFXSPorts, "fxs_port", func() any { return new(FXSPort) }},
		{bucketAdmin, "admin", func() any { return new(adminRecord) }},
		{bucketCDR, "cdr", func() any { return new(CallRecord) }},
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, k := range kinds {
			b := tx.Bucket([]byte(k.bucket))
			if b == nil {
				continue // a bucket made on first use, not used yet
			}
			type kv struct{ k, v []byte }
			var out []kv
			err := b.ForEach(func(key, raw []byte) error {
				v := k.new()
				if err := decodeValue(k.kind, raw, from, v); err != nil {
					return &valueError{k.bucket, string(key), err}
				}
				enc, err := encodeValue(v)
				if err != nil {
					return err
				}
				out = append(out, kv{append([]byte(nil), key...), enc})
				return nil
			})
			if err != nil {
				return err
			}
			for _, p := range out {
				if err := b.Put(p.k, p.v); err != nil {
					return err
				}
			}
		}
		meta := tx.Bucket([]byte(bucketMeta))
		if raw := meta.Get([]byte(metaLimits)); raw != nil {
			var l Limits
			if err := decodeValue("limits", raw, from, &l); err != nil {
				return &valueError{bucketMeta, metaLimits, err}
			}
			if err := putValue(meta, metaLimits, l); err != nil {
				return err
			}
		}
		return meta.Put([]byte(metaSchema), []byte(strconv.Itoa(SchemaVersion)))
	})
	if err != nil {
		return err
	}
	db.log.Info("migrated the database", "path", db.path, "from_schema", from, "to_schema", SchemaVersion, "snapshot", snap)
	db.schema = SchemaVersion
	return nil
}

// setupLimits decides the port counts validation uses and, when pbxd
// passed the board's, records them and fits the FXO lines to the board.
func (db *DB) setupLimits(given *Limits) error {
	var stored *Limits
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if raw := tx.Bucket([]byte(bucketMeta)).Get([]byte(metaLimits)); raw != nil {
			stored = new(Limits)
			return decodeValue("limits", raw, db.schema, stored)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case given != nil:
		db.limits = *given
	case stored != nil:
		db.limits = *stored
	default:
		db.limits = DefaultLimits()
	}
	if db.readOnly || given == nil || (stored != nil && *stored == *given) {
		return nil
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		c, err := readConfig(tx, db.schema)
		if err != nil {
			return err
		}
		var kept []FXOLine
		have := map[int]bool{}
		for _, l := range c.FXOLines {
			if l.Port > db.limits.FXOPorts {
				db.log.Warn("dropping the configuration of an FXO port this board does not have",
					"port", l.Port, "name", l.Name, "destination", l.Destination)
				continue
			}
			have[l.Port] = true
			kept = append(kept, l)
		}
		dest := ""
		if len(c.Extensions) > 0 {
			dest = c.Extensions[0].Number
		}
		for n := 1; n <= db.limits.FXOPorts; n++ {
			if !have[n] {
				kept = append(kept, defaultLine(n, dest))
				db.log.Info("configured a new FXO port with defaults", "port", n, "destination", dest)
			}
		}
		c.FXOLines = kept
		c.FXSPorts = slices.DeleteFunc(c.FXSPorts, func(p FXSPort) bool {
			if p.Port > db.limits.FXSPorts {
				db.log.Warn("dropping the settings of an FXS port this board does not have", "port", p.Port)
				return true
			}
			return false
		})
		sortConfig(&c)
		if err := writeConfig(tx, c); err != nil {
			return err
		}
		return putValue(tx.Bucket([]byte(bucketMeta)), metaLimits, db.limits)
	})
}

// reportProblems logs what is wrong with the stored configuration (for
// instance an extension on an FXS port the board no longer has): the box
// still starts, and the installer sees the fields to fix.
func (db *DB) reportProblems() {
	c, err := db.Config()
	if err != nil {
		return
	}
	v := db.validator(false, c)
	for _, i := range v.check(&c) {
		db.log.Warn("stored configuration problem", "field", i.path, "problem", i.msg)
	}
}

// valueError names the value that failed to decode.
type valueError struct {
	bucket, key string
	err         error
}

func (e *valueError) Error() string {
	return fmt.Sprintf("%s/%s: %v", e.bucket, e.key, e.err)
}

func (e *valueError) Unwrap() error { return e.err }

// putValue stores v in an envelope under key.
func putValue(b *bbolt.Bucket, key string, v any) error {
	enc, err := encodeValue(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), enc)
}

// Snapshot writes a consistent copy of the whole database file to w (a
// backup including call records and the admin password hash).
func (db *DB) Snapshot(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}
