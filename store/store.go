// Package store owns the bot's SQLite database: how it is opened, its schema
// and migrations, and typed reads and writes of its records. It knows SQL and
// records, nothing of MIME, IMAP or SMTP.
//
// All writes go through Store.Write, one immediate transaction at a time on a
// single connection, so SQLite never sees two writers and a handler's effects,
// its replies and its processed-message record commit together or not at all.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// Store is an open database. It is safe for concurrent use.
type Store struct {
	w     *sql.DB // the one writer connection
	r     *sql.DB // readers; WAL lets them run beside the writer
	path  string  // absolute, for messages that name the file
	fault atomic.Pointer[Fault]
	// checkpoint is how Checkpoint treats the write-ahead log; set by
	// SetCheckpoint before the store is shared.
	checkpoint CheckpointMode
}

// CheckpointMode is how the bot checkpoints its write-ahead log
// (MAILBOT_CHECKPOINT).
type CheckpointMode string

const (
	// CheckpointTruncate copies the log into the database and empties
	// it: erased and pruned words leave the disk. The default.
	CheckpointTruncate CheckpointMode = "truncate"
	// CheckpointPassive copies what it can without waiting for readers
	// or emptying the log, for a replication tool such as Litestream
	// that holds the log open and empties it itself.
	CheckpointPassive CheckpointMode = "passive"
	// CheckpointOff leaves checkpoints to SQLite's automatic ones and to
	// the replication tool.
	CheckpointOff CheckpointMode = "off"
)

// SetCheckpoint sets how Checkpoint treats the write-ahead log. Call it
// before the store is used by more than one goroutine.
func (s *Store) SetCheckpoint(m CheckpointMode) { s.checkpoint = m }

// Open opens (creating if needed) the database at path and brings its schema
// up to date. A database written by a newer mailbot is refused. A database
// that cannot be opened or written for a reason an operator must fix is
// refused with a *Fault.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// DefaultBusyTimeout is how long a statement waits for another program's
// lock on the database before it fails with "database is locked".
const DefaultBusyTimeout = 10 * time.Second

// Options are the settings of Open that a caller may change.
type Options struct {
	// BusyTimeout replaces DefaultBusyTimeout when it is not zero; tests
	// that hold a lock on purpose set it short, so as not to wait it out.
	BusyTimeout time.Duration
}

// OpenWith is Open with opts.
func OpenWith(ctx context.Context, path string, opts Options) (*Store, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	w, err := openDB(path, 1, busy)
	if err != nil {
		return nil, asFault(path, err)
	}
	if err := migrate(ctx, w, path); err != nil {
		w.Close()
		return nil, asFault(path, fmt.Errorf("database %s: %w", path, err))
	}
	r, err := openDB(path, 4, busy)
	if err != nil {
		w.Close()
		return nil, asFault(path, err)
	}
	return &Store{w: w, r: r, path: path}, nil
}

// Fault is the fault the database's last failed write met (a *Fault),
// or nil when no write has failed since the last one that succeeded: a
// fixed fault clears with the next write, which the bot retries by itself.
func (s *Store) Fault() *Fault {
	return s.fault.Load()
}

// Classify returns err as a *Fault of this database when it is one (for
// a failed read, say), and err unchanged otherwise.
func (s *Store) Classify(err error) error {
	return asFault(s.path, err)
}

// failed records err as the database's fault when it is one.
func (s *Store) failed(err error) error {
	f, err := faultOf(s.path, err)
	if f != nil {
		s.fault.Store(f)
	}
	return err
}

// openDB is the one place connection settings live. synchronous=FULL keeps a
// committed transaction through power loss, not only a process crash: a
// message is flagged \Seen on the server only after its commit, so a commit
// that could vanish would lose a request.
func openDB(path string, conns int, busy time.Duration) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	q.Set("_txlock", "immediate")
	// Erased and pruned data is overwritten, not left in free space (forget.go).
	q.Set("_secure_delete", "on")
	// Keep each connection's prepared statements: the outbox runs the same
	// few statements for every message it sends, and preparing one again
	// costs as much as running it.
	q.Set("_stmt_cache_size", "64")
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Tx is a write transaction. Its methods are the only way to change the
// database.
type Tx struct {
	tx *sql.Tx
	s  *Store
	// faulted is set when a savepoint met a fault: the transaction may
	// still commit the rest, but that does not mean the fault is gone.
	faulted bool
}

// Write runs fn in one immediate transaction and commits it if fn returns
// nil. Nothing fn did is kept if it returns an error or the commit fails.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.failed(fmt.Errorf("begin write: %w", err))
	}
	t := &Tx{tx: tx, s: s}
	if err := fn(t); err != nil {
		tx.Rollback()
		return s.failed(err)
	}
	if err := tx.Commit(); err != nil {
		return s.failed(fmt.Errorf("commit: %w", err))
	}
	if !t.faulted {
		s.fault.Store(nil)
	}
	return nil
}

// ErrTxBroken says a transaction cannot be committed in part: roll it
// back whole.
var ErrTxBroken = errors.New("the transaction cannot go on")

// Savepoint runs fn inside tx as one unit: if it fails, what it wrote is
// undone and the rest of tx stands. Several messages can then share one
// commit without one message's failure costing the others.
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	if _, err := tx.tx.ExecContext(ctx, "SAVEPOINT one"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		// A caller may carry on past a failed savepoint, so its fault is
		// recorded here, not only when Write returns.
		var f *Fault
		if f, err = faultOf(tx.s.path, err); f != nil {
			tx.s.fault.Store(f)
			tx.faulted = true
		}
		if _, rerr := tx.tx.ExecContext(ctx, "ROLLBACK TO one"); rerr != nil {
			// SQLite ends the whole transaction on some errors (a full
			// disk, an I/O error): nothing of it may be committed now.
			return errors.Join(err, fmt.Errorf("%w: %v", ErrTxBroken, rerr))
		}
		tx.tx.ExecContext(ctx, "RELEASE one")
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, "RELEASE one"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// IntegrityCheck runs SQLite's own consistency check.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
