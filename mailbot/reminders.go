package mailbot

import (
	"context"
	"fmt"
	"time"

	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
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
			replies := make([]reply, 0, len(due))
			for _, r := range due {
				if err := tx.MarkReminded(ctx, r.Booking.ID, b.cfg.Reminders, r.Lead, now); err != nil {
					return err
				}
				replies = append(replies, b.reminder(r.Booking, now))
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

// reminder is the message reminding one person of one booking; a reply
// NO to it cancels that booking.
func (b *Bot) reminder(bk store.Booking, now time.Time) reply {
	e := eventOf(bk, b.cfg.TZ)
	return reply{
		kind: "reminder", to: bk.Email, toName: bk.Name,
		subject: "Reminder: " + bk.Session.Title + ", " + e.When,
		data:    templates.Reminder{Name: firstName(bk.Name), Event: e, Soon: timeUntil(bk.Session.Starts.Sub(now))},
		offer:   &store.Offer{PersonID: bk.PersonID, Kind: store.OfferBooked, Items: []string{idString(bk.ID)}},
	}
}

// timeUntil says how soon something is, as a person would: "in 2 days",
// "in 2 hours", "in 45 minutes".
func timeUntil(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "in 1 " + unit
		}
		return fmt.Sprintf("in %d %ss", n, unit)
	}
	switch {
	case d >= 36*time.Hour:
		return plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
	case d >= 90*time.Minute:
		return plural(int((d+30*time.Minute)/time.Hour), "hour")
	default:
		return plural(max(int((d+30*time.Second)/time.Minute), 1), "minute")
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
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
