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
