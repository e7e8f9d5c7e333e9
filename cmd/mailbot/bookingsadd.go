package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
)

// bookingsAdd books someone who phoned or came in (source cli). With no
// email address, what they would have been sent goes to every staff
// address, to be read to them, with their phone number at the top.
func bookingsAdd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bookings add", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var tb mailbot.TakenBooking
	fs.StringVar(&tb.SessionID, "session", "", "the session's `ID` (mailbot sessions list)")
	fs.StringVar(&tb.Name, "name", "", "the person's `NAME`")
	fs.StringVar(&tb.Email, "email", "", "their email `ADDRESS`, if they have one")
	fs.StringVar(&tb.Phone, "phone", "", "their phone `NUMBER`")
	fs.IntVar(&tb.Places, "places", 1, "how many `N` places")
	fs.StringVar(&tb.Needs, "needs", "", "access needs, in their `WORDS`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || tb.SessionID == "" || tb.Name == "" || tb.Places < 1 {
		return fmt.Errorf("usage: mailbot bookings add --session ID --name NAME [--email E] [--phone P] [--places N] [--needs TEXT]")
	}
	st, bot, err := openBot(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := bot.AddBooking(ctx, tb)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no session %q: \"mailbot sessions list\" shows their IDs", tb.SessionID)
	}
	if err != nil {
		return err
	}
	told := "they will be emailed"
	if tb.Email == "" {
		told = "staff will be emailed what to tell them"
	}
	switch res {
	case store.Booked:
		fmt.Fprintf(e.stdout, "%s booked on %s; %s\n", tb.Name, tb.SessionID, told)
	case store.OnWaitingList:
		fmt.Fprintf(e.stdout, "%s is full: %s is on the waiting list; %s\n", tb.SessionID, tb.Name, told)
	case store.AlreadyBooked:
		fmt.Fprintf(e.stdout, "%s was already booked on %s; nothing changed\n", tb.Name, tb.SessionID)
	case store.SlotTaken:
		return fmt.Errorf("%s is taken already: nothing booked", tb.SessionID)
	case store.SessionStarted:
		return fmt.Errorf("%s has started or is over: nothing booked", tb.SessionID)
	case store.SessionWithdrawn:
		return fmt.Errorf("%s was withdrawn: nothing booked", tb.SessionID)
	default:
		return fmt.Errorf("%s: nothing booked", tb.SessionID)
	}
	return nil
}
