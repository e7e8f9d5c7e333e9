package mailbot

import (
	"context"
	"fmt"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/store"
)

// remindBatch bounds one transaction of reminders, so a busy day's
// reminders never hold the writer for long.
const remindBatch = 100

// SendReminders queues every reminder owed now. Each reminder's outbox row
// and the record that it was sent commit together, so each is sent once
// however often this runs and whenever the bot restarts.
func (b *Bot) SendReminders(ctx context.Context) (int, error) {
	if len(b.cfg.Reminders) == 0 {
		return 0, nil
	}
	total := 0
	for {
		now := b.clock.Now()
		n := 0
		err := b.store.Write(ctx, func(tx *store.Tx) error {
			due, err := tx.DueReminders(ctx, now, b.cfg.Reminders, remindBatch)
			if err != nil {
				return err
			}
			n = len(due)
			replies := make([]desk.Reply, 0, len(due))
			for _, r := range due {
				if err := tx.MarkReminded(ctx, r.Booking.ID, b.cfg.Reminders, r.Lead, now); err != nil {
					return err
				}
				replies = append(replies, b.desk.Reminder(r.Booking, now))
			}
			return b.queue(ctx, tx, replies, 0, now)
		})
		if err != nil {
			return total, fmt.Errorf("reminders: %w", err)
		}
		total += n
		if n > 0 && b.queued != nil {
			b.queued()
		}
		if n < remindBatch {
			return total, nil
		}
	}
}

// remind runs SendReminders every interval until ctx is done.
func (b *Bot) remind(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := b.SendReminders(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("reminders", "err", err)
		}
		if err := b.LapseRequests(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("lapsing requests to join", "err", err)
		}
		if _, err := b.SendDigest(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("staff digest", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
