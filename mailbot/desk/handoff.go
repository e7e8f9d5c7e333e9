package desk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// canHandOver is whether the message should go to staff, and can: there is
// someone to send it to, and it is a member of the public writing for
// themselves (staff get the bot's help text instead).
func (t *turn) canHandOver(h understand.Handoff) bool {
	return h.Needed() && len(t.d.env.Staff) > 0 && !t.staff && t.by == nil
}

// handOver passes the message to staff, after whatever the bot could do
// about it, and the answer tells the person so.
func (t *turn) handOver(h understand.Handoff) {
	t.ans.PassedOn = true
	t.ans.Urgent = len(h.Urgent) > 0
	var did []string
	if t.ans.Asked != "" && len(t.did) > 0 {
		did = append(did, "they asked "+t.ans.Asked+", and I "+strings.Join(t.did, ", then "))
	}
	if t.keptBack != "" {
		did = append(did, "they asked "+t.keptBack+", which I have not done, so that someone can talk it through with them first")
	}
	did = append(did, "I told them a member of the team will reply")
	if t.ans.Urgent {
		did = append(did, "I gave them the numbers for 999 and Samaritans")
	}
	t.replies = append(t.replies, t.d.handoffs(t.m, t.raw, templates.Handoff{
		Urgent: h.Urgent, Summary: handoffSummary(h), Did: strings.Join(did, "; ") + ".", Phone: t.phone()})...)
	t.note("passed to staff")
}

// vague is whether an action is one that words asking for a person can
// read as by themselves: "speak to someone" looks like a one-to-one, "can
// someone ring me" like a booking.
func vague(a understand.Action) bool {
	switch a {
	case understand.Book, understand.DropIn, understand.Choose, understand.Help, understand.Unknown:
		return true
	}
	return false
}

// handoffSummary is the one line that tells staff what the bot could and
// couldn't read.
func handoffSummary(h understand.Handoff) string {
	switch h.Why {
	case understand.NotUnderstood:
		return "I couldn't tell what they would like."
	case understand.AQuestion:
		return "They ask something I can't answer."
	case understand.AComplaint:
		return "It reads like a complaint."
	case understand.Unproven:
		return "It says it is from a member of staff, but the council's mail servers could not prove that, so I have done nothing it asks. If you did not send it, someone may be pretending to be you."
	case understand.ForSomeoneElse:
		return "They ask for someone else. Only staff can ask me to act for another person, so I have done nothing for them or for the person they ask for."
	case understand.APerson:
		return "They asked to talk to a person. They would like someone to phone them, or to write to them themselves."
	case understand.NoSlotSuits:
		return "They asked for a one-to-one conversation, and none of the free one-to-one times suit them."
	case understand.GroupBooking:
		return "They asked for more places than one email can book, so I booked none: a group is for a person to arrange."
	}
	return "I understood their request, but some words in it suggest someone may be at risk."
}

// handoffs are the messages that pass m to each member of staff: what it
// says, why it needs them (data's summary, urgent words, what was done and
// the phone number given), and the original attached. A reply to one goes
// straight to the person.
func (d *Desk) handoffs(m *understand.Message, raw []byte, data templates.Handoff) []Reply {
	urgent := data.Urgent
	data.From, data.Subject = fmt.Sprintf("%s <%s>", understand.OneLine(m.FromName), m.From), understand.OneLine(m.Subject)
	data.Text = understand.Excerpt(m.Fresh, 8<<10)
	if m.FromName == "" {
		data.From = m.From
	}
	subject := "Please reply: " + data.From
	if len(urgent) > 0 {
		subject = "URGENT, please read today: " + data.From
	}
	var out []Reply
	for _, staff := range d.env.Staff {
		out = append(out, Reply{Kind: "handoff", To: staff, Subject: subject, Data: data,
			ReplyTo: m.From, ReplyToName: m.FromName, Original: raw})
	}
	return out
}

// overLimit is what becomes of a message from someone who has had
// cfg.ReplyLimit replies in the last hour: staff see it instead, up to as
// many again, so a forged From can flood neither the person nor the team.
func (d *Desk) overLimit(ctx context.Context, tx *store.Tx, m *understand.Message, raw []byte, now time.Time, replies int) (Outcome, []Reply, error) {
	outcome := NotAnswered.Of("reply limit (%d in the last hour)", replies)
	if len(d.env.Staff) == 0 {
		d.env.Log.Warn("reply limit reached; not answering, and no staff to pass it to", "from", m.From, "sent_last_hour", replies)
		return outcome, nil, nil
	}
	n, err := tx.HandedOver(ctx, address.Base(m.From), now.Add(-time.Hour))
	if err != nil {
		return Outcome{}, nil, err
	}
	if n >= d.env.ReplyLimit {
		d.env.Log.Warn("reply limit reached, and as many passed to staff; dropping", "from", m.From, "sent_last_hour", replies, "passed_last_hour", n)
		return outcome.With("; not passed to staff: their limit too"), nil, nil
	}
	d.env.Log.Warn("reply limit reached; passing to staff instead", "from", m.From, "sent_last_hour", replies)
	summary := fmt.Sprintf("I have sent them %d emails in the last hour, so I have stopped answering them and pass this to you instead.", replies)
	return outcome.With("; passed to staff"), d.handoffs(m, raw, templates.Handoff{Urgent: understand.Urgent(m.Fresh), Summary: summary}), nil
}
