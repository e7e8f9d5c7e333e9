package mailbot

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/betterdays/mailbot/store"
)

// DemoTimetable is loaded into a new, empty database when the bot runs on
// its embedded mail server, so there is something to book at once.
//
//go:embed demo-timetable.csv
var DemoTimetable string

var timetableColumns = []string{"id", "kind", "title", "starts", "ends", "capacity", "location", "description"}

// TimetableHeader is the header line a timetable file needs.
var TimetableHeader = strings.Join(timetableColumns, ",")

// The optional columns (joining, status) may be left out: a timetable made
// before them still imports, and what they hold is then empty (open).

// ImportResult counts what an import did.
type ImportResult struct {
	Added, Updated, Moved, Unchanged int
	Withdrawn                        int // withdrawn by this import (status cancelled)
	Promoted                         int // given a place from a waiting list by a capacity raised
	// Warnings are for the operator: a capacity lowered below the places
	// already booked keeps everyone booked.
	Warnings []string
}

// ReadTimetable parses a timetable CSV (the columns of the operator
// contract, header required, in any order). Dates without a zone are read in
// tz. Every bad cell is reported with its row and column; nothing is
// returned unless every row is good.
func ReadTimetable(r io.Reader, tz *time.Location) ([]store.Session, error) {
	var out []store.Session
	seen := map[string]int{}
	err := readSheet(r, "timetable", timetableColumns, func(r sheetRow) {
		get, bad, row := r.get, r.bad, r.n
		var err error
		s := store.Session{
			ID: get("id"), Kind: store.SessionKind(strings.ToLower(get("kind"))), Title: get("title"),
			Location: get("location"), Description: get("description"), Joining: get("joining"),
		}
		if s.ID == "" {
			bad("id", "empty")
		} else if prev, dup := seen[s.ID]; dup {
			bad("id", "%q already used on row %d", s.ID, prev)
		}
		seen[s.ID] = row
		if s.Kind != store.Group && s.Kind != store.Dropin {
			bad("kind", "%q: want session or dropin", get("kind"))
		}
		if s.Title == "" {
			bad("title", "empty")
		}
		switch st := strings.ToLower(get("status")); st {
		case "", "open":
		case "cancelled", "canceled":
			s.Withdrawn = true
		default:
			bad("status", "%q: want open or cancelled", get("status"))
		}
		if s.Starts, err = parseSpreadsheetTime(get("starts"), tz); err != nil {
			bad("starts", "%v", err)
		}
		if s.Ends, err = parseSpreadsheetTime(get("ends"), tz); err != nil {
			bad("ends", "%v", err)
		} else if !s.Ends.After(s.Starts) {
			bad("ends", "%q is not after starts", get("ends"))
		}
		if s.Capacity, err = strconv.Atoi(get("capacity")); err != nil || s.Capacity < 0 {
			bad("capacity", "%q: want a whole number, 0 or more", get("capacity"))
		}
		out = append(out, s)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Teller tells people, inside the import's transaction, what an import
// changed for them, so the change and the news of it commit together.
// Bot is one.
type Teller interface {
	// TellMoved: s's time, place or joining details changed from was.
	TellMoved(ctx context.Context, tx *store.Tx, was, s store.Session, now time.Time) error
	// TellWithdrawn withdraws the session with id, for reason, and tells
	// everyone booked; already says it was withdrawn before.
	TellWithdrawn(ctx context.Context, tx *store.Tx, id, reason string, now time.Time) (told int, already bool, err error)
	// TellPromoted tells people confirmed from a waiting list.
	TellPromoted(ctx context.Context, tx *store.Tx, promoted []store.Booking, now time.Time) error
}

// ImportTimetable adds and updates sessions in one transaction: a failure
// anywhere leaves the timetable as it was. tell, when not nil, hears of
// each session whose time, place or joining details changed, each one the
// file withdraws (status cancelled; once withdrawn a session stays so),
// and the people a raised capacity confirms from the waiting list.
func ImportTimetable(ctx context.Context, st *store.Store, sessions []store.Session, now time.Time, tell Teller) (ImportResult, error) {
	var res ImportResult
	err := st.Write(ctx, func(tx *store.Tx) error {
		res = ImportResult{}
		for _, s := range sessions {
			ch, was, err := tx.UpsertSession(ctx, s, now)
			if err != nil {
				return err
			}
			switch ch {
			case store.SessionAdded:
				res.Added++
			case store.SessionUpdated:
				res.Updated++
			case store.SessionMoved:
				res.Moved++
				if tell != nil {
					if err := tell.TellMoved(ctx, tx, was, s, now); err != nil {
						return fmt.Errorf("session %s: %w", s.ID, err)
					}
				}
			default:
				res.Unchanged++
			}
			if tell == nil {
				continue
			}
			if s.Withdrawn {
				_, already, err := tell.TellWithdrawn(ctx, tx, s.ID, "", now)
				if err != nil {
					return fmt.Errorf("session %s: %w", s.ID, err)
				}
				if !already {
					res.Withdrawn++
				}
				continue
			}
			if was.ID == "" || s.Capacity == was.Capacity {
				continue
			}
			if err := capacityChanged(ctx, tx, tell, s, now, &res); err != nil {
				return fmt.Errorf("session %s: %w", s.ID, err)
			}
		}
		return nil
	})
	return res, err
}

// capacityChanged gives a raised capacity's places to the waiting list, in
// order, and warns of one lowered below what is booked: nobody loses a
// place they were given.
func capacityChanged(ctx context.Context, tx *store.Tx, tell Teller, s store.Session, now time.Time, res *ImportResult) error {
	promoted, err := tx.Promote(ctx, s.ID, now)
	if err != nil {
		return err
	}
	res.Promoted += len(promoted)
	if err := tell.TellPromoted(ctx, tx, promoted, now); err != nil {
		return err
	}
	bookings, err := tx.SessionBookings(ctx, s.ID)
	if err != nil {
		return err
	}
	booked := 0
	for _, b := range bookings {
		if b.Status == store.Confirmed {
			booked += b.Places
		}
	}
	if booked > s.Capacity {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"session %s (%s): capacity %d is below the %d places already booked; everyone booked keeps their place, and nobody more is booked until enough cancel",
			s.ID, s.Title, s.Capacity, booked))
	}
	return nil
}

// LoadDemoTimetable fills an empty timetable with the demo one; it does
// nothing when any session exists.
func LoadDemoTimetable(ctx context.Context, st *store.Store, tz *time.Location, now time.Time) (bool, error) {
	n, err := st.CountSessions(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	sessions, err := ReadTimetable(strings.NewReader(DemoTimetable), tz)
	if err != nil {
		return false, fmt.Errorf("demo timetable: %w", err)
	}
	_, err = ImportTimetable(ctx, st, sessions, now, nil)
	return err == nil, err
}
