package mailbot

import (
	"slices"
	"testing"
)

// TestGuessedCancelAsks: "I can't make it", citing nothing, is only
// guessed to answer our newest confirmation. With two bookings it asks
// which, and both stay; with one, that one is meant.
func TestGuessedCancelAsks(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("a,session,Poetry circle,2027-07-20 10:00,2027-07-20 11:00,8,The library,\n" +
		"b,session,Knit and natter,2027-07-27 10:00,2027-07-27 11:00,8,The library,\n")
	d.send(mary, "book", "please book me on the poetry circle")
	d.one(mary).must(t, "You are booked on:")
	d.send(mary, "book", "and the knit and natter one please")
	d.one(mary).must(t, "You are booked on:")

	d.send(mary, "can't make it", "I'm sorry but I can't make it.")
	d.one(mary).must(t, "Which booking would you like to cancel?", "Poetry circle", "Knit and natter")
	if a, b := d.bookings("a"), d.bookings("b"); !slices.Equal(a, []string{mary + " confirmed 1"}) || !slices.Equal(b, []string{mary + " confirmed 1"}) {
		t.Fatalf("bookings %q %q; want both kept", a, b)
	}

	d.send(sam, "book", "please book me on the poetry circle")
	d.one(sam).must(t, "You are booked on:")
	d.send(sam, "can't make it", "I'm sorry but I can't make it.")
	d.one(sam).must(t, "I have cancelled:", "Poetry circle")
}

// TestStrangerForwardsForAnother: someone who is not staff forwarding
// another person's email with "please book her" acts for nobody: neither
// the person whose email it is, on a stranger's word, nor the writer, who
// asked for someone else. Staff read it.
func TestStrangerForwardsForAnother(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("a,session,Poetry circle,2027-07-20 10:00,2027-07-20 11:00,8,The library,\n")
	d.send(sam, "Fwd: booking", "Hi, please book her on the poetry circle.\n\nSam\n\n"+
		"---------- Forwarded message ---------\nFrom: Mary Jones <"+mary+">\nDate: Wed, 9 Jun 2027 at 14:40\nSubject: booking\nTo: <"+sam+">\n\n"+
		"Sam dear, would you put my name down for the poetry circle. Mary\n")
	d.one(sam).must(t, "passed your email to a member of the Better Days team")
	d.one(officer).must(t, "They ask for someone else")
	if got := d.bookings("a"); len(got) != 0 {
		t.Errorf("bookings %q; want none", got)
	}
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("%d messages to Mary, on a stranger's word; want none", len(got))
	}
}
