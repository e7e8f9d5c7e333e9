package store

import (
	"context"
	"fmt"
)

// CalendarUIDs is what makes this database's calendar UIDs its own (see
// migration 0010): a random token, and the first booking that carries it.
type CalendarUIDs struct {
	Token        string
	FirstBooking int64
}

// CalendarUIDs reads the database's calendar UID token.
func (s *Store) CalendarUIDs(ctx context.Context) (CalendarUIDs, error) {
	var c CalendarUIDs
	err := s.r.QueryRowContext(ctx, `SELECT token, first_booking FROM calendar_uids WHERE id = 1`).Scan(&c.Token, &c.FirstBooking)
	if err != nil {
		return c, fmt.Errorf("read the calendar UID token: %w", err)
	}
	return c, nil
}
