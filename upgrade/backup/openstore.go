package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
)

// OpenStore opens the data directory's database as store.Open does and,
// when the database was written by a newer firmware (store.ErrTooNew:
// the box rolled back after an upgrade that migrated it), restores the
// snapshot taken before that upgrade and opens it instead. pbxd opens its
// database through it. restored reports a rollback restore (log it, and
// show it in the web UI: changes made while the newer firmware ran are
// in upgrade-snapshot/pbx.db.rejected).
func OpenStore(ctx context.Context, dir string, o store.Options) (db *store.DB, restored *datadir.SnapshotInfo, err error) {
	path := datadir.Of(dir).Database()
	db, err = store.Open(path, o)
	if err == nil || !errors.Is(err, store.ErrTooNew) {
		return db, nil, err
	}
	info, rerr := datadir.RestoreSnapshot(dir)
	if rerr != nil {
		return nil, nil, fmt.Errorf("%w (and no snapshot to return to: %v)", err, rerr)
	}
	if o.Logger != nil {
		o.Logger.LogAttrs(ctx, slog.LevelWarn, "database written by a newer firmware; restored the snapshot taken before the upgrade",
			slog.String("from_version", info.FromVersion), slog.String("to_version", info.ToVersion), slog.Time("taken", info.Created))
	}
	db, err = store.Open(path, o)
	if err != nil {
		return nil, nil, err
	}
	return db, &info, nil
}
