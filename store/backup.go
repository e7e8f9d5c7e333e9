package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"
)

// Backup writes a consistent copy of the database to path while the bot
// goes on using it. VACUUM INTO reads the database in one transaction, so
// the copy is the database as it was at one moment, and in WAL mode
// writers carry on meanwhile. The copy is made mode 0600 (it holds
// personal data) and checked with SQLite's integrity check before Backup
// returns. path must not exist: an old backup is never overwritten.
func (s *Store) Backup(ctx context.Context, path string) error {
	if err := vacuumInto(ctx, s.r, path); err != nil {
		return asFault(s.path, err)
	}
	return nil
}

// vacuumInto copies db to path, new, and checks the copy.
func vacuumInto(ctx context.Context, db *sql.DB, path string) error {
	// SQLite takes an empty file as well as none: make it first, so
	// that it is ours alone from the start, and so that an existing file
	// stops us before anything is written.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	f.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	if err := checkCopy(ctx, path); err != nil {
		return fmt.Errorf("back up to %s: the copy is not sound, keep the database and try again: %w", path, err)
	}
	return nil
}

// checkCopy opens a copy read-only and runs the integrity check on it.
func checkCopy(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return errors.New(res)
	}
	return nil
}

// upgradeBackup is where the copy made before an upgrade from schema
// version goes: beside the database, named for the version and the time,
// so that a second upgrade never overwrites the first's.
func upgradeBackup(path string, version int, now time.Time) string {
	return fmt.Sprintf("%s.schema%d-%s.backup", path, version, now.UTC().Format("20060102T150405Z"))
}
