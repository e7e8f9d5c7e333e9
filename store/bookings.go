package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrNotFound is returned when a record asked for by id does not exist.
var ErrNotFound = errors.New("not found")

// Booking statuses.
const (
	Confirmed  = "confirmed"
	Waitlisted = "waitlisted"
	Cancelled  = "cancelled"
)

// Booking is one person's places on one session, with the session and the
// person, as every reader of a booking needs them.
type Booking struct {
	ID       int64
	Session  Session
	PersonID int64
	Email    string
	Name     string
	Places   int
	Status   string
	Source   string // email, staff or cli
	Phone    string
	Needs    string // access needs, in the person's words
	Sequence int    // iCalendar SEQUENCE of the invite
	BookedAt time.Time
}

// NewBooking is a request for places.
type NewBooking struct {
	SessionID string
	PersonID  int64
	Places    int
	Source    string
	Phone     string
	Needs     string
}

// BookResult says what Book did.
type BookResult int

const (
	Booked           BookResult = iota // confirmed places
	OnWaitingList                      // full: a place on the waiting list
	AlreadyBooked                      // they had a live booking already; nothing changed
	SessionStarted                     // too late: it has started or is over
	SlotTaken                          // a drop-in slot already taken: drop-ins have no waiting list
	Resized                            // a live booking now holds the places asked for
	NoRoom                             // more places asked on a booking than are free: it keeps what it had
	SessionWithdrawn                   // the organiser cancelled the session: nothing to book
)

// querier is what reads need, in or out of a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const bookingColumns = `
	b.id, b.person_id, p.email, p.name, b.places, b.status, b.source, b.phone, b.access_needs,
	b.sequence, b.booked_at,
	s.id, s.kind, s.title, s.starts_at, s.ends_at, s.capacity, s.location, s.description, s.joining, s.sequence
	FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN people p ON p.id = b.person_id`

func scanBooking(row interface{ Scan(...any) error }) (Booking, error) {
	var b Booking
	var bookedAt, starts, ends int64
	err := row.Scan(&b.ID, &b.PersonID, &b.Email, &b.Name, &b.Places, &b.Status, &b.Source, &b.Phone, &b.Needs,
		&b.Sequence, &bookedAt,
		&b.Session.ID, &b.Session.Kind, &b.Session.Title, &starts, &ends, &b.Session.Capacity,
		&b.Session.Location, &b.Session.Description, &b.Session.Joining, &b.Session.Sequence)
	b.BookedAt, b.Session.Starts, b.Session.Ends = fromMillis(bookedAt), fromMillis(starts), fromMillis(ends)
	return b, err
}

func queryBookings(ctx context.Context, q querier, where string, args ...any) ([]Booking, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+bookingColumns+` WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read bookings: %w", err)
	}
	defer rows.Close()
	var out []Booking
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, fmt.Errorf("read bookings: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Booking returns the booking with id.
func (tx *Tx) Booking(ctx context.Context, id int64) (Booking, error) {
	b, err := scanBooking(tx.tx.QueryRowContext(ctx, `SELECT `+bookingColumns+` WHERE b.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("booking %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("booking %d: %w", id, err)
	}
	return b, nil
}

// LiveBookings returns a person's confirmed and waitlisted bookings for
// sessions starting after from, soonest first.
func (tx *Tx) LiveBookings(ctx context.Context, personID int64, from time.Time) ([]Booking, error) {
	return queryBookings(ctx, tx.tx, `b.person_id = ? AND b.status <> 'cancelled' AND s.starts_at > ?
		ORDER BY s.starts_at, b.id`, personID, millis(from))
}

// SessionBookings returns the live bookings of one session, confirmed first
// then the waiting list, each in the order booked.
func (tx *Tx) SessionBookings(ctx context.Context, sessionID string) ([]Booking, error) {
	return sessionBookings(ctx, tx.tx, sessionID)
}

func sessionBookings(ctx context.Context, q querier, sessionID string) ([]Booking, error) {
	return queryBookings(ctx, q, `b.session_id = ? AND b.status <> 'cancelled'
		ORDER BY b.status = 'waitlisted', b.booked_at, b.id`, sessionID)
}

// Book takes places on a session for a person: confirmed while places last,
// else on the waiting list. Places are counted inside the write transaction,
// so however many requests arrive together, a session is never overbooked.
func (tx *Tx) Book(ctx context.Context, nb NewBooking, now time.Time) (Booking, BookResult, error) {
	nb.Places = max(nb.Places, 1)
	var existing int64
	err := tx.tx.QueryRowContext(ctx, `SELECT id FROM bookings WHERE session_id = ? AND person_id = ? AND status <> 'cancelled'`,
		nb.SessionID, nb.PersonID).Scan(&existing)
	switch {
	case err == nil:
		b, err := tx.Booking(ctx, existing)
		return b, AlreadyBooked, err
	case !errors.Is(err, sql.ErrNoRows):
		return Booking{}, 0, fmt.Errorf("book %s: %w", nb.SessionID, err)
	}
	s, left, err := tx.placesLeft(ctx, nb.SessionID)
	if err != nil {
		return Booking{}, 0, err
	}
	if !s.Starts.After(now) {
		return Booking{Session: s}, SessionStarted, nil
	}
	if s.Withdrawn {
		return Booking{Session: s}, SessionWithdrawn, nil
	}
	if s.Kind == Dropin {
		// A one-to-one is one conversation, whoever comes along to it.
		nb.Places = 1
		if left < 1 {
			return Booking{Session: s}, SlotTaken, nil
		}
	}
	status, result := Confirmed, Booked
	if waiting, err := tx.waiting(ctx, nb.SessionID); err != nil {
		return Booking{}, 0, err
	} else if nb.Places > left || waiting > 0 {
		// Nobody jumps the queue: while anyone waits, newcomers wait too.
		status, result = Waitlisted, OnWaitingList
	}
	var id int64
	err = tx.tx.QueryRowContext(ctx, `
		INSERT INTO bookings (session_id, person_id, places, status, source, phone, access_needs, booked_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nb.SessionID, nb.PersonID, nb.Places, status, nb.Source, nb.Phone, nb.Needs, millis(now), millis(now)).Scan(&id)
	if err != nil {
		return Booking{}, 0, fmt.Errorf("book %s: %w", nb.SessionID, err)
	}
	b, err := tx.Booking(ctx, id)
	return b, result, err
}

// WaitingPosition returns where a waitlisted booking stands in its
// session's queue, from 1.
func (tx *Tx) WaitingPosition(ctx context.Context, b Booking) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE session_id = ? AND status = 'waitlisted'
		AND (booked_at < ? OR (booked_at = ? AND id <= ?))`, b.Session.ID, millis(b.BookedAt), millis(b.BookedAt), b.ID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("waiting position of booking %d: %w", b.ID, err)
	}
	return n, nil
}

// placesLeft returns the session and its unbooked places.
func (tx *Tx) placesLeft(ctx context.Context, sessionID string) (Session, int, error) {
	s, err := tx.Session(ctx, sessionID)
	return s.Session, s.Left, err
}

func (tx *Tx) waiting(ctx context.Context, sessionID string) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE session_id = ? AND status = 'waitlisted'`, sessionID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("waiting list %s: %w", sessionID, err)
	}
	return n, nil
}

// Cancel cancels a booking and fills the places it frees from the waiting
// list, first come first served (someone wanting more places than are free
// keeps their turn while those behind who fit are promoted). It returns the
// cancelled booking and those promoted.
func (tx *Tx) Cancel(ctx context.Context, id int64, now time.Time) (Booking, []Booking, error) {
	b, err := tx.Booking(ctx, id)
	if err != nil {
		return b, nil, err
	}
	if b.Status == Cancelled {
		return b, nil, nil
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE bookings SET status = 'cancelled', sequence = sequence + 1, updated_at = ? WHERE id = ?`,
		millis(now), id); err != nil {
		return b, nil, fmt.Errorf("cancel booking %d: %w", id, err)
	}
	b.Status, b.Sequence = Cancelled, b.Sequence+1
	promoted, err := tx.promote(ctx, b.Session.ID, now)
	return b, promoted, err
}

// Resize makes a live booking hold places. A confirmed booking grows only
// into places that are free and that nobody is waiting for (nobody jumps
// the queue); it keeps what it had otherwise. One that shrinks frees
// places for the waiting list. A waiting booking waits for the new
// number. It returns the booking as it now is, Resized, NoRoom,
// AlreadyBooked (it held that many already) or SessionStarted, and those
// promoted.
func (tx *Tx) Resize(ctx context.Context, id int64, places int, now time.Time) (Booking, BookResult, []Booking, error) {
	b, err := tx.Booking(ctx, id)
	switch {
	case err != nil:
		return b, 0, nil, err
	case b.Status == Cancelled:
		return b, 0, nil, fmt.Errorf("resize booking %d: %w", id, ErrNotFound)
	case !b.Session.Starts.After(now):
		return b, SessionStarted, nil, nil
	case b.Session.Kind == Dropin || places < 1 || places == b.Places:
		return b, AlreadyBooked, nil, nil
	}
	if b.Status == Confirmed && places > b.Places {
		_, left, err := tx.placesLeft(ctx, b.Session.ID)
		if err != nil {
			return b, 0, nil, err
		}
		waiting, err := tx.waiting(ctx, b.Session.ID)
		if err != nil {
			return b, 0, nil, err
		}
		if places-b.Places > left || waiting > 0 {
			return b, NoRoom, nil, nil
		}
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE bookings SET places = ?, updated_at = ? WHERE id = ?`, places, millis(now), id); err != nil {
		return b, 0, nil, fmt.Errorf("resize booking %d: %w", id, err)
	}
	b.Places = places
	promoted, err := tx.promote(ctx, b.Session.ID, now)
	return b, Resized, promoted, err
}

// AddDetails records a phone number and access needs given after the
// booking was made ("can we have 2 places? and my husband uses a
// wheelchair"): a phone given replaces the one held, and each need is
// added to those held unless they say it already.
func (tx *Tx) AddDetails(ctx context.Context, id int64, phone string, needs []string, now time.Time) (Booking, error) {
	b, err := tx.Booking(ctx, id)
	if err != nil {
		return b, err
	}
	was := b
	if phone != "" {
		b.Phone = phone
	}
	for _, n := range needs {
		if !strings.Contains(strings.ToLower(b.Needs), strings.ToLower(n)) {
			b.Needs = strings.TrimPrefix(b.Needs+"; "+n, "; ")
		}
	}
	if b.Phone == was.Phone && b.Needs == was.Needs {
		return b, nil
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE bookings SET phone = ?, access_needs = ?, updated_at = ? WHERE id = ?`, b.Phone, b.Needs, millis(now), id); err != nil {
		return b, fmt.Errorf("add details to booking %d: %w", id, err)
	}
	return b, nil
}

// promote confirms people from the waiting list while places allow.
func (tx *Tx) promote(ctx context.Context, sessionID string, now time.Time) ([]Booking, error) {
	s, left, err := tx.placesLeft(ctx, sessionID)
	if err != nil || left <= 0 || !s.Starts.After(now) {
		return nil, err
	}
	waiting, err := queryBookings(ctx, tx.tx, `b.session_id = ? AND b.status = 'waitlisted' ORDER BY b.booked_at, b.id`, sessionID)
	if err != nil {
		return nil, err
	}
	var out []Booking
	for _, w := range waiting {
		if w.Places > left {
			continue
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE bookings SET status = 'confirmed', updated_at = ? WHERE id = ?`, millis(now), w.ID); err != nil {
			return out, fmt.Errorf("promote booking %d: %w", w.ID, err)
		}
		w.Status = Confirmed
		left -= w.Places
		out = append(out, w)
	}
	return out, nil
}

// BumpSequence marks that a new version of a booking's invite is being sent.
func (tx *Tx) BumpSequence(ctx context.Context, id int64) (int, error) {
	var seq int
	err := tx.tx.QueryRowContext(ctx, `UPDATE bookings SET sequence = sequence + 1 WHERE id = ? RETURNING sequence`, id).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("booking %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("booking %d: %w", id, err)
	}
	return seq, nil
}

// ExportBookings calls fn for every booking (of one session when sessionID
// is not empty), in session order then booking order, reading as it goes.
func (s *Store) ExportBookings(ctx context.Context, sessionID string, fn func(Booking) error) error {
	where, args := `1 = 1`, []any{}
	if sessionID != "" {
		where, args = `b.session_id = ?`, []any{sessionID}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+bookingColumns+` WHERE `+where+` ORDER BY s.starts_at, s.id, b.booked_at, b.id`, args...)
	if err != nil {
		return fmt.Errorf("export bookings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return fmt.Errorf("export bookings: %w", err)
		}
		if NoEmail(b.Email) {
			b.Email = "" // they have none: the stand-in is ours, not theirs
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Reminder is a reminder owed: a confirmed booking whose session starts
// within Lead of now.
type Reminder struct {
	Booking Booking
	Lead    time.Duration
}

// DueReminders returns at most limit reminders owed at now: confirmed
// bookings of sessions that start within a lead time and have not started,
// whose reminder for that lead was not yet sent and which were not booked
// (or promoted) within it — their confirmation is still fresh. When
// several leads are due at once (the bot was down), only the shortest is
// returned, and the longer ones are recorded as not needed when it is
// sent. Leads are read shortest first and reading stops at the limit, so a
// booking is never handed out with a longer lead than is due.
func (tx *Tx) DueReminders(ctx context.Context, now time.Time, leads []time.Duration, limit int) ([]Reminder, error) {
	var out []Reminder
	seen := map[int64]bool{}
	for _, lead := range slices.Sorted(slices.Values(leads)) {
		if len(out) >= limit {
			break
		}
		bs, err := queryBookings(ctx, tx.tx, `b.status = 'confirmed' AND s.starts_at > ? AND s.starts_at <= ?
			AND b.updated_at < s.starts_at - ?
			AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.booking_id = b.id AND r.lead_ms <= ?)
			ORDER BY s.starts_at, b.id LIMIT ?`,
			millis(now), millis(now.Add(lead)), lead.Milliseconds(), lead.Milliseconds(), limit)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if !seen[b.ID] && len(out) < limit {
				seen[b.ID] = true
				out = append(out, Reminder{Booking: b, Lead: lead})
			}
		}
	}
	return out, nil
}

// MarkReminded records that the reminder for lead (and any longer one not
// yet sent) went into the outbox for booking id.
func (tx *Tx) MarkReminded(ctx context.Context, id int64, leads []time.Duration, lead time.Duration, now time.Time) error {
	for _, l := range leads {
		if l < lead {
			continue
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT OR IGNORE INTO reminders (booking_id, lead_ms, sent_at) VALUES (?, ?, ?)`,
			id, l.Milliseconds(), millis(now)); err != nil {
			return fmt.Errorf("reminder for booking %d: %w", id, err)
		}
	}
	return nil
}
