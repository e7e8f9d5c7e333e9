package mailbot

import (
	"context"
	"time"

	"github.com/betterdays/mailbot/store"
)

// TellMoved emails everyone booked on s that its time, place or joining
// details changed from was (see desk.Moved). It is a MovedFunc.
func (b *Bot) TellMoved(ctx context.Context, tx *store.Tx, was, s store.Session, now time.Time) error {
	replies, err := b.desk.Moved(ctx, tx, was, s, now)
	if err != nil {
		return err
	}
	if err := b.queue(ctx, tx, replies, 0, now); err != nil {
		return err
	}
	if replies != nil {
		b.log.Info("session moved; booked people told", "session", s.ID, "told", len(replies))
	}
	return nil
}
