package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpointModes: truncate empties the write-ahead log and, while a
// reader holds it (as Litestream always does), waits out the busy timeout
// (set short here, not the default 10s) and says it could not; passive copies without waiting and leaves
// the log's length; off touches nothing.
func TestCheckpointModes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		mode           CheckpointMode
		idleDone       bool
		idleWALEmpty   bool
		readerDone     bool
		readerWALEmpty bool
	}{
		{CheckpointTruncate, true, true, false, false},
		{CheckpointPassive, true, false, true, false},
		{CheckpointOff, true, false, true, false},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s, err := OpenWith(ctx, filepath.Join(t.TempDir(), "mailbot.db"), Options{BusyTimeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			s.SetCheckpoint(tc.mode)
			write := func(i int) {
				err := s.Write(ctx, func(tx *Tx) error {
					_, _, err := tx.UpsertSession(ctx, Session{ID: fmt.Sprint("s", i), Kind: "session", Title: "T",
						Starts: time.Unix(1e9, 0), Ends: time.Unix(1e9+3600, 0), Capacity: 1}, time.Now())
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			walSize := func() int64 {
				info, err := os.Stat(s.path + "-wal")
				if err != nil {
					t.Fatal(err)
				}
				return info.Size()
			}
			write(1)
			done, err := s.Checkpoint(ctx)
			if err != nil || done != tc.idleDone || (walSize() == 0) != tc.idleWALEmpty {
				t.Errorf("no readers: done %v, %v, WAL %d bytes; want done %v, WAL empty %v", done, err, walSize(), tc.idleDone, tc.idleWALEmpty)
			}
			write(2)
			// A reader holds a snapshot, as Litestream always does.
			held := make(chan struct{})
			release := make(chan struct{})
			go s.readSnapshot(ctx, func(q querier) error {
				var n int
				err := q.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&n)
				close(held)
				<-release
				return err
			})
			<-held
			write(3) // past the reader's snapshot
			done, err = s.Checkpoint(ctx)
			close(release)
			if err != nil || done != tc.readerDone || (walSize() == 0) != tc.readerWALEmpty {
				t.Errorf("a reader holding the log: done %v, %v, WAL %d bytes; want done %v, WAL empty %v", done, err, walSize(), tc.readerDone, tc.readerWALEmpty)
			}
		})
	}
}
