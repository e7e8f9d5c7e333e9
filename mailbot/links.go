package mailbot

import (
	"context"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/store"
)

// bounceTag starts the plus-address tag of our envelope senders (VERP): a
// bounce comes back to an address that names the message that bounced.
const bounceTag = "bounce-"

// LeaveByLink takes the person a one-click link names off the list
// (RFC 8058), and sends one short confirmation. It returns their address.
func (b *Bot) LeaveByLink(ctx context.Context, token string) (string, error) {
	return b.byLink(ctx, desk.PurposeLeave, token)
}

// JoinByLink confirms the request to join that a link names.
func (b *Bot) JoinByLink(ctx context.Context, token string) (string, error) {
	return b.byLink(ctx, desk.PurposeConfirm, token)
}

// LinkOwner is the address of the person a link names, for the page that
// asks them to press its button.
func (b *Bot) LinkOwner(ctx context.Context, purpose desk.Purpose, token string) (string, error) {
	id, err := b.sign.Check(purpose, token)
	if err != nil {
		return "", err
	}
	p, err := b.store.Person(ctx, id)
	return p.Email, err
}

// byLink does what a link's button asks, and sends the answer only when
// something changed.
func (b *Bot) byLink(ctx context.Context, purpose desk.Purpose, token string) (string, error) {
	id, err := b.sign.Check(purpose, token)
	if err != nil {
		return "", err
	}
	now := b.clock.Now()
	var p store.Person
	var queued bool
	err = b.store.Write(ctx, func(tx *store.Tx) error {
		if p, err = tx.Person(ctx, id); err != nil {
			return err
		}
		replies, err := b.desk.ByLink(ctx, tx, p, purpose, now)
		if err != nil {
			return err
		}
		queued = len(replies) > 0
		return b.queue(ctx, tx, replies, 0, now)
	})
	if err == nil {
		b.log.Info("list link used", "to", p.Email, "purpose", string(purpose), "changed", queued)
		if queued && b.queued != nil {
			b.queued()
		}
	}
	return p.Email, err
}

// LapseRequests ends requests to join that were not confirmed within
// MAILBOT_CONFIRM_WITHIN: such an address gets nothing more.
func (b *Bot) LapseRequests(ctx context.Context) error {
	now := b.clock.Now()
	return b.store.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.LapsePending(ctx, now.Add(-b.cfg.ConfirmWithin), now)
		if n > 0 {
			b.log.Info("requests to join lapsed unconfirmed", "count", n)
		}
		return err
	})
}
