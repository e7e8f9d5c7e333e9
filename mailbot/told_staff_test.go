package mailbot

import (
	"fmt"
	"strings"
	"testing"
)

// TestPromisesOfAPersonAreKept: every reply that says a member of the team
// will be in touch has put the message with staff.
func TestPromisesOfAPersonAreKept(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, subject, text string
		wantPerson          []string // in the reply to Mary
		wantStaff           []string // in the hand-off
	}{
		{"speak to someone", "Re: Better Days", "speak to someone",
			[]string{"I have passed your email to a member of the Better Days team"},
			[]string{"They asked to talk to a person."}},
		{"ring me", "Question", "Can someone ring me please? 01305 123456",
			[]string{"I have passed your email to a member of the Better Days team"},
			[]string{"They asked to talk to a person.", "01305 123456"}},
		{"talk to a person", "", "I would rather talk to a real person about this.",
			[]string{"I have passed your email to a member of the Better Days team"},
			[]string{"They asked to talk to a person."}},
		{"no drop-in suits", "Drop-in", "Can I have a one-to-one on a Saturday?",
			[]string{"no one-to-one times free that suit", "I have passed your email"},
			[]string{"none of the free one-to-one times suit them"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesk(t, nil)
			d.send(mary, tt.subject, tt.text)
			d.one(mary).must(t, tt.wantPerson...)
			d.one(officer).must(t, tt.wantStaff...)
		})
	}
}

// TestStaffAreNeverLimited: on a busy morning staff get every hand-off,
// and every answer to their own requests, however many there are; the
// hand-offs count towards nobody's reply limit.
func TestStaffAreNeverLimited(t *testing.T) {
	t.Parallel()
	const limit = 2
	d := newDesk(t, map[string]string{"MAILBOT_REPLY_LIMIT": fmt.Sprint(limit)})
	proven := "Authentication-Results: localhost; auth=pass smtp.auth=" + officer
	people := []string{mary, sam, "ann@example.org", "bob@example.org", "cat@example.org"}
	for _, p := range people {
		d.send(p, "Question", "Can someone ring me please?")
		d.one(p).must(t, "I have passed your email")
	}
	if got := len(d.mail(officer)); got != len(people) {
		t.Errorf("staff got %d hand-offs, want all %d", got, len(people))
	}
	for i := range 3 * limit {
		d.send(officer, "attendees", "attendees 15 July", proven)
		if got := d.mail(officer); len(got) != 1 || !strings.Contains(got[0].Text, "Giving my carers a break") {
			t.Fatalf("staff request %d of %d: %d answers, want the attendee list", i+1, 3*limit, len(got))
		}
	}
	// Mary's own limit is untouched by what was sent about her to staff.
	d.send(mary, "sessions", "what sessions are there?")
	d.one(mary).must(t, "These are the sessions coming up")
}
