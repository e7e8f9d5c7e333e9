package mailbot

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestSubjectAccessByEmail: "what information do you hold about me?"
// gets a question at the writer's own address; only their reply citing
// it sends the copy, attached as JSON, the same as `mailbot export`;
// a YES that cites nothing, and a NO, send nothing.
func TestSubjectAccessByEmail(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("a,session,Poetry circle,2027-07-20 10:00,2027-07-20 11:00,8,The library,\n")
	d.send(mary, "book", "please book me on the poetry circle, I use a wheelchair")
	d.one(mary).must(t, "You are booked on:")

	d.unproven(mary, "my data", "What information do you hold about me?")
	ask := d.one(mary)
	ask.must(t, "You asked what information we hold about you", "I will send you a copy of all of it, to this email address only")
	if len(ask.JSON) != 0 {
		t.Fatal("the question carries the data: a stranger asking in her name would get it")
	}

	d.send(mary, "yes", "YES") // cites nothing: never read as the answer
	for _, m := range d.mail(mary) {
		if len(m.JSON) != 0 {
			t.Fatal("a YES citing nothing sent her data")
		}
	}

	d.reply(mary, ask, "Yes please")
	got := d.one(mary)
	got.must(t, "Here is a copy of everything we hold about you")
	if len(got.JSON) != 1 {
		t.Fatalf("%d JSON attachments, want 1", len(got.JSON))
	}
	var sa SubjectAccess
	if err := json.Unmarshal(got.JSON[0], &sa); err != nil {
		t.Fatalf("attachment: %v\n%s", err, got.JSON[0])
	}
	if sa.Email != mary || !slices.ContainsFunc(sa.Bookings, func(b saBooking) bool {
		return b.SessionID == "a" && strings.Contains(b.AccessNeeds, "wheelchair")
	}) {
		t.Errorf("the copy: %+v; want Mary's address and her booking with its access needs", sa)
	}

	d.reply(mary, ask, "YES") // the question is answered: it sends nothing again
	for _, m := range d.mail(mary) {
		if len(m.JSON) != 0 {
			t.Error("a second YES to the same question sent the data again")
		}
	}

	d.send(sam, "data", "Could I have a copy of my data please")
	d.reply(sam, d.one(sam), "No thanks")
	d.one(sam).must(t, "I haven't sent anything")
}
