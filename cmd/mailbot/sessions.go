package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/mailbot"
)

func sessionsImport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("sessions import")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return wrongArgs("want one timetable file")
	}
	args = fs.Args()
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	sessions, err := mailbot.ReadTimetable(f, e.cfg.TZ)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	// People booked on a session that moved are emailed from the outbox:
	// a running bot sends them within a minute, or the next run does.
	st, bot, err := openBot(ctx, e, true)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := mailbot.ImportTimetable(ctx, st, sessions, time.Now(), bot)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	fmt.Fprintf(e.stdout, "%s: %d added, %d updated, %d moved (time, place or joining), %d unchanged",
		args[0], res.Added, res.Updated, res.Moved, res.Unchanged)
	if res.Withdrawn > 0 {
		fmt.Fprintf(e.stdout, ", %d withdrawn", res.Withdrawn)
	}
	if res.Promoted > 0 {
		fmt.Fprintf(e.stdout, ", %d given a place from a waiting list", res.Promoted)
	}
	fmt.Fprintln(e.stdout)
	for _, w := range res.Warnings {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	return nil
}

func sessionsList(ctx context.Context, e *env, args []string) error {
	fs := e.flags("sessions list")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return wrongArgs("sessions list takes no arguments")
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.UpcomingSessions(ctx, time.Now(), "")
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "No sessions coming up in %s.\nTo add some, import a timetable: mailbot sessions import FILE.csv\n"+
			"(columns %s; see README.md)\n", absPath(e.cfg.DB), mailbot.TimetableHeader)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tWHEN\tTITLE\tPLACES LEFT\tWAITING\tWHERE")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d of %d\t%d\t%s\n", s.ID, s.Kind, desk.When(s.Starts, s.Ends, e.cfg.TZ), s.Title, s.Left, s.Capacity, s.Waiting, s.Location)
	}
	return tw.Flush()
}
