package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBackupWhileWriting copies the database while another goroutine
// keeps adding sessions: the copy is sound, holds a prefix of what was
// written, is private to its owner, and an existing file is never
// overwritten.
func TestBackupWhileWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := s.Write(ctx, func(tx *Tx) error {
				_, _, err := tx.UpsertSession(ctx, Session{ID: fmt.Sprint("s", i), Kind: "session", Title: "T",
					Starts: time.Unix(1e9, 0), Ends: time.Unix(1e9+3600, 0), Capacity: 1}, time.Now())
				return err
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	path := filepath.Join(t.TempDir(), "copy.db")
	err := s.Backup(ctx, path)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("backup mode %04o, want 0600", perm)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil || n == 0 {
		t.Errorf("sessions in the copy: %d, %v; want some", n, err)
	}
	if v := userVersion(t, db); v != SchemaVersion() {
		t.Errorf("copy's schema %d, want %d", v, SchemaVersion())
	}
	if err := s.Backup(ctx, path); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v, want refused", err)
	}
}

// olderDatabase makes a database at schema version 9 with one person.
func olderDatabase(t *testing.T, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mailbot.db")
	db, err := openDB(path, 1, DefaultBusyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrateTo(context.Background(), db, 9); err != nil {
		t.Fatal(err)
	}
	for _, q := range append([]string{`INSERT INTO people (email, name, created_at, updated_at) VALUES ('ann@example.org', 'Ann', 1, 1)`}, extra...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// backups are the copies made beside path before upgrades.
func backups(t *testing.T, path string) []string {
	t.Helper()
	found, err := filepath.Glob(path + ".schema*.backup")
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestUpgradeMakesBackup: opening an older database copies it first,
// as it was; a new database and an up-to-date one get no copy.
func TestUpgradeMakesBackup(t *testing.T) {
	t.Parallel()
	path := olderDatabase(t)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	got := backups(t, path)
	if len(got) != 1 || !strings.Contains(got[0], ".schema9-") {
		t.Fatalf("backups %q, want one for schema 9", got)
	}
	db, err := sql.Open("sqlite3", got[0])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow(`SELECT name FROM people`).Scan(&name); err != nil || name != "Ann" {
		t.Errorf("person in the copy: %q, %v", name, err)
	}
	if v := userVersion(t, db); v != 9 {
		t.Errorf("copy's schema %d, want 9: the copy is of the database before the upgrade", v)
	}
	if s, err = Open(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n := len(backups(t, path)); n != 1 {
		t.Errorf("%d backups after opening an up-to-date database, want still 1", n)
	}
	fresh := filepath.Join(t.TempDir(), "new.db")
	if s, err = Open(context.Background(), fresh); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n := len(backups(t, fresh)); n != 0 {
		t.Errorf("a new database got %d backups", n)
	}
}

// TestFailedUpgradeNamesBackup: an upgrade that fails leaves the database
// at its old version, and its error names the copy, which exists.
func TestFailedUpgradeNamesBackup(t *testing.T) {
	t.Parallel()
	// Migration 10 makes calendar_uids: already there, it fails.
	path := olderDatabase(t, `CREATE TABLE calendar_uids (x)`)
	_, err := Open(context.Background(), path)
	if err == nil {
		t.Fatal("the upgrade did not fail: the test proves nothing")
	}
	got := backups(t, path)
	if len(got) != 1 || !strings.Contains(err.Error(), got[0]) || !strings.Contains(err.Error(), "as it was") {
		t.Fatalf("error %q; backups %q: want the error to name the one copy", err, got)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v := userVersion(t, db); v != 9 {
		t.Errorf("schema after a failed upgrade %d, want 9", v)
	}
}
