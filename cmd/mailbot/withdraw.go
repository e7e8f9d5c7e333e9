package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/betterdays/mailbot/store"
)

// sessionsCancel withdraws a session (the speaker is ill, the venue
// floods). The people are emailed from the outbox: a running bot sends
// within a minute, or the next run does. Run twice, it tells nobody twice.
func sessionsCancel(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sessions cancel", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	reason := fs.String("reason", "", "why, in `TEXT` the people booked will read")
	// The ID may come before the flags, as people type it.
	var id string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if fs.NArg() != 0 || id == "" {
		return fmt.Errorf("usage: mailbot sessions cancel ID [--reason TEXT]")
	}
	st, bot, err := openBot(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	told, already, err := bot.Withdraw(ctx, id, *reason)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no session %q: \"mailbot sessions list\" shows their IDs", id)
	case err != nil:
		return err
	case already:
		fmt.Fprintf(e.stdout, "%s was withdrawn already; nobody was told again\n", id)
	default:
		fmt.Fprintf(e.stdout, "%s withdrawn; %d people booked or waiting will be emailed, and staff get the list\n", id, told)
	}
	return nil
}
