package mailbot

import (
	"context"
	"fmt"
	"testing"
)

// TestHandleBatch: messages handled together, in one commit, behave as if
// handled one by one: a copy of one earlier in the batch is a duplicate,
// and the reply limit counts the replies queued before it in the batch.
func TestHandleBatch(t *testing.T) {
	d := newDesk(t, nil)
	d.bot.cfg.ReplyLimit = 2
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
	n, err := d.bot.HandleBatch(context.Background(), ds)
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
