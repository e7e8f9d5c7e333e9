package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/betterdays/mailbot/store"
)

var bookingColumns = []string{"session_id", "title", "starts", "email", "name", "places", "status", "booked_at", "source", "phone", "access_needs"}

// bookingsExport writes every booking (or one session's) as CSV, streaming
// from the database so a long history costs no memory.
func bookingsExport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bookings export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	session := fs.String("session", "", "only this session `ID`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("usage: mailbot bookings export [--session ID]")
	}
	st, err := store.Open(ctx, e.cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if *session != "" {
		if _, err := st.SessionByID(ctx, *session); err != nil {
			return err
		}
	}
	return writeBookings(ctx, e.stdout, st, *session, e.cfg.TZ)
}

func writeBookings(ctx context.Context, out io.Writer, st *store.Store, session string, tz *time.Location) error {
	w := csv.NewWriter(out)
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
// staff open the export in a spreadsheet (CSV injection): a cell starting
// =, +, - or @ gets a leading apostrophe.
func safeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
