package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "mailbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenSettings(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "10000",
		"synchronous":  "2", // FULL
	} {
		var got string
		if err := s.w.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if got := userVersion(t, s.w); got != SchemaVersion() {
		t.Errorf("user_version = %d, want %d", got, SchemaVersion())
	}
	if err := s.IntegrityCheck(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestUpgradeFromEachVersion builds a database at every older schema
// version, puts data in it, and checks Open brings it up to date intact.
func TestUpgradeFromEachVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for from := 1; from < SchemaVersion(); from++ {
		path := filepath.Join(t.TempDir(), "old.db")
		db, err := openDB(path, 1, DefaultBusyTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if err := migrateTo(ctx, db, from); err != nil {
			t.Fatalf("migrate to %d: %v", from, err)
		}
		if _, err := db.Exec(`INSERT INTO people (email, name, created_at, updated_at) VALUES ('ann@example.org', 'Ann', 1, 1)`); err != nil {
			t.Fatal(err)
		}
		db.Close()

		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open version %d database: %v", from, err)
		}
		if got := userVersion(t, s.w); got != SchemaVersion() {
			t.Errorf("from %d: user_version = %d, want %d", from, got, SchemaVersion())
		}
		var name string
		if err := s.r.QueryRow(`SELECT name FROM people WHERE email = 'ANN@example.org'`).Scan(&name); err != nil || name != "Ann" {
			t.Errorf("from %d: person after upgrade = %q, %v; want Ann", from, name, err)
		}
		s.Close()
	}
}

func TestNewerDatabaseRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "newer than this mailbot") {
		t.Fatalf("Open(newer) = %v, want a 'newer than this mailbot' error", err)
	}
}

func TestInboundDedupAndAdvance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	now := time.Now()
	in := Inbound{Key: "<a@x>", Mailbox: "INBOX", UIDValidity: 7, UID: 5, Sender: "a@x", ReceivedAt: now, HandledAt: now, Outcome: "replied"}
	err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.RecordInbound(ctx, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   Inbound
		want bool
	}{
		{"same key elsewhere", Inbound{Key: "<a@x>", Mailbox: "INBOX", UIDValidity: 8, UID: 1}, true},
		{"same position, other key", Inbound{Key: "<b@x>", Mailbox: "INBOX", UIDValidity: 7, UID: 5}, true},
		{"new", Inbound{Key: "<b@x>", Mailbox: "INBOX", UIDValidity: 7, UID: 6}, false},
	} {
		var got bool
		s.Write(ctx, func(tx *Tx) (err error) { got, err = tx.Handled(ctx, tc.in); return err })
		if got != tc.want {
			t.Errorf("%s: Handled = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Advance never goes back, and ignores a stale UIDVALIDITY.
	s.Write(ctx, func(tx *Tx) error { return tx.Advance(ctx, "INBOX", 7, 3) })
	s.Write(ctx, func(tx *Tx) error { return tx.Advance(ctx, "INBOX", 6, 99) })
	st, ok, err := s.MailboxState(ctx, "INBOX")
	if err != nil || !ok || st != (MailboxState{UIDValidity: 7, LastUID: 5}) {
		t.Errorf("MailboxState = %+v, %v, %v; want {7 5}", st, ok, err)
	}
	uids, _ := s.Unmarked(ctx, "INBOX", 7)
	if len(uids) != 1 || uids[0] != 5 {
		t.Errorf("Unmarked = %v, want [5]", uids)
	}
	if err := s.SetMarked(ctx, "INBOX", 7, []uint32{5}); err != nil {
		t.Fatal(err)
	}
	if uids, _ := s.Unmarked(ctx, "INBOX", 7); len(uids) != 0 {
		t.Errorf("Unmarked after SetMarked = %v, want none", uids)
	}
	if err := s.ResetMailbox(ctx, "INBOX", 8); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := s.MailboxState(ctx, "INBOX"); st != (MailboxState{UIDValidity: 8}) {
		t.Errorf("after reset: %+v, want {8 0}", st)
	}
}

// TestWriteRollsBack checks a failed handler leaves no trace: the reply is
// not queued and the message is not recorded as handled.
func TestWriteRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	now := time.Now()
	err := s.Write(ctx, func(tx *Tx) error {
		id, err := tx.RecordInbound(ctx, Inbound{Key: "<r@x>", Mailbox: "INBOX", UIDValidity: 1, UID: 1, ReceivedAt: now, HandledAt: now})
		if err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, OutMessage{Kind: "help", MessageID: "<m1@x>", MailFrom: "bot@x", Rcpt: "r@x", Body: []byte("x"), InboundID: id}, now); err != nil {
			return err
		}
		// The same Message-ID twice breaks the UNIQUE constraint.
		_, err = tx.Enqueue(ctx, OutMessage{Kind: "help", MessageID: "<m1@x>", MailFrom: "bot@x", Rcpt: "r@x", Body: []byte("x")}, now)
		return err
	})
	if err == nil {
		t.Fatal("Write with a duplicate Message-ID succeeded")
	}
	if n, _ := s.CountInbound(ctx); n != 0 {
		t.Errorf("inbound rows after rollback = %d, want 0", n)
	}
	if st, _ := s.OutboxStats(ctx); st.Queued != 0 {
		t.Errorf("queued after rollback = %d, want 0", st.Queued)
	}
	if _, ok, _ := s.MailboxState(ctx, "INBOX"); ok {
		t.Error("mailbox advanced by a rolled-back write")
	}
}

func TestOutboxLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	for i, rcpt := range []string{"a@x", "b@x", "c@x"} {
		err := s.Write(ctx, func(tx *Tx) error {
			_, err := tx.Enqueue(ctx, OutMessage{Kind: "help", MessageID: "<" + rcpt + ">", MailFrom: "bot@x", Rcpt: rcpt, Body: []byte{byte(i)}}, t0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	due, err := s.DueOutbox(ctx, t0, true, 10)
	if err != nil || len(due) != 3 || due[0].Rcpt != "a@x" {
		t.Fatalf("DueOutbox = %+v, %v; want a, b, c", due, err)
	}
	err = s.Record(ctx,
		Outcome{ID: due[0].ID, Status: Sent, At: t0},
		Outcome{ID: due[1].ID, Status: Retry, Next: t0.Add(time.Minute), Reason: "451 try later"},
		Outcome{ID: due[2].ID, Status: Failed, Reason: "550 no such user"})
	if err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueOutbox(ctx, t0.Add(time.Second), true, 10); len(due) != 0 {
		t.Errorf("due before retry time: %+v, want none", due)
	}
	if next, ok, _ := s.NextDue(ctx, true); !ok || !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("NextDue = %v, %v; want %v", next, ok, t0.Add(time.Minute))
	}
	due, _ = s.DueOutbox(ctx, t0.Add(time.Minute), true, 10)
	if len(due) != 1 || due[0].Rcpt != "b@x" || due[0].Attempts != 1 {
		t.Errorf("due after retry time: %+v, want b@x after 1 attempt", due)
	}
	st, _ := s.OutboxStats(ctx)
	if st.Queued != 1 || st.Failed != 1 || !st.OldestQueued.Equal(t0) {
		t.Errorf("OutboxStats = %+v", st)
	}
	msgs, _ := s.OutboxByRcpt(ctx, "C@X")
	if len(msgs) != 1 || msgs[0].Status != "failed" || msgs[0].LastError != "550 no such user" {
		t.Errorf("OutboxByRcpt(c) = %+v", msgs)
	}
	if err := s.Record(ctx, Outcome{ID: 999, Status: Sent, At: t0}); err == nil {
		t.Error("Record of a missing row succeeded")
	}
	if all, bulk, err := s.SentSince(ctx, t0); all != 1 || bulk != 0 || err != nil {
		t.Errorf("SentSince = %d, %d, %v; want 1, 0, nil", all, bulk, err)
	}
}

func TestUpsertSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	start := time.Date(2027, 7, 15, 12, 0, 0, 0, time.UTC)
	base := Session{ID: "s1", Kind: "session", Title: "T", Starts: start, Ends: start.Add(time.Hour), Capacity: 20, Location: "Online"}
	upsert := func(ss Session) SessionChange {
		var ch SessionChange
		if err := s.Write(ctx, func(tx *Tx) (err error) { ch, _, err = tx.UpsertSession(ctx, ss, start); return err }); err != nil {
			t.Fatal(err)
		}
		return ch
	}
	retitled, moved := base, base
	retitled.Title = "T2"
	moved.Title, moved.Location = "T2", "Hall"
	for _, tc := range []struct {
		ss   Session
		want SessionChange
		seq  int
	}{
		{base, SessionAdded, 0},
		{base, SessionUnchanged, 0},
		{retitled, SessionUpdated, 0},
		{moved, SessionMoved, 1},
	} {
		if got := upsert(tc.ss); got != tc.want {
			t.Errorf("upsert %+v = %v, want %v", tc.ss, got, tc.want)
		}
		list, _ := s.UpcomingSessions(ctx, start.Add(-time.Hour), "")
		if len(list) != 1 || list[0].Sequence != tc.seq {
			t.Errorf("after upsert: %+v, want one session at sequence %d", list, tc.seq)
		}
	}
	if list, _ := s.UpcomingSessions(ctx, start, ""); len(list) != 0 {
		t.Errorf("UpcomingSessions from its start = %+v, want none", list)
	}
	bad := base
	bad.ID, bad.Ends = "s2", start
	if err := s.Write(ctx, func(tx *Tx) error { _, _, err := tx.UpsertSession(ctx, bad, start); return err }); err == nil {
		t.Error("a session ending as it starts was accepted")
	}
}
