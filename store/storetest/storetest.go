// Package storetest gives tests a database at the current schema without
// running every migration for each: under -race the migrations cost
// about 10 ms of CPU a database, and package mailbot's tests open
// hundreds. The migrations themselves are tested in package store.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/betterdays/mailbot/store"
)

// template is an empty database as store.Open leaves a new file, made
// once per test binary.
var template = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mailbot.db")
	s, err := store.Open(context.Background(), path)
	if err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	// Closing the last connection checkpoints the write-ahead log into
	// the file and removes it; a log left beside it would hold part of
	// the schema.
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("a write-ahead log is left beside the closed template (%v)", err)
	}
	return os.ReadFile(path)
})

// drawn are the statements that draw anew, for a copy of the template,
// what each new database draws at random for itself: the token of its
// calendar UIDs, so that two databases never give two events one UID.
// TestMigratedIsANewDatabase (in store) fails when a migration draws
// something else.
var drawn = []string{`UPDATE calendar_uids SET token = lower(hex(randomblob(8)))`}

// Migrated writes at path, which must not exist, an empty database at
// the current schema, as store.Open would make it there: store.Open then
// finds nothing to migrate.
func Migrated(tb testing.TB, path string) {
	tb.Helper()
	b, err := template()
	if err != nil {
		tb.Fatalf("template database: %v", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) // as SQLite creates it
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	// Opened without store's settings: the file keeps the write-ahead
	// log mode it was made with.
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path))
	if err != nil {
		tb.Fatal(err)
	}
	for _, q := range drawn {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			tb.Fatalf("draw a new database's own values: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}
