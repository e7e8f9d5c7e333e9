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

// ImportResult counts what an import did.
type ImportResult struct {
	Added, Updated, Moved, Unchanged int
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
			Location: get("location"), Description: get("description"),
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

// MovedFunc is told, inside the import's transaction, of each session whose
// time or place changed.
type MovedFunc func(ctx context.Context, tx *store.Tx, s store.Session, now time.Time) error

// ImportTimetable adds and updates sessions in one transaction: a failure
// anywhere leaves the timetable as it was. moved, when not nil, is called
// for each session whose time or place changed (Bot.TellMoved emails
// everyone booked), so the change and the news of it commit together.
func ImportTimetable(ctx context.Context, st *store.Store, sessions []store.Session, now time.Time, moved MovedFunc) (ImportResult, error) {
	var res ImportResult
	err := st.Write(ctx, func(tx *store.Tx) error {
		res = ImportResult{}
		for _, s := range sessions {
			ch, err := tx.UpsertSession(ctx, s, now)
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
				if moved != nil {
					if err := moved(ctx, tx, s, now); err != nil {
						return fmt.Errorf("session %s: %w", s.ID, err)
					}
				}
			default:
				res.Unchanged++
			}
		}
		return nil
	})
	return res, err
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
