package main

import (
	"context"
	"time"

	"github.com/betterdays/mailbot/mailbot"
)

// export answers a subject-access request (UK GDPR article 15): all that
// is held about one address, as JSON on standard output.
func export(ctx context.Context, e *env, args []string) error {
	fs := e.flags("export")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return wrongArgs("want one email address")
	}
	email, err := emailArg(fs.Arg(0))
	if err != nil {
		return err
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	sa, err := mailbot.SubjectAccessOf(ctx, st, e.cfg, email, time.Now())
	if err != nil {
		return err
	}
	return sa.WriteJSON(e.stdout)
}
