package main

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
)

// forget erases one person's details (UK GDPR article 17), says what it
// did in plain words, and checks the address is found nowhere after. Run
// again, it finds nothing more to do.
func forget(ctx context.Context, e *env, args []string) error {
	email, st, err := personArg(ctx, e, "forget", args)
	if err != nil {
		return err
	}
	defer st.Close()
	erased, err := mailbot.Forget(ctx, st, email, mailbot.SystemClock.Now())
	if err != nil {
		return err
	}
	summarise(e.stdout, email, erased)
	left, err := st.Traces(ctx, email)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("%s is still found in: %s", email, strings.Join(left, "; "))
	}
	fmt.Fprintf(e.stdout, "Checked: %s is now found nowhere in the database.\n", email)
	return nil
}

// summarise says what was erased, a line for each kind of thing found.
func summarise(w io.Writer, email string, e store.Erased) {
	if !e.Any() {
		fmt.Fprintf(w, "Nothing is held about %s: nothing to erase.\n", email)
		return
	}
	fmt.Fprintf(w, "Erased the details of %s:\n", email)
	line := func(format string, args ...any) { fmt.Fprintf(w, "  - "+format+"\n", args...) }
	if e.Person {
		line("their name and email address; they now show as %q in bookings and attendee lists", e.Placeholder)
	}
	if e.Kept > 0 {
		line("%s kept without their phone or access needs, so the places still count", count(e.Kept, "booking"))
	}
	if e.Waiting > 0 {
		line("%s given up", count(e.Waiting, "place on a waiting list", "places on waiting lists"))
	}
	if e.Subscription {
		line("their mailing list record, and the evidence of their consent")
	}
	if e.Offers > 0 {
		line("%s they could have replied to", count(e.Offers, "list or question", "lists or questions"))
	}
	if e.Bounces > 0 {
		line("%s", count(e.Bounces, "delivery failure record"))
	}
	if e.From > 0 {
		line("%s from them: who sent it and its subject", count(e.From, "message"))
	}
	if e.To > 0 {
		line("%s to them: address and text%s", count(e.To, "message"), unsent(e.Unsent))
	}
	if e.Naming > 0 {
		line("%s to or from others that named them: subject or text%s", count(e.Naming, "message"), unsent(e.NamingUnsent))
	}
}

// count is "1 message", "2 messages"; plural, when given, is the whole
// plural phrase.
func count(n int, one string, plural ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(plural) > 0 {
		return fmt.Sprintf("%d %s", n, plural[0])
	}
	return fmt.Sprintf("%d %ss", n, one)
}

func unsent(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (1 was not sent yet, and now never will be)"
	}
	return fmt.Sprintf(" (%d were not sent yet, and now never will be)", n)
}

// emailArg is the address a command was given ("Ann <ann@…>" will do).
// personArg reads the command line of a command about one person (its
// only argument, their address) and opens the database it needs.
func personArg(ctx context.Context, e *env, name string, args []string) (string, *store.Store, error) {
	fs := e.flags(name)
	if err := parse(fs, args); err != nil {
		return "", nil, err
	}
	if fs.NArg() != 1 {
		return "", nil, wrongArgs("want one email address")
	}
	email, err := emailArg(fs.Arg(0))
	if err != nil {
		return "", nil, err
	}
	st, err := openStore(ctx, e)
	return email, st, err
}

func emailArg(arg string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(arg))
	if err != nil || !strings.Contains(a.Address, "@") {
		return "", fmt.Errorf("%q is not an email address", arg)
	}
	return a.Address, nil
}
