package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is one timetable entry: a group session or a drop-in slot.
type Session struct {
	ID          string // the organiser's own stable key
	Kind        string // "session" or "dropin"
	Title       string
	Starts      time.Time
	Ends        time.Time
	Capacity    int
	Location    string
	Description string
	Sequence    int // iCalendar SEQUENCE, bumped when time or place change
}

// SessionChange says what an upsert did to a session.
type SessionChange int

const (
	SessionUnchanged SessionChange = iota
	SessionAdded
	SessionUpdated // title, capacity or description changed
	SessionMoved   // time or place changed: people booked need telling
)

// UpsertSession adds s, or updates the session with its id.
func (tx *Tx) UpsertSession(ctx context.Context, s Session, now time.Time) (SessionChange, error) {
	var old Session
	var starts, ends int64
	err := tx.tx.QueryRowContext(ctx, `
		SELECT kind, title, starts_at, ends_at, capacity, location, description, sequence
		FROM sessions WHERE id = ?`, s.ID).
		Scan(&old.Kind, &old.Title, &starts, &ends, &old.Capacity, &old.Location, &old.Description, &old.Sequence)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err := tx.tx.ExecContext(ctx, `
			INSERT INTO sessions (id, kind, title, starts_at, ends_at, capacity, location, description, sequence, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
			s.ID, s.Kind, s.Title, millis(s.Starts), millis(s.Ends), s.Capacity, s.Location, s.Description, millis(now))
		if err != nil {
			return 0, fmt.Errorf("add session %s: %w", s.ID, err)
		}
		return SessionAdded, nil
	case err != nil:
		return 0, fmt.Errorf("read session %s: %w", s.ID, err)
	}
	old.Starts, old.Ends = fromMillis(starts), fromMillis(ends)

	change := SessionUnchanged
	seq := old.Sequence
	switch {
	case !old.Starts.Equal(s.Starts) || !old.Ends.Equal(s.Ends) || old.Location != s.Location:
		change, seq = SessionMoved, seq+1
	case old.Kind != s.Kind || old.Title != s.Title || old.Capacity != s.Capacity || old.Description != s.Description:
		change = SessionUpdated
	}
	if change == SessionUnchanged {
		return change, nil
	}
	_, err = tx.tx.ExecContext(ctx, `
		UPDATE sessions SET kind = ?, title = ?, starts_at = ?, ends_at = ?, capacity = ?, location = ?,
			description = ?, sequence = ?, updated_at = ?
		WHERE id = ?`,
		s.Kind, s.Title, millis(s.Starts), millis(s.Ends), s.Capacity, s.Location, s.Description, seq, millis(now), s.ID)
	if err != nil {
		return 0, fmt.Errorf("update session %s: %w", s.ID, err)
	}
	return change, nil
}

// UpcomingSessions returns sessions that start after from, soonest first.
func (s *Store) UpcomingSessions(ctx context.Context, from time.Time) ([]Session, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT id, kind, title, starts_at, ends_at, capacity, location, description, sequence
		FROM sessions WHERE starts_at > ? ORDER BY starts_at, id`, millis(from))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var ss Session
		var starts, ends int64
		if err := rows.Scan(&ss.ID, &ss.Kind, &ss.Title, &starts, &ends, &ss.Capacity, &ss.Location, &ss.Description, &ss.Sequence); err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		ss.Starts, ss.Ends = fromMillis(starts), fromMillis(ends)
		out = append(out, ss)
	}
	return out, rows.Err()
}

// CountSessions returns how many sessions the timetable holds, past ones
// included.
func (s *Store) CountSessions(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count sessions: %w", err)
	}
	return n, nil
}
