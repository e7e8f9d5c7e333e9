package desk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// Taken is a booking the organisers took by phone or in person (mailbot
// bookings add): no message asked for it.
type Taken struct {
	SessionID    string
	Places       int
	Phone, Needs string
}

// BookTaken books p as tk says, as if p had asked through a member of
// staff, and returns the answer p is owed: a confirmation with its
// invitation, or their place on the waiting list. For someone with no
// email address the caller sends it to staff to read out.
func (d *Desk) BookTaken(ctx context.Context, tx *store.Tx, p store.Person, tk Taken, now time.Time) ([]Reply, store.BookResult, error) {
	s, err := tx.Session(ctx, tk.SessionID)
	if err != nil {
		return nil, 0, err
	}
	if s.Withdrawn {
		return nil, store.SessionWithdrawn, nil
	}
	t := &turn{d: d, ctx: ctx, tx: tx, now: now, person: p.ID, src: "cli",
		m: &understand.Message{From: p.Email, FromName: p.Name}}
	t.ans.Name, t.ans.ByStaff = FirstName(p.Name), true
	t.ans.Asked = fmt.Sprintf("to book %q", s.Title)
	t.req.Phone = tk.Phone
	if tk.Needs != "" {
		t.req.Needs = strings.Split(tk.Needs, "; ")
	}
	res, err := t.bookOne(s, max(tk.Places, 1))
	if err != nil || res == store.AlreadyBooked {
		return nil, res, err // nothing changed, so nothing to tell them
	}
	t.sendAnswer()
	return t.replies, res, nil
}
