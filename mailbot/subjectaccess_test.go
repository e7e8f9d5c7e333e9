package mailbot

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestSubjectAccess: Mary booked with a phone and access needs, joined the
// list and was on an attendee list; her subject-access export holds all
// of it, and the words of the mail we sent her, and nothing of Sam's.
func TestSubjectAccess(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	maryEverywhere(t, d)
	d.send(sam, "book", "Please book me on 15 July")
	d.one(sam)
	sa, err := SubjectAccessOf(context.Background(), d.st, d.bot.cfg, mary, d.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sa.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.Bytes())
	}
	out := buf.String()
	for _, want := range []string{`"name": "Mary Jones"`, `"phone": "07700 900123"`, "BSL interpreter", `"places": 2`,
		`"status": "confirmed"`, `"consented_at": "`, `"consent_how": "reply to booking confirmation"`, `"consent_message_id": "`,
		`"messages_from_them": [`, "Hello Mary,", "You are booked on:", `"how_long_it_is_kept"`} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %s", want)
		}
	}
	if strings.Contains(out, sam) {
		t.Errorf("Mary's export names Sam:\n%s", out)
	}
	if n := len(sa.From); n < 2 {
		t.Errorf("%d messages from her, want her booking and her yes", n)
	}
	if len(sa.To) < 2 || sa.To[0].Text == "" {
		t.Errorf("messages to her: %+v; want each with its words", sa.To)
	}

	nobody, err := SubjectAccessOf(context.Background(), d.st, d.bot.cfg, "nobody@example.org", d.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if nobody.Person != nil || len(nobody.Bookings)+len(nobody.From)+len(nobody.To) != 0 || nobody.MailingList != nil {
		t.Errorf("an unknown address has data: %+v", nobody)
	}
}
