package desk

import (
	"context"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// AskImported is the one request to confirm joining the list that an
// address on an old list without evidence of consent gets (`mailbot
// subscribers import --ask`), as a turn with no message: written as from
// staff, since it was the team's list, with the link and a YES reply both
// confirming. The caller records the request (store AskToJoin and
// NoteRequestSent) in the same transaction, so it is never sent twice.
func (d *Desk) AskImported(ctx context.Context, tx *store.Tx, p store.Person, now time.Time) []Reply {
	t := &turn{d: d, ctx: ctx, tx: tx, now: now, person: p.ID,
		m: &understand.Message{From: p.Email, FromName: p.Name}}
	t.ans.Name = FirstName(p.Name)
	t.ans.ByStaff = true
	t.ans.List = templates.ListConfirm
	t.ans.ConfirmURL = d.env.Links.URL("join", d.env.Links.Token(PurposeConfirm, p.ID, d.env.ConfirmWithin))
	t.note("asked to confirm joining the list (imported)")
	t.sendAnswer()
	for i := range t.replies {
		t.replies[i].Subject = "Better Days mailing list: please confirm"
	}
	return t.replies
}
