package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SessionKind is what a timetable entry is; the timetable's kind column
// and the database keep it as its text.
type SessionKind string

// Session kinds. The zero kind, in a query, means either.
const (
	Group  SessionKind = "session" // a group session, many places
	Dropin SessionKind = "dropin"  // a one-to-one slot
)

// Session is one timetable entry: a group session or a drop-in slot.
type Session struct {
	ID          string // the organiser's own stable key
	Kind        SessionKind
	Title       string
	Starts      time.Time
	Ends        time.Time
	Capacity    int
	Location    string
	Description string
	// Joining is how to join an online session (a link, any ID or
	// passcode), as the organiser wrote it; "" until they have it.
	Joining  string
	Sequence int // iCalendar SEQUENCE, bumped when time, place or joining change
	// Withdrawn: the organiser cancelled the session; it is on offer no
	// more. Reason is their words, if any.
	Withdrawn bool
	Reason    string
}

// SessionChange says what an upsert did to a session.
type SessionChange int

const (
	SessionUnchanged SessionChange = iota
	SessionAdded
	SessionUpdated // title, capacity or description changed
	// SessionMoved is a change of time, place or how to join: what people
	// booked need telling, with a calendar update.
	SessionMoved
)

// UpsertSession adds s, or updates the session with its id. was is the
// session as it stood before, for the news of what changed; its ID is ""
// when s is new.
func (tx *Tx) UpsertSession(ctx context.Context, s Session, now time.Time) (change SessionChange, was Session, err error) {
	var old Session
	var starts, ends int64
	err = tx.tx.QueryRowContext(ctx, `
		SELECT id, kind, title, starts_at, ends_at, capacity, location, description, joining, sequence
		FROM sessions WHERE id = ?`, s.ID).
		Scan(&old.ID, &old.Kind, &old.Title, &starts, &ends, &old.Capacity, &old.Location, &old.Description, &old.Joining, &old.Sequence)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err := tx.tx.ExecContext(ctx, `
			INSERT INTO sessions (id, kind, title, starts_at, ends_at, capacity, location, description, joining, sequence, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
			s.ID, s.Kind, s.Title, millis(s.Starts), millis(s.Ends), s.Capacity, s.Location, s.Description, s.Joining, millis(now))
		if err != nil {
			return 0, Session{}, fmt.Errorf("add session %s: %w", s.ID, err)
		}
		return SessionAdded, Session{}, nil
	case err != nil:
		return 0, Session{}, fmt.Errorf("read session %s: %w", s.ID, err)
	}
	old.Starts, old.Ends = fromMillis(starts), fromMillis(ends)

	change = SessionUnchanged
	seq := old.Sequence
	switch {
	case !old.Starts.Equal(s.Starts) || !old.Ends.Equal(s.Ends) || old.Location != s.Location || old.Joining != s.Joining:
		change, seq = SessionMoved, seq+1
	case old.Kind != s.Kind || old.Title != s.Title || old.Capacity != s.Capacity || old.Description != s.Description:
		change = SessionUpdated
	}
	if change == SessionUnchanged {
		return change, old, nil
	}
	_, err = tx.tx.ExecContext(ctx, `
		UPDATE sessions SET kind = ?, title = ?, starts_at = ?, ends_at = ?, capacity = ?, location = ?,
			description = ?, joining = ?, sequence = ?, updated_at = ?
		WHERE id = ?`,
		s.Kind, s.Title, millis(s.Starts), millis(s.Ends), s.Capacity, s.Location, s.Description, s.Joining, seq, millis(now), s.ID)
	if err != nil {
		return 0, Session{}, fmt.Errorf("update session %s: %w", s.ID, err)
	}
	return change, old, nil
}

// SessionPlaces is a session with how its places stand.
type SessionPlaces struct {
	Session
	Left    int // places not confirmed to anyone
	Waiting int // bookings on the waiting list
}

// UpcomingSessions returns sessions that start after from, soonest first,
// with their places; the zero kind means both.
func (s *Store) UpcomingSessions(ctx context.Context, from time.Time, kind SessionKind) ([]SessionPlaces, error) {
	return upcoming(ctx, s.r, from, kind)
}

// UpcomingSessions is Store.UpcomingSessions inside the transaction, so
// what it reads is what a booking in the same transaction will see.
func (tx *Tx) UpcomingSessions(ctx context.Context, from time.Time, kind SessionKind) ([]SessionPlaces, error) {
	return upcoming(ctx, tx.tx, from, kind)
}

func upcoming(ctx context.Context, q querier, from time.Time, kind SessionKind) ([]SessionPlaces, error) {
	return sessionsWith(ctx, q, `s.starts_at > ? AND (? = '' OR s.kind = ?) AND s.status = 'open'`, millis(from), kind, kind)
}

// sessionsWith reads the sessions matching where, soonest first.
func sessionsWith(ctx context.Context, q querier, where string, args ...any) ([]SessionPlaces, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT s.id, s.kind, s.title, s.starts_at, s.ends_at, s.capacity, s.location, s.description, s.joining, s.sequence,
			s.status = 'cancelled', s.cancel_reason,
			s.capacity - coalesce((SELECT sum(places) FROM bookings b WHERE b.session_id = s.id AND b.status = 'confirmed'), 0),
			(SELECT count(*) FROM bookings b WHERE b.session_id = s.id AND b.status = 'waitlisted')
		FROM sessions s WHERE `+where+` ORDER BY s.starts_at, s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	defer rows.Close()
	var out []SessionPlaces
	for rows.Next() {
		var ss SessionPlaces
		var starts, ends int64
		if err := rows.Scan(&ss.ID, &ss.Kind, &ss.Title, &starts, &ends, &ss.Capacity, &ss.Location, &ss.Description, &ss.Joining, &ss.Sequence,
			&ss.Withdrawn, &ss.Reason,
			&ss.Left, &ss.Waiting); err != nil {
			return nil, fmt.Errorf("read sessions: %w", err)
		}
		ss.Starts, ss.Ends = fromMillis(starts), fromMillis(ends)
		ss.Left = max(ss.Left, 0) // capacity lowered below what is booked
		out = append(out, ss)
	}
	return out, rows.Err()
}

// Session returns the session with id and its places.
func (tx *Tx) Session(ctx context.Context, id string) (SessionPlaces, error) {
	return sessionByID(ctx, tx.tx, id)
}

func sessionByID(ctx context.Context, q querier, id string) (SessionPlaces, error) {
	ss, err := sessionsWith(ctx, q, `s.id = ?`, id)
	if err != nil {
		return SessionPlaces{}, err
	}
	if len(ss) == 0 {
		return SessionPlaces{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return ss[0], nil
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

// SessionByID returns the session with id and its places.
func (s *Store) SessionByID(ctx context.Context, id string) (SessionPlaces, error) {
	return sessionByID(ctx, s.r, id)
}

// Withdraw cancels the session with id and every live booking on it, for
// reason. It returns the session, and the bookings as they stood before
// (with their new SEQUENCE, for the calendar's CANCEL), so that the
// people can be told; already is true, and nothing changes, when the
// session was withdrawn before: nobody is told twice.
func (tx *Tx) Withdraw(ctx context.Context, id, reason string, now time.Time) (s SessionPlaces, told []Booking, already bool, err error) {
	if s, err = tx.Session(ctx, id); err != nil {
		return s, nil, false, err
	}
	if s.Withdrawn {
		return s, nil, true, nil
	}
	if told, err = tx.SessionBookings(ctx, id); err != nil {
		return s, nil, false, err
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE sessions SET status = 'cancelled', cancel_reason = ?, updated_at = ? WHERE id = ?`,
		reason, millis(now), id); err != nil {
		return s, nil, false, fmt.Errorf("withdraw session %s: %w", id, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE bookings SET status = 'cancelled', sequence = sequence + 1, updated_at = ?
		WHERE session_id = ? AND status <> 'cancelled'`, millis(now), id); err != nil {
		return s, nil, false, fmt.Errorf("withdraw session %s: cancel its bookings: %w", id, err)
	}
	for i := range told {
		told[i].Sequence++
	}
	s.Withdrawn, s.Reason = true, reason
	return s, told, false, nil
}

// Promote confirms people from a session's waiting list while its places
// allow, first come first served, as a cancellation does: for a capacity
// raised.
func (tx *Tx) Promote(ctx context.Context, sessionID string, now time.Time) ([]Booking, error) {
	return tx.promote(ctx, sessionID, now)
}
