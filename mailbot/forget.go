package mailbot

import (
	"context"
	"fmt"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/store"
)

// Forget erases the details of the person at email (see store.Tx.Forget)
// and then compacts the database, so that no copy is left in its free
// space or write-ahead log. It can be run again: an erasure whose compact
// failed is finished by the next run.
func Forget(ctx context.Context, st *store.Store, email string, now time.Time) (store.Erased, error) {
	var e store.Erased
	err := st.Write(ctx, func(tx *store.Tx) (err error) {
		e, err = desk.Forget(ctx, tx, email, now)
		return err
	})
	if err != nil {
		return e, fmt.Errorf("forget %s: %w", email, err)
	}
	if err := st.Compact(ctx); err != nil {
		return e, fmt.Errorf("erased %s, but could not yet clear old copies from the database file (run the command again): %w", email, err)
	}
	return e, nil
}

// PruneBodies empties the bodies of messages sent, and the subjects of
// messages received, more than MAILBOT_KEEP_BODIES_DAYS ago, keeping
// what stops a message being handled or sent twice; then it clears the
// write-ahead log of what it and any erasure removed.
func (b *Bot) PruneBodies(ctx context.Context) error {
	before := b.clock.Now().AddDate(0, 0, -b.cfg.KeepBodiesDays)
	var sent, received int
	err := b.store.Write(ctx, func(tx *store.Tx) (err error) {
		sent, received, err = tx.PruneBodies(ctx, before)
		return err
	})
	if err != nil {
		return err
	}
	if sent+received > 0 {
		b.log.Info("old message bodies removed", "sent", sent, "received", received, "before", before.Format(time.DateOnly))
	}
	done, err := b.store.Checkpoint(ctx)
	if err == nil && !done {
		b.log.Debug("write-ahead log in use; it is cleared next time")
	}
	return err
}

// pruneEvery runs PruneBodies every interval until ctx is done.
func (b *Bot) pruneEvery(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := b.PruneBodies(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("removing old message bodies", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
