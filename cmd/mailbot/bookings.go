package main

import (
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/betterdays/mailbot/store"
)

var bookingColumns = []string{"session_id", "title", "starts", "email", "name", "places", "status", "booked_at", "source", "phone", "access_needs"}

// bookingsExport writes every booking (or one session's) as CSV, streaming
// from the database so a long history costs no memory.
func bookingsExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("bookings export")
	session := fs.String("session", "", "only this session `ID`")
	excel := excelFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return wrongArgs("bookings export takes no arguments but its flags")
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if *session != "" {
		if _, err := st.SessionByID(ctx, *session); err != nil {
			return err
		}
	}
	w, err := csvWriter(e.stdout, *excel)
	if err != nil {
		return err
	}
	return writeBookings(ctx, w, st, *session, e.cfg.TZ)
}

func writeBookings(ctx context.Context, w *csv.Writer, st *store.Store, session string, tz *time.Location) error {
	if err := w.Write(bookingColumns); err != nil {
		return err
	}
	const layout = "2006-01-02 15:04" // the timetable's own form, in MAILBOT_TZ
	err := st.ExportBookings(ctx, session, func(b store.Booking) error {
		return w.Write([]string{
			b.Session.ID, safeCell(b.Session.Title), b.Session.Starts.In(tz).Format(layout), safeCell(b.Email), safeCell(b.Name),
			strconv.Itoa(b.Places), b.Status, b.BookedAt.In(tz).Format(layout), b.Source, safeCell(b.Phone), safeCell(b.Needs),
		})
	})
	if err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

// safeCell keeps what a stranger wrote from running as a formula when
// staff open an export in a spreadsheet (CSV injection, OWASP's list): an
// apostrophe, which makes the rest text, goes before each = + - @ (or
// full-width form: cheap, and we cannot try every spreadsheet) or control
// character that begins a cell.
//
// A cell begins at the start of the field and after every ';', ',', tab
// and line break in it, past any spaces and quotes. Excel in a locale
// whose list separator is ';' (most of continental Europe) splits an
// unquoted line at each ';' and reads our quotes as plain characters, so
// `x;=cmd|' /C calc'!A0` opens as a cell "x" and a formula; a line break
// ends the row there however the field is quoted, and an importer may be
// told to split at tabs or commas too. Guarding the front of the field
// alone would leave all of those.
//
// Anything else is left as written, so a phone number "07700-900123" or
// "a - b" keeps its dash. A leading '-' is guarded though ("-" becomes
// "'-"): "-1+cmd|..." is a formula, and a spreadsheet cannot tell the
// harmless ones from it.
func safeCell(s string) string {
	var b strings.Builder
	const seps = ";,\t\r\n"
	last, start := 0, true // start: at a place a cell may begin
	for i, r := range s {
		switch {
		case i == 0 && unicode.IsControl(r):
			// OWASP's leading tab and CR too, though each also begins a cell.
			b.WriteByte('\'')
			start = strings.ContainsRune(seps, r)
		case strings.ContainsRune(seps, r):
			start = true
		case !start:
		case r == '"' || (unicode.IsSpace(r) && !unicode.IsControl(r)) || unicode.Is(unicode.Cf, r):
			// Still before the cell's first character as a spreadsheet
			// sees it: a space it may trim, a quote, an invisible mark.
		case strings.ContainsRune("=+-@＝＋－＠", r) || unicode.IsControl(r):
			b.WriteString(s[last:i])
			b.WriteByte('\'')
			last, start = i, false
		default:
			start = false
		}
	}
	if b.Len() == 0 { // nothing guarded
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
