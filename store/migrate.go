package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the schema steps in order; the database's PRAGMA
// user_version counts how many have been applied.
var migrations = mustLoadMigrations()

func mustLoadMigrations() []string {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var out []string
	for i, name := range names { // fs.Glob returns names sorted
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || n != i+1 {
			panic(fmt.Sprintf("migration %s: want number %04d", name, i+1))
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, string(b))
	}
	return out
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

// migrate applies the migrations the database at path lacks, all in one
// transaction, so a failed upgrade leaves the old schema intact. Before
// upgrading a database that has a schema already, it makes a copy beside
// it (upgradeBackup), so that going back to the older mailbot is possible
// and the error of a failed upgrade can name a real copy.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	var backup string
	if version > 0 && version < len(migrations) {
		backup = upgradeBackup(path, version, time.Now())
		if err := vacuumInto(ctx, db, backup); err != nil {
			return fmt.Errorf("before upgrading schema %d to %d, nothing changed: %w", version, len(migrations), err)
		}
	}
	if err := migrateTo(ctx, db, len(migrations)); err != nil {
		if backup != "" {
			return fmt.Errorf("%w; the database is as it was, and the copy made before the upgrade is %s", err, backup)
		}
		return err
	}
	return nil
}

func migrateTo(ctx context.Context, db *sql.DB, target int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this mailbot understands (%d): run a newer mailbot, or restore the copy the newer one made before it upgraded the database (beside it, named …schema%d-TIME.backup)", version, len(migrations), len(migrations))
	}
	if version >= target {
		return nil
	}
	for i := version; i < target; i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; target is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", target)); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}
