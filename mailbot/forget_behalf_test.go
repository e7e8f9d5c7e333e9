package mailbot

import (
	"context"
	"strings"
	"testing"
)

// TestForgetSomeoneStaffActedFor: a person a member of staff booked and
// cancelled for, named in the record of what was done for them, is found
// nowhere after `forget`.
func TestForgetSomeoneStaffActedFor(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	const jane = "jane@example.org"
	d.send(officer, "Phone booking", "Book Jane Smith <jane@example.org> on Promoting independence, 2 places please", provenStaff)
	d.one(jane).must(t, "You are booked on:")
	d.one(officer).must(t, "I have done this for Jane Smith <jane@example.org>")
	d.send(officer, "Re: Phone booking", "Cancel jane@example.org from Promoting independence", provenStaff)
	d.one(jane)
	d.one(officer)
	if len(d.traces(jane)) == 0 {
		t.Fatal("no trace of Jane before erasing: the test would prove nothing")
	}
	if _, err := Forget(context.Background(), d.st, jane, d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if left := d.traces(jane, "Jane Smith"); len(left) > 0 {
		t.Errorf("traces of Jane after forget:\n%s", strings.Join(left, "\n"))
	}
}

// TestForwardedAskToForget: a staff forward of someone's request to erase
// their details asks them, at their own address; staff cannot erase for
// them, and only their own YES does.
func TestForwardedAskToForget(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	const elaine = "elaine@example.org"
	d.send(elaine, "booking", "Please book me on Learning new skills")
	d.one(elaine)
	d.send(officer, "FW: my details", "Can the bot deal with this?\r\n\r\n---------- Forwarded message ---------\r\nFrom: Elaine Marr <"+elaine+">\r\n"+
		"Date: Mon, 14 Jun 2027 at 10:00\r\nSubject: my details\r\nTo: <"+officer+">\r\n\r\nI want you to delete all the details you hold about me.\r\n", provenStaff)
	ask := d.one(elaine)
	ask.must(t, "If you reply YES to this email, I will delete:")
	d.one(officer).must(t, "I have done this for Elaine Marr <"+elaine+">", "If you reply YES to this email")
	if got := d.bookings("bd-2027-03"); len(got) != 1 || !strings.HasPrefix(got[0], elaine) {
		t.Fatalf("bookings = %q: nothing is erased before her YES", got)
	}
	d.reply(elaine, ask, "Yes")
	d.one(elaine)
	if left := d.traces(elaine, "Elaine Marr"); len(left) > 0 {
		t.Errorf("traces of Elaine after her YES:\n%s", strings.Join(left, "\n"))
	}
}
