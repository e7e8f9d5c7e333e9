package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
)

// subscriberColumns are the operator contract's five; with --evidence,
// evidenceColumns follow: how consent was given, and the Message-ID of the
// reply that gave it. The default stays the contract's, for whatever
// reads it by position.
var (
	subscriberColumns = []string{"email", "name", "status", "consented_at", "source"}
	evidenceColumns   = []string{"consent_how", "consent_message_id"}
)

// subscribersExport writes the mailing list as CSV, with the evidence of
// each consent, streaming from the database.
func subscribersExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("subscribers export")
	excel := excelFlag(fs)
	evidence := fs.Bool("evidence", false, "add how each consent was given and the Message-ID of the reply that gave it ("+strings.Join(evidenceColumns, ",")+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return wrongArgs("subscribers export takes no arguments")
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	w, err := csvWriter(e.stdout, *excel)
	if err != nil {
		return err
	}
	header := subscriberColumns
	if *evidence {
		header = append(slices.Clip(header), evidenceColumns...)
	}
	if err := w.Write(header); err != nil {
		return err
	}
	err = st.ExportSubscribers(ctx, func(s store.Subscription) error {
		consented := ""
		if !s.ConsentedAt.IsZero() {
			consented = s.ConsentedAt.Format(time.RFC3339)
		}
		row := []string{safeCell(s.Email), safeCell(s.Name), s.Status, consented, s.Source}
		if *evidence {
			row = append(row, safeCell(s.ConsentHow), safeCell(s.ConsentMessage))
		}
		return w.Write(row)
	})
	if err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

// subscribersImport brings the mailing list kept before the bot in: each
// address with the evidence of its consent joins with it; with --ask, each
// without is sent one request to confirm (by a running `mailbot run`,
// within the sending limits). Nothing is imported if any row is bad.
func subscribersImport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("subscribers import")
	ask := fs.Bool("ask", false, "email each address that has no evidence of consent one request to confirm, instead of refusing the file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return wrongArgs("want one mailing list file")
	}
	path := fs.Arg(0)
	st, bot, err := openBot(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	list, err := mailbot.ReadSubscribers(f, e.cfg.TZ, *ask, time.Now())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	res, err := bot.ImportSubscribers(ctx, list, filepath.Base(path))
	if err != nil {
		return fmt.Errorf("%s: nothing imported: %w", path, err)
	}
	fmt.Fprintf(e.stdout, "%s: %d added with the evidence of their consent, %d asked to confirm, %d already on the list, "+
		"%d left the list or did not confirm before (not added again), %d asked to confirm before (not asked again), "+
		"%d asked us to forget them (left out)\n",
		path, res.Added, res.Asked, res.Already, res.Left, res.AskedBefore, res.Erased)
	if res.Asked > 0 {
		fmt.Fprintln(e.stdout, "The requests to confirm are sent by `mailbot run`, within MAILBOT_SEND_PER_MINUTE and MAILBOT_SEND_PER_DAY; "+
			"each address joins only when it answers YES or follows its link.")
	}
	for _, a := range res.Suppressed {
		fmt.Fprintf(e.stdout, "  %s: mail to it bounced, so nothing is sent to it until it writes to us\n", a)
	}
	return nil
}
