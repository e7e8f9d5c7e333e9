package store

import (
	"context"
	"fmt"
)

// readSnapshot runs fn in one read transaction on a reader connection, so
// that all it reads is the database at one moment. database/sql's BeginTx
// would not do: the connections are opened with _txlock=immediate, and
// BeginTx would take the write lock, holding up the bot's writes. A plain
// BEGIN is deferred: it takes a read snapshot at the first read and
// blocks no writer (WAL).
func (s *Store) readSnapshot(ctx context.Context, fn func(q querier) error) error {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	// The transaction only read: ending it cannot fail in a way that
	// matters, and must happen even when fn failed.
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	return fn(conn)
}
