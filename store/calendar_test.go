package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestCalendarUIDsOnUpgrade: a database with bookings when migration 0010
// arrives keeps their UIDs (first_booking is past them); a new database
// tokens every booking; two new databases get different tokens.
func TestCalendarUIDsOnUpgrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := openDB(path, 1, DefaultBusyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, db, 9); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO people (id, email, name, created_at, updated_at) VALUES (1, 'ann@example.org', 'Ann', 1, 1)`,
		`INSERT INTO sessions (id, kind, title, starts_at, ends_at, capacity, updated_at) VALUES ('s', 'session', 'S', 1, 2, 9, 1)`,
		`INSERT INTO bookings (id, session_id, person_id, places, status, source, booked_at, updated_at) VALUES (41, 's', 1, 1, 'confirmed', 'email', 1, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old, err := s.CalendarUIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if old.FirstBooking != 42 || len(old.Token) != 16 {
		t.Errorf("upgraded: %+v, want first booking 42 and a 16-digit token", old)
	}
	var tokens []string
	for range 2 {
		c, err := openTest(t).CalendarUIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.FirstBooking != 1 {
			t.Errorf("new database: first booking %d, want 1", c.FirstBooking)
		}
		tokens = append(tokens, c.Token)
	}
	if tokens[0] == tokens[1] {
		t.Errorf("two new databases share the token %q", tokens[0])
	}
}
