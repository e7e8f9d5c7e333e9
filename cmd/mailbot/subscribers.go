package main

import (
	"context"
	"encoding/csv"
	"time"

	"github.com/betterdays/mailbot/store"
)

// subscribersExport writes the mailing list as CSV, with the evidence of
// each consent, streaming from the database.
func subscribersExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("subscribers export")
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
	w := csv.NewWriter(e.stdout)
	if err := w.Write([]string{"email", "name", "status", "consented_at", "source"}); err != nil {
		return err
	}
	err = st.ExportSubscribers(ctx, func(s store.Subscription) error {
		consented := ""
		if !s.ConsentedAt.IsZero() {
			consented = s.ConsentedAt.Format(time.RFC3339)
		}
		return w.Write([]string{safeCell(s.Email), safeCell(s.Name), s.Status, consented, s.Source})
	})
	if err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}
