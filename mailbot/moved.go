package mailbot

import (
	"context"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/store"
)

// Bot tells people what a timetable import changed for them.
var _ Teller = (*Bot)(nil)

// TellMoved emails everyone booked on s that its time, place or joining
// details changed from was (see desk.Moved).
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

// TellPromoted emails each person a raised capacity confirmed from the
// waiting list, with an invitation.
func (b *Bot) TellPromoted(ctx context.Context, tx *store.Tx, promoted []store.Booking, now time.Time) error {
	var replies []desk.Reply
	for _, p := range promoted {
		replies = append(replies, b.desk.Promoted(p, now))
	}
	if err := b.queue(ctx, tx, replies, 0, now); err != nil {
		return err
	}
	if len(promoted) > 0 {
		b.log.Info("capacity raised; waiting list promoted", "session", promoted[0].Session.ID, "promoted", len(promoted))
	}
	return nil
}

// TellWithdrawn withdraws the session with id for reason and emails
// everyone who was booked or waiting, and staff (see desk.Withdrawn). Run
// again it finds the session withdrawn already and tells nobody.
func (b *Bot) TellWithdrawn(ctx context.Context, tx *store.Tx, id, reason string, now time.Time) (int, bool, error) {
	s, told, already, err := tx.Withdraw(ctx, id, reason, now)
	if err != nil || already {
		return 0, already, err
	}
	replies, err := b.desk.Withdrawn(ctx, tx, s, told, now)
	if err != nil {
		return 0, false, err
	}
	if err := b.queue(ctx, tx, replies, 0, now); err != nil {
		return 0, false, err
	}
	b.log.Info("session withdrawn; booked people told", "session", id, "told", len(told))
	return len(told), false, nil
}

// Withdraw withdraws the session with id (mailbot sessions cancel): the
// news and the change commit together.
func (b *Bot) Withdraw(ctx context.Context, id, reason string) (told int, already bool, err error) {
	err = b.store.Write(ctx, func(tx *store.Tx) error {
		told, already, err = b.TellWithdrawn(ctx, tx, id, reason, b.clock.Now())
		return err
	})
	if err == nil && told > 0 && b.queued != nil {
		b.queued()
	}
	return told, already, err
}
