package mailbot

import (
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
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

// The optional columns (joining) may be left out: a timetable made before
// them still imports, and what they hold is then empty.

// ImportResult counts what an import did.
type ImportResult struct {
	Added, Updated, Moved, Unchanged int
}

// ReadTimetable parses a timetable CSV (the columns of the operator
// contract, header required, in any order). Dates without a zone are read in
// tz. Every bad cell is reported with its row and column; nothing is
// returned unless every row is good.
func ReadTimetable(r io.Reader, tz *time.Location) ([]store.Session, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // reported below, with the row number
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("timetable header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range timetableColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("timetable header: no %q column (want %s)", c, strings.Join(timetableColumns, ","))
		}
	}
	var out []store.Session
	var errs []error
	seen := map[string]int{}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("timetable row %d: %w", row, err)
		}
		if len(rec) != len(header) {
			errs = append(errs, fmt.Errorf("row %d: %d fields, want %d", row, len(rec), len(header)))
			continue
		}
		get := func(c string) string {
			i, ok := col[c]
			if !ok {
				return "" // an optional column left out
			}
			return strings.TrimSpace(rec[i])
		}
		bad := func(c, format string, args ...any) {
			errs = append(errs, fmt.Errorf("row %d, column %s: %s", row, c, fmt.Sprintf(format, args...)))
		}
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
		if s.Starts, err = parseTimetableTime(get("starts"), tz); err != nil {
			bad("starts", "%v", err)
		}
		if s.Ends, err = parseTimetableTime(get("ends"), tz); err != nil {
			bad("ends", "%v", err)
		} else if !s.Ends.After(s.Starts) {
			bad("ends", "%q is not after starts", get("ends"))
		}
		if s.Capacity, err = strconv.Atoi(get("capacity")); err != nil || s.Capacity < 0 {
			bad("capacity", "%q: want a whole number, 0 or more", get("capacity"))
		}
		out = append(out, s)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("timetable not imported, nothing changed:\n%w", errors.Join(errs...))
	}
	return out, nil
}

// parseTimetableTime reads "2027-07-15 13:00" in tz, or RFC 3339.
func parseTimetableTime(s string, tz *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02 15:04", s, tz); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want a date like 2027-07-15 13:00, or RFC 3339", s)
}

// MovedFunc is told, inside the import's transaction, of each session whose
// time, place or joining details changed: was as it stood, s as it is now.
type MovedFunc func(ctx context.Context, tx *store.Tx, was, s store.Session, now time.Time) error

// ImportTimetable adds and updates sessions in one transaction: a failure
// anywhere leaves the timetable as it was. moved, when not nil, is called
// for each session whose time, place or joining details changed
// (Bot.TellMoved emails everyone booked), so the change and the news of it
// commit together.
func ImportTimetable(ctx context.Context, st *store.Store, sessions []store.Session, now time.Time, moved MovedFunc) (ImportResult, error) {
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
				if moved != nil {
					if err := moved(ctx, tx, was, s, now); err != nil {
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
