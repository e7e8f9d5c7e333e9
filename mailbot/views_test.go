package mailbot

import (
	"context"
	"slices"
	"testing"

	"github.com/betterdays/mailbot/store"
)

// contributions is what ExportContributions gives, as "name|email|consent|text".
func (d *rig) contributions(namedOnly bool) []string {
	d.t.Helper()
	var out []string
	err := d.st.ExportContributions(context.Background(), namedOnly, func(c store.Contribution) error {
		out = append(out, c.Name+"|"+c.Email+"|"+string(c.Consent)+"|"+c.Text)
		return nil
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// TestContributions: views are thanked and kept, not handed to staff; the
// thank-you asks once whether they may be used; nothing is exported until
// the person answers; names only with NAME ME; forgetting removes them.
func TestContributions(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send("Mary Jones <"+mary+">", "My thoughts", "What would make my days better is having somewhere to go on a Saturday.")
	thanks := d.one(mary)
	thanks.must(t, "Thank you for your thoughts", "NAME ME", "Nothing you sent is used until you answer.")
	if got := d.mail(officer); len(got) != 0 {
		t.Errorf("views went to staff as %q", got[0].Subject)
	}
	if got := d.contributions(false); len(got) != 0 {
		t.Errorf("exported before she answered: %q", got)
	}
	// A second view before she answers: no second question.
	d.send(mary, "More", "I wanted to say the library room is too cold in the mornings for my husband.")
	d.one(mary).must(t, "nothing is used\nuntil you reply to that email")

	d.reply(mary, thanks, "NAME ME")
	d.one(mary).must(t, "may use what you told us, and give\nyour name with it")
	want := []string{
		"Mary Jones|" + mary + "|named|What would make my days better is having somewhere to go on a Saturday.",
		"Mary Jones|" + mary + "|named|I wanted to say the library room is too cold in the mornings for my husband.",
	}
	if got := d.contributions(false); !slices.Equal(got, want) {
		t.Errorf("exported %q, want %q", got, want)
	}

	// Sam says YES: used, without his name; NO keeps Ann's out.
	d.send(sam, "Views", "In my view there should be more transport to the day centres.")
	d.reply(sam, d.one(sam), "Yes")
	d.one(sam).must(t, "without\nyour name")
	d.send("ann@example.org", "Views", "I think the council should keep the Weymouth centre open, it means a lot.")
	d.reply("ann@example.org", d.one("ann@example.org"), "no thank you")
	d.one("ann@example.org").must(t, "We will not use what you told us")
	got := d.contributions(false)
	if len(got) != 3 || got[2] != "||yes|In my view there should be more transport to the day centres." {
		t.Errorf("exported %q", got)
	}
	if got := d.contributions(true); len(got) != 2 {
		t.Errorf("named only: %q", got)
	}
	// Forgetting Mary removes hers.
	if _, err := Forget(context.Background(), d.st, mary, d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := d.contributions(false); len(got) != 1 {
		t.Errorf("after forgetting Mary: %q", got)
	}
}

// TestContributionNamedAlready: consent given with the views is taken, and
// no question is put.
func TestContributionNamedAlready(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send("Sheila Vokes <"+mary+">", "Saturdays", "What would make my days better is having somewhere to go on a Saturday. You can use my name if it helps.")
	m := d.one(mary)
	m.must(t, "Thank you for your thoughts", "we may use it, with your name")
	m.mustNot(t, "NAME ME")
	if got := d.contributions(true); len(got) != 1 || got[0][:13] != "Sheila Vokes|" {
		t.Errorf("exported %q", got)
	}
	if got := d.bookings("bd-2027-01"); len(got) != 0 {
		t.Errorf("a Saturday in her views booked %q", got)
	}
}

// TestContributionAndList: views beside "what's on?" are kept and
// thanked for, and the list goes too.
func TestContributionAndList(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "sessions", "What's on? And for your question about a good day - mine is a walk along the front at Weymouth and a cup of tea with someone to talk to.")
	got := d.mail(mary)
	if len(got) != 2 {
		t.Fatalf("got %d replies, want the thanks and the list", len(got))
	}
	got[0].must(t, "Thank you for your thoughts.")
	got[1].must(t, "These are the sessions coming up:", "1. Better Days: what makes a good day?")
	if b := d.bookings("bd-2027-01"); len(b) != 0 {
		t.Errorf("bookings = %q: a good day in the views books nothing", b)
	}
}
