package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"

	"github.com/betterdays/mailbot/store"
)

// contributionColumns is the contract's header for the views people sent.
var contributionColumns = []string{"received_at", "name", "email", "consent", "text"}

// contributionsExport writes the views the programme may use as CSV:
// those whose people said YES (name and address blank) or NAME ME; with
// --named-only, the named alone. Views not yet answered for, or refused,
// are left out: nothing is used until they answer.
func contributionsExport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("contributions export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	namedOnly := fs.Bool("named-only", false, "only the views of people who agreed to be named")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("usage: mailbot contributions export [--named-only]")
	}
	st, err := store.Open(ctx, e.cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	w := csv.NewWriter(e.stdout)
	if err := w.Write(contributionColumns); err != nil {
		return err
	}
	const layout = "2006-01-02 15:04" // as the other exports, in MAILBOT_TZ
	err = st.ExportContributions(ctx, *namedOnly, func(c store.Contribution) error {
		return w.Write([]string{c.Received.In(e.cfg.TZ).Format(layout), safeCell(c.Name), safeCell(c.Email), string(c.Consent), safeCell(c.Text)})
	})
	if err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}
