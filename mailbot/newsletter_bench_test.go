package mailbot

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/betterdays/mailbot/store"
)

// BenchmarkNewsletterCopy is what the outbox does to make one person's copy
// of a newsletter just before sending it (Bot.Prepare, then Bot.Done once
// it has gone): their envelope
// sender and unsubscribe token, their name, and the whole message, text and
// HTML, for the ~4 KB issue mailbench sends.
//
//	go test -run '^$' -bench NewsletterCopy -benchmem ./mailbot
func BenchmarkNewsletterCopy(b *testing.B) {
	md, err := os.ReadFile("../cmd/mailbench/newsletter.md")
	if err != nil {
		b.Fatal(err)
	}
	d := newDesk(b, nil)
	ctx := context.Background()
	const readers = 100
	err = d.st.Write(ctx, func(tx *store.Tx) error {
		for i := range readers {
			id, err := tx.NotePerson(ctx, fmt.Sprintf("reader%03d@example.org", i), fmt.Sprintf("Reader %d", i), deskNow)
			if err != nil {
				return err
			}
			if err := tx.Confirm(ctx, id, "cli", "reply", "", deskNow); err != nil {
				return err
			}
		}
		n, err := d.bot.DraftNewsletter(ctx, tx, "Better Days: the summer conversations begin", string(md), "cli")
		if err != nil {
			return err
		}
		_, err = d.bot.QueueNewsletter(ctx, tx, n)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	queued, err := d.st.DueOutbox(ctx, deskNow.Add(time.Minute), true, readers)
	if err != nil || len(queued) != readers {
		b.Fatalf("DueOutbox = %d rows, %v; want %d", len(queued), err, readers)
	}
	size := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m := queued[i%readers]
		if err := d.bot.Prepare(ctx, &m); err != nil {
			b.Fatal(err)
		}
		size = len(m.Body)
		d.bot.Done(&m) // as the outbox does once the copy has gone
		i++
	}
	b.SetBytes(int64(size))
}
