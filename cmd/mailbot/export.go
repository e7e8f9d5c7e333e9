package main

import (
	"context"
	"time"

	"github.com/betterdays/mailbot/mailbot"
)

// export answers a subject-access request (UK GDPR article 15): all that
// is held about one address, as JSON on standard output.
func export(ctx context.Context, e *env, args []string) error {
	email, st, err := personArg(ctx, e, "export", args)
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
