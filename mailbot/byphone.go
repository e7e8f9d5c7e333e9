package mailbot

import (
	"context"

	"github.com/betterdays/mailbot/mailbot/desk"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// byPhone is what becomes of r, addressed to someone with no email
// address: the same words, for the staff address that booked them (every
// staff address, when the command line did) to read out, with their phone
// number at the top. It carries no calendar file and no offer: staff
// answer for them.
func (b *Bot) byPhone(ctx context.Context, tx *store.Tx, r desk.Reply) ([]desk.Reply, error) {
	name, phone, contact, err := tx.Reach(ctx, r.To)
	if err != nil {
		return nil, err
	}
	body, err := b.tpl.Render(r.Kind, r.Subject, r.Data)
	if err != nil {
		return nil, err
	}
	who := name
	if phone != "" {
		who += " on " + phone
	}
	phoned := desk.Reply{Kind: "by-phone", Subject: "Please phone " + who + ": " + r.Subject,
		Data: templates.ByPhone{Name: name, Phone: phone, Subject: r.Subject, Text: body.Text}}
	if contact != "" {
		phoned.To = contact
		return []desk.Reply{phoned}, nil
	}
	out := b.toAllStaff(phoned)
	if len(out) == 0 {
		b.log.Warn("mail for someone with no email address, and no staff to phone them: not sent", "kind", r.Kind)
	}
	return out, nil
}
