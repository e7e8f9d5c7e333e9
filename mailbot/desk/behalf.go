package desk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// notActedFor says which addresses a message from sender can never be on
// behalf of: the sender's own, the bot's, and staff's (a forward between
// colleagues is not a request from the public), and any we could not send
// to.
func (d *Desk) notActedFor(sender string) func(addr string) bool {
	return func(addr string) bool {
		return addr == sender || OwnAddress(d.env.Address, addr) || slices.Contains(d.env.Staff, addr) || !ValidAddress(addr)
	}
}

// actFor does what a proven member of staff asks for someone else, as if
// that person had asked: they get the confirmation, and the member of
// staff a copy of it. Only the list request of a stranger's email can act
// for no one but its sender (see listRequest); this is the one way to act
// for another, and isStaff guards it.
func (t *turn) actFor(who understand.Behalf, upcoming []store.SessionPlaces, c understand.Context) (Outcome, error) {
	pid, err := t.tx.NotePerson(t.ctx, who.Addr, who.Name, t.now)
	if err != nil {
		return Outcome{}, err
	}
	them := &turn{d: t.d, ctx: t.ctx, tx: t.tx, now: t.now, person: pid, by: t,
		m: &understand.Message{From: who.Addr, FromName: who.Name}}
	them.ans.Name, them.ans.ByStaff = FirstName(who.Name), true
	c.IsStaff, c.Offered = false, 0
	them.req = understand.ReadFor(who, c)
	forName := who.Addr
	if who.Name != "" {
		forName = fmt.Sprintf("%s <%s>", understand.OneLine(who.Name), who.Addr)
	}
	data := templates.ActedFor{Name: t.ans.Name, For: forName}
	// "I want you to delete all the details you hold about me",
	// forwarded: they are asked at their own address, and only their
	// own YES to that erases anything.
	forget := !store.NoEmail(who.Addr) && understand.AsksToForget(who.Text)

	switch them.req.Action {
	case understand.Unknown, understand.Help, understand.Yes, understand.No:
		if !them.req.Subscribe && !them.req.Unsubscribe && !forget {
			data.NotUnderstood = true
			// "FYI" above "Is there parking near the Weymouth community
			// centre?": a question for the rest of the team, who answer
			// them direct.
			var others []Reply
			if h := understand.Read(who.Text, c).Handoff; h.Needed() && strings.Contains(who.Text, "?") && !store.NoEmail(who.Addr) {
				them.m.Subject, them.m.Fresh = t.m.Subject, who.Text
				others = slices.DeleteFunc(t.d.handoffs(them.m, t.raw, templates.Handoff{
					Summary: t.m.From + " forwarded their email, and it asks something I can't answer.",
					Did:     "I have done nothing for them.", Phone: who.Phone}), func(r Reply) bool { return address.Equal(r.To, t.m.From) })
			}
			data.PassedOn = len(others) > 0
			t.answer("acted-for", data)
			if !data.PassedOn {
				return Replied.Of("not understood what to do for %s", who.Addr), nil
			}
			t.replies = append(t.replies, others...)
			return Replied.Of("not understood what to do for %s, passed to the other staff (a question)", who.Addr), nil
		}
	}
	// Staff have read the message they forward; words in it that suggest
	// risk still get the person the numbers to ring, and staff a nudge.
	data.Urgent = understand.Urgent(who.Text)
	them.ans.Urgent = len(data.Urgent) > 0
	var outcome Outcome
	if forget {
		outcome, _, err = them.askToForget(who.Text, them.req)
	} else {
		outcome, err = them.act(upcoming, understand.Handoff{})
	}
	if err != nil {
		return Outcome{}, err
	}
	if store.NoEmail(who.Addr) && len(them.replies) > 0 {
		// What they are owed goes to this member of staff to read out:
		// a copy of it too would say it twice.
		t.replies = append(t.replies, them.replies...)
		outcome.For = fmt.Sprintf("%s, by phone (staff %s)", who.Name, t.m.From)
		return outcome, nil
	}
	if len(them.replies) == 0 {
		data.Why = "I asked them to confirm joining the mailing list less than a day ago, and they have not replied yet"
	} else {
		r := &them.replies[0]
		if them.ans.List == templates.ListConfirm && len(them.ans.Booked)+len(them.ans.Waiting) == 0 {
			r.Subject = "Joining the Better Days mailing list"
		}
		sent, err := t.d.env.Templates.Render(r.Kind, r.Subject, r.Data)
		if err != nil {
			return Outcome{}, err
		}
		data.Sent = strings.TrimSpace(sent.Text)
	}
	t.replies = append(t.replies, them.replies...)
	r := t.answer("acted-for", data)
	if len(data.Urgent) > 0 {
		// Whoever forwarded it may have read it for a booking only: it
		// is marked in their inbox, and the rest of the team get it as
		// urgent too, so that someone follows it up today.
		r.Subject = "URGENT, please read today: " + r.Subject
		t.replies = append(t.replies, t.urgentForOthers(who, data.Urgent)...)
		outcome = outcome.With(", urgent: passed to the other staff")
	}
	outcome.For = fmt.Sprintf("%s (staff %s)", who.Addr, t.m.From)
	return outcome, nil
}

// urgentForOthers passes the email a member of staff forwarded, which
// suggests its writer may be at risk, to every other member of staff.
func (t *turn) urgentForOthers(who understand.Behalf, urgent []string) []Reply {
	them := &understand.Message{From: who.Addr, FromName: who.Name, Subject: t.m.Subject, Fresh: who.Text}
	all := t.d.handoffs(them, t.raw, templates.Handoff{Urgent: urgent,
		Summary: t.m.From + " forwarded their email for me to act on, and some words in it suggest they may be at risk.",
		Did:     "I did what " + t.m.From + " asked, gave them the numbers for 999 and Samaritans, and asked " + t.m.From + " to make sure someone follows it up today."})
	return slices.DeleteFunc(all, func(r Reply) bool { return address.Equal(r.To, t.m.From) })
}
