package mailbot

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/store"
)

// TestForgedCancelAsksTheirYes: a message in Mary's name that nothing
// proves is hers cancels nothing; Mary is asked, and her YES cancels.
func TestForgedCancelAsksTheirYes(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 15 July")
	d.one(mary)
	d.unproven(mary, "cancel", "please cancel my booking")
	ask := d.one(mary)
	ask.must(t, "We have had an email from your address asking us to:", "- cancel your place on:",
		"Giving my carers a break", "please reply YES to this email", "nothing changes unless\nyou reply YES")
	if got := d.bookings("bd-2027-04"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
		t.Fatalf("a forged cancel changed the booking: %q", got)
	}
	d.reply(mary, ask, "Yes")
	done := d.one(mary)
	done.must(t, "I have cancelled:", "Giving my carers a break")
	if got := d.bookings("bd-2027-04"); len(got) != 0 {
		t.Errorf("after her YES: %q, want cancelled", got)
	}
	// The question is answered: a second YES to it does nothing more.
	d.reply(mary, ask, "Yes")
	d.one(mary).mustNot(t, "I have cancelled:")
}

// TestForgedNoIsKept: NO to the question closes it, and nothing changes.
func TestForgedNoIsKept(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 15 July")
	d.one(mary)
	d.unproven(mary, "cancel", "cancel 15 July")
	ask := d.one(mary)
	d.reply(mary, ask, "No thanks")
	d.one(mary).must(t, "I haven't changed anything")
	d.reply(mary, ask, "yes")
	d.one(mary).mustNot(t, "I have cancelled")
	if got := d.bookings("bd-2027-04"); len(got) != 1 {
		t.Errorf("bookings %q, want Mary's kept", got)
	}
}

// TestForgedReplyToNewestQuestion: a bare "2" citing nothing would take
// the slot Mary was offered; from a forger, the newest-question guess
// takes nothing until Mary says yes.
func TestForgedReplyToNewestQuestion(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "drop-in", "Could I have a one-to-one chat please?")
	d.one(mary).must(t, "These one-to-one times are free:")
	d.unproven(mary, "Re: drop-in", "2")
	ask := d.one(mary)
	ask.must(t, "- book a place on:", "Drop-in conversation")
	if got := d.bookings("dropin-2027-06-24-1030"); len(got) != 0 {
		t.Fatalf("a forged 2 took the slot: %q", got)
	}
	d.reply(mary, ask, "YES please")
	d.one(mary).must(t, "You are booked on:", "Thursday 24 June 2027, 10:30am")
	if got := d.bookings("dropin-2027-06-24-1030"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
		t.Errorf("after her YES: %q", got)
	}
}

// TestForgedYesDoesNotJoin: a YES under a booking confirmation joins the
// list only when it is theirs; double opt-in can't be skipped by a guess.
func TestForgedYesDoesNotJoin(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 15 July")
	d.one(mary).must(t, "Reply YES to\njoin our mailing list")
	d.unproven(mary, "Re: book", "Yes")
	ask := d.one(mary)
	ask.must(t, "- join our mailing list")
	if got := d.subscribed(mary); got {
		t.Fatal("a forged YES joined Mary to the list")
	}
	d.reply(mary, ask, "yes")
	d.one(mary).must(t, "you are on our mailing list")
	if !d.subscribed(mary) {
		t.Error("Mary's own YES did not join her")
	}
}

func (d *rig) subscribed(addr string) bool {
	d.t.Helper()
	var confirmed bool
	err := d.st.Write(d.t.Context(), func(tx *store.Tx) error {
		p, err := tx.PersonByEmail(d.t.Context(), addr)
		if err != nil {
			return err
		}
		sub, err := tx.Subscription(d.t.Context(), p.ID)
		confirmed = err == nil && sub.Status == store.Confirmed
		return nil
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return confirmed
}

// TestPlacesNotFreeForAll: made-up addresses can't take a session: more
// than MAILBOT_MAX_PLACES is refused, and several places from an address
// nothing proves wait for its YES. One place, like any booking, is made:
// its confirmation goes to the address, which can cancel it.
func TestPlacesNotFreeForAll(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("small,session,Gardening club,2027-07-20 10:00,2027-07-20 11:00,30,The library,\n")
	for i := range 3 {
		who := fmt.Sprintf("nobody%d@example.net", i)
		d.unproven(who, "book", "book me on the gardening club for 10")
		d.one(who).must(t, "We can book at most 4 places in one email, so I haven't booked any.")
	}
	d.send(sam, "book", "book the gardening club for 10 people please")
	d.one(sam).must(t, "at most 4 places", "I have passed your email")
	// A group is for a person to arrange with them.
	handed := slices.IndexFunc(d.mail(officer), func(m *sent) bool {
		return strings.Contains(m.Subject, sam) && strings.Contains(m.Text, "a group is for a person to arrange")
	})
	if handed < 0 {
		t.Error("the request for 10 places did not reach staff as a group booking")
	}
	if got := d.bookings("small"); len(got) != 0 {
		t.Fatalf("bookings %q, want none", got)
	}
	d.unproven(ann, "book", "book me on the gardening club for 3")
	ask := d.one(ann)
	ask.must(t, "- book 3 places on:", "Gardening club")
	if got := d.bookings("small"); len(got) != 0 {
		t.Fatalf("several places from an unproven address were booked: %q", got)
	}
	d.reply(ann, ask, "yes")
	d.one(ann).must(t, "You are booked on:", "Places: 3")
	d.unproven("zed@example.net", "book", "book me on the gardening club")
	d.one("zed@example.net").must(t, "You are booked on:")
	want := []string{ann + " confirmed 3", "zed@example.net confirmed 1"}
	if got := d.bookings("small"); !slices.Equal(got, want) {
		t.Errorf("bookings %q, want %q", got, want)
	}
}

// TestForgedUrgentStillReachesStaff: words of risk go to staff at once,
// even in a message whose cancel waits for the person's YES, and the
// question opens with the help.
func TestForgedUrgentStillReachesStaff(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 15 July")
	d.one(mary)
	d.unproven(mary, "cancel", "Please cancel 15 July. I feel unsafe at home.")
	ask := d.one(mary)
	if !strings.HasPrefix(ask.Text, "If you or someone else is in danger now, please call 999.") {
		t.Errorf("the question does not open with the help:\n%s", ask.Text)
	}
	ask.must(t, "- cancel your place on:", "passed your email to a member of the Better Days team")
	h := d.one(officer)
	if !strings.HasPrefix(h.Subject, "URGENT") {
		t.Errorf("staff got %q, want it marked URGENT", h.Subject)
	}
	if got := d.bookings("bd-2027-04"); len(got) != 1 {
		t.Errorf("bookings %q, want Mary's kept", got)
	}
}

// TestProveQuestionLapses: a YES more than a week later does nothing.
func TestProveQuestionLapses(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 26 August")
	d.one(mary)
	d.unproven(mary, "cancel", "cancel 26 August")
	ask := d.one(mary)
	d.clock.Set(deskNow.Add(desk.ProveFor + time.Hour))
	d.reply(mary, ask, "yes")
	d.one(mary).must(t, "more than a week after we asked", "By your side")
	if got := d.bookings("bd-2027-08"); len(got) != 1 {
		t.Errorf("bookings %q, want kept", got)
	}
}

// TestReplyLimitProtects: a forged flood in Mary's name does not silence
// Mary's own proven mail; +tags share one limit; what the bot sends staff
// does not use up staff's replies, and proven staff are never limited.
func TestReplyLimitProtects(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_REPLY_LIMIT": "3"})
	for i := range 5 {
		d.unproven(fmt.Sprintf("mary+%d@example.org", i), "hello", "what's on?")
	}
	replies := 0
	for i := range 5 {
		replies += len(d.mail(fmt.Sprintf("mary+%d@example.org", i)))
	}
	if replies != 3 {
		t.Errorf("+tag variants got %d replies, want one limit of 3", replies)
	}
	d.mail(officer)
	d.send(mary, "book", "book me on 15 July")
	d.one(mary).must(t, "You are booked on:")

	// Strangers' questions go to staff; the officer's own request is still answered.
	for i := range 12 {
		d.unproven(fmt.Sprintf("stranger%d@example.net", i), "parking", "Is there parking at the library?")
	}
	if n := len(d.mail(officer)); n != 12 {
		t.Fatalf("staff got %d hand-offs, want 12", n)
	}
	for range 4 {
		d.send(officer, "attendees", "attendees 15 July", provenStaff)
		d.one(officer).must(t, "Giving my carers a break")
	}
}
