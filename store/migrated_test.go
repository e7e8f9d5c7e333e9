package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/store/storetest"
)

// TestMigratedIsANewDatabase: a copy of storetest's template holds what a
// database store.Open makes holds, schema and rows, and draws its own
// values where each new database draws them at random; so does every
// migration, or this fails naming the table to add to storetest's drawn.
// It lives here, not in storetest, to spare the suite a test binary.
func TestMigratedIsANewDatabase(t *testing.T) {
	t.Parallel()
	var made, copied []map[string]string
	for range 2 {
		path := filepath.Join(t.TempDir(), "mailbot.db")
		s, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		made = append(made, dump(t, path))
		path = filepath.Join(t.TempDir(), "mailbot.db")
		storetest.Migrated(t, path)
		if s, err = store.Open(context.Background(), path); err != nil {
			t.Fatalf("store.Open of a copy: %v", err)
		}
		s.Close()
		copied = append(copied, dump(t, path))
	}
	// What two new databases differ in is what each draws for itself.
	var own []string
	for _, table := range slices.Sorted(maps.Keys(made[0])) {
		if made[0][table] != made[1][table] {
			own = append(own, table)
		}
	}
	if want := []string{"table calendar_uids"}; !slices.Equal(own, want) {
		t.Errorf("two new databases differ in %v, want only %v: give a copy its own values there (storetest's drawn)", own, want)
	}
	for i, c := range copied {
		if !slices.Equal(slices.Sorted(maps.Keys(c)), slices.Sorted(maps.Keys(made[0]))) {
			t.Fatalf("copy %d has tables %v, a new database %v", i+1, slices.Sorted(maps.Keys(c)), slices.Sorted(maps.Keys(made[0])))
		}
		for table, rows := range c {
			if slices.Contains(own, table) {
				for _, other := range []string{made[0][table], made[1][table], copied[1-i][table]} {
					if rows == other {
						t.Errorf("copy %d: %s is %q, as in another database; want its own", i+1, table, rows)
					}
				}
				continue
			}
			if rows != made[0][table] {
				t.Errorf("copy %d: %s is\n%s\nin a new database\n%s", i+1, table, rows, made[0][table])
			}
		}
	}
}

// dump is the database's schema version and, for each table, its
// definition and rows.
func dump(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]string{}
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	out["user_version"] = fmt.Sprint(version)
	rows, err := db.Query(`SELECT type, name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var typ, name, def string
		if err := rows.Scan(&typ, &name, &def); err != nil {
			t.Fatal(err)
		}
		out[typ+" "+name] = def
		if typ == "table" {
			tables = append(tables, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, table := range tables {
		out["table "+table] += "\n" + tableRows(t, db, table)
	}
	return out
}

func tableRows(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%v\n", vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
