package mailbot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestHandleBatch: messages handled together, in one commit, behave as if
// handled one by one: a copy of one earlier in the batch is a duplicate,
// and the reply limit counts the replies queued before it in the batch.
func TestHandleBatch(t *testing.T) {
	d := newDesk(t, map[string]string{"MAILBOT_REPLY_LIMIT": "2"})
	raw := func(from, id string) []byte {
		return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: hi\r\nMessage-ID: <%s>\r\n\r\nwhat's on?\r\n", from, botAddress, id)
	}
	var ds []Delivery
	add := func(from, id string) {
		ds = append(ds, Delivery{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(len(ds) + 1), Received: d.clock.Now(), Raw: raw(from, id)})
	}
	add(mary, "a@x")
	add(mary, "a@x") // the same message again
	for i := range 3 {
		add(sam, fmt.Sprintf("s%d@x", i))
	}
	n, err := d.bot.HandleBatch(context.Background(), d.bot.ReadAhead(context.Background(), ds))
	if err != nil || n != len(ds) {
		t.Fatalf("HandleBatch = %d, %v; want all %d", n, err, len(ds))
	}
	if got := d.mail(mary); len(got) != 1 {
		t.Errorf("mary got %d replies to one message sent twice", len(got))
	}
	if got := d.mail(sam); len(got) != 2 {
		t.Errorf("sam got %d replies, want the limit of 2", len(got))
	}
	if got := d.mail(officer); len(got) != 1 {
		t.Errorf("staff got %d messages, want sam's third", len(got))
	}
	for i, want := range []string{"replied: list", "duplicate", "replied: list", "replied: list", "not answered: reply limit (2 in the last hour); passed to staff"} {
		id := []string{"a@x", "a@x", "s0@x", "s1@x", "s2@x"}[i]
		if i == 1 {
			continue // a duplicate leaves no record of its own
		}
		if got, err := d.st.InboundOutcome(context.Background(), id); err != nil || got != want {
			t.Errorf("outcome of %s = %q, %v; want %q", id, got, err, want)
		}
	}
	if n, _ := d.st.CountInbound(context.Background()); n != 4 {
		t.Errorf("%d messages recorded, want 4", n)
	}
}

// TestReadAheadStale: a message read ahead against a timetable that
// changes before its transaction is read again against the new one, and a
// reply to a numbered list (read ahead as answering none) takes the item
// it names.
func TestReadAheadStale(t *testing.T) {
	d := newDesk(t, nil)
	ctx := context.Background()
	raw := func(id, text string, header ...string) []byte {
		return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: hello\r\nMessage-ID: <%s>\r\n%s\r\n%s\r\n", mary, botAddress, id, strings.Join(header, ""), text)
	}
	batch := d.bot.ReadAhead(ctx, []Delivery{{Mailbox: "INBOX", UIDValidity: 1, UID: d.uid.Add(1), Received: d.clock.Now(),
		Raw: raw("a@x", "Please book me on the Poetry circle")}})
	if r, ok := batch.msgs[0].Request(); !ok || len(r.Targets) != 0 {
		t.Fatalf("read ahead before the session exists: %+v; want read, naming no session", r)
	}
	d.timetable("poetry,session,Poetry circle,2027-07-20 10:00,2027-07-20 11:00,8,The library,\n")
	if n, err := d.bot.HandleBatch(ctx, batch); n != 1 || err != nil {
		t.Fatalf("HandleBatch = %d, %v", n, err)
	}
	if b := d.bookings("poetry"); !slices.Equal(b, []string{mary + " confirmed 1"}) {
		t.Fatalf("poetry bookings %v; want Mary's, read against the new timetable", b)
	}
	d.one(mary)

	d.send(mary, "what's on", "what's on?")
	list := d.one(mary)
	batch = d.bot.ReadAhead(ctx, []Delivery{{Mailbox: "INBOX", UIDValidity: 1, UID: d.uid.Add(1), Received: d.clock.Now(),
		Raw: raw("b@x", "2", "In-Reply-To: <"+list.MessageID+">\r\n")}})
	if n, err := d.bot.HandleBatch(ctx, batch); n != 1 || err != nil {
		t.Fatalf("HandleBatch = %d, %v", n, err)
	}
	if got := d.one(mary); !strings.Contains(got.Text, "booked") {
		t.Errorf("reply to \"2\" under the list:\n%s", got.Text)
	}
}
